"""Spreadsheets in and out: the member list of a batch (DESIGN §4), BPJS's confirmation (NIK → KPJ)
and the export of an approved batch for the BPJS branch.

Reading never trusts a file: every row is checked and every problem is reported with its row
number (as the spreadsheet shows it: the header is row 1), its column and the reason. Checks that
need the database run set-based, a few queries per few thousand rows, never one per row."""

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import phonenumbers
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from lokal import parse_nik
from openpyxl import Workbook, load_workbook

from enrollment.models import (
    BatchKind,
    BatchMember,
    BatchState,
    EnrollmentBatch,
    MemberState,
    OccupationGroup,
    Participant,
    Position,
    Sex,
)
from ucj.errors import ValidationFailed
from ucj.models import Region, code_in_subtree

MAX_ROWS = 100_000
MAX_CELL_CHARS = 255
MAX_FILE_BYTES = 25 * 1024 * 1024
CHUNK = 5_000  # rows per set-based query (well under SQLite's variable limit)
MAX_AGE = 65

# Accepted headers per field, normalised (lower case, single spaces, no punctuation).
MEMBER_HEADERS = {
    "nik": ("nik", "no nik", "nomor nik", "nomor induk kependudukan"),
    "name": ("name", "nama", "nama lengkap", "full name"),
    "sex": ("sex", "jenis kelamin", "jk", "l p", "gender", "kelamin"),
    "birth_date": ("birth date", "tanggal lahir", "tgl lahir", "date of birth", "dob"),
    # Codes first: a sheet often has both DESA (the name) and KODE DESA (the code).
    "village_code": (
        "village code",
        "kode desa",
        "kode wilayah",
        "kode desa kelurahan",
        "village",
        "desa",
        "kelurahan",
        "desa kelurahan",
    ),
    "occupation": ("occupation", "pekerjaan", "profesi"),
    "phone": (
        "phone",
        "no hp",
        "nomor hp",
        "hp",
        "no telp",
        "telepon",
        "no telepon",
        "nomor telepon",
        "whatsapp",
        "no wa",
    ),
    "kk": ("kk", "no kk", "nomor kk", "family card", "nomor kartu keluarga"),
    "position": ("position", "jabatan"),
}
MEMBER_REQUIRED = ["nik", "name", "sex", "birth_date", "village_code"]
ACTIVATION_HEADERS = {
    "nik": MEMBER_HEADERS["nik"],
    "kpj": ("kpj", "no kpj", "nomor kpj", "card number", "no kartu", "nomor kartu", "nomor peserta"),
}

POSITION_WORDS = [
    # The village council first: "Ketua BPD" or "Sekretaris BPD" is a council member, not an official.
    (Position.BPD, ("bpd", "badan permusyawaratan")),
    (Position.KEPALA_DESA, ("kepala desa", "kades", "lurah", "kepala kelurahan", "village head", "kepala_desa")),
    (Position.SEKRETARIS_DESA, ("sekretaris desa", "sekdes", "carik", "sekretaris", "sekretaris_desa")),
    (Position.KAUR, ("kaur", "kepala urusan")),
    (Position.KASI, ("kasi", "kepala seksi")),
    (Position.KEPALA_DUSUN, ("kepala dusun", "kasun", "kadus", "kepala_dusun", "hamlet head")),
    (Position.STAF, ("staf", "staff")),
    (Position.OTHER, ("lainnya", "other", "lain")),
]
OCCUPATION_WORDS = [
    (OccupationGroup.FISHER, ("nelayan", "fisher", "pembudidaya ikan", "budidaya ikan")),
    (OccupationGroup.LIVESTOCK, ("peternak", "ternak", "livestock")),
    (OccupationGroup.FARMER, ("petani", "tani", "pekebun", "farmer", "tembakau", "buruh tani")),
    (
        OccupationGroup.VILLAGE_OFFICIAL,
        ("perangkat desa", "kepala desa", "sekretaris desa", "kaur", "kasi", "kepala dusun"),
    ),
    (OccupationGroup.LABOURER, ("buruh", "kuli", "tukang", "labourer", "laborer", "ojek")),
    (OccupationGroup.TRADER, ("pedagang", "trader", "warung", "dagang")),
]
MOBILE = re.compile(r"(?:\+62|62|0)(8[1-9]\d{7,10})")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d")


