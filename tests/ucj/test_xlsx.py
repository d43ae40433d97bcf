"""The bounded XLSX reader (ucj/xlsx.py): it reads what openpyxl reads from real workbooks, and
stops or refuses where openpyxl would believe the file. The hostile files themselves, through
HTTP with their time and memory, are tests/enrollment/test_hostile_uploads.py."""

import datetime as dt
import io
import zipfile

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from tests import hostile_xlsx as h
from ucj import sheets, xlsx
from ucj.errors import ValidationFailed


def openpyxl_rows(content: bytes) -> list[list]:
    """What openpyxl (read-only, values only) reads, as the reader reports it: the rows that hold
    something, each cut after its last value."""
    workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    out = []
    for row in workbook.worksheets[0].iter_rows(values_only=True):
        cells = list(row)
        while cells and cells[-1] is None:
            cells.pop()
        if any(c is not None and str(c).strip() for c in cells):
            out.append(cells)
    workbook.close()
    return out


def reader_rows(content: bytes, **kw) -> list[list]:
    return [cells for _number, cells in xlsx.xlsx_rows(content, **kw)]


cell_values = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=30),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.dates(min_value=dt.date(1901, 1, 1), max_value=dt.date(2100, 12, 31)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(table=st.lists(st.lists(cell_values, min_size=1, max_size=8), min_size=1, max_size=12))
def test_it_reads_what_openpyxl_reads_from_a_workbook_openpyxl_wrote(table):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([f"h{i}" for i in range(8)])  # a header as wide as any row: nothing is cut
    for row in table:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    content = out.getvalue()
    assert reader_rows(content) == openpyxl_rows(content)


def test_percentages_and_dates_follow_the_cells_number_formats():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["target", "date", "plain"])
    sheet.append([0.6728, dt.datetime(2025, 8, 31), 0.5])
    sheet["A2"].number_format = "0.00%"
    sheet["B2"].number_format = "dd/mm/yyyy"
    out = io.BytesIO()
    workbook.save(out)
    rows = reader_rows(out.getvalue(), percent_formats=True)
    target, day, plain = rows[1]
    assert isinstance(target, xlsx.ExcelPercent) and target == 0.6728
    assert day == dt.datetime(2025, 8, 31)
    assert not isinstance(plain, xlsx.ExcelPercent)
    assert not isinstance(reader_rows(out.getvalue())[1][0], xlsx.ExcelPercent)


