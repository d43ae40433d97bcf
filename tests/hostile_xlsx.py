"""XLSX files built byte by byte, real and hostile, for the tests of the bounded reader (ucj/xlsx.py)
and of every upload that reads spreadsheets. None is committed as a binary: each is made here, in
a second or two, from what the issue that asked for the bounds described (issue 19)."""

import io
import zipfile
from xml.sax.saxutils import escape

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{MAIN}" xmlns:r="{RELS}">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{RELS}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{RELS}/sharedStrings" Target="sharedStrings.xml"/>'
    f'<Relationship Id="rId3" Type="{RELS}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
# Style 0 plain, 1 a fill (what formatting a whole row or column gives), 2 a date, 3 a percentage.
STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="{MAIN}">'
    '<fonts count="1"><font/></fonts><fills count="1"><fill/></fills><borders count="1"><border/></borders>'
    '<cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="0" fillId="0" applyFill="1"/>'
    '<xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="10" applyNumberFormat="1"/></cellXfs></styleSheet>'
)


def column(index: int) -> str:
    """1 → A, 16384 → XFD."""
    name = ""
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def sheet_xml(rows: list[str], *, dimension: str = "A1", head: str = "", tail: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{head}<worksheet xmlns="{MAIN}">'
        f'<dimension ref="{dimension}"/>{tail}<sheetData>{"".join(rows)}</sheetData></worksheet>'
    )


def text_rows(table: list[list[str]], *, first: int = 1, row_attrs: str = "", pad_to: int = 0) -> list[str]:
    """Rows of inline texts; `pad_to` adds style-only cells up to that column, as Excel writes a
    row whose cells were formatted beyond the data."""
    out = []
    for offset, values in enumerate(table):
        number = first + offset
        cells = [inline(f"{column(i)}{number}", v) for i, v in enumerate(values, 1) if v != ""]
        cells += [f'<c r="{column(i)}{number}" s="1"/>' for i in range(len(values) + 1, pad_to + 1)]
        out.append(f'<row r="{number}"{row_attrs}>{"".join(cells)}</row>')
    return out


