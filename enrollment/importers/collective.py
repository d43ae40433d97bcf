"""Spreadsheets in and out: the member list of a batch (DESIGN §4), BPJS's confirmation (NIK → KPJ)
and the export of an approved batch for the BPJS branch.

Reading never trusts a file: every row is checked and every problem is reported with its row
number (as the spreadsheet shows it: the header is row 1), its column and the reason. Checks that
need the database run set-based, a few queries per few thousand rows, never one per row."""

import datetime as dt
import io
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import phonenumbers
from django.db import connection
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from lokal import parse_nik
from lokal.provinces import PROVINCES
from openpyxl import Workbook

from enrollment.models import (
    BatchKind,
    BatchMember,
    BatchState,
    EnrollmentBatch,
    ImportJob,
    ImportKind,
    ImportSource,
    ImportState,
    MemberState,
    OccupationGroup,
    Participant,
    Position,
    Sex,
    mask_birth_date,
    mask_nik,
    mask_phone,
)
from ucj import scope, sheets
from ucj.errors import ValidationFailed
from ucj.models import Region, code_in_subtree
from ucj.sheet_writers import csv_bytes, xlsx_row
from ucj.sheets import MAX_CELL_CHARS, CellError, Sheet, cell, date_cell, text_cell
from ucj.sheets import MAX_FILE_BYTES as MAX_FILE_BYTES
from ucj.sheets import error_report_csv as error_report_csv

# The generic reading and writing of spreadsheets lives in ucj.sheets; the names other modules
# took from here stay importable. The member list keeps its own row limit (tests lower it).
MAX_ROWS = sheets.MAX_ROWS
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
    # Village officials' fixed monthly pay (siltap plus fixed allowances), what their premium is on.
    "wage": ("wage", "siltap", "penghasilan tetap"),
}
MEMBER_REQUIRED = ["nik", "name", "sex", "birth_date", "village_code"]
ACTIVATION_HEADERS = {
    "nik": MEMBER_HEADERS["nik"],
    "kpj": ("kpj", "no kpj", "nomor kpj", "card number", "no kartu", "nomor kartu", "nomor peserta"),
    # Optional: whether BPJS already had the person (baru / sudah terdaftar).
    "status": ("status", "status peserta", "status kepesertaan"),
}

