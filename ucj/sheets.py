"""Reading spreadsheets that people upload (CSV or XLSX) and writing error reports: the generic
part, shared by every importer (enrollment's member lists, coverage figures).

Reading never trusts a file: every row is numbered as the spreadsheet shows it (the header is
row 1), and a cell that cannot be read raises `CellError` with a message a clerk can act on.
The importers collect those per row and column."""

import base64
import csv
import datetime as dt
import gc
import io
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from ucj.errors import ValidationFailed
from ucj.sheet_writers import csv_bytes, guard_text
from ucj.xlsx import ExcelPercent, xlsx_rows

__all__ = ["ExcelPercent"]  # read_sheet(..., percent_formats=True) yields it; its readers import it here

MAX_ROWS = 100_000
MAX_CELL_CHARS = 255
MAX_FILE_BYTES = 25 * 1024 * 1024
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d")
# The same formats as patterns (date_cell): day first with / - or ., year first with - or /.
_DAY_FIRST = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})", re.ASCII)
_YEAR_FIRST = re.compile(r"(\d{4})([-/])(\d{1,2})\2(\d{1,2})", re.ASCII)


def normalise_header(text) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", str(text or "").lower()).split())


# --- Large files ----------------------------------------------------------------------------------

_collector_lock = threading.Lock()
_collector_pauses = 0
_collector_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector held off while a large file is read, checked and written.
    Reading 100,000 rows makes about two million objects and no reference cycles, yet every few
    hundred new objects the collector ran, and each full pass walked all of them: it was half the
    Python time of a 100,000-row member import (docs/performance.md, "Member import"). Cycles made
    meanwhile are collected when the last pause ends. Nested and concurrent pauses (threads of
    one process) share one: the collector runs again when the last ends, if it ran before."""
    global _collector_pauses, _collector_was_enabled
    with _collector_lock:
        if _collector_pauses == 0:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
        _collector_pauses += 1
    try:
        yield
    finally:
        with _collector_lock:
            _collector_pauses -= 1
            if _collector_pauses == 0 and _collector_was_enabled:
                gc.enable()


# --- Reading a file -------------------------------------------------------------------------------


@dataclass
class Sheet:
    columns: dict[str, int]  # field → column index
    headers: list[str]  # as written, for messages
    rows: list[tuple[int, list]]  # (row number in the spreadsheet, cells)

    def header_of(self, name: str) -> str:
        """The column's title as the file writes it (for messages), else the field's name."""
        index = self.columns.get(name)
        if index is not None and index < len(self.headers) and self.headers[index]:
            return self.headers[index]
        return name


def read_sheet(
    content: bytes,
    filename: str,
    *,
    headers: dict[str, tuple[str, ...]],
    required: Iterable[str],
    max_rows: int | None = None,
    percent_formats: bool = False,
) -> Sheet:
    """A CSV (comma, semicolon or tab; UTF-8 with or without BOM, else Windows-1252) or XLSX file
    as rows of cells. Raises ValidationFailed for a file that cannot be read at all, has no
    usable header, misses a required column or has more than `max_rows` rows (default MAX_ROWS).
    `percent_formats` marks XLSX numbers formatted as percentages (`ExcelPercent`); it costs a
    little speed, so only readers of percentages ask for it."""
    max_rows = MAX_ROWS if max_rows is None else max_rows
    if not content or not content.strip():
        raise ValidationFailed(_("The file is empty."))
    if len(content) > MAX_FILE_BYTES:
        raise ValidationFailed(
            _("The file is larger than %(mb)s MB; split it.") % {"mb": MAX_FILE_BYTES // 1024 // 1024}
        )
    if content[:4] == b"PK\x03\x04":
        raw_rows = _xlsx_rows(content, max_rows=max_rows, percent_formats=percent_formats)
    elif content[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ValidationFailed(_("Old Excel files (.xls) cannot be read: save the sheet as .xlsx or CSV."))
    else:
        raw_rows = _csv_rows(content, max_rows=max_rows)

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
    # raw_rows holds no blank line (_non_blank): they are common between blocks of hand-made sheets.
    for number, cells in raw_rows:
        if number <= header_row[0]:
            continue
        rows.append((number, cells))
        if len(rows) > max_rows:
            raise ValidationFailed(
                _("The file has more than %(max)s rows; split it into several files.")
                % {"max": number_format(max_rows, force_grouping=True)}
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


def _csv_rows(content: bytes, *, max_rows: int = MAX_ROWS) -> list[tuple[int, list]]:
    text = _decode(content)
    if "\x00" in text:
        raise ValidationFailed(_("The file is neither CSV text nor an XLSX workbook."))
    first = next((line for line in io.StringIO(text, newline="") if line.strip()), "")
    delimiter = max([";", ",", "\t"], key=first.count)
    if '"' not in text:
        return _non_blank(enumerate(_unquoted_rows(text, delimiter), start=1), max_rows=max_rows)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _non_blank(enumerate(reader, start=1), max_rows=max_rows)
    except csv.Error as exc:
        raise ValidationFailed(
            _("Row %(row)s cannot be read as CSV (%(error)s).") % {"row": reader.line_num, "error": exc}
        ) from exc


def _unquoted_rows(text: str, delimiter: str):
    """The rows of a CSV text that quotes nothing, as csv.reader reads them: a line ends at \\r\\n,
    \\r or \\n, and every delimiter splits. Most exported member lists quote nothing, and this
    reads 100,000 rows in a quarter of csv.reader's 0.4 s (tests/ucj/test_sheets.py compares
    the two)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return (line.split(delimiter) for line in text.split("\n"))


