"""Spreadsheets of coverage figures: BPS workforce estimates, Kemendagri targets, BPJS
membership counts and coverage by occupation, with English or Indonesian headers in any order and
case.

This module reads the form of each cell; the rules a figure must obey (a sensible year, a date
not in the future, segments within the total) and the checks against the database (the region
exists and is the uploader's) are the services' (`ucj.coverage.facts`), so that a figure typed in
the admin and one uploaded obey the same rules."""

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from ucj.models import REGION_CODE_PATTERN, ROOT_CODE, OccupationGroup
from ucj.sheets import (
    CellError,
    Sheet,
    cell,
    date_cell,
    int_cell,
    is_blank,
    normalise_header,
    percent_cell,
    text_cell,
)

WORKFORCE, TARGETS, MEMBERSHIP, OCCUPATIONS = "workforce", "targets", "membership", "occupations"

# Accepted headers per field, normalised (lower case, single spaces, no punctuation): "KODE
# WILAYAH", "Kode_Wilayah" and "kode wilayah" are one. A column of region names is accepted and
# ignored (no alias matches it: "region" or "wilayah" alone often hold names); the code identifies
# the region.
_REGION = ("region code", "code", "kode wilayah", "kode", "kode kemendagri", "kode daerah")
_SOURCE = ("source", "sumber", "sumber data")
_YEAR = ("year", "tahun")
HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    WORKFORCE: {
        "region_code": _REGION,
        "year": _YEAR,
        "workers": (
            "workers",
            "working people",
            "working population",
            "penduduk bekerja",
            "jumlah penduduk bekerja",
            "jumlah pekerja",
            "bekerja",
        ),
        "source": _SOURCE,
        "as_of": ("as of", "date", "tanggal", "per tanggal", "tanggal data"),
    },
    TARGETS: {
        "region_code": _REGION,
        "year": _YEAR,
        "percent": (
            "percent",
            "target percent",
            "target",
            "target ucj",
            "target ucj persen",
            "persen",
            "target persen",
        ),
        "source": _SOURCE,
        "as_of": ("as of", "date", "tanggal", "per tanggal", "tanggal penetapan"),
    },
    MEMBERSHIP: {
        "region_code": _REGION,
        "as_of": ("as of", "date", "tanggal", "per tanggal", "tanggal data", "posisi"),
        "total": (
            "total",
            "active participants",
            "jumlah peserta aktif",
            "peserta aktif",
            "total peserta aktif",
            "jumlah peserta",
        ),
        "pu": ("pu", "penerima upah", "wage earners"),
        "bpu": ("bpu", "bukan penerima upah", "non wage earners"),
        "jakon": ("jakon", "jasa konstruksi", "construction"),
        "pmi": ("pmi", "pekerja migran indonesia", "migrant workers"),
        "source": _SOURCE,
    },
    OCCUPATIONS: {
        "region_code": _REGION,
        "as_of": ("as of", "date", "tanggal", "per tanggal", "tanggal data", "posisi"),
        "occupation": (
            "occupation",
            "occupation group",
            "kelompok pekerjaan",
            "jenis pekerjaan",
            "pekerjaan",
            "sektor",
        ),
        "workers": ("workers", "jumlah pekerja", "pekerja", "tenaga kerja", "jumlah tenaga kerja"),
        "covered": (
            "covered",
            "bpjs participants",
            "participants",
            "peserta aktif",
            "peserta",
            "jumlah peserta",
            "terlindungi",
        ),
        "source": _SOURCE,
    },
}
REQUIRED: dict[str, list[str]] = {
    WORKFORCE: ["region_code", "year", "workers", "source", "as_of"],
    TARGETS: ["region_code", "year", "percent", "source", "as_of"],
    MEMBERSHIP: ["region_code", "as_of", "total", "source"],
    OCCUPATIONS: ["region_code", "as_of", "occupation", "workers", "covered", "source"],
}
OPTIONAL_NUMBERS = ("pu", "bpu", "jakon", "pmi")

