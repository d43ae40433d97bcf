"""Exports of a progress page: XLSX and CSV of the children table and of the headline equal
`progress_export`'s rows and what the page shows, numbers stay numbers, text cannot run as a
formula, and scope applies as on the page."""

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from tests.progress.test_views import (
    BANGKALAN,
    JAWA_TIMUR,
    SAMPANG,
    SUMENEP,
    cell,
    child_row,
    get,
    jawa_timur,  # noqa: F401
    number,
    snap,
)
from tests.ucj.test_sheet_writers import HOSTILE, as_xml_keeps_it, csv_cells, exposed_pieces, xlsx_texts
from ucj.models import Region
from ucj.progress import selectors
from ucj.sheet_writers import guard_text

pytestmark = pytest.mark.django_db

URL = f"/progress/{JAWA_TIMUR}/export/"


def export(client, user, code=JAWA_TIMUR, **params):
    client.force_login(user)
    return client.get(f"/progress/{code}/export/", params)


def xlsx_rows(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def csv_rows(response) -> list[list[str]]:
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def label(msgid: str) -> str:
    """A column or row label as the exports write it by default (in Indonesian where translated)."""
    with translation.override("id"):
        return gettext(msgid)


def as_xlsx(value):
    """What a selector value becomes in a spreadsheet read back by openpyxl."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if value == "":
        return None
    return value


def as_csv(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(value).replace(".", ",")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def test_the_children_xlsx_equals_the_selector_rows_with_numbers_as_numbers(client, supervisor, jawa_timur):  # noqa: F811
    data = selectors.progress_export(region=Region.objects.get(code=JAWA_TIMUR))
    response = export(client, supervisor, what="children", **{"as": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")
    today = timezone.localdate().isoformat()
    assert f'filename="progress-35-children-{today}.xlsx"' in response["Content-Disposition"]
    rows = xlsx_rows(response)
    assert rows[0] == data["children"]["columns"]
    assert rows[1:] == [[as_xlsx(v) for v in row] for row in data["children"]["rows"]]
    assert rows[1][0] == SUMENEP and rows[1][2] == 31.25 and isinstance(rows[1][6], int)
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["C2"].number_format == "#,##0.00" and sheet["G2"].number_format == "#,##0"


def test_the_children_csv_equals_the_selector_rows_in_indonesian_excel_form(client, supervisor, jawa_timur):  # noqa: F811
    data = selectors.progress_export(region=Region.objects.get(code=JAWA_TIMUR))
    response = export(client, supervisor, what="children", **{"as": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].endswith('.csv"')
    rows = csv_rows(response)
    assert rows[0] == [str(c) for c in data["children"]["columns"]]
    assert rows[1:] == [[as_csv(v) for v in row] for row in data["children"]["rows"]]
    assert rows[1][:3] == [SUMENEP, "Kabupaten Sumenep", "31,25"]  # decimal comma, ";" between cells


def test_the_exported_children_match_the_page_in_the_same_order(client, supervisor, jawa_timur):  # noqa: F811
    page = get(client, supervisor, f"/progress/{JAWA_TIMUR}/", sort="gap_points", dir="asc").content.decode()
    on_page = re.findall(r'<tr data-code="([0-9.]+)"', page)
    response = export(client, supervisor, what="children", sort="gap_points", dir="asc", **{"as": "xlsx"})
    rows = xlsx_rows(response)[1:]
    assert [row[0] for row in rows] == on_page
    columns = xlsx_rows(response)[0]
    percent, gap_points, gap_people = (columns.index(label(n)) for n in ("UCJ %", "Gap (points)", "Gap (people)"))
    for row in rows[:4]:
        html_row = child_row(page, row[0])
        assert cell(html_row, "percent") == f"{number(Decimal(str(row[percent])), 2)} %"
        assert cell(html_row, "gap_points") == number(Decimal(str(row[gap_points])), 2)
        assert cell(html_row, "gap_people") == number(row[gap_people])
    marks = {row[0]: row[-1] for row in rows}
    assert marks[SUMENEP] == label("best") and marks[SAMPANG] == label("worst") and marks[BANGKALAN] in ("", None)


def test_the_headline_exports_equal_the_selector_rows(client, supervisor, jawa_timur):  # noqa: F811
    data = selectors.progress_export(region=Region.objects.get(code=BANGKALAN))
    xlsx = export(client, supervisor, BANGKALAN, what="headline", **{"as": "xlsx"})
    assert f"progress-{BANGKALAN}-headline-" in xlsx["Content-Disposition"]
    rows = xlsx_rows(xlsx)
    assert rows[1:] == [[label, as_xlsx(value)] for label, value in data["headline"]]
    values = dict(rows[1:])
    assert values[label("UCJ %")] == 14.3 and values[label("Active participants")] == 71_500
    lines = csv_rows(export(client, supervisor, BANGKALAN, what="headline", **{"as": "csv"}))
    assert lines[1:] == [[label, as_csv(value)] for label, value in data["headline"]]
    assert [label("UCJ %"), "14,30"] in lines


def test_the_headline_export_matches_the_page(client, supervisor, jawa_timur):  # noqa: F811
    page = get(client, supervisor, f"/progress/{BANGKALAN}/").content.decode()
    values = dict(xlsx_rows(export(client, supervisor, BANGKALAN, what="headline", **{"as": "xlsx"}))[1:])
    assert f'id="headline-percent">{number(Decimal(str(values[label("UCJ %")])), 2)} %<' in page
    assert f'id="headline-target">{number(Decimal(str(values[label("Target %")])), 2)} %<' in page
    assert number(values[label("Active participants")]) in page and number(values[label("Working people")]) in page


def test_text_cells_cannot_run_as_formulas_and_keep_their_text(client, clerk):
    """Region names from tests/ucj/test_sheet_writers.HOSTILE: the CSV has no piece that starts a
    formula for any reader (and shows each name with at most an apostrophe before a formula
    character), the XLSX holds each name exactly as a string cell; a negative gap stays a number."""
    codes = [f"35.26.02.99{i:02d}" for i in range(len(HOSTILE))]
    for code, name in zip(codes, HOSTILE, strict=True):
        Region.objects.create(code=code, name=name, level=Region.Level.VILLAGE, kind="desa", parent_id="35.26.02")
        snap(code, "60.00")  # above its target: a negative gap
    headline = [str(Region.objects.get(code=codes[1]))]  # "Desa Budi,=cmd|' /C calc'!A0"
    for what, code, names in (("children", "35.26.02", HOSTILE), ("headline", codes[1], headline)):
        texts = xlsx_texts(export(client, clerk, code, what=what, **{"as": "xlsx"}).content)
        assert set(map(as_xml_keeps_it, names)) <= set(texts), what
        content = export(client, clerk, code, what=what, **{"as": "csv"}).content
        assert exposed_pieces(content) == [], what
        cells = csv_cells(content)
        assert {guard_text(name) for name in names} <= set(cells), what
    assert "-7,85" in cells  # the headline's gap: a number, written plain


@pytest.mark.parametrize(
    "params",
    [{"what": "everything", "as": "xlsx"}, {"what": "children", "as": "pdf"}, {"what": "children", "sort": "budget"}],
)
def test_an_unknown_export_is_a_400_page(client, supervisor, params):
    response = export(client, supervisor, **params)
    assert response.status_code == 400 and "bad-request-message" in response.content.decode()


def test_exports_are_404_outside_the_users_regions_and_need_a_login(client, supervisor, outsider):
    assert export(client, supervisor, "51", what="children", **{"as": "csv"}).status_code == 404
    for what in ("children", "headline"):
        for fmt in ("xlsx", "csv"):
            assert export(client, outsider, BANGKALAN, what=what, **{"as": fmt}).status_code == 404
    client.logout()
    response = client.get(f"{URL}?what=children&as=csv")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_page_offers_every_export_in_its_current_order(client, supervisor, jawa_timur):  # noqa: F811
    page = get(client, supervisor, f"/progress/{JAWA_TIMUR}/", sort="name", dir="asc").content.decode()
    links = re.findall(r'class="dropdown-item export-link" href="([^"]+)"', page)
    assert len(links) == 4
    for link in links:
        assert "sort=name" in link and "dir=asc" in link
        assert client.get(link.replace("&amp;", "&")).status_code == 200