def normalise_header(text) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", str(text or "").lower()).split())


def occupation_group(occupation: str, kind: str) -> str:
    if kind == BatchKind.VILLAGE_OFFICIALS:
        return OccupationGroup.VILLAGE_OFFICIAL
    text = occupation.lower()
    # "buruh tani" is a farm labourer: counted with farmers (the Bangkalan report's grouping).
    for group, words in OCCUPATION_WORDS:
        if any(w in text for w in words):
            return group
    return OccupationGroup.OTHER


def position_of(text: str) -> str | None:
    value = " ".join(str(text).lower().replace(".", " ").split())
    for position, words in POSITION_WORDS:
        if position == Position.BPD and any(w in value for w in words):
            return position
        if value == position.value or any(value == w or value.startswith(w + " ") for w in words):
            return position
    return None


# --- Reading a file -------------------------------------------------------------------------------


@dataclass
class Sheet:
    columns: dict[str, int]  # field → column index
    headers: list[str]  # as written, for messages
    rows: list[tuple[int, list]]  # (row number in the spreadsheet, cells)


def read_sheet(content: bytes, filename: str, *, headers: dict[str, tuple[str, ...]], required: Iterable[str]) -> Sheet:
    """A CSV (comma, semicolon or tab; UTF-8 with or without BOM, else Windows-1252) or XLSX file
    as rows of cells. Raises ValidationFailed for a file that cannot be read at all, has no
    usable header, misses a required column or has too many rows."""
    if not content or not content.strip():
        raise ValidationFailed(_("The file is empty."))
    if len(content) > MAX_FILE_BYTES:
        raise ValidationFailed(
            _("The file is larger than %(mb)s MB; split it.") % {"mb": MAX_FILE_BYTES // 1024 // 1024}
        )
    if content[:4] == b"PK\x03\x04":
        raw_rows = _xlsx_rows(content)
    elif content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ValidationFailed(_("Old Excel files (.xls) cannot be read: save the sheet as .xlsx or CSV."))
    else:
        raw_rows = _csv_rows(content)

    header_row = None
    for number, cells in raw_rows:
        if any(str(c).strip() for c in cells if c is not None):
            header_row = (number, cells)
            break
    if header_row is None:
        raise ValidationFailed(_("The file has no rows."))
    written = [str(c).strip() if c is not None else "" for c in header_row[1]]
    columns: dict[str, int] = {}
    keys = [normalise_header(text) for text in written]
    for name, accepted in headers.items():
        # Aliases in their order of preference; the first column written with the best one wins.
        for alias in accepted:
            if alias in keys:
                columns[name] = keys.index(alias)
                break
    missing = [name for name in required if name not in columns]
    if missing:
        raise ValidationFailed(
            _("Missing column(s): %(missing)s. The first row must hold the column names, e.g. %(example)s.")
            % {"missing": ", ".join(missing), "example": ", ".join(required)},
            details=[{"row": header_row[0], "column": name, "message": _("Column not found.")} for name in missing],
        )
    rows = []
    for number, cells in raw_rows:
        if number <= header_row[0]:
            continue
        if not any(c is not None and str(c).strip() for c in cells):
            continue  # blank lines between blocks are common in hand-made sheets
        rows.append((number, cells))
        if len(rows) > MAX_ROWS:
            raise ValidationFailed(
                _("The file has more than %(max)s rows; split it into several files.")
                % {"max": number_format(MAX_ROWS, force_grouping=True)}
            )
    if not rows:
        raise ValidationFailed(_("The file has a header but no data rows."))
    return Sheet(columns=columns, headers=written, rows=rows)


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Windows saves "CSV (comma delimited)" in the system code page.
        return content.decode("cp1252", errors="replace")


def _csv_rows(content: bytes) -> list[tuple[int, list]]:
    text = _decode(content)
    if "\x00" in text:
        raise ValidationFailed(_("The file is neither CSV text nor an XLSX workbook."))
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max([";", ",", "\t"], key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _non_blank(enumerate(reader, start=1))
    except csv.Error as exc:
        raise ValidationFailed(
            _("Row %(row)s cannot be read as CSV (%(error)s).") % {"row": reader.line_num, "error": exc}
        ) from exc


def _xlsx_rows(content: bytes) -> list[tuple[int, list]]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ValidationFailed(_("The XLSX file cannot be opened: is it damaged or protected?")) from exc
    try:
        sheet = workbook.worksheets[0]
        return _non_blank((number, list(cells)) for number, cells in enumerate(sheet.iter_rows(values_only=True), 1))
    except Exception as exc:  # a damaged part of the zip fails while reading, as any of several errors
        raise ValidationFailed(_("The XLSX file cannot be read to its end: is it damaged?")) from exc
    finally:
        workbook.close()


def _non_blank(numbered_rows) -> list[tuple[int, list]]:
    """The rows that hold something, with their numbers. Stops one row past the limit (the header
    plus MAX_ROWS plus one), so that an oversized file is refused rather than read to its end, and
    blank lines never count toward the limit."""
    rows = []
    for number, cells in numbered_rows:
        if any(c is not None and str(c).strip() for c in cells):
            rows.append((number, cells))
            if len(rows) > MAX_ROWS + 1:
                break
    return rows


# --- Cells ----------------------------------------------------------------------------------------


class CellError(Exception):
    pass


def cell(cells: list, index: int | None):
    if index is None or index >= len(cells):
        return None
    return cells[index]


def text_cell(value, limit: int = MAX_CELL_CHARS) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if len(text) > limit:
        raise CellError(_("The cell is longer than %(max)s characters.") % {"max": limit})
    return text


def digits_cell(value, *, length: int, label: str) -> str:
    """NIK and KK: exactly `length` digits, written as text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise CellError(
            _(
                "The %(label)s is stored as a number, which loses digits in Excel: "
                "format the column as text and type it again."
            )
            % {"label": label}
        )
    text = text_cell(value).lstrip("'").replace(" ", "").replace("-", "").replace(".", "")
    if re.fullmatch(r"\d+(,\d+)?E\+\d+", text, flags=re.IGNORECASE):  # dots were stripped above
        raise CellError(
            _(
                "The %(label)s was turned into a number by Excel (%(text)s): "
                "format the column as text and type it again."
            )
            % {"label": label, "text": text}
        )
    if not re.fullmatch(rf"\d{{{length}}}", text):
        raise CellError(_("The %(label)s must be %(n)s digits.") % {"label": label, "n": length})
    return text


def date_cell(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = text_cell(value)
    for fmt in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise CellError(_("Not a date: write it as DD/MM/YYYY or YYYY-MM-DD."))


def sex_cell(value) -> str:
    text = text_cell(value).upper()
    mapping = {
        **dict.fromkeys(["L", "LK", "LAKI-LAKI", "LAKI LAKI", "LAKI", "PRIA", "M", "MALE"], Sex.MALE),
        **dict.fromkeys(["P", "PR", "PEREMPUAN", "W", "WANITA", "F", "FEMALE"], Sex.FEMALE),
    }
    if text not in mapping:
        raise CellError(_("Write L (male) or P (female)."))
    return mapping[text]


def phone_cell(value) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(int(value))  # Excel drops the leading 0 of 0812…; the number still parses
    text = text_cell(value).lstrip("'")
    # Most numbers are Indonesian mobiles (08…, +628…, 628…): normalised directly, because
    # phonenumbers costs about a tenth of a millisecond a row; anything else goes to it.
    mobile = MOBILE.fullmatch(re.sub(r"[\s().-]", "", text))
    if mobile:
        return "+62" + mobile.group(1)
    try:
        number = phonenumbers.parse(text, "ID")
    except phonenumbers.NumberParseException as exc:
        raise CellError(_("Not a phone number.")) from exc
    if not phonenumbers.is_valid_number(number):
        raise CellError(_("Not a valid phone number."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def village_code_cell(value) -> str:
    text = text_cell(value).replace(" ", "")
    if re.fullmatch(r"\d{10}", text):
        text = f"{text[:2]}.{text[2:4]}.{text[4:6]}.{text[6:]}"
    if not re.fullmatch(r"\d{2}\.\d{2}\.\d{2}\.\d{4}", text):
        raise CellError(_("Write the village code, e.g. 35.26.02.2001."))
    return text


# --- Member rows ----------------------------------------------------------------------------------


@dataclass
class MemberRow:
    row: int
    nik: str = ""
    name: str = ""
    sex: str = ""
    birth_date: dt.date | None = None
    village_code: str = ""
    occupation: str = ""
    phone: str = ""
    kk: str = ""
    position: str = ""
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)

    def error(self, column: str, message: str) -> None:
        self.errors.append({"row": self.row, "column": column, "message": str(message)})

    def warn(self, column: str, message: str) -> None:
        self.warnings.append({"row": self.row, "column": column, "message": str(message)})


def _years_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def parse_member_rows(sheet: Sheet, batch: EnrollmentBatch) -> list[MemberRow]:
    """Each row on its own: form of every cell, and the NIK against sex and birth date."""
    c = sheet.columns
    out = []
    for number, cells in sheet.rows:
        r = MemberRow(row=number)
        readers = [
            ("nik", lambda v: digits_cell(v, length=16, label="NIK")),
            ("name", lambda v: text_cell(v, Participant._meta.get_field("name").max_length)),
            ("sex", sex_cell),
            ("birth_date", date_cell),
            ("village_code", village_code_cell),
            ("occupation", lambda v: text_cell(v, Participant._meta.get_field("occupation").max_length)),
            ("phone", phone_cell),
            ("kk", lambda v: digits_cell(v, length=16, label="KK") if text_cell(v) else ""),
            ("position", text_cell),
        ]
        for name, read in readers:
            try:
                setattr(r, name, read(cell(cells, c.get(name))))
            except CellError as exc:
                r.error(name, str(exc))
        if not r.name and not any(e["column"] == "name" for e in r.errors):
            r.error("name", _("The name is empty."))
        if batch.kind == BatchKind.VILLAGE_OFFICIALS:
            if not r.position:
                r.error(
                    "position",
                    _("Give the official's position (JABATAN), e.g. Kepala Desa, Sekdes, Kaur, Kasi, Kasun."),
                )
            else:
                position = position_of(r.position)
                if position is None:
                    r.error("position", _("Unknown position %(value)s.") % {"value": r.position[:40]})
                else:
                    r.position = position
        else:
            r.position = ""
        if r.nik:
            _check_nik(r)
        out.append(r)
    return out


def _check_nik(r: MemberRow) -> None:
    info = parse_nik(r.nik)
    if not info.valid:
        r.error("nik", "; ".join(i.message for i in info.errors) or _("Not a valid NIK."))
        return
    birth = dt.date.fromisoformat(info.birth_date)
    if r.sex and info.gender != r.sex:
        r.error("sex", _("The NIK says %(nik)s, the row says %(row)s.") % {"nik": info.gender, "row": r.sex})
    if r.birth_date and birth != r.birth_date:
        r.error(
            "birth_date",
            _("The NIK gives the birth date %(nik)s, the row %(row)s.")
            % {"nik": birth.strftime("%d/%m/%Y"), "row": r.birth_date.strftime("%d/%m/%Y")},
        )
    r.nik_district = info.district_code  # checked against the Region table, set-based


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def check_member_rows(rows: list[MemberRow], batch: EnrollmentBatch, *, allowed_roots: list[str] | None = None) -> None:
    """Set-based checks against the database and the batch's terms, recorded on the rows:
    districts and villages exist, villages lie in the batch's area (and in the uploader's own
    area when `allowed_roots` is given), no NIK twice in the file, nobody already in this or
    another open batch or active for an overlapping period, age under 65 for government money."""
    districts = sorted({r.nik_district for r in rows if getattr(r, "nik_district", None)})
    known_districts = set()
    for chunk in _chunks(districts):
        known_districts |= set(
            Region.objects.filter(code__in=chunk, level=Region.Level.DISTRICT).values_list("code", flat=True)
        )
    villages = sorted({r.village_code for r in rows if r.village_code})
    known_villages = set()
    for chunk in _chunks(villages):
        known_villages |= set(
            Region.objects.filter(code__in=chunk, level=Region.Level.VILLAGE).values_list("code", flat=True)
        )

    under_65 = batch.requires_under_65
    first_row: dict[str, int] = {}
    for r in rows:
        district = getattr(r, "nik_district", None)
        if district and district not in known_districts:
            r.error(
                "nik",
                _("The NIK's district code %(code)s is not a known district.") % {"code": district.replace(".", "")},
            )
        elif district and not code_in_subtree(district, batch.regency_id):
            r.warn("nik", _("The NIK was issued outside the regency (district %(code)s).") % {"code": district})
        if r.village_code:
            if r.village_code not in known_villages:
                r.error("village_code", _("Unknown village code %(code)s.") % {"code": r.village_code})
            elif not code_in_subtree(r.village_code, batch.area_id):
                r.error(
                    "village_code",
                    _("The village %(code)s lies outside the batch's area %(area)s.")
                    % {"code": r.village_code, "area": batch.area_id},
                )
            elif allowed_roots is not None and not any(code_in_subtree(r.village_code, root) for root in allowed_roots):
                r.error("village_code", _("The village %(code)s is outside your area.") % {"code": r.village_code})
        if under_65 and r.birth_date and _years_on(r.birth_date, batch.period_start) >= MAX_AGE:
            r.error(
                "birth_date",
                _("Aged %(age)s when the period starts: government-funded enrollment is for people under 65.")
                % {"age": _years_on(r.birth_date, batch.period_start)},
            )
        if r.nik:
            if r.nik in first_row:
                r.error("nik", _("The same NIK is on row %(row)s.") % {"row": first_row[r.nik]})
            else:
                first_row[r.nik] = r.row

    candidates = [r for r in rows if r.nik and not any(e["column"] == "nik" for e in r.errors)]
    _check_registered(candidates, batch, allowed_roots)
    candidates = [r for r in candidates if not any(e["column"] == "nik" for e in r.errors)]
    conflicts = membership_conflicts([r.nik for r in candidates], batch)
    for r in candidates:
        if r.nik in conflicts:
            r.error("nik", conflicts[r.nik])


def _check_registered(rows: list[MemberRow], batch: EnrollmentBatch, allowed_roots: list[str] | None) -> None:
    """People already registered keep their record: an upload neither moves nor renames them. One
    registered outside the batch's area (or the uploader's) is refused without saying where, so
    an upload cannot reveal or rewrite another region's people."""
    registered: dict[str, tuple[str, str]] = {}
    niks = [r.nik for r in rows]
    for chunk in _chunks(niks):
        for nik, village, name in Participant.objects.filter(nik__in=chunk).values_list("nik", "village_id", "name"):
            registered[nik] = (village, name)
    for r in rows:
        if r.nik not in registered:
            continue
        village, name = registered[r.nik]
        inside = code_in_subtree(village, batch.area_id) and (
            allowed_roots is None or any(code_in_subtree(village, root) for root in allowed_roots)
        )
        if not inside:
            r.error("nik", _("This person is registered in another region; the labour office there can enroll them."))
        elif name.casefold() != r.name.casefold() or village != r.village_code:
            r.warn(
                "nik",
                _("Already registered as %(name)s of %(village)s; the registered data is kept.")
                % {"name": name, "village": village},
            )