# How an occupation group may be written in a cell, normalised like headers: the code, the English
# name, or the Indonesian words of BPS tables and of the labour office. Whole cells only: a figure
# names its group exactly, unlike a participant's free-text occupation.
OCCUPATION_ALIASES: dict[str, tuple[str, ...]] = {
    OccupationGroup.FARMER: ("farmer", "farmers", "petani", "pertanian", "pekebun"),
    OccupationGroup.LIVESTOCK: ("livestock", "livestock keeper", "livestock keepers", "peternak", "peternakan"),
    OccupationGroup.FISHER: ("fisher", "fishers", "nelayan", "perikanan", "pembudidaya ikan"),
    OccupationGroup.LABOURER: ("labourer", "day labourer", "day labourers", "buruh", "buruh harian", "buruh lepas"),
    OccupationGroup.TRADER: ("trader", "traders", "pedagang"),
    OccupationGroup.VILLAGE_OFFICIAL: (
        "village official",
        "village officials",
        "perangkat desa",
        "aparatur desa",
    ),
    OccupationGroup.OTHER: ("other", "others", "lainnya", "lain lain"),
}
# The word the error message suggests for each group, in the order of OccupationGroup.
OCCUPATION_WORDS = ("petani", "peternak", "nelayan", "buruh", "pedagang", "perangkat desa", "lainnya")
_OCCUPATION_OF = {alias: group for group, aliases in OCCUPATION_ALIASES.items() for alias in aliases}


@dataclass
class FactRow:
    row: int
    region_code: str = ""
    values: dict = field(default_factory=dict)  # field → value read, only for cells that read well
    errors: list[dict] = field(default_factory=list)  # {"row", "column" (a field), "message"}

    def error(self, column: str, message) -> None:
        self.errors.append({"row": self.row, "column": column, "message": str(message)})


def region_code_cell(value) -> str:
    """A Kemendagri code as 35.26.02.2001 or 3526022001 (2, 4, 6 or 10 digits), or ID for the
    country."""
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    text = text_cell(value).lstrip("'").replace(" ", "")
    if text.upper() == ROOT_CODE:
        return ROOT_CODE
    if re.fullmatch(r"\d{2}|\d{4}|\d{6}|\d{10}", text):
        text = ".".join([text[i : i + 2] for i in range(0, min(len(text), 6), 2)] + ([text[6:]] if text[6:] else []))
    if not re.fullmatch(REGION_CODE_PATTERN, text) or text == ROOT_CODE:
        if numeric:
            raise CellError(
                _("The region code was stored as a number and lost its form: format the column as text and type it.")
            )
        raise CellError(_("Write the region code, e.g. 35.26 or 35.26.02.2001."))
    return text


def occupation_cell(value) -> str:
    """An occupation group (OccupationGroup) from its code, English name or Indonesian word."""
    text = normalise_header(text_cell(value))
    group = _OCCUPATION_OF.get(text)
    if group is None:
        raise CellError(
            _("Unknown occupation %(value)s; write one of: %(groups)s.")
            % {"value": text_cell(value), "groups": ", ".join(OCCUPATION_WORDS)}
        )
    return str(group)


def _required(read):
    def reader(value):
        if is_blank(value):
            raise CellError(_("The cell is empty."))
        return read(value)

    return reader


def _source_reader(default_source: str):
    def reader(value):
        text = text_cell(value)
        if not text and not default_source:
            raise CellError(_("Give the source of the figure (or a default source for the whole file)."))
        return text or default_source

    return reader


def parse_rows(sheet: Sheet, kind: str, *, default_source: str = "") -> list[FactRow]:
    """Each row on its own: the form of every cell. Cells that read well land in `values`."""
    readers = {
        "region_code": _required(region_code_cell),
        "year": _required(int_cell),
        "workers": _required(int_cell),
        "total": _required(int_cell),
        "covered": _required(int_cell),
        "occupation": _required(occupation_cell),
        "percent": _required(percent_cell),
        "as_of": _required(date_cell),
        "source": _source_reader(default_source),
        **dict.fromkeys(OPTIONAL_NUMBERS, int_cell),
    }
    fields = list(HEADERS[kind])
    out = []
    for number, cells in sheet.rows:
        r = FactRow(row=number)
        for name in fields:
            try:
                value = readers[name](cell(cells, sheet.columns.get(name)))
            except CellError as exc:
                r.error(name, str(exc))
                continue
            if name == "region_code":
                r.region_code = value
            else:
                r.values[name] = value
        out.append(r)
    return out