def _xlsx_rows(content: bytes, *, max_rows: int = MAX_ROWS, percent_formats: bool = False) -> list[tuple[int, list]]:
    """The rows of the workbook's first sheet, read within the bounds of ucj.xlsx whatever the
    file declares (its dimension, its row numbers, its compressed sizes)."""
    return _non_blank(xlsx_rows(content, percent_formats=percent_formats), max_rows=max_rows)


def _holds_something(cells: list) -> bool:
    try:
        return bool("".join(cells).strip())  # a CSV row: text only, and 5x faster
    except TypeError:
        return any(c is not None and str(c).strip() for c in cells)


def _non_blank(numbered_rows, *, max_rows: int = MAX_ROWS) -> list[tuple[int, list]]:
    """The rows that hold something, with their numbers. Stops one row past the limit (the header
    plus `max_rows` plus one), so that an oversized file is refused rather than read to its end,
    and blank lines never count toward the limit."""
    rows = []
    for number, cells in numbered_rows:
        if _holds_something(cells):
            rows.append((number, cells))
            if len(rows) > max_rows + 1:
                break
    return rows


# --- Cells ----------------------------------------------------------------------------------------


class CellError(Exception):
    pass


def cell(cells: list, index: int | None):
    if index is None or index >= len(cells):
        return None
    return cells[index]


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text_cell(value, limit: int = MAX_CELL_CHARS) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if len(text) > limit:
        raise CellError(_("The cell is longer than %(max)s characters.") % {"max": limit})
    return text