def workbook(sheet: str | bytes, *, shared: str | None = None, extra: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("_rels/.rels", ROOT_RELS)
        z.writestr("xl/workbook.xml", WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        z.writestr("xl/styles.xml", STYLES)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
        z.writestr("xl/sharedStrings.xml", shared or f'<sst xmlns="{MAIN}" count="0" uniqueCount="0"/>')
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return out.getvalue()


def _streamed_part(z: zipfile.ZipFile, name: str, head: bytes, filler: bytes, repeat: int, tail: bytes) -> None:
    """A part of `len(filler) * repeat` bytes written without holding them (1 GB in about two seconds)."""
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with z.open(info, "w", force_zip64=True) as part:
        part.write(head)
        for _ in range(repeat):
            part.write(filler)
        part.write(tail)


# --- The hostile files ---------------------------------------------------------------------------


def dimension_to_xfd(rows: int = 20_000) -> bytes:
    """A 3 KB sheet declaring A1:XFD{rows+1} with one-cell rows: openpyxl padded each to 16,384."""
    body = ["<row><c><v>1</v></c></row>"] * rows
    return workbook(sheet_xml(text_rows([["nik"]]) + body, dimension=f"A1:XFD{rows + 1}"))


def huge_shared_string(megabytes: int = 1024) -> bytes:
    """One shared string of `megabytes` MB in a file of about a thousandth of that."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in (
            ("[Content_Types].xml", CONTENT_TYPES),
            ("_rels/.rels", ROOT_RELS),
            ("xl/workbook.xml", WORKBOOK),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
            ("xl/styles.xml", STYLES),
            ("xl/worksheets/sheet1.xml", sheet_xml(['<row r="1"><c r="A1" t="s"><v>0</v></c></row>'])),
        ):
            z.writestr(name, data)
        _streamed_part(
            z,
            "xl/sharedStrings.xml",
            f'<sst xmlns="{MAIN}" count="1" uniqueCount="1"><si><t>'.encode(),
            b"A" * (1024 * 1024),
            megabytes,
            b"</t></si></sst>",
        )
    return out.getvalue()


def far_row(number: int = 200_000_000) -> bytes:
    """A 1.7 KB sheet whose second row is numbered `number`: openpyxl yielded every row before it."""
    rows = [*text_rows([["nik", "name"]]), f'<row r="{number}"><c r="A{number}"><v>1</v></c></row>']
    return workbook(sheet_xml(rows))


def doctype_entities() -> bytes:
    """The billion laughs in the sheet's prolog."""
    head = (
        '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    )
    sheet = sheet_xml(['<row r="1"><c r="A1" t="inlineStr"><is><t>&lol3;</t></is></c></row>']).replace(
        "?>", "?>" + head, 1
    )
    return workbook(sheet)


def truncated() -> bytes:
    content = workbook(sheet_xml(text_rows([["nik", "name"], ["3526021001900001", "Warga"]] * 200)))
    return content[: len(content) // 2]


def bomb_part(megabytes: int = 300) -> bytes:
    """A workbook with an unrelated part of `megabytes` MB of zeros (a ratio of about 1,000)."""
    out = io.BytesIO(workbook(sheet_xml(text_rows([["nik"], ["1"]]))))
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as z:
        _streamed_part(z, "xl/media/image1.png", b"", b"\0" * (1024 * 1024), megabytes, b"")
    return out.getvalue()


def many_parts(count: int = 5_000) -> bytes:
    return workbook(sheet_xml(text_rows([["nik"]])), extra={f"xl/media/p{i}.xml": b"x" for i in range(count)})


def nested_archive() -> bytes:
    inner = workbook(sheet_xml(text_rows([["nik"]])))
    return workbook(sheet_xml(text_rows([["nik"]])), extra={"xl/embeddings/Microsoft_Excel_Worksheet.xlsx": inner})


def cells_beyond_xfd(count: int = 20_000) -> bytes:
    """One row with more cells than Excel has columns."""
    cells = "".join(f"<c><v>{i}</v></c>" for i in range(count))
    return workbook(sheet_xml([*text_rows([["nik", "name"]]), f'<row r="2">{cells}</row>']))


def long_text(chars: int = 100_000) -> bytes:
    return workbook(sheet_xml(text_rows([["nik", "name"], ["1", "x" * chars]])))


def many_shared_strings(count: int = 1_100_000) -> bytes:
    items = "".join(f"<si><t>{i}</t></si>" for i in range(count))
    shared = f'<sst xmlns="{MAIN}" count="{count}" uniqueCount="{count}">{items}</sst>'
    return workbook(sheet_xml(['<row r="1"><c r="A1" t="s"><v>0</v></c></row>']), shared=shared)


def rows_out_of_order() -> bytes:
    return workbook(sheet_xml(text_rows([["nik"]], first=5) + text_rows([["1"]], first=3)))


def cells_everywhere(rows: int = 60, width: int = 16_384) -> bytes:
    """Style-only cells to column XFD on every row (a clerk who formatted whole rows)."""
    return workbook(sheet_xml(text_rows([["nik", "name"]] + [["1", "x"]] * rows, pad_to=width)))


HOSTILE = {
    "dimension A1:XFD20001, 20,000 rows": dimension_to_xfd,
    "one shared string of 1 GB": huge_shared_string,
    "a row numbered 200,000,000": far_row,
    "DOCTYPE with entities": doctype_entities,
    "truncated zip": truncated,
    "a part of 300 MB of zeros": bomb_part,
    "5,000 parts": many_parts,
    "an archive inside": nested_archive,
    "20,000 cells in one row": cells_beyond_xfd,
    "a text of 100,000 characters": long_text,
    "1,100,000 shared strings": many_shared_strings,
    "rows out of order": rows_out_of_order,
    "style-only cells to XFD on 60 rows": cells_everywhere,
}


def formatted_to_the_edge(table: list[list[str]]) -> bytes:
    """A real sheet as Excel saves it after a clerk formatted whole rows and columns: dimension
    A1:XFD1048576, a column style to XFD, data rows padded with styled empty cells to column Z,
    styled empty rows after the data, and the last row of the sheet formatted too."""
    rows = text_rows(table, pad_to=26, row_attrs=' spans="1:16384"')
    last = len(table)
    rows += [f'<row r="{n}" s="1" customFormat="1"/>' for n in range(last + 1, last + 1_500)]
    rows.append('<row r="1048576" s="1" customFormat="1"/>')
    cols = '<cols><col min="1" max="16384" width="14" style="1" customWidth="1"/></cols>'
    return workbook(sheet_xml(rows, dimension="A1:XFD1048576", tail="").replace("<sheetData>", cols + "<sheetData>"))
