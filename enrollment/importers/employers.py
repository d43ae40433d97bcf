"""Spreadsheets of employers (issue 6): the labour office's company list (WLKP, keyed by NIB) and
the BPJS branch's list of registered employers (keyed by NPP), with English or Indonesian headers
in any order and case.

This module reads the form of each cell only. The rules a row must obey against the database
(the village lies in the regency, the NPP or NIB is not another employer's, the row matches one
employer and no more) are the import service's, `enrollment.services.employer_imports`."""

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from enrollment.models import EmployerProgramme, EmployerSize, Sector
from ucj.sheets import CellError, Sheet, cell, int_cell, is_blank, text_cell

__all__ = [
    "EMPLOYER_HEADERS",
    "EMPLOYER_REQUIRED",
    "EmployerRow",
    "employer_village_cell",
    "nib_cell",
    "npp_cell",
    "parse_employer_rows",
    "programmes_cell",
    "rupiah_cell",
    "sector_cell",
    "size_cell",
]

LABOUR_OFFICE, BPJS = "labour_office", "bpjs"

# Accepted headers per field, normalised (lower case, single spaces, no punctuation), in their
# order of preference: a sheet often has both DESA (the name) and KODE DESA (the code).
_NPP = ("npp", "no npp", "nomor npp", "nomor pendaftaran perusahaan", "employer number")
_NIB = ("nib", "no nib", "nomor nib", "nomor induk berusaha", "business id")
_NAME = (
    "name",
    "employer name",
    "company name",
    "employer",
    "nama perusahaan",
    "nama pemberi kerja",
    "nama badan usaha",
    "nama usaha",
    "nama",
    "perusahaan",
)
_VILLAGE = (
    "village code",
    "kode desa",
    "kode desa kelurahan",
    "kode kelurahan",
    "kode wilayah",
    "village",
    "desa",
    "kelurahan",
    "desa kelurahan",
)
EMPLOYER_HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    LABOUR_OFFICE: {
        "nib": _NIB,
        "npp": _NPP,
        "name": _NAME,
        "village_code": _VILLAGE,
        "address": ("address", "alamat", "alamat perusahaan", "alamat usaha"),
        "sector": ("sector", "sektor", "sektor usaha", "bidang usaha", "lapangan usaha", "kbli", "kode kbli"),
        "size": ("size", "skala usaha", "skala", "skala perusahaan", "ukuran usaha", "ukuran"),
        "workers": (
            "workers",
            "jumlah tenaga kerja",
            "jumlah tk",
            "tenaga kerja",
            "jumlah pekerja",
            "jumlah karyawan",
            "tk",
        ),
        "wages": ("wages", "wage bill", "monthly wages", "total upah", "upah", "jumlah upah", "total upah sebulan"),
    },
    BPJS: {
        "npp": _NPP,
        "nib": _NIB,
        "name": _NAME,
        "village_code": _VILLAGE,
        "workers": (
            "workers",
            "registered workers",
            "tk aktif",
            "jumlah tk aktif",
            "jumlah tk",
            "tenaga kerja aktif",
            "jumlah tenaga kerja",
            "tenaga kerja",
            "peserta aktif",
            "jumlah peserta",
        ),
        "wages": ("wages", "registered wages", "upah", "total upah", "jumlah upah", "upah terdaftar"),
        "programmes": ("programmes", "programs", "programme", "program", "program bpjs", "program yang diikuti"),
    },
}
# A BPJS list without a PROGRAM column leaves the programmes on record as they are.
EMPLOYER_REQUIRED: dict[str, list[str]] = {
    LABOUR_OFFICE: ["nib", "name", "village_code", "sector", "size", "workers", "wages"],
    BPJS: ["npp", "name", "workers", "wages"],
}


@dataclass
class EmployerRow:
    row: int
    npp: str = ""
    nib: str = ""
    name: str = ""
    village_code: str = ""
    address: str = ""
    sector: str = ""
    size: str = ""
    workers: int | None = None
    wages: int | None = None
    programmes: list[str] | None = None  # None: the file has no programme column
    errors: list[dict] = field(default_factory=list)  # {"row", "column" (a field), "message"}

    def error(self, column: str, message) -> None:
        self.errors.append({"row": self.row, "column": column, "message": str(message)})

    def has_error(self, *columns: str) -> bool:
        return any(e["column"] in columns for e in self.errors)


# --- Cells ----------------------------------------------------------------------------------------


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _id_text(value) -> str:
    # As enrollment.services.employers.normalise_npp / normalise_nib: spaces, dots and hyphens go.
    return re.sub(r"[\s.\-]", "", text_cell(value).lstrip("'")).upper()


def npp_cell(value) -> str:
    """BPJS's employer number: 8 to 20 letters and digits. Empty for an empty cell."""
    text = _id_text(value)
    if text and not re.fullmatch(r"[0-9A-Z]{8,20}", text):
        if _is_number(value):
            raise CellError(
                _("The NPP is stored as a number and may have lost a leading 0: format the column as text.")
            )
        raise CellError(_("An NPP has 8 to 20 letters and digits."))
    return text


