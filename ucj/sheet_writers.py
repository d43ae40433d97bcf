"""Writing spreadsheets that carry text as text: every CSV and XLSX file UCJ hands out goes
through these helpers, so no text in it (a name, a region, an error message) can run as a formula
in the program that opens it.

CSV: every field is quoted, and an apostrophe goes before every formula character (=, +, -, @ and
their full-width forms) that could begin a cell for some reader: at the start of the field and
after anything a reader may split on (a comma, a semicolon, a tab, a quote, a line break), with any
whitespace in between, which readers strip (so a tab or CR before `=` is guarded too). A reader
set to another delimiter than the file's, or one that ignores quotes, still finds no piece that
starts a formula: `Budi,=cmd|' /C calc'!A0` is written `Budi,'=cmd|' /C calc'!A0`. Numbers and
dates the app writes as such are not text and are written plain.

XLSX: text is always a string cell (never a formula or an error value) holding exactly the user's
text; a cell that starts with a formula character also gets Excel's own "quote prefix" style,
which keeps it text when someone edits it, without changing its value. Control characters, which
XML cannot hold (openpyxl refuses them, and a name holding one made the export fail), are written
with OOXML's escape `_xHHHH_`, as Excel writes them, and so is a `_` that would otherwise begin
such an escape: Excel shows the text exactly (openpyxl reads the escapes as they are written).
"""

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from decimal import Decimal

from openpyxl.cell.cell import ERROR_CODES, Cell

FORMULA_CHARS = "=+-@\uff1d\uff0b\uff0d\uff20"
# Where some reader may begin a new cell: the delimiters a reader may be set to, a quote (kept by a
# reader that ignores quoting), and every line break some program honours.
SPLIT_CHARS = ',;\t"\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029'

# A split (or the start) and the whitespace after it are consumed with the formula character's
# lookahead, so a run like "\t=" (two places a piece may start) gets one apostrophe, not two.
_EXPOSED = re.compile(r"(\A|[" + re.escape(SPLIT_CHARS) + r"])(\s*)(?=[" + re.escape(FORMULA_CHARS) + r"])")
_FORMULA_START = re.compile(r"\s*[" + re.escape(FORMULA_CHARS) + r"]")
_FORMULA_SET = frozenset(FORMULA_CHARS)
# What OOXML escapes in a string: the control characters XML 1.0 forbids, and the "_" of a text
# that reads like an escape (Excel would decode "_x0041_" to "A"; "_x005F_x0041_" is "_x0041_").
_OOXML_ESCAPED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]|_(?=x[0-9A-Fa-f]{4}_)")


def guard_text(text: str) -> str:
    """The text with an apostrophe before every formula character that could begin a cell (see the
    module's docstring); text that has none comes back unchanged."""
    if _FORMULA_SET.isdisjoint(text):  # most cells: a quarter of the time of the substitution
        return text
    return _EXPOSED.sub(r"\1\2'", text)


def csv_value(value) -> str:
    """A cell as an Indonesian Excel reads it: whole numbers plain, decimals with a comma, dates
    ISO (which every Excel recognises), anything else as guarded text."""
    if type(value) is str:  # most cells, first
        return guard_text(value)
    if value is None:
        return ""
    if isinstance(value, bool | int):
        return str(value)
    if isinstance(value, float | Decimal):
        return str(value).replace(".", ",")
    if isinstance(value, dt.date):
        return value.isoformat()
    return guard_text(str(value))


def csv_bytes(rows: Iterable[Iterable], *, delimiter: str = ";") -> bytes:
    """The rows as a CSV an Indonesian Excel opens with a double click (UTF-8 with a BOM, `;`
    between cells by default), every field quoted and every text guarded (`csv_value`)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerows([csv_value(value) for value in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def xlsx_value(sheet, value):
    """What to append to an openpyxl sheet (ordinary or write-only) for one cell: numbers, dates,
    booleans and None as they are; text as a string cell holding exactly the text.

    openpyxl turns a string that starts with `=` into a formula and `#REF!` and the like into
    error values; such a text gets a cell made here and marked as a string after its value is set.
    """
    if value is None or isinstance(value, bool | int | float | Decimal | dt.date | dt.time | dt.timedelta):
        return value
    text = str(value)
    if _OOXML_ESCAPED.search(text):
        text = _OOXML_ESCAPED.sub(lambda match: f"_x{ord(match.group()):04X}_", text)
    if not _FORMULA_START.match(text) and text not in ERROR_CODES:
        return text
    # A row and column as WriteOnlyCell has them: a write-only sheet names the cell in an error
    # message before it places it.
    cell = Cell(sheet, row=1, column=1, value=text)
    cell.data_type = "s"
    if _FORMULA_START.match(text):
        cell.quotePrefix = True
    return cell


def xlsx_row(sheet, values: Iterable) -> list:
    """A row for `sheet.append`, each value through `xlsx_value`."""
    return [xlsx_value(sheet, value) for value in values]