def membership_conflicts(niks: list[str], batch: EnrollmentBatch) -> dict[str, str]:
    """NIK → why that person cannot join `batch`: already on it, in another open batch, or active
    for an overlapping period."""
    out: dict[str, str] = {}
    for chunk in _chunks(sorted(set(niks))):
        open_rows = BatchMember.objects.filter(participant__nik__in=chunk, is_open=True).values_list(
            "participant__nik", "batch_id"
        )
        for nik, batch_id in open_rows:
            out[nik] = (
                _("Already a member of this batch.")
                if batch_id == batch.pk
                else _("Already in open batch #%(id)s.") % {"id": batch_id}
            )
        active_rows = BatchMember.objects.filter(
            participant__nik__in=chunk,
            state=MemberState.ACCEPTED,
            batch__state=BatchState.ACTIVE,
            batch__period_start__lte=batch.period_end,
            batch__period_end__gte=batch.period_start,
        ).values_list("participant__nik", "batch_id", "batch__period_end")
        for nik, batch_id, until in active_rows:
            out.setdefault(
                nik,
                _("Already active until %(date)s (batch #%(id)s), overlapping this period.")
                % {"date": until.strftime("%d/%m/%Y"), "id": batch_id},
            )
    return out


# --- BPJS confirmation ----------------------------------------------------------------------------


