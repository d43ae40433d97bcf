"""Writing exports (ucj/sheet_writers.py): text stays text. A CSV, however a reader splits it (by
the file's delimiter or another, with or without honouring quotes), has no piece that starts a
formula, and csv.reader gives back the text with at most an apostrophe before a formula character;
an XLSX holds the exact text as string cells, never a formula. The exports' own tests
(tests/progress/test_exports.py, tests/enrollment/test_importers.py) use the checks defined here."""

import csv
import io
import re
import zipfile

from hypothesis import example, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.utils.escape import unescape

from ucj import sheets
from ucj.sheet_writers import FORMULA_CHARS, csv_bytes, guard_text, xlsx_row

HOSTILE = [
    "=1+1",
    "Budi,=cmd|' /C calc'!A0",
    "x;@SUM(A1)",
    "+62 812 3456 7890",
    "-2+3",
    "\t=1+1",
    '\r=HYPERLINK("http://x")',
    'Siti "=1" binti, -Ahmad\r\n+baris dua\n@tiga',
    "a\t=b;+c, -d",
    '"=2*3"',
    "#REF!",
    "\uff1d1+1",
    "=",
    "Budi\x01 _x0041_,=1",  # a control character XML cannot hold; a text that reads like OOXML's escape
]

# Where a reader that ignores quotes may begin a cell: any delimiter it may be set to, any line
# break some program honours.
_NAIVE_SPLIT = re.compile(r"[,;\t\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_NUMBER = re.compile(r"[-+]?\d[\d.]*")


def exposed_pieces(content: bytes) -> list[str]:
    """The pieces of a CSV file, read by a reader that drops the quotes and splits at every comma,
    semicolon, tab and line break, that would start a formula (after the whitespace a reader may
    strip); plain numbers are numbers, not formulas."""
    text = content.decode("utf-8-sig").replace('"', "")
    pieces = (piece.lstrip() for piece in _NAIVE_SPLIT.split(text))
    return [p for p in pieces if p[:1] in FORMULA_CHARS and p and not _NUMBER.fullmatch(p)]


def csv_cells(content: bytes, delimiter: str = ";") -> list[str]:
    """Every field of a CSV export as csv.reader reads it."""
    assert content.startswith(b"\xef\xbb\xbf")
    rows = csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=delimiter)
    return [value for row in rows for value in row]


def recognisable(read: str, original: str) -> bool:
    """What a reader shows is the original with only apostrophes added, each just before a formula
    character."""
    added = len(read) - len(original)
    before_formula = re.compile("'[" + re.escape(FORMULA_CHARS) + "]")
    return (
        read.replace("'", "") == original.replace("'", "")
        and read.count("'") - original.count("'") == added
        and len(before_formula.findall(read)) - len(before_formula.findall(original)) == added
    )


def xlsx_texts(content: bytes) -> list[str]:
    """Every text cell of an XLSX file as Excel shows it (openpyxl's reading, with OOXML's
    `_xHHHH_` escapes decoded as Excel decodes them); no cell of any sheet is a formula (neither
    in openpyxl's reading nor as an <f> element of the sheet's XML) or an error value."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name), name
    texts = []
    for sheet in load_workbook(io.BytesIO(content)).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type not in ("f", "e"), (cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert cell.data_type == "s"
                    texts.append(excel_text(cell.value))
    return texts


def excel_text(value):
    """A cell's value as Excel shows it: OOXML's `_xHHHH_` escapes decoded."""
    return unescape(value) if isinstance(value, str) else value


def as_xml_keeps_it(text: str) -> str:
    """XML (and so XLSX) has no carriage return of its own: a line break is read back as \\n."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --- CSV ------------------------------------------------------------------------------------------


def test_no_piece_of_a_guarded_csv_starts_a_formula_whatever_the_reader_splits_on():
    for delimiter in (";", ",", "\t"):
        content = csv_bytes([HOSTILE, [1, -2, None, "ok"]], delimiter=delimiter)
        assert exposed_pieces(content) == []
        cells = csv_cells(content, delimiter)
        assert cells[: len(HOSTILE)] == [guard_text(t) for t in HOSTILE]
        assert all(recognisable(read, text) for read, text in zip(cells, HOSTILE, strict=False))
        assert cells[0] == "'=1+1" and cells[1] == "Budi,'=cmd|' /C calc'!A0"
        assert cells[len(HOSTILE) :] == ["1", "-2", "", "ok"]  # numbers the app writes stay numbers