def test_a_1904_workbook_dates_from_1904():
    sheet = h.sheet_xml(['<row r="1"><c r="A1" s="2"><v>1</v></c></row>'])
    content = h.workbook(sheet)
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(b"<sheets>", b'<workbookPr date1904="1"/><sheets>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    assert reader_rows(out.getvalue()) == [[dt.datetime(1904, 1, 2)]]  # 1900-01-01 in a 1900 workbook


def test_shared_strings_rich_text_and_prefixed_elements_are_read():
    shared = (
        f'<x:sst xmlns:x="{h.MAIN}"><x:si><x:t>Budi</x:t></x:si>'
        "<x:si><x:r><x:t>Sant</x:t></x:r><x:r><x:t>oso</x:t></x:r><x:rPh><x:t>ignored</x:t></x:rPh></x:si></x:sst>"
    )
    sheet = (
        f'<x:worksheet xmlns:x="{h.MAIN}"><x:sheetData><x:row><x:c t="s"><x:v>0</x:v></x:c>'
        '<x:c t="s"><x:v>1</x:v></x:c><x:c t="b"><x:v>1</x:v></x:c><x:c t="str"><x:f>A1</x:f><x:v>Budi</x:v></x:c>'
        "</x:row></x:sheetData></x:worksheet>"
    )
    assert reader_rows(h.workbook(sheet, shared=shared)) == [["Budi", "Santoso", True, "Budi"]]


def test_cells_beyond_the_header_are_not_read_and_rows_are_as_long_as_their_data():
    table = [["nik", "name"], ["1", "a", "note far right"], ["2"]]
    rows = reader_rows(h.workbook(h.sheet_xml(h.text_rows(table, pad_to=16_384))))
    assert rows == [["nik", "name"], ["1", "a"], ["2"]]


def test_a_run_of_1000_empty_rows_ends_the_data_and_a_shorter_one_does_not():
    near = h.text_rows([["nik"], ["1"]]) + h.text_rows([["2"]], first=2 + xlsx.EMPTY_RUN - 1)
    assert reader_rows(h.workbook(h.sheet_xml(near))) == [["nik"], ["1"], ["2"]]
    far = h.text_rows([["nik"], ["1"]]) + h.text_rows([["2"]], first=3 + xlsx.EMPTY_RUN)
    assert reader_rows(h.workbook(h.sheet_xml(far))) == [["nik"], ["1"]]
    styled = h.text_rows([["nik"], ["1"]]) + [f'<row r="{n}" s="1"/>' for n in range(3, 3 + xlsx.EMPTY_RUN)]
    styled += h.text_rows([["2"]], first=3 + xlsx.EMPTY_RUN)
    assert reader_rows(h.workbook(h.sheet_xml(styled))) == [["nik"], ["1"]]


def test_the_reader_stops_unpacking_when_its_consumer_stops():
    """read_sheet stops one row past its limit: the rest of a long sheet is never parsed."""
    content = h.workbook(h.sheet_xml(h.text_rows([["nik"]] + [[str(i)] for i in range(5_000)])))
    rows = xlsx.xlsx_rows(content)
    assert next(rows) == (1, ["nik"])
    rows.close()
    with pytest.raises(ValidationFailed, match="10"):
        sheets.read_sheet(content, "a.xlsx", headers={"nik": ("nik",)}, required=["nik"], max_rows=10)


@pytest.mark.parametrize(
    "make, words",
    [
        (h.doctype_entities, "DOCTYPE"),
        (h.truncated, "XLSX"),
        (h.far_row, "1,048,576"),
        (h.huge_shared_string, "sharedStrings.xml"),
        (h.bomb_part, "xl/media/image1.png"),
        (h.many_parts, "1,000"),
        (h.nested_archive, "Microsoft_Excel_Worksheet.xlsx"),
        (h.cells_beyond_xfd, "XFD"),
        (h.long_text, "32,767"),
        (h.rows_out_of_order, "row 3"),
    ],
)
def test_hostile_files_are_refused_naming_the_problem(make, words):
    with translation.override("en"), pytest.raises(ValidationFailed) as refused:
        sheets.read_sheet(make(), "x.xlsx", headers={"nik": ("nik",)}, required=["nik"])
    assert words in refused.value.message


def test_a_part_whose_data_lies_about_its_size_is_cut_at_the_declared_size():
    """zipfile never unpacks more than a part declares: a sheet that declares less than it holds
    is read as far as declared, which ends inside its XML, and is refused as damaged."""
    content = bytearray(h.workbook(h.sheet_xml(h.text_rows([["nik"]] + [["1"]] * 2_000))))
    with zipfile.ZipFile(io.BytesIO(bytes(content))) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    # Lower the declared size in the central directory and the local header (offset 22 in both
    # headers' layouts differs: local 22, central 24).
    central = bytes(content).rfind(b"PK\x01\x02", 0, len(content))
    while central >= 0:
        name_len = int.from_bytes(content[central + 28 : central + 30], "little")
        if content[central + 46 : central + 46 + name_len] == b"xl/worksheets/sheet1.xml":
            content[central + 24 : central + 28] = (100).to_bytes(4, "little")
            break
        central = bytes(content).rfind(b"PK\x01\x02", 0, central)
    content[info.header_offset + 22 : info.header_offset + 26] = (100).to_bytes(4, "little")
    with pytest.raises(ValidationFailed):
        sheets.read_sheet(bytes(content), "x.xlsx", headers={"nik": ("nik",)}, required=["nik"])