def parse_confirmation(sheet: Sheet) -> tuple[dict[str, tuple[int, str]], list[dict]]:
    """NIK → (row, KPJ) from BPJS's confirmation, and the lines that cannot be used."""
    confirmations: dict[str, tuple[int, str]] = {}
    errors: list[dict] = []
    for number, cells in sheet.rows:
        try:
            nik = digits_cell(cell(cells, sheet.columns["nik"]), length=16, label="NIK")
        except CellError as exc:
            errors.append({"row": number, "column": "nik", "message": str(exc)})
            continue
        raw = cell(cells, sheet.columns["kpj"])
        kpj = (
            str(int(raw))
            if isinstance(raw, int | float) and not isinstance(raw, bool)
            else text_cell(raw).replace(" ", "")
        )
        if not re.fullmatch(r"\d{8,16}", kpj):
            errors.append({"row": number, "column": "kpj", "message": _("The KPJ card number must be 8 to 16 digits.")})
            continue
        if nik in confirmations:
            errors.append(
                {
                    "row": number,
                    "column": "nik",
                    "message": _("The same NIK is on row %(row)s.") % {"row": confirmations[nik][0]},
                }
            )
            continue
        confirmations[nik] = (number, kpj)
    return confirmations, errors


# --- Export ---------------------------------------------------------------------------------------

