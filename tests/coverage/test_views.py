"""The region page's coverage card and the UCJ % of its children: figures in Indonesian format,
sources, plain sentences for missing figures, scope and query count."""

import datetime as dt
import re

import pytest

from tests.coverage.conftest import BANGKALAN, DAY, SOCAH, VILLAGE, counts, target, workforce
from ucj.coverage import engine
from ucj.models import Region

pytestmark = pytest.mark.django_db
BADUNG = "51.03"
FIGURE_DAY = DAY - dt.timedelta(days=23)


def recalc(*codes, subtree=False):
    return engine.recalculate_regions(codes, day=DAY, subtree=subtree)


def page(client, user, code, *, english=False) -> str:
    client.force_login(user)
    if english:
        client.cookies["ucj_language"] = "en"
    response = client.get(f"/regions/{code}/")
    assert response.status_code == 200
    return response.content.decode()


def card(html: str) -> str:
    """The coverage card's text, tags removed and spaces collapsed."""
    start = html.index('class="card mb-3 coverage-card"')
    end = html.index("</section>", start)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html[start:end]))


def row(html: str, code: str) -> str:
    """The text of a child's row in the sub-regions table."""
    start = html.index(f'<td class="hide-sm">{code}</td>')
    end = html.index("</tr>", start)
    return re.sub(r"\s+", " ", html[start:end])


def district_codes():
    return list(Region.objects.filter(parent_id=BANGKALAN).order_by("code").values_list("code", flat=True))


@pytest.fixture
def bangkalan():
    workforce(BANGKALAN, 500_000)
    counts(BANGKALAN, 71_500, pu=41_000, bpu=30_500, as_of=dt.date(2025, 3, 14), source="beritadata.id")
    target(BANGKALAN, "52.15")
    recalc(BANGKALAN)


def test_the_card_shows_the_coverage_in_indonesian_format(client, clerk, bangkalan):
    text = card(page(client, clerk, BANGKALAN))
    assert "14,30 %" in text
    assert "71.500" in text and "500.000" in text and "(2025)" in text  # numerator ÷ denominator (year)
    assert "52,15 %" in text and "37,85" in text and "189.250" in text  # target, gap in points and people
    assert "PU 41.000" in text and "BPU 30.500" in text and "Jakon" not in text  # segments known only
    assert "per 23 Nov 2026" in text  # the snapshot's date ("as of")
    assert "beritadata.id" in text and "14 Mar 2025" in text  # BPJS's source and date
    assert "BPS Sakernas Agustus 2025" in text and "31 Agu 2025" in text
    assert "2.025" not in text  # years are not numbers with separators


def test_the_card_gives_the_band_as_a_coloured_badge_and_the_sources(client, clerk, bangkalan):
    html = page(client, clerk, BANGKALAN, english=True)
    assert '<span class="badge text-bg-danger">very low (sangat rendah)</span>' in html
    text = card(html)
    assert "14.30 %" in text and "as of 23 Nov 2026" in text
    assert "Working people: 500,000 · BPS Sakernas Agustus 2025, 31 Aug 2025" in text
    assert "BPJS active participants: 71,500 · beritadata.id, as of 14 Mar 2025" in text
    assert "Target: 52.15 % · Kemendagri, 2 Jan 2025" in text
    assert "gap of 37.85 points: 189,250 people still to enroll" in text
    assert "No target" not in text and "alert-warning" not in html.split("coverage-card", 1)[1].split("</section>")[0]


def test_a_region_past_its_target_is_said_to_be_ahead(client, outsider):
    workforce(BADUNG, 1_000)
    counts(BADUNG, 700)
    target(BADUNG, "60")
    recalc(BADUNG)
    text = card(page(client, outsider, BADUNG, english=True))
    assert "70.00 %" in text and "ahead of target by 10.00 points (100 people)" in text
    assert "-10" not in text


def test_missing_figures_are_said_in_plain_sentences(client, clerk):
    districts = district_codes()
    for code in districts[3:]:  # 3 of the 18 districts have no figures
        workforce(code, 20_000)
        counts(code, 3_000)
    recalc(BANGKALAN, subtree=True)
    html = page(client, clerk, BANGKALAN, english=True)
    text = card(html)
    assert "No working-population estimate: 3 of 18 districts have none." in text
    assert "No BPJS figure: 3 of 18 districts have none." in text
    assert "No target." in text
    # The districts with figures show their UCJ %; the others a dash, no invented number.
    assert "15.00 %" in row(html, districts[3]) and "very low" in row(html, districts[3])
    assert "—" in row(html, districts[0]) and "%" not in row(html, districts[0])


def test_a_sum_of_districts_is_named_as_such(client, clerk):
    for code in district_codes():
        workforce(code, 20_000)
        counts(code, 3_000, as_of=dt.date(2025, 3, 31))
    recalc(BANGKALAN, subtree=True)
    text = card(page(client, clerk, BANGKALAN, english=True))
    assert "Working people: 360,000 · sum of 18 districts (estimates of 2025)" in text
    assert "BPJS active participants: 54,000 · sum of 18 districts (figures as of 31 Mar 2025)" in text
    assert "15.00 %" in text


def test_the_card_counts_ucj_participants_and_the_change_since_bpjs(client, clerk, batch_in_state):
    workforce(BANGKALAN, 500_000)
    counts(BANGKALAN, 71_500, as_of=FIGURE_DAY)
    batch = batch_in_state("active", members=3)
    batch.members.update(covered_from=DAY, covered_until=DAY + dt.timedelta(days=90))
    engine.recalculate_stale(day=DAY)
    text = card(page(client, clerk, BANGKALAN, english=True))
    assert "71,503 active participants" in text
    assert "3 participants active through UCJ batches" in text
    assert "change since BPJS's figure of 31 Oct 2026: +3" in text
    village = card(page(client, clerk, VILLAGE, english=True))
    assert "3 participants active through UCJ batches" in village and "No BPJS figure." in village


def test_the_children_table_shows_ucj_percent_and_band_beside_the_village_counts(client, clerk):
    workforce(SOCAH, 40_000)
    counts(SOCAH, 6_000)
    recalc(SOCAH)
    html = page(client, clerk, BANGKALAN)
    socah = row(html, SOCAH)
    assert "15,00 %" in socah and "text-bg-danger" in socah
    assert '<td class="num">11</td>' in socah  # its desa, kept
    assert "UCJ %" in html


def test_a_region_never_computed_says_so(client, clerk):
    text = card(page(client, clerk, SOCAH, english=True))
    assert "Coverage has not been computed for this region yet." in text
    assert "%" not in text


@pytest.mark.parametrize("code", [BANGKALAN, SOCAH, VILLAGE])
def test_an_outsider_gets_404(client, outsider, bangkalan, code):
    client.force_login(outsider)
    assert client.get(f"/regions/{code}/").status_code == 404


def test_query_count_does_not_grow_with_the_children(client, clerk, django_assert_max_num_queries):
    for code in district_codes():
        workforce(code, 20_000)
        counts(code, 3_000, pu=1_000, bpu=2_000)
    recalc(BANGKALAN, subtree=True)
    client.force_login(clerk)
    with django_assert_max_num_queries(12):  # 10 today; one per child would be 28 and more
        response = client.get(f"/regions/{BANGKALAN}/")
    assert response.content.decode().count("15,00 %") == 19  # the regency and its 18 districts