def date_cell(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = text_cell(value)
    # DATE_FORMATS read by two patterns: strptime cost 30 µs a cell, a third of a 100,000-row
    # import's checks.
    match = _DAY_FIRST.fullmatch(text)
    if match:
        day, _sep, month, year = match.groups()
    elif match := _YEAR_FIRST.fullmatch(text):
        year, _sep, month, day = match.groups()
    if match:
        try:
            return dt.date(int(year), int(month), int(day))
        except ValueError:
            pass
    raise CellError(_("Not a date: write it as DD/MM/YYYY or YYYY-MM-DD."))


# Numbers as people type them in Indonesia and elsewhere: 1.873.899 or 1,873,899 (thousands),
# 58,68 or 58.68 (decimals), 1.873.899,5 or 1,873,899.5 (both). Spaces (also the non-breaking
# ones some locales group with) are ignored.
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_GROUPED = {sep: re.compile(rf"\d{{1,3}}(?:{re.escape(sep)}\d{{3}})+") for sep in ".,"}


def _number_text(value) -> str:
    text = _SPACES.sub("", text_cell(value))
    if text.startswith("-") or (text.startswith("(") and text.endswith(")")):
        raise CellError(_("The number cannot be negative."))
    return text.removeprefix("+")


def _split_number(text: str, *, single_is_decimal: bool) -> tuple[str, str] | None:
    """(whole digits, decimal digits) of a number written with or without grouping, or None when
    the text is not a number. A lone separator followed by exactly three digits (1.873) is
    grouping unless `single_is_decimal`; the caller decides what is ambiguous."""
    if re.fullmatch(r"\d+", text):
        return text, ""
    dots, commas = text.count("."), text.count(",")
    if dots and commas:
        decimal_sep = "." if text.rfind(".") > text.rfind(",") else ","
        group_sep = "," if decimal_sep == "." else "."
        whole, _sep, fraction = text.rpartition(decimal_sep)
        if group_sep in fraction or not re.fullmatch(r"\d+", fraction) or not _GROUPED[group_sep].fullmatch(whole):
            return None
        return whole.replace(group_sep, ""), fraction
    sep = "." if dots else ","
    if dots + commas > 1:
        return (text.replace(sep, ""), "") if _GROUPED[sep].fullmatch(text) else None
    whole, _sep, fraction = text.partition(sep)
    if not re.fullmatch(r"\d+", whole) or not re.fullmatch(r"\d+", fraction):
        return None
    if not single_is_decimal and _GROUPED[sep].fullmatch(text):
        return whole + fraction, ""
    return whole, fraction


def int_cell(value) -> int | None:
    """A whole number of zero or more (people, a year), written plainly, with thousands grouped by
    dots or commas (1.873.899, 1,873,899), or as an Excel number. None for an empty cell."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellError(_("Write a whole number, e.g. 1.873.899."))
    if isinstance(value, int | float):
        if value < 0:
            raise CellError(_("The number cannot be negative."))
        if isinstance(value, float) and not value.is_integer():
            raise CellError(_("Write a whole number, without decimals."))
        return int(value)
    parts = _split_number(_number_text(value), single_is_decimal=False)
    if parts is None:
        raise CellError(_("Write a whole number, e.g. 1.873.899."))
    whole, fraction = parts
    if fraction.strip("0"):
        raise CellError(_("Write a whole number, without decimals."))
    return int(whole)


def decimal_cell(value, *, places: int = 2, max_value: Decimal | int | None = None) -> Decimal | None:
    """A number of zero or more with up to `places` decimals, written with a decimal comma (58,68)
    or point (58.68), thousands grouped or not, or as an Excel number. A lone separator before
    three digits (1.873: 1873 in Indonesia, 1.873 in English) is refused as ambiguous unless the
    grouped reading exceeds `max_value`. None for an empty cell."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise CellError(_("Write a number, e.g. 58,68."))
    quantum = Decimal(1).scaleb(-places)
    if isinstance(value, int | float | Decimal):
        if value < 0:
            raise CellError(_("The number cannot be negative."))
        # Excel stores 58.68 as the nearest binary fraction and shows it rounded: take what it
        # shows, not the binary noise.
        number = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
        return number.quantize(quantum, rounding=ROUND_HALF_UP)
    text = _number_text(value)
    parts = _split_number(text, single_is_decimal=True)
    if parts is None:
        raise CellError(_("Write a number, e.g. 58,68."))
    whole, fraction = parts
    ambiguous = (
        text.count(".") + text.count(",") == 1
        and len(fraction) == 3
        and not whole.startswith("0")
        and _GROUPED[text[len(whole)]].fullmatch(text)
    )
    if ambiguous and (max_value is None or Decimal(whole + fraction) <= Decimal(max_value)):
        raise CellError(
            _(
                "%(text)s is ambiguous (thousands or decimals?): write it without a thousands "
                "separator, or with at most %(places)s decimals."
            )
            % {"text": text, "places": places}
        )
    if len(fraction) > places and fraction[places:].strip("0"):
        raise CellError(_("Write at most %(places)s decimals.") % {"places": places})
    return Decimal(f"{whole}.{fraction or '0'}").quantize(quantum)


def percent_cell(value) -> Decimal | None:
    """A percentage from 0 to 100 with up to two decimals: 58,68 or 58.68 (a trailing % is fine),
    or an Excel cell formatted as a percentage (it holds 0.5868). None for an empty cell."""
    if isinstance(value, ExcelPercent):
        value = Decimal(repr(float(value))) * 100
    elif isinstance(value, str):
        value = value.strip().removesuffix("%")
    percent = decimal_cell(value, places=2, max_value=100)
    if percent is not None and percent > 100:
        raise CellError(_("A percentage cannot exceed 100."))
    return percent


# --- Writing --------------------------------------------------------------------------------------


def safe_cell(value):
    """A text guarded against formula injection (`ucj.sheet_writers.guard_text`, which the
    exports use through `csv_bytes` and `xlsx_row`); anything else as it is."""
    return guard_text(value) if isinstance(value, str) else value


def error_report_csv(errors: list[dict]) -> bytes:
    rows = [["row", "column", "message"]]
    rows += [[e.get("row", ""), e.get("column", ""), e.get("message", "")] for e in errors]
    return csv_bytes(rows)


# A refused file shows this many problems on the page; the downloadable report holds more, up to
# its own limit (beyond it the file has one systematic mistake that the first rows show).
ERRORS_SHOWN = 200
ERRORS_IN_REPORT = 5_000


def errors_for_page(errors: list[dict]) -> dict:
    """What an upload page shows of a refused file (templates/ucj/_import_errors.html): the first
    problems, their count, and the report as a data: link that needs no storage and no second
    request."""
    report = error_report_csv(errors[:ERRORS_IN_REPORT]) if errors else b""
    return {
        "errors": errors[:ERRORS_SHOWN],
        "error_count": len(errors),
        "error_report": ("data:text/csv;charset=utf-8;base64," + base64.b64encode(report).decode("ascii"))
        if errors
        else "",
        "errors_in_report": min(len(errors), ERRORS_IN_REPORT),
    }
