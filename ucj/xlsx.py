"""Reading an uploaded XLSX workbook in bounded time and memory, whatever it declares.

An XLSX file is a zip of XML parts, and the zip and the XML each say things a reader must not
believe: openpyxl pads every row to the sheet's declared dimension (`A1:XFD20001` made 20,000
one-cell rows cost 2.7 GB), reads every shared string into memory before the first row (a 1 MB
file held one string of 1 GB), and yields every missing row up to a row's number (one row
numbered 200,000,000 held a worker for 38 s). Excel itself declares such dimensions when a
clerk formats a whole row or column. So this module reads the first sheet itself, with expat,
part by part as a stream, and stops at the limits below; openpyxl's own tables are still what
decides which number formats are dates (`is_date_format`, `BUILTIN_FORMATS`) and how Excel's
serial numbers become dates (`from_excel`). The limits and what each guarantees are in
docs/security.md, "Uploaded spreadsheets".

Every refusal is `ValidationFailed` with a message that names the problem; nothing here writes.
"""

import contextlib
import io
import struct
import zipfile
from collections.abc import Iterator
from datetime import datetime
from posixpath import join, normpath
from xml.parsers import expat

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.cell import get_column_letter
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from ucj.errors import ValidationFailed

MIB = 1024 * 1024
# The zip, checked from its own directory before any part is opened.
MAX_PARTS = 1_000  # a workbook of a few sheets has 10-30
MAX_UNPACKED_BYTES = 256 * MIB  # all parts together, as the zip declares them
MAX_RATIO = 100  # unpacked ÷ packed, for any part over RATIO_FROM bytes (Excel's sheets: 5-20)
RATIO_FROM = 1 * MIB
NESTED_SUFFIXES = (".zip", ".xlsx", ".xlsm", ".xlsb", ".xls", ".docx", ".pptx", ".jar", ".gz", ".7z", ".rar", ".bin")
# The parts read whole (workbook, relationships, styles) are small in any real file.
MAX_SMALL_PART_BYTES = 16 * MIB
# Shared strings: read whole (cells refer to them by number), so bounded in size and count.
MAX_SHARED_STRINGS_BYTES = 64 * MIB
MAX_SHARED_STRINGS = 1_000_000
MAX_TEXT_CHARS = 32_767  # Excel's own limit for one cell
# The sheet, streamed.
LAST_ROW = 1_048_576  # Excel's last row and column (XFD)
LAST_COLUMN = 16_384
EMPTY_RUN = 1_000  # this many empty rows in a row end the data, whatever the file declares
MAX_CELLS = 4_000_000  # every <c> element read, inside or outside the header's columns
MAX_VALUES = 1_500_000  # cells read within the header's columns: 100,000 rows of 15
CHUNK = 64 * 1024

_DIGITS = "0123456789"
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


class ExcelPercent(float):
    """A number that Excel shows as a percentage: the cell holds 0.5868 and shows 58.68 %. Only
    `xlsx_rows(..., percent_formats=True)` yields it; everywhere else it is the float it holds."""


class _Stop(Exception):
    """The sheet's data has ended (a run of empty rows, or as many rows as the caller wants)."""


def refuse(message: str) -> ValidationFailed:
    return ValidationFailed(message)


# --- The zip --------------------------------------------------------------------------------------


def _entry_count(content: bytes) -> int:
    """The number of entries the zip's end record declares, read before zipfile builds an object
    per entry (a 25 MB file can declare half a million, 270 MB of ZipInfo)."""
    end = content.rfind(b"PK\x05\x06", max(0, len(content) - 65_557))
    if end < 0 or end + 22 > len(content):
        raise refuse(_("The XLSX file cannot be opened: is it damaged or protected?"))
    (total,) = struct.unpack_from("<H", content, end + 10)
    return total