def nib_cell(value) -> str:
    """The business id of the OSS system: 13 digits. Empty for an empty cell."""
    text = _id_text(value)
    if text and not re.fullmatch(r"[0-9]{13}", text):
        if _is_number(value):
            raise CellError(
                _("The NIB is stored as a number and may have lost a leading 0: format the column as text.")
            )
        raise CellError(_("A NIB has 13 digits."))
    return text


def employer_village_cell(value) -> str:
    """A village's Kemendagri code, 35.26.01.2008 or 3526012008. Empty for an empty cell."""
    if is_blank(value):
        return ""
    text = text_cell(value).lstrip("'").replace(" ", "")
    if re.fullmatch(r"\d{10}", text):
        text = f"{text[:2]}.{text[2:4]}.{text[4:6]}.{text[6:]}"
    if not re.fullmatch(r"\d{2}\.\d{2}\.\d{2}\.\d{4}", text):
        raise CellError(_("Write the village code, e.g. 35.26.02.2001."))
    return text


def rupiah_cell(value) -> int | None:
    """An amount of rupiah: 30000000, 30.000.000, Rp 30.000.000,00 or an Excel number."""
    if isinstance(value, str):
        value = re.sub(r"^\s*rp\.?\s*", "", value, flags=re.IGNORECASE)
    return int_cell(value)


def _words(value) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text_cell(value).lower()).split())


# KBLI 2020 divisions (the first two digits of a KBLI code) by the sector they fall in; the
# divisions not listed (electricity, water, information, real estate, public administration...)
# are other services.
_KBLI_DIVISIONS = [
    (range(1, 4), Sector.AGRICULTURE),
    (range(5, 10), Sector.MINING),
    (range(10, 34), Sector.MANUFACTURING),
    (range(41, 44), Sector.CONSTRUCTION),
    (range(45, 48), Sector.TRADE),
    (range(49, 54), Sector.TRANSPORT),
    (range(55, 57), Sector.HOSPITALITY),
    (range(64, 67), Sector.FINANCE),
    (range(85, 89), Sector.HEALTH_EDUCATION),
]
_KBLI_SECTIONS = {
    "a": Sector.AGRICULTURE,
    "b": Sector.MINING,
    "c": Sector.MANUFACTURING,
    "f": Sector.CONSTRUCTION,
    "g": Sector.TRADE,
    "h": Sector.TRANSPORT,
    "i": Sector.HOSPITALITY,
    "k": Sector.FINANCE,
    "p": Sector.HEALTH_EDUCATION,
    "q": Sector.HEALTH_EDUCATION,
    **dict.fromkeys("dejlmnorstu", Sector.SERVICES),  # J: information and communication
}
SECTOR_WORDS: list[tuple[str, tuple[str, ...]]] = [
    (
        Sector.AGRICULTURE,
        ("agriculture", "pertanian", "perikanan", "perkebunan", "kehutanan", "peternakan", "fisheries", "tambak"),
    ),
    (Sector.MINING, ("mining", "pertambangan", "penggalian", "tambang")),
    (Sector.MANUFACTURING, ("manufacturing", "industri", "manufaktur", "pengolahan", "pabrik")),
    (Sector.CONSTRUCTION, ("construction", "konstruksi", "jasa konstruksi")),
    (Sector.TRADE, ("trade", "perdagangan", "dagang", "eceran", "grosir", "toko", "retail")),
    (Sector.TRANSPORT, ("transport", "transportasi", "angkutan", "pergudangan", "logistik", "ekspedisi")),
    (
        Sector.HOSPITALITY,
        ("hospitality", "akomodasi", "hotel", "restoran", "rumah makan", "makan minum", "penginapan", "kuliner"),
    ),
    (
        Sector.FINANCE,
        ("finance", "keuangan", "jasa keuangan", "asuransi", "perbankan", "bank", "koperasi simpan pinjam"),
    ),
    (
        Sector.HEALTH_EDUCATION,
        (
            "health",
            "education",
            "kesehatan",
            "jasa kesehatan",
            "pendidikan",
            "jasa pendidikan",
            "rumah sakit",
            "klinik",
        ),
    ),
    (Sector.SERVICES, ("services", "jasa", "jasa lainnya", "lainnya", "other")),
]


def _word_match(text: str, table: list[tuple[str, tuple[str, ...]]]) -> str | None:
    """The value whose word comes first in `text` (the longest at the same place): Indonesian
    names the activity first, so "perdagangan hasil pertanian" is trade, "jasa keuangan" finance."""
    best = None  # (start, -length, value)
    for value, words in table:
        for word in words:
            match = re.search(rf"(?<![0-9a-z]){re.escape(word)}(?![0-9a-z])", text)
            if match and (best is None or (match.start(), -len(word)) < best[:2]):
                best = (match.start(), -len(word), value)
    return best[2] if best else None


