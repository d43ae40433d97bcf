"""Files of a progress page: the headline and the children table as XLSX and CSV.

They are written from `selectors.progress_export`, the same rows the page shows, and do no
arithmetic of their own. XLSX keeps numbers as numbers (with a grouped number format, which Excel
shows with the reader's separators: 1.873.899 and 58,68 in Indonesian); CSV is what an Indonesian
Excel opens with a double click: UTF-8 with a BOM, `;` between cells, a decimal comma. Both are
written by `ucj.sheet_writers`, so a region or source name is text and cannot run as a formula.
"""

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from ucj.models import Region
from ucj.sheet_writers import csv_bytes, xlsx_row

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"

INTEGER_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.00"
DATE_FORMAT = "dd/mm/yyyy"


@dataclass
class Table:
    headers: list[str]
    rows: list[list]


def sheet_of(data: dict, what: str) -> Table:
    """The headline as two columns (figure, value) or the children table, from progress_export."""
    if what == "headline":
        return Table(headers=[_("Figure"), _("Value")], rows=[[label, value] for label, value in data["headline"]])
    children = data["children"]
    return Table(headers=list(children["columns"]), rows=[list(row) for row in children["rows"]])


def filename(*, region: Region, what: str, day: dt.date, fmt: str) -> str:
    return f"progress-{region.code}-{what}-{day.isoformat()}.{fmt}"


def _plain(value):
    """What a cell holds: numbers and dates as they are, everything else as text."""
    if isinstance(value, bool):
        return str(value)
    return value


def to_xlsx(table: Table, *, title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(xlsx_row(sheet, [str(header) for header in table.headers]))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table.rows:
        sheet.append(xlsx_row(sheet, [_plain(value) for value in row]))
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            value = cell.value
            if isinstance(value, bool):
                continue
            if isinstance(value, int):
                cell.number_format = INTEGER_FORMAT
            elif isinstance(value, float | Decimal):
                cell.number_format = DECIMAL_FORMAT
            elif isinstance(value, dt.date):
                cell.number_format = DATE_FORMAT
    for index, header in enumerate(table.headers, start=1):
        width = max([len(str(header))] + [len(str(row[index - 1])) for row in table.rows if index - 1 < len(row)])
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = min(max(width + 2, 10), 60)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def to_csv(table: Table) -> bytes:
    return csv_bytes([[str(header) for header in table.headers], *table.rows])