def test_every_field_is_quoted():
    content = csv_bytes([["a", 1, None, "b;c"], ["=1", 2.5, "", "x"]])
    assert content.decode("utf-8-sig") == '"a";"1";"";"b;c"\r\n"\'=1";"2,5";"";"x"\r\n'


def test_guarded_text_shows_the_text_with_an_apostrophe_before_each_exposed_formula_start():
    assert guard_text("Budi,=cmd|' /C calc'!A0") == "Budi,'=cmd|' /C calc'!A0"
    assert guard_text("x;@SUM(A1)") == "x;'@SUM(A1)"
    assert guard_text("+6281234567812") == "'+6281234567812"  # a clerk still reads the number
    assert guard_text("\t=1+1") == "\t'=1+1"  # one apostrophe, though both the start and the tab expose it
    assert guard_text("a, -b") == "a, '-b"
    assert guard_text("Siti binti Ahmad") == "Siti binti Ahmad"
    assert guard_text("JKK+JKM") == "JKK+JKM" and guard_text("3526-02") == "3526-02"


def test_the_old_guard_left_a_formula_for_a_comma_reader():
    # The CSV a reader set to commas splits into "Budi" and "=cmd|' /C calc'!A0".
    old = sheets.safe_cell("Budi,=cmd|' /C calc'!A0")
    assert old == guard_text("Budi,=cmd|' /C calc'!A0") != "Budi,=cmd|' /C calc'!A0"


hostile_text = st.text(alphabet="ab '=+-@\uff1d\uff20,;\t\r\n\"\x0b\x85\u2028\xa0\u3000", max_size=30)


@settings(max_examples=500, deadline=None)
@given(texts=st.lists(hostile_text, min_size=1, max_size=4), delimiter=st.sampled_from([";", ",", "\t"]))
@example(texts=["=\t=", '"\n-'], delimiter=";")
@example(texts=[" \u3000@x", "a;\t;=1"], delimiter=",")
def test_any_text_is_written_so_that_no_piece_starts_a_formula(texts, delimiter):
    content = csv_bytes([texts], delimiter=delimiter)
    assert exposed_pieces(content) == []
    read = csv_cells(content, delimiter)
    assert read == [guard_text(t) for t in texts]
    assert all(recognisable(shown, text) for shown, text in zip(read, texts, strict=True))


def test_the_error_report_is_quoted_and_guarded():
    errors = [{"row": i, "column": "name", "message": text} for i, text in enumerate(HOSTILE, start=2)]
    errors.append({"row": 99, "column": "=col", "message": "ok"})
    content = sheets.error_report_csv(errors)
    assert exposed_pieces(content) == []
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0] == ["row", "column", "message"]
    assert [r[2] for r in rows[1:-1]] == [guard_text(t) for t in HOSTILE]
    assert rows[-1] == ["99", "'=col", "ok"]
    assert content.decode("utf-8-sig").startswith('"row";"column";"message"\r\n"2";"name";"\'=1+1"\r\n')


# --- XLSX -----------------------------------------------------------------------------------------


def _xlsx(rows, *, write_only: bool) -> bytes:
    workbook = Workbook(write_only=write_only)
    sheet = workbook.create_sheet("x") if write_only else workbook.active
    for row in rows:
        sheet.append(xlsx_row(sheet, row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_xlsx_cells_hold_the_exact_text_and_never_a_formula():
    for write_only in (False, True):
        content = _xlsx([HOSTILE, [1, "=2", 2.5, None, "#N/A", "plain"]], write_only=write_only)
        texts = xlsx_texts(content)
        assert texts == [as_xml_keeps_it(t) for t in HOSTILE] + ["=2", "#N/A", "plain"]
        sheet = load_workbook(io.BytesIO(content)).worksheets[0]
        assert [sheet["A2"].value, sheet["C2"].value] == [1, 2.5]
        # Excel's own mark for "typed as text": the cell stays text when someone edits it.
        assert sheet["A1"].quotePrefix and sheet["B2"].quotePrefix and not sheet["B1"].quotePrefix