def sector_cell(value) -> str:
    """A sector as the enum value, its English label, an Indonesian word (pertanian, industri,
    perdagangan, hotel, jasa...), a KBLI section letter or a KBLI code (10792)."""
    if is_blank(value):
        raise CellError(_("Give the sector, e.g. industri, perdagangan, jasa."))
    raw = text_cell(value).lstrip("'").strip()
    if _is_number(value) and len(raw) == 4:
        raw = raw.zfill(5)  # Excel drops the leading 0 of KBLI 01111
    text = _words(raw)
    by_value = {s.value: s.value for s in Sector} | {_words(s.label): s.value for s in Sector}
    if raw.lower() in by_value or text in by_value:
        return by_value.get(raw.lower()) or by_value[text]
    if re.fullmatch(r"\d{2}|\d{5}", text):
        division = int(text[:2])
        return next((s.value for span, s in _KBLI_DIVISIONS if division in span), Sector.SERVICES.value)
    if re.fullmatch(r"[a-u]", text):
        return _KBLI_SECTIONS[text].value
    found = _word_match(text, SECTOR_WORDS)
    if found is None:
        raise CellError(_("Unknown sector %(value)s.") % {"value": raw[:40]})
    return str(found)


SIZE_WORDS: list[tuple[str, tuple[str, ...]]] = [
    (EmployerSize.MICRO, ("micro", "mikro", "usaha mikro")),
    (EmployerSize.SMALL, ("small", "kecil", "usaha kecil")),
    (EmployerSize.MEDIUM, ("medium", "menengah", "usaha menengah", "sedang")),
    (EmployerSize.LARGE, ("large", "besar", "usaha besar")),
]


def size_cell(value) -> str:
    """micro / small / medium / large, or mikro / kecil / menengah / besar."""
    if is_blank(value):
        raise CellError(_("Give the size: mikro, kecil, menengah or besar."))
    found = _word_match(_words(value), SIZE_WORDS)
    if found is None:
        raise CellError(
            _("Unknown size %(value)s: write mikro, kecil, menengah or besar.") % {"value": text_cell(value)[:40]}
        )
    return str(found)


_PROGRAMME_NAMES = [
    ("jaminan kecelakaan kerja", "jkk"),
    ("jaminan kematian", "jkm"),
    ("jaminan hari tua", "jht"),
    ("jaminan pensiun", "jp"),
    ("jaminan kehilangan pekerjaan", "jkp"),
]
# JKP (job-loss insurance) follows from the others and is paid by the state: accepted, not kept.
_PROGRAMME_IGNORED = {"jkp", "dan", "and"}


def programmes_cell(value) -> list[str]:
    """Programmes as BPJS writes them: "JKK, JKM, JHT", "JKK;JKM", "JKK/JKM/JHT/JP" or their full
    names. An empty cell: none given."""
    text = _words(value)
    for name, code in _PROGRAMME_NAMES:
        text = text.replace(name, code)
    tokens = [t for t in text.split() if t not in _PROGRAMME_IGNORED]
    unknown = [t for t in tokens if t not in EmployerProgramme.values]
    if unknown:
        raise CellError(
            _("Unknown programme %(value)s: write JKK, JKM, JHT or JP.") % {"value": ", ".join(unknown)[:40].upper()}
        )
    return [p for p in EmployerProgramme.values if p in tokens]


def _required_text(limit: int):
    def reader(value) -> str:
        text = " ".join(text_cell(value, limit).split())
        if not text:
            raise CellError(_("The cell is empty."))
        return text

    return reader


def _required(read):
    def reader(value):
        if is_blank(value):
            raise CellError(_("The cell is empty."))
        return read(value)

    return reader


# --- Rows -----------------------------------------------------------------------------------------


def parse_employer_rows(sheet: Sheet, kind: str) -> list[EmployerRow]:
    """Each row on its own: the form of every cell. Cells that read well land on the row."""
    readers = {
        "npp": _required(npp_cell) if kind == BPJS else npp_cell,
        "nib": _required(nib_cell) if kind == LABOUR_OFFICE else nib_cell,
        "name": _required_text(200),
        "village_code": _required(employer_village_cell) if kind == LABOUR_OFFICE else employer_village_cell,
        "address": lambda v: " ".join(text_cell(v).split()),
        "sector": sector_cell,
        "size": size_cell,
        "workers": _required(int_cell),
        "wages": rupiah_cell,
        "programmes": programmes_cell,
    }
    fields = [name for name in EMPLOYER_HEADERS[kind] if name in sheet.columns or name in EMPLOYER_REQUIRED[kind]]
    out = []
    for number, cells in sheet.rows:
        r = EmployerRow(row=number)
        for name in fields:
            try:
                setattr(r, name, readers[name](cell(cells, sheet.columns.get(name))))
            except CellError as exc:
                r.error(name, str(exc))
        out.append(r)
    return out