EXPORT_COLUMNS = [
    ("nik", "NIK"),
    ("name", "NAMA"),
    ("birth_date", "TANGGAL LAHIR"),
    ("sex", "JENIS KELAMIN"),
    ("village_code", "KODE DESA"),
    ("village", "DESA"),
    ("occupation", "PEKERJAAN"),
    ("position", "JABATAN"),
    ("programmes", "PROGRAM"),
    ("period_start", "MULAI"),
    ("period_end", "SAMPAI"),
    ("monthly_premium", "IURAN PER BULAN"),
    ("kpj", "KPJ"),
]


def safe_cell(value):
    """A text cell that a spreadsheet would run as a formula (=, +, -, @, tab, CR) is prefixed
    with an apostrophe, so an exported file cannot carry formula injection."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def export_rows(batch: EnrollmentBatch) -> Iterator[list]:
    programmes = "+".join(p.upper() for p in batch.programmes)
    members = (
        batch.members.exclude(state=MemberState.REJECTED)
        .select_related("participant__village")
        .order_by("participant__village_id", "participant__name")
    )
    for m in members.iterator(chunk_size=2000):
        p = m.participant
        yield [
            p.nik,
            p.name,
            p.birth_date.strftime("%d/%m/%Y"),
            p.sex,
            p.village_id,
            p.village.name,
            p.occupation,
            m.get_position_display() if m.position else "",
            programmes,
            batch.period_start.strftime("%d/%m/%Y"),
            batch.period_end.strftime("%d/%m/%Y"),
            batch.monthly_premium,
            p.kpj,
        ]


def export_csv(batch: EnrollmentBatch) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([title for _key, title in EXPORT_COLUMNS])
    for row in export_rows(batch):
        writer.writerow([safe_cell(v) for v in row])
    return out.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8 names correctly


def export_xlsx(batch: EnrollmentBatch) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=f"Batch {batch.pk}")
    sheet.append([title for _key, title in EXPORT_COLUMNS])
    for row in export_rows(batch):
        # Everything as text except the premium: NIKs must keep all 16 digits.
        sheet.append([safe_cell(v) if not isinstance(v, int) else v for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def error_report_csv(errors: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["row", "column", "message"])
    for e in errors:
        writer.writerow([e.get("row", ""), safe_cell(e.get("column", "")), safe_cell(e.get("message", ""))])
    return out.getvalue().encode("utf-8-sig")