def open_checked(content: bytes) -> zipfile.ZipFile:
    """The workbook's zip, once its directory has shown nothing a spreadsheet never holds."""
    count = _entry_count(content)
    if count > MAX_PARTS:
        raise refuse(
            _("The XLSX file holds %(count)s parts, more than a workbook ever needs (%(max)s); it is refused.")
            % {"count": _n(count), "max": _n(MAX_PARTS)}
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, struct.error) as exc:
        raise refuse(_("The XLSX file cannot be opened: is it damaged or protected?")) from exc
    if len(infos) > MAX_PARTS:
        raise refuse(
            _("The XLSX file holds %(count)s parts, more than a workbook ever needs (%(max)s); it is refused.")
            % {"count": _n(len(infos)), "max": _n(MAX_PARTS)}
        )
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise refuse(_("The XLSX file is protected with a password: save it again without one."))
        if info.filename.lower().endswith(NESTED_SUFFIXES):
            raise refuse(
                _(
                    "The XLSX file contains another file packed inside it (%(part)s); copy the sheet "
                    "into a new workbook and upload that."
                )
                % {"part": info.filename[:80]}
            )
        total += info.file_size
        if info.file_size > RATIO_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise refuse(
                _(
                    "The XLSX file is compressed far beyond what a spreadsheet allows (%(part)s unpacks "
                    "%(ratio)s times its size); it is refused."
                )
                % {"part": info.filename[:80], "ratio": _n(info.file_size // max(info.compress_size, 1))}
            )
    if total > MAX_UNPACKED_BYTES:
        raise refuse(
            _("The XLSX file unpacks to %(size)s MB, more than %(max)s MB; split it into several files.")
            % {"size": _n(total // MIB), "max": _n(MAX_UNPACKED_BYTES // MIB)}
        )
    return archive


def _n(number: int) -> str:
    return number_format(number, force_grouping=True)


# --- XML, without DOCTYPE or entities -------------------------------------------------------------


def _parser(part: str):
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = CHUNK

    def forbidden(*_args):
        raise refuse(
            _("The XLSX file declares a DOCTYPE or entities in %(part)s; such files are refused.") % {"part": part}
        )

    parser.StartDoctypeDeclHandler = forbidden
    parser.EntityDeclHandler = forbidden
    parser.ExternalEntityRefHandler = forbidden
    return parser


def _feed(archive: zipfile.ZipFile, part: str, parser, *, limit: int | None = None) -> None:
    """Streams a part through the parser. The zip's own reader never unpacks more than the part
    declares, so the declared sizes checked in open_checked bound what arrives here."""
    try:
        info = archive.getinfo(part)
    except KeyError as exc:
        raise refuse(_("The XLSX file lacks its part %(part)s: is it damaged?") % {"part": part}) from exc
    if limit is not None and info.file_size > limit:
        raise refuse(
            _("The XLSX file's part %(part)s is %(size)s MB, more than %(max)s MB.")
            % {"part": part, "size": _n(info.file_size // MIB), "max": _n(limit // MIB)}
        )
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise refuse(
            _("The XLSX file is malformed in %(part)s (line %(line)s): %(error)s")
            % {"part": part, "line": exc.lineno, "error": expat.ErrorString(exc.code)}
        ) from exc
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        # zlib's error, a CRC mismatch, a part shorter than declared: all a damaged file.
        raise refuse(_("The XLSX file cannot be read to its end: is it damaged?")) from exc


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def _attr(attrs: dict, name: str):
    """An attribute with or without a namespace prefix (r:id, id)."""
    value = attrs.get(name)
    if value is None:
        for key, candidate in attrs.items():
            if _local(key) == name:
                return candidate
    return value


# --- The workbook around the sheet ---------------------------------------------------------------


def _first_sheet(archive: zipfile.ZipFile) -> tuple[str, object, str | None, str | None]:
    """(sheet part, epoch, shared strings part, styles part) of the workbook's first sheet."""
    sheets: list[str] = []
    epoch = [CALENDAR_WINDOWS_1900]

    def start(name, attrs):
        local = _local(name)
        if local == "sheet":
            sheets.append(_attr(attrs, "id") or "")
        elif local == "workbookPr" and str(attrs.get("date1904", "")).lower() in ("1", "true"):
            epoch[0] = CALENDAR_MAC_1904

    parser = _parser("xl/workbook.xml")
    parser.StartElementHandler = start
    _feed(archive, "xl/workbook.xml", parser, limit=MAX_SMALL_PART_BYTES)
    if not sheets:
        raise refuse(_("The XLSX file has no sheet."))

    targets: dict[str, tuple[str, str]] = {}  # id → (type, target)

    def rel(name, attrs):
        if _local(name) == "Relationship":
            targets[attrs.get("Id", "")] = (attrs.get("Type", "").rpartition("/")[2], attrs.get("Target", ""))

    names = set(archive.namelist())
    if "xl/_rels/workbook.xml.rels" in names:
        parser = _parser("xl/_rels/workbook.xml.rels")
        parser.StartElementHandler = rel
        _feed(archive, "xl/_rels/workbook.xml.rels", parser, limit=MAX_SMALL_PART_BYTES)

    def part(target: str) -> str:
        return target.lstrip("/") if target.startswith("/") else normpath(join("xl", target))

    _kind, target = targets.get(sheets[0], ("worksheet", "worksheets/sheet1.xml"))
    sheet = part(target)
    if sheet not in names and "xl/worksheets/sheet1.xml" in names:
        sheet = "xl/worksheets/sheet1.xml"
    by_type = {kind: part(target) for kind, target in targets.values()}
    shared = by_type.get("sharedStrings") or ("xl/sharedStrings.xml" if "xl/sharedStrings.xml" in names else None)
    styles = by_type.get("styles") or ("xl/styles.xml" if "xl/styles.xml" in names else None)
    shared = shared if shared in names else None
    styles = styles if styles in names else None
    return sheet, epoch[0], shared, styles


def _shared_strings(archive: zipfile.ZipFile, part: str | None) -> list[str]:
    """The workbook's texts, in order; a rich text is its runs joined, without the phonetic
    guides (rPh) Excel adds to East Asian text."""
    if part is None:
        return []
    strings: list[str] = []
    text: list[str] = []
    state = [False, 0, 0]  # inside a <t>, inside an <rPh> (depth), the length of the text so far

    def start_si(attrs):
        text.clear()
        state[2] = 0

    def start_t(attrs):
        state[0] = not state[1]

    def start_rph(attrs):
        state[1] += 1

    def end_t():
        state[0] = False

    def end_rph():
        state[1] -= 1

    def end_si():
        strings.append(text[0] if len(text) == 1 else "".join(text))
        if len(strings) > MAX_SHARED_STRINGS:
            raise refuse(
                _("The XLSX file holds more than %(max)s different texts; split it into several files.")
                % {"max": _n(MAX_SHARED_STRINGS)}
            )

    starts = {"si": start_si, "t": start_t, "rPh": start_rph}
    ends = {"si": end_si, "t": end_t, "rPh": end_rph}

    def start(name, attrs):
        handler = starts.get(name) or (starts.get(name.rpartition(":")[2]) if ":" in name else None)
        if handler is not None:
            handler(attrs)

    def end(name):
        handler = ends.get(name) or (ends.get(name.rpartition(":")[2]) if ":" in name else None)
        if handler is not None:
            handler()

    def data(chunk):
        if state[0]:
            state[2] += len(chunk)
            if state[2] > MAX_TEXT_CHARS:
                raise _too_long()
            text.append(chunk)

    parser = _parser(part)
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    _feed(archive, part, parser, limit=MAX_SHARED_STRINGS_BYTES)
    return strings


def _too_long() -> ValidationFailed:
    return refuse(
        _("A text in the XLSX file is longer than %(max)s characters, Excel's own limit for a cell.")
        % {"max": _n(MAX_TEXT_CHARS)}
    )


DATE, PERCENT = 1, 2


def _style_kinds(archive: zipfile.ZipFile, part: str | None) -> list[int]:
    """For each cell style (the `s` of a cell), whether its number format shows a date or a
    percentage (0 for anything else)."""
    if part is None:
        return []
    formats = dict(BUILTIN_FORMATS)
    kinds: list[int] = []
    where = {"xfs": False}

    def start(name, attrs):
        local = _local(name)
        if local == "numFmt":
            with contextlib.suppress(ValueError):
                formats[int(attrs.get("numFmtId", "-1"))] = attrs.get("formatCode", "")
        elif local == "cellXfs":
            where["xfs"] = True
        elif local == "xf" and where["xfs"]:
            try:
                code = formats.get(int(attrs.get("numFmtId", "0")), "")
            except ValueError:
                code = ""
            kinds.append(DATE if code and is_date_format(code) else PERCENT if "%" in code else 0)

    def end(name):
        if _local(name) == "cellXfs":
            where["xfs"] = False

    parser = _parser(part)
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    _feed(archive, part, parser, limit=MAX_SMALL_PART_BYTES)
    return kinds


# --- The sheet ------------------------------------------------------------------------------------

# Column letters → index, A to XFD: one look-up per cell instead of a pattern and a sum.
_COLUMNS = {get_column_letter(i): i for i in range(1, LAST_COLUMN + 1)}


class _SheetReader:
    """Expat handlers that turn <row>/<c> elements into (row number, cells) as they stream past.
    Only the columns up to the header's last one are kept; the header is the first row that holds
    something, and before it every column up to XFD is allowed (kept sparse)."""

    def __init__(self, *, strings, kinds, epoch, percent_formats, part):
        self.strings, self.kinds, self.epoch = strings, kinds, epoch
        self.percent_formats, self.part = percent_formats, part
        self.rows: list[tuple[int, list]] = []  # rows finished since the last chunk
        self.width: int | None = None  # columns of the header, once seen
        self.row_number = 0
        self.last_kept = 0  # the number of the last row that held something
        self.cells: dict[int, object] = {}
        self.cells_in_row = 0
        self.cells_read = 0
        self.values_read = 0
        self.column = 0
        self.cell_type = "n"
        self.cell_style = 0
        self.text: list[str] | None = None
        self.text_length = 0
        self.value: str | None = None
        self.inline: list[str] = []
        self.in_inline = False
        self.keep = False  # the current cell lies within the header's columns
        self.skipping = False  # the rest of the current row lies beyond them
        self.starts = {
            "c": self.start_cell,
            "v": self.start_value,
            "is": self.start_inline,
            "t": self.start_text,
            "row": lambda attrs: self.start_row(attrs.get("r")),
        }
        self.ends = {
            "c": self.end_cell,
            "v": self.end_value,
            "is": self.end_inline,
            "t": self.end_text,
            "row": self.end_row,
        }

    # expat callbacks: one dict look-up per element, most elements being <c>, <v> and <row>
    def start(self, name, attrs):
        handler = self.starts.get(name)
        if handler is None and ":" in name:
            handler = self.starts.get(name.rpartition(":")[2])
        if handler is not None:
            handler(attrs)

    def end(self, name):
        handler = self.ends.get(name)
        if handler is None and ":" in name:
            handler = self.ends.get(name.rpartition(":")[2])
        if handler is not None:
            handler()

    def data(self, chunk):
        if self.text is not None:
            self.text_length += len(chunk)
            if self.text_length > MAX_TEXT_CHARS:
                raise _too_long()
            self.text.append(chunk)

    def start_cell(self, attrs):
        self.cells_read += 1
        self.cells_in_row += 1
        if self.cells_read > MAX_CELLS:
            raise refuse(
                _(
                    "The sheet holds more than %(max)s cells; delete the empty formatted columns "
                    "or split it into several files."
                )
                % {"max": _n(MAX_CELLS)}
            )
        if self.skipping:
            # Past the header's last column: cells of a row come in column order, so the rest
            # of the row is too. Counted, never read (a row formatted to XFD costs little).
            if self.cells_in_row > LAST_COLUMN:
                raise self.malformed(_("row %(row)s has cells beyond column XFD") % {"row": _n(self.row_number)})
            self.keep = False
            return
        ref = attrs.get("r")
        if ref:
            try:
                self.column = _COLUMNS[ref.rstrip(_DIGITS)]
            except KeyError:
                raise self.malformed(_("a cell is named %(ref)s") % {"ref": ref[:20]}) from None
        else:
            self.column += 1
        if self.column > LAST_COLUMN or self.cells_in_row > LAST_COLUMN:
            raise self.malformed(_("row %(row)s has cells beyond column XFD") % {"row": _n(self.row_number)})
        if self.width is not None and self.column > self.width:
            self.skipping = True
            self.keep = False
            return
        self.keep = True
        self.values_read += 1
        if self.values_read > MAX_VALUES:
            raise refuse(
                _("The sheet holds more than %(max)s cells under its headers; split it into several files.")
                % {"max": _n(MAX_VALUES)}
            )
        self.cell_type = attrs.get("t", "n")
        style = attrs.get("s")
        self.cell_style = int(style) if style and style.isdigit() else 0
        self.value = None
        self.inline = []

    def start_value(self, attrs):
        if self.keep:
            self.text, self.text_length = [], 0

    def start_inline(self, attrs):
        self.in_inline = True

    def start_text(self, attrs):
        if self.in_inline and self.keep:
            self.text, self.text_length = [], 0

    def end_value(self):
        if self.text is not None:
            self.value = "".join(self.text)
            self.text = None

    def end_text(self):
        if self.in_inline and self.text is not None:
            self.inline.append("".join(self.text))
            self.text = None

    def end_inline(self):
        self.in_inline = False

    def end_cell(self):
        if self.keep:
            value = self.cell_value()
            if value is not None:
                self.cells[self.column] = value
            self.keep = False

    # rows
    def start_row(self, r):
        if r is not None:
            try:
                number = int(r)
            except ValueError:
                raise self.malformed(_("a row is numbered %(r)s") % {"r": str(r)[:20]}) from None
        else:
            number = self.row_number + 1
        if number > LAST_ROW:
            raise refuse(
                _("The sheet has a row numbered %(row)s, beyond Excel's last row (%(last)s); it is refused.")
                % {"row": _n(number), "last": _n(LAST_ROW)}
            )
        if number <= self.row_number:
            raise self.malformed(
                _("row %(row)s comes after row %(previous)s") % {"row": _n(number), "previous": _n(self.row_number)}
            )
        if number - self.last_kept > EMPTY_RUN:
            raise _Stop
        self.row_number = number
        self.cells = {}
        self.cells_in_row = 0
        self.column = 0
        self.skipping = False

    def end_row(self):
        cells = self.cells
        if not any(not (isinstance(v, str) and not v.strip()) for v in cells.values()):
            if self.row_number - self.last_kept >= EMPTY_RUN:
                raise _Stop
            return
        if self.width is None:
            self.width = max(cells)
        # As long as its own last cell, not the header's: consumers read cells by index with a
        # length check (ucj.sheets.cell), and a header reaching XFD must not pad every row.
        row = [None] * max(cells)
        for column, value in cells.items():
            row[column - 1] = value
        self.last_kept = self.row_number
        self.rows.append((self.row_number, row))

    def cell_value(self):
        kind, raw = self.cell_type, self.value
        if kind == "inlineStr":
            return "".join(self.inline) if self.inline else None
        if raw is None or raw == "":
            return None
        if kind == "s":
            try:
                return self.strings[int(raw)]
            except (ValueError, IndexError):
                raise self.malformed(_("a cell refers to a text that does not exist")) from None
        if kind in ("str", "e"):
            return raw
        if kind == "b":
            return raw.strip() in ("1", "true")
        if kind == "d":
            try:
                return datetime.fromisoformat(raw.strip().removesuffix("Z"))
            except ValueError:
                raise self.malformed(_("a date cell holds %(v)s") % {"v": raw[:20]}) from None
        try:
            number = float(raw) if ("." in raw or "E" in raw or "e" in raw) else int(raw)
        except ValueError:
            raise self.malformed(_("a number cell holds %(v)s") % {"v": raw[:20]}) from None
        style = self.kinds[self.cell_style] if 0 <= self.cell_style < len(self.kinds) else 0
        if style == DATE:
            try:
                return from_excel(number, self.epoch)
            except (ValueError, OverflowError):
                return number
        if style == PERCENT and self.percent_formats:
            return ExcelPercent(number)
        return number

    def malformed(self, what: str) -> ValidationFailed:
        return refuse(_("The XLSX file is malformed in %(part)s: %(what)s.") % {"part": self.part, "what": what})


def xlsx_rows(content: bytes, *, percent_formats: bool = False) -> Iterator[tuple[int, list]]:
    """The first sheet's rows that hold something, as (row number, cells), cut to the header's
    columns, ending at the sheet's end or at the first run of EMPTY_RUN empty rows. A consumer
    that stops early (a row limit) stops the reading: nothing after it is unpacked or parsed."""
    archive = open_checked(content)
    try:
        sheet, epoch, shared, styles = _first_sheet(archive)
        strings = _shared_strings(archive, shared)
        kinds = _style_kinds(archive, styles)
        reader = _SheetReader(strings=strings, kinds=kinds, epoch=epoch, percent_formats=percent_formats, part=sheet)
        parser = _parser(sheet)
        parser.StartElementHandler = reader.start
        parser.EndElementHandler = reader.end
        parser.CharacterDataHandler = reader.data
        try:
            info = archive.getinfo(sheet)
        except KeyError as exc:
            raise refuse(_("The XLSX file lacks its part %(part)s: is it damaged?") % {"part": sheet}) from exc
        try:
            with archive.open(info) as stream:
                while chunk := stream.read(CHUNK):
                    try:
                        parser.Parse(chunk, False)
                    except _Stop:
                        yield from reader.rows
                        return
                    yield from reader.rows
                    reader.rows = []
                with contextlib.suppress(_Stop):
                    parser.Parse(b"", True)
                yield from reader.rows
        except expat.ExpatError as exc:
            raise refuse(
                _("The XLSX file is malformed in %(part)s (line %(line)s): %(error)s")
                % {"part": sheet, "line": exc.lineno, "error": expat.ErrorString(exc.code)}
            ) from exc
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
            raise refuse(_("The XLSX file cannot be read to its end: is it damaged?")) from exc
    finally:
        archive.close()