POSITION_WORDS = [
    # The village council first: "Ketua BPD" or "Sekretaris BPD" is a council member, not an official.
    (Position.BPD, ("bpd", "badan permusyawaratan")),
    # Not "lurah" / "kepala kelurahan": a kelurahan's head and staff are the regency's employees
    # (KELURAHAN_POSITION), not aparatur desa.
    (Position.KEPALA_DESA, ("kepala desa", "kades", "village head", "kepala_desa")),
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
# A kelurahan is part of the regency's administration (UU 23/2014 art. 229; PP 17/2018): its lurah,
# sekretaris kelurahan and kasi are the regency's civil servants, paid by the APBD, not village
# officials (perangkat desa, UU 6/2014 art. 48) whom a village budget pays a siltap.
KELURAHAN_POSITION = re.compile(r"\b(?:lurah|kelurahan)\b")
# BPS counts working people from 15 (Sakernas "penduduk usia kerja"): younger people are not
# enrolled as workers, whoever pays.
MIN_AGE = 15


def occupation_group(occupation: str, kind: str) -> str:
    if kind == BatchKind.VILLAGE_OFFICIALS:
        return OccupationGroup.VILLAGE_OFFICIAL
    text = occupation.lower()
    # "buruh tani" is a farm labourer: counted with farmers (the Bangkalan report's grouping).
    for group, words in OCCUPATION_WORDS:
        if any(w in text for w in words):
            return group
    return OccupationGroup.OTHER


def is_kelurahan_position(text: str) -> bool:
    """A post of a kelurahan (lurah, kepala kelurahan, sekretaris kelurahan…): never a village
    official's (`position_of` maps none of them)."""
    return bool(KELURAHAN_POSITION.search(" ".join(str(text).lower().replace(".", " ").split())))


def position_of(text: str) -> str | None:
    value = " ".join(str(text).lower().replace(".", " ").split())
    if KELURAHAN_POSITION.search(value):
        return None
    for position, words in POSITION_WORDS:
        if position == Position.BPD and any(w in value for w in words):
            return position
        if value == position.value or any(value == w or value.startswith(w + " ") for w in words):
            return position
    return None


def read_sheet(content: bytes, filename: str, *, headers: dict[str, tuple[str, ...]], required: Iterable[str]) -> Sheet:
    """`ucj.sheets.read_sheet` with the member list's row limit."""
    return sheets.read_sheet(content, filename, headers=headers, required=required, max_rows=MAX_ROWS)


# --- Cells ----------------------------------------------------------------------------------------


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
    if not re.fullmatch(rf"[0-9]{{{length}}}", text):  # [0-9]: \d would take Arabic-Indic digits too
        raise CellError(_("The %(label)s must be %(n)s digits.") % {"label": label, "n": length})
    return text


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
        if value != value or value in (float("inf"), float("-inf")):
            raise CellError(_("Not a phone number."))
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


# Far above any village official's pay; a larger figure is a typing mistake.
MAX_WAGE = 100_000_000


def wage_cell(value) -> int | None:
    """Rupiah written as 2.500.000, Rp 2.500.000, Rp2,500,000 or 2500000 (or an Excel number);
    None for an empty cell."""
    if isinstance(value, str):
        text = value.strip()
        if text[:2].casefold() == "rp":
            text = text[2:].lstrip(" .")
        value = text
    return sheets.int_cell(value)


def village_code_cell(value) -> str:
    text = text_cell(value).replace(" ", "")
    if re.fullmatch(r"\d{10}", text):
        text = f"{text[:2]}.{text[2:4]}.{text[4:6]}.{text[6:]}"
    if not re.fullmatch(r"\d{2}\.\d{2}\.\d{2}\.\d{4}", text):
        raise CellError(_("Write the village code, e.g. 35.26.02.2001."))
    return text


# --- Member rows ----------------------------------------------------------------------------------


@dataclass(slots=True)
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
    nik_district: str = ""  # from the NIK, checked against the Region table set-based
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    # A person on record enrolled from another village: the village they lived in until now (the
    # writer moves their domicile to `village_code`, with an audit entry).
    moves_from: str = ""
    # A village official's fixed monthly pay in rupiah (None in other batches).
    wage: int | None = None
    # A person already on this batch (a corrected file uploaded again): neither added nor refused.
    skipped: bool = False

    def error(self, column: str, message: str) -> None:
        self.errors.append({"row": self.row, "column": column, "message": str(message)})

    def skip(self) -> None:
        """The person is a member of this batch already: the row is counted apart, whatever else
        it says (the member on the batch is what counts; their record is corrected on its page)."""
        self.skipped = True
        self.errors.clear()
        self.warnings.clear()

    def warn(self, column: str, message: str) -> None:
        self.warnings.append({"row": self.row, "column": column, "message": str(message)})


def _years_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def age_on(birth: dt.date, day: dt.date) -> int:
    """Whole years of age on `day` (for the leads' working-age check, as the import counts)."""
    return _years_on(birth, day)


def parse_member_rows(sheet: Sheet, batch: EnrollmentBatch) -> list[MemberRow]:
    """Each row on its own: form of every cell, and the NIK against sex and birth date.

    A 100,000-row file passes here. A row written the common way (text cells, the NIK agreeing
    with the sex and birth date) is taken whole by `_quick_member_row`; any other row is read cell
    by cell by `_full_member_row`, which says what is wrong with it."""
    c = sheet.columns
    readers = [(name, c[name], read) for name, read in _member_readers() if name in c]
    officials = batch.kind == BatchKind.VILLAGE_OFFICIALS
    century = dt.date.today().year % 100
    # A village official's position is mapped (position_of), so their rows take the full path:
    # such batches hold a village's dozen officials, not thousands of people.
    quick = None if officials else _quick_member_row(c, century)
    out = []
    for number, cells in sheet.rows:
        r = quick(number, cells) if quick else None
        out.append(r if r is not None else _full_member_row(number, cells, readers, officials, century))
    return out


def _full_member_row(number: int, cells: list, readers: list, officials: bool, century: int) -> MemberRow:
    """One row read cell by cell by `_member_readers` (a missing optional column leaves the field
    empty), with an error for each cell that cannot be read and each disagreement with the NIK."""
    r = MemberRow(row=number)
    width = len(cells)
    for name, index, read in readers:
        try:
            setattr(r, name, read(cells[index] if index < width else None))
        except CellError as exc:
            r.error(name, str(exc))
    if not r.name and not any(e["column"] == "name" for e in r.errors):
        r.error("name", _("The name is empty."))
    if officials:
        if not r.position:
            r.error(
                "position",
                _("Give the official's position (JABATAN), e.g. Kepala Desa, Sekdes, Kaur, Kasi, Kasun."),
            )
        elif is_kelurahan_position(r.position):
            r.error(
                "position",
                _(
                    "%(value)s is a post of a kelurahan, whose lurah and staff are the regency's employees, "
                    "not village officials (aparatur desa): they cannot be enrolled as village officials."
                )
                % {"value": r.position[:40]},
            )
        else:
            position = position_of(r.position)
            if position is None:
                r.error("position", _("Unknown position %(value)s.") % {"value": r.position[:40]})
            else:
                r.position = position
        if r.wage is None and not _has_error(r, "wage"):
            r.error("wage", _("Give the official's fixed monthly pay (SILTAP) in rupiah, e.g. 2.500.000."))
        elif r.wage is not None and not 0 < r.wage <= MAX_WAGE:
            r.error(
                "wage",
                _("The fixed monthly pay must be more than 0 and at most %(max)s rupiah.")
                % {"max": number_format(MAX_WAGE, force_grouping=True)},
            )
    else:
        r.position = ""
        r.wage = None
    if r.nik:
        _check_nik(r, century)
    return r


def _quick_member_row(columns: dict[str, int], century: int):
    """A reader of one row of a non-officials batch that returns its MemberRow when every cell is
    text written the common way — a valid NIK whose sex and birth date (DD/MM/YYYY or YYYY-MM-DD)
    the row repeats, a village code, a mobile number or none — and None for any other row, which
    then takes `_full_member_row`. It gives what that gives (tests/enrollment/test_member_cells.py)
    at about two thirds of its cost: 0.47-0.52 s for 100,000 rows against 0.67-0.80 s. The NIK is
    read by `nik_facts`, as the full reader reads it."""
    name_max = Participant._meta.get_field("name").max_length
    occupation_max = Participant._meta.get_field("occupation").max_length
    i_nik, i_name, i_sex, i_birth, i_village = (columns[name] for name in MEMBER_REQUIRED)
    i_occupation, i_phone, i_kk, i_position = (columns.get(name) for name in ("occupation", "phone", "kk", "position"))
    width = 1 + max(columns.values())
    nik_match, village_match, mobile_match = _NIK.fullmatch, _VILLAGE_CODE.fullmatch, MOBILE.fullmatch
    sex_words = _SEX_WORDS

    def quick(number: int, cells: list) -> MemberRow | None:
        if len(cells) < width:
            return None
        nik, name, birth_text, village = cells[i_nik], cells[i_name], cells[i_birth], cells[i_village]
        if type(nik) is not str or type(name) is not str or type(birth_text) is not str or type(village) is not str:
            return None
        name = name.strip()
        sex = sex_words.get(cells[i_sex]) if type(cells[i_sex]) is str else None
        if sex is None or not name or len(name) > name_max or not nik_match(nik) or not village_match(village):
            return None
        facts = nik_facts(nik, century)
        if facts is None or facts[1] != sex:
            return None
        district, _sex, birth = facts
        day, month, year = f"{birth.day:02d}", nik[8:10], str(birth.year)
        if birth_text != f"{day}/{month}/{year}" and birth_text != f"{year}-{month}-{day}":
            return None
        occupation = phone = kk = ""
        if i_occupation is not None:
            occupation = cells[i_occupation]
            if type(occupation) is not str or len(occupation := occupation.strip()) > occupation_max:
                return None
        if i_phone is not None and (text := cells[i_phone]) != "":
            if type(text) is not str or not (mobile := mobile_match(text)):
                return None
            phone = "+62" + mobile.group(1)
        if i_kk is not None and (kk := cells[i_kk]) != "" and (type(kk) is not str or not nik_match(kk)):
            return None
        if i_position is not None:
            position = cells[i_position]  # read, and then left empty (a non-officials batch)
            if type(position) is not str or len(position.strip()) > MAX_CELL_CHARS:
                return None
        return MemberRow(number, nik, name, sex, birth, village, occupation, phone, kk, "", district)

    return quick


_NIK = re.compile(r"\d{16}", re.ASCII)
_VILLAGE_CODE = re.compile(r"\d{2}\.\d{2}\.\d{2}\.\d{4}", re.ASCII)
_SEX_WORDS = {
    **dict.fromkeys(["L", "LK", "LAKI-LAKI", "LAKI LAKI", "LAKI", "PRIA", "M", "MALE"], Sex.MALE),
    **dict.fromkeys(["P", "PR", "PEREMPUAN", "W", "WANITA", "F", "FEMALE"], Sex.FEMALE),
}


def _member_readers() -> list[tuple[str, object]]:
    """(field, reader) per member column. Each reader takes a well-formed text cell by one regex
    or dictionary lookup and hands anything else to the full reader above, which gives the same
    value or the error (tests/enrollment/test_member_cells.py compares the two)."""
    name_max = Participant._meta.get_field("name").max_length
    occupation_max = Participant._meta.get_field("occupation").max_length

    def nik(v):
        if type(v) is str and _NIK.fullmatch(v):
            return v
        return digits_cell(v, length=16, label="NIK")

    def text(limit):
        def read(v):
            if type(v) is str:
                v = v.strip()
                if len(v) <= limit:
                    return v
            return text_cell(v, limit)

        return read

    def sex(v):
        if type(v) is str and v in _SEX_WORDS:
            return _SEX_WORDS[v]
        return sex_cell(v)

    def village_code(v):
        if type(v) is str and _VILLAGE_CODE.fullmatch(v):
            return v
        return village_code_cell(v)

    def phone(v):
        if type(v) is str and (mobile := MOBILE.fullmatch(v)):
            return "+62" + mobile.group(1)
        return phone_cell(v)

    def kk(v):
        if v is None or v == "":
            return ""
        if type(v) is str and _NIK.fullmatch(v):
            return v
        return digits_cell(v, length=16, label="KK") if text_cell(v) else ""

    return [
        ("nik", nik),
        ("name", text(name_max)),
        ("sex", sex),
        ("birth_date", date_cell),
        ("village_code", village_code),
        ("occupation", text(occupation_max)),
        ("phone", phone),
        ("kk", kk),
        ("position", text(MAX_CELL_CHARS)),
        ("wage", wage_cell),
    ]


def nik_facts(nik: str, century: int) -> tuple[str, str, dt.date] | None:
    """(district code, sex, birth date) of a 16-digit NIK that `lokal.parse_nik` accepts, read
    the way it reads them (a two-digit year up to `century`, this year's, is 20xx), or None when
    parse_nik would refuse it: then parse_nik says why. parse_nik builds a report of some fifteen
    fields and costs 14 µs; this costs 2 (tests/enrollment/test_member_cells.py checks that both
    agree on every kind of NIK)."""
    if not nik.isascii() or nik[12:] == "0000" or nik[:2] not in PROVINCES or nik[2:4] == "00" or nik[4:6] == "00":
        return None
    day, month, year = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    sex = Sex.MALE
    if day > 40:
        day -= 40
        sex = Sex.FEMALE
    try:
        birth = dt.date(2000 + year if year <= century else 1900 + year, month, day)
    except ValueError:
        return None
    return f"{nik[:2]}.{nik[2:4]}.{nik[4:6]}", sex, birth


def nik_refusal(nik: str) -> str:
    """Why `lokal.parse_nik` refuses a NIK, in our own (translatable) words: lokal's messages are
    Indonesian whatever the interface's language. Keyed by lokal's issue codes."""
    info = parse_nik(nik)
    words = {
        "format": _("A NIK has 16 digits."),
        "province": _("The NIK's province code %(code)s does not exist.") % {"code": (info.province_code or "")},
        "wilayah": _("The NIK's regency and district codes cannot be 00."),
        "birth_date": _("The birth date in the NIK is not a real date."),
        "serial": _("The NIK's serial number cannot be 0000."),
    }
    return "; ".join(words.get(i.code, i.message) for i in info.errors) or _("Not a valid NIK.")


def _check_nik(r: MemberRow, century: int) -> None:
    """The NIK's form, and its sex and birth date against the row's. Dukcapil corrects a KTP's
    sex or birth date without changing the NIK (a NIK never changes): a disagreement is a warning
    the verifier acknowledges after checking the KTP, and the row's own data (the KTP's) stand."""
    facts = nik_facts(r.nik, century)
    if facts is None:
        r.error("nik", nik_refusal(r.nik))
        return
    district, sex, birth = facts
    if r.sex and sex != r.sex:
        r.warn(
            "sex",
            _("The NIK says %(nik)s, the row says %(row)s: check the KTP; the row's sex is kept.")
            % {"nik": sex, "row": r.sex},
        )
    if r.birth_date and birth != r.birth_date:
        r.warn(
            "birth_date",
            _("The NIK gives the birth date %(nik)s, the row %(row)s: check the KTP; the row's date is kept.")
            % {"nik": birth.strftime("%d/%m/%Y"), "row": r.birth_date.strftime("%d/%m/%Y")},
        )
    r.nik_district = district


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def check_member_rows(
    rows: list[MemberRow],
    batch: EnrollmentBatch,
    *,
    allowed_roots: list[str] | None = None,
    registered: dict[str, tuple[int, str, str]] | None = None,
) -> dict[str, tuple[int, str, str]]:
    """Set-based checks against the database and the batch's terms, recorded on the rows:
    districts and villages exist, villages lie in the batch's area (and in the uploader's own
    area when `allowed_roots` is given), no NIK twice in the file, nobody already in this or
    another open batch or active for an overlapping period, a birth date in the past and age 15 or
    older when the period starts, under 65 for government money; a village official's village is a
    desa (a kelurahan has none). A NIK issued in a district outside the regency or not in today's
    region tree is a warning, not an error.
    Returns the people of the file on record (registered_participants), for the writer;
    `registered`: those already read for every NIK of the file (file_niks), when the caller has."""
    districts = sorted({r.nik_district for r in rows if r.nik_district})
    known_districts = set()
    for chunk in _chunks(districts):
        known_districts |= set(
            Region.objects.filter(code__in=chunk, level=Region.Level.DISTRICT).values_list("code", flat=True)
        )
    villages = sorted({r.village_code for r in rows if r.village_code})
    known_villages: dict[str, str] = {}  # code → kind (desa, desa adat, kelurahan)
    for chunk in _chunks(villages):
        known_villages.update(
            Region.objects.filter(code__in=chunk, level=Region.Level.VILLAGE).values_list("code", "kind")
        )

    under_65 = batch.requires_under_65
    # Born after `youngest`: under 15 when the period starts; after `today`: not born yet.
    today = timezone.localdate()
    youngest = _years_before(batch.period_start, MIN_AGE)
    suspect = min(youngest, today)  # one comparison a row for the common case
    first_row: dict[str, int] = {}
    # What a district or village code gives (an error, a warning or nothing) is worked out once per
    # code, not once per row: a 100,000-row file names a few hundred villages.
    district_notes: dict[str, tuple[str, str] | None] = {}
    village_errors: dict[str, str | None] = {}
    for r in rows:
        district = r.nik_district
        if district:
            if district not in district_notes:
                district_notes[district] = _district_note(district, known_districts, batch)
            if note := district_notes[district]:
                (r.error if note[0] == "error" else r.warn)("nik", note[1])
        if village := r.village_code:
            if village not in village_errors:
                village_errors[village] = _village_error(village, known_villages, batch, allowed_roots)
            if message := village_errors[village]:
                r.error("village_code", message)
        if r.birth_date and r.birth_date > suspect:
            if r.birth_date > today:
                r.error("birth_date", _("The birth date %(date)s is in the future.") % {"date": _dmy(r.birth_date)})
            elif r.birth_date > youngest:
                r.error(
                    "birth_date",
                    _(
                        "Aged %(age)s when the period starts: only people aged 15 or older are enrolled "
                        "(BPS working age)."
                    )
                    % {"age": _years_on(r.birth_date, batch.period_start)},
                )
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

    # Every row whose NIK could be read: one already on this batch is skipped even when it repeats
    # a NIK of the file or has other faults (uploading a corrected file again must not refuse the
    # rows that went in the first time).
    readable = [r for r in rows if r.nik]
    if registered is None:
        registered = registered_participants([r.nik for r in readable])
    conflicts = membership_conflicts([r.nik for r in readable], batch, registered=registered)
    for r in readable:
        conflict = conflicts.get(r.nik)
        if conflict == ON_THIS_BATCH:
            r.skip()
        elif conflict and not _has_error(r, "nik"):
            r.error("nik", conflict)
    candidates = [r for r in readable if not r.skipped and not _has_error(r, "nik")]
    _check_registered(candidates, batch, allowed_roots, registered)
    return registered


def _has_error(r: MemberRow, column: str) -> bool:
    return bool(r.errors) and any(e["column"] == column for e in r.errors)


def _years_before(day: dt.date, years: int) -> dt.date:
    """The last birth date of someone `years` old on `day` (born 29 February: 28 February)."""
    return day.replace(year=day.year - years, day=min(day.day, 28) if day.month == 2 else day.day)


def _dmy(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _district_note(district: str, known: set[str], batch: EnrollmentBatch) -> tuple[str, str] | None:
    """("error" or "warning", why) about the district a NIK was issued in, or None. A NIK keeps the
    district code it was issued with for life: a code that today's region tree no longer has (a
    region split since, such as Papua's 91.01, 92.01 and 92.71 before 2022) is valid, and so is
    one of another regency; both are warnings the verifier checks against the KTP."""
    if district not in known:
        return "warning", _(
            "The NIK's district code %(code)s is not in today's region list (issued before a region "
            "split, or mistyped): check it against the KTP."
        ) % {"code": district.replace(".", "")}
    if not code_in_subtree(district, batch.regency_id):
        return "warning", _("The NIK was issued outside the regency (district %(code)s).") % {"code": district}
    return None


def _village_error(
    village: str, known: dict[str, str], batch: EnrollmentBatch, allowed_roots: list[str] | None
) -> str | None:
    """Why a row's village cannot be in the batch, or None. `known`: village code → kind."""
    if village not in known:
        return _("Unknown village code %(code)s.") % {"code": village}
    if batch.kind == BatchKind.VILLAGE_OFFICIALS and known[village] == Region.Kind.KELURAHAN:
        return _(
            "%(code)s is a kelurahan: it has no village officials (perangkat desa); its lurah and staff "
            "are the regency's employees."
        ) % {"code": village}
    if not code_in_subtree(village, batch.area_id):
        return _("The village %(code)s lies outside the batch's area %(area)s.") % {
            "code": village,
            "area": batch.area_id,
        }
    if allowed_roots is not None and not any(code_in_subtree(village, root) for root in allowed_roots):
        return _("The village %(code)s is outside your area.") % {"code": village}
    return None


def file_niks(sheet: Sheet) -> list[str]:
    """Every NIK of the file that its reader accepts (rows whose NIK it refuses never reach the
    records), before the rows are parsed: for `registered_while_parsing`."""
    index, read = sheet.columns["nik"], dict(_member_readers())["nik"]
    niks = []
    for _number, cells in sheet.rows:
        try:
            niks.append(read(cells[index] if index < len(cells) else None))
        except CellError:
            continue
    return niks


# The NIKs go as one text, split by the server: psycopg dumping 100,000 strings as an array
# parameter cost the process 0.35 s before the query could leave, and the server longer to read.
# Only 16-digit NIKs are sent (a participant's NIK is nothing else), so no comma is in one.
_REGISTERED_SQL = (
    f"SELECT nik, id, village_id, name FROM {Participant._meta.db_table} WHERE nik = ANY(string_to_array(%s, ','))"
)


# New participants' ids, `n` of them, from the table's sequence (looked up once, not per row).
RESERVE_IDS_SQL = (
    "WITH s AS MATERIALIZED (SELECT pg_get_serial_sequence(%s, 'id')::regclass AS seq) "
    "SELECT nextval(s.seq) FROM s, generate_series(1, %s)"
)


def registered_while(niks: list[str], work, *, reserve: int = 0):
    """(registered_participants(niks), work(), ids): on PostgreSQL at once, the queries sent in
    pipeline mode and run by the server while `work` (which must not use the database) runs here.
    `niks`: as the NIK reader gives them (file_niks), 16 digits each. For 100,000 NIKs the query
    takes the server about 0.2 s, which parsing the rows hides.
    `reserve`: that many ids for new participants, taken from the table's sequence in the same
    pipeline (0.15 s for 100,000, hidden too); elsewhere none. Ids left unused are gaps."""
    if connection.vendor != "postgresql" or not niks:
        result = work()
        return registered_participants(niks), result, []
    connection.ensure_connection()
    pg = connection.connection
    with connection.wrap_database_errors, pg.cursor() as cursor, pg.cursor() as ids, pg.pipeline():
        cursor.execute(_REGISTERED_SQL, [",".join(niks)])
        if reserve:
            ids.execute(RESERVE_IDS_SQL, [Participant._meta.db_table, reserve])
        result = work()
        found = cursor.fetchall()
        reserved = [pk for (pk,) in ids.fetchall()] if reserve else []
    return {nik: (pk, village, name) for nik, pk, village, name in found}, result, reserved


def registered_participants(niks: list[str]) -> dict[str, tuple[int, str, str]]:
    """{NIK: (participant id, village, name)} of the NIKs on record. On PostgreSQL one query with
    the NIKs as one text parameter (an IN list of 5,000 placeholders a chunk cost more to build
    than to run); elsewhere chunks of CHUNK."""
    out: dict[str, tuple[int, str, str]] = {}
    niks = sorted(set(niks))
    if not niks:
        return out
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(_REGISTERED_SQL, [",".join(nik for nik in niks if _NIK.fullmatch(nik))])
            for nik, pk, village, name in cursor.fetchall():
                out[nik] = (pk, village, name)
        return out
    for chunk in _chunks(niks):
        for nik, pk, village, name in Participant.objects.filter(nik__in=chunk).values_list(
            "nik", "pk", "village_id", "name"
        ):
            out[nik] = (pk, village, name)
    return out


def taken_message() -> str:
    """The one refusal for a person someone else holds, whatever region's upload meets them: it
    says that a match exists and nothing else (not where, not which batch, not until when)."""
    return _("Already in an open batch or protected for an overlapping period.")


def _check_registered(
    rows: list[MemberRow], batch: EnrollmentBatch, allowed_roots: list[str] | None, registered: dict
) -> None:
    """People already registered (`registered`: registered_participants), past the membership
    checks. A person belongs to no region for good: one in no open batch and protected neither
    today nor later (`participants_held`) is enrolled by whoever lists them, and their domicile
    moves to the row's village (`MemberRow.moves_from`; the writer records the move). One still
    held keeps their record: outside the batch's area (or the uploader's) they are refused with
    the neutral `taken_message`, so an upload neither reveals nor rewrites another region's
    people. The name on record is kept either way (the labour office corrects it)."""
    on_record = [r for r in rows if r.nik in registered]
    if not on_record:
        return
    held = participants_held([registered[r.nik][0] for r in on_record], timezone.localdate())
    for r in on_record:
        pk, village, name = registered[r.nik]
        inside = code_in_subtree(village, batch.area_id) and (
            allowed_roots is None or any(code_in_subtree(village, root) for root in allowed_roots)
        )
        renamed = name.casefold() != r.name.casefold()
        if pk in held:
            if not inside:
                r.error("nik", taken_message())
            elif renamed or village != r.village_code:
                r.warn(
                    "nik",
                    _("Already registered as %(name)s of %(village)s; the registered data is kept.")
                    % {"name": name, "village": village},
                )
            continue
        if village != r.village_code:
            r.moves_from = village
        # Whoever could see the person already is told what is kept and what moves; an uploader
        # from elsewhere learns nothing of the record.
        if inside and renamed:
            r.warn("nik", _("Already registered as %(name)s; the registered name is kept.") % {"name": name})
        if inside and r.moves_from:
            r.warn(
                "village_code",
                _("Registered in %(village)s until now; the domicile moves to this row's village.")
                % {"village": village},
            )


def participants_held(participant_ids: list[int], day) -> set[int]:
    """Those of `participant_ids` protected on `day` or later (an accepted member of an active
    batch whose cover has not ended): they stay where they are. Set-based, by chunks."""
    held: set[int] = set()
    for chunk in _chunks(sorted(set(participant_ids))):
        held.update(
            BatchMember.objects.filter(participant_id__in=chunk, covered_until__gte=day).values_list(
                "participant_id", flat=True
            )
        )
    return held


# membership_conflicts' word for a person already on the batch being imported into: not a
# refusal (the row is skipped), so not a message.
ON_THIS_BATCH = "on_this_batch"


def membership_conflicts(niks: list[str], batch: EnrollmentBatch, *, registered: dict | None = None) -> dict[str, str]:
    """NIK → why that person cannot join `batch`: already on it (`ON_THIS_BATCH`), or in another
    open batch or active for an overlapping period (`taken_message`, which names neither the
    batch nor its region). Only people on record can be a member anywhere: their memberships are read by
    participant (most people of a large upload are new, and cost nothing here).
    `registered`: registered_participants of these NIKs when the caller has just read them."""
    out: dict[str, str] = {}
    if registered is None:
        registered = registered_participants(niks)
    wanted = set(niks)
    nik_of = {pk: nik for nik, (pk, _village, _name) in registered.items() if nik in wanted}
    for chunk in _chunks(sorted(nik_of)):
        open_rows = BatchMember.objects.filter(participant_id__in=chunk, is_open=True).values_list(
            "participant_id", "batch_id"
        )
        for participant, batch_id in open_rows:
            nik = nik_of[participant]
            out[nik] = ON_THIS_BATCH if batch_id == batch.pk else taken_message()
        active_rows = BatchMember.objects.filter(
            participant_id__in=chunk,
            state=MemberState.ACCEPTED,
            batch__state=BatchState.ACTIVE,
            batch__period_start__lte=batch.period_end,
            batch__period_end__gte=batch.period_start,
        ).values_list("participant_id", flat=True)
        for participant in active_rows:
            out.setdefault(nik_of[participant], taken_message())
    return out


# --- Rejected rows --------------------------------------------------------------------------------

PERSON_NAME_CHARS = 100


def row_issues(sheet: Sheet, rows: list[MemberRow]) -> list[dict]:
    """The errors of the refused rows as the clerk reads them: `column` is the column's title as
    the file writes it (JENIS KELAMIN, not sex), `field` the member field it holds, and each names
    the row's person as the file writes them (`name`, `nik`; pages and the API mask the NIK for
    whoever sees NIKs masked). Only refused rows cost anything here."""
    titles: dict[str, str] = {}
    i_name, i_nik = sheet.columns["name"], sheet.columns["nik"]
    out = []
    for (_number, cells), r in zip(sheet.rows, rows, strict=True):
        if not r.errors:
            continue
        name = r.name or _cell_text(cell(cells, i_name))[:PERSON_NAME_CHARS]
        nik = r.nik or _cell_text(cell(cells, i_nik))[:32]
        for e in r.errors:
            field = e["column"]
            if field not in titles:
                titles[field] = sheet.header_of(field)
            out.append(
                {
                    "row": e["row"],
                    "column": titles[field],
                    "field": field,
                    "message": e["message"],
                    "name": name,
                    "nik": nik,
                }
            )
    return out


def rows_in_full(user, job: ImportJob, *, regency_code: str) -> bool:
    """Whether `user` sees an import's refused rows with their NIKs (and KK, phone, birth date) in
    full, on the page, in the API and in the rejected-rows file. Whoever sees NIKs in full in the
    regency does (`scope.may_see_personal_data`), and so does the person who uploaded the file:
    every digit came from them, and the file is theirs to correct. Leads an officer put on a batch
    are no file of theirs (the leads may be other officers', whose NIKs they see masked): only the
    first rule holds. Everyone else gets them masked: a role that sees NIKs masked never gets full
    NIKs it did not type itself."""
    if job.source == ImportSource.FILE and job.created_by_id == user.pk:
        return True
    return scope.may_see_personal_data(user, regency_code)


def issues_shown(issues: list[dict], *, full: bool) -> list[dict]:
    """Import errors as a viewer may see them: the row's NIK masked unless `full` (rows_in_full)."""
    if full:
        return issues
    return [{**e, "nik": mask_nik(e["nik"])} if e.get("nik") else e for e in issues]


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


# Columns that carry a person's identity or contact, masked in a rejected-rows file for whoever
# sees NIKs masked (the birth date is left out: with the village it narrows a masked NIK down).
MASKED_COLUMNS = {"nik": mask_nik, "kk": mask_nik, "phone": mask_phone, "birth_date": mask_birth_date}
REASON_TITLES = ("alasan", "reason")


def rejected_rows_file(job: ImportJob, *, full: bool) -> tuple[bytes, str, str] | None:
    """(content, content type, extension): the refused rows of an import as the file had them, in
    its own columns under its own header row, with a column saying why each was refused, ready to
    be corrected and uploaded again (a column of reasons is ignored on upload; one already there,
    from an earlier round, is refilled). The same format as the upload (CSV or XLSX), written by
    ucj.sheet_writers. `full` False: the NIK, KK, phone and birth date of each row are masked.
    None when no refused row can be found in the file (it was refused whole, e.g. a missing column)."""
    reasons: dict[int, list[str]] = {}
    for e in job.errors or []:
        if isinstance(e.get("row"), int):
            column = e.get("column") or ""
            reasons.setdefault(e["row"], []).append(f"{column}: {e['message']}" if column else e["message"])
    if not reasons or job.state != ImportState.DONE:
        return None
    headers = MEMBER_HEADERS if job.kind == ImportKind.MEMBERS else ACTIVATION_HEADERS
    try:
        sheet = read_sheet(bytes(job.content), job.filename, headers=headers, required=())
    except ValidationFailed:
        return None
    titles = list(sheet.headers)
    keys = [sheets.normalise_header(title) for title in titles]
    reason_title = _("reason")
    at = next((i for i, key in enumerate(keys) if key in (*REASON_TITLES, sheets.normalise_header(reason_title))), None)
    if at is None:
        at = len(titles)
        titles.append(reason_title)
    masks = (
        [] if full else [(sheet.columns[name], mask) for name, mask in MASKED_COLUMNS.items() if name in sheet.columns]
    )
    table = [titles]
    for number, cells in sheet.rows:
        if number not in reasons:
            continue
        row = list(cells) + [None] * (len(titles) - len(cells))
        for index, mask in masks:
            value = _cell_text(row[index])
            row[index] = mask(value) if value else value
        row[at] = "; ".join(reasons[number])
        table.append(row)
    if len(table) == 1:
        return None
    if job.content[:4] != b"PK\x03\x04":
        return csv_bytes(table), "text/csv; charset=utf-8", "csv"
    workbook = Workbook(write_only=True)
    out_sheet = workbook.create_sheet(title=_("rejected")[:31])
    for row in table:
        out_sheet.append(xlsx_row(out_sheet, row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"


# --- BPJS confirmation ----------------------------------------------------------------------------


# BPJS's word for a person it already had as an active participant (e.g. a BPU member paying for
# themself), and for one it registered for this batch. Normalised: lower case, "_" as a space.
STATUS_WORDS = {
    **dict.fromkeys(["baru", "new", "peserta baru"], False),
    **dict.fromkeys(["sudah terdaftar", "already registered", "terdaftar", "sudah aktif", "lama"], True),
}


def status_cell(value) -> bool:
    """True for a person BPJS already had, False for a new one (or an empty cell)."""
    text = " ".join(text_cell(value).casefold().replace("_", " ").split())
    if not text:
        return False
    if text not in STATUS_WORDS:
        raise CellError(_("Write baru (new) or sudah terdaftar (already registered)."))
    return STATUS_WORDS[text]


def parse_confirmation(sheet: Sheet) -> tuple[dict[str, tuple[int, str, bool]], list[dict]]:
    """NIK → (row, KPJ, already registered) from BPJS's confirmation, and the lines that cannot be
    used. The optional `status` column says whether BPJS already had the person."""
    confirmations: dict[str, tuple[int, str, bool]] = {}
    errors: list[dict] = []
    status_index = sheet.columns.get("status")
    for number, cells in sheet.rows:
        try:
            nik = digits_cell(cell(cells, sheet.columns["nik"]), length=16, label="NIK")
        except CellError as exc:
            errors.append({"row": number, "column": "nik", "message": str(exc)})
            continue
        raw = cell(cells, sheet.columns["kpj"])
        try:
            kpj = (
                str(int(raw))
                if isinstance(raw, int | float) and not isinstance(raw, bool)
                else text_cell(raw).replace(" ", "")
            )
        except (CellError, OverflowError, ValueError):  # a huge cell, an infinite number
            kpj = ""
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
        try:
            already = status_cell(cell(cells, status_index)) if status_index is not None else False
        except CellError as exc:
            errors.append({"row": number, "column": "status", "message": str(exc)})
            continue
        confirmations[nik] = (number, kpj, already)
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
# Village officials' lists carry each one's fixed monthly pay, which their premium is on.
OFFICIALS_EXPORT_COLUMNS = [*EXPORT_COLUMNS[:-2], ("wage", "SILTAP"), *EXPORT_COLUMNS[-2:]]


def export_columns(batch: EnrollmentBatch) -> list[tuple[str, str]]:
    return OFFICIALS_EXPORT_COLUMNS if batch.is_officials else EXPORT_COLUMNS


def export_rows(batch: EnrollmentBatch) -> Iterator[list]:
    programmes = "+".join(p.upper() for p in batch.programmes)
    officials = batch.is_officials
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
            *([m.wage] if officials else []),
            m.monthly_premium if officials else batch.monthly_premium,
            p.kpj,
        ]


def export_csv(batch: EnrollmentBatch) -> bytes:
    # The BOM csv_bytes writes makes Excel read UTF-8 names correctly.
    return csv_bytes(itertools.chain([[title for _key, title in export_columns(batch)]], export_rows(batch)))


def export_xlsx(batch: EnrollmentBatch) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=f"Batch {batch.pk}")
    sheet.append([title for _key, title in export_columns(batch)])
    for row in export_rows(batch):
        # Everything as text except the pay and the premium: NIKs must keep all 16 digits.
        sheet.append(xlsx_row(sheet, row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
