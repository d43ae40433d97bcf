"""GET /api/v1/coverage/{code}/ (DESIGN §4): a region's current snapshot with its children's, the
history with `?history=1`, scope, and a query count that does not grow with the children."""

import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from tests.coverage.conftest import BANGKALAN, DAY, SOCAH, VILLAGE, counts, target, workforce
from ucj.coverage import engine
from ucj.models import ROOT_CODE, CoverageBand, CoverageSnapshot, Region

pytestmark = pytest.mark.django_db
BADUNG = "51.03"
NULL_FIGURES = [
    "computed_at",
    "workforce",
    "workforce_year",
    "active",
    "ucj_active",
    "ucj_change",
    "bpjs_as_of",
    "percent",
    "target_percent",
    "target_year",
    "gap_points",
    "gap_people",
    "band",
    "band_label",
]


def recalc(*codes, day=DAY, subtree=False):
    return engine.recalculate_regions(codes, day=day, subtree=subtree)


def get(api_client, user, code, **params):
    api_client.force_authenticate(user)
    return api_client.get(f"/api/v1/coverage/{code}/", params, HTTP_ACCEPT_LANGUAGE="en")


def body_of(response) -> dict:
    assert response.status_code == 200, response.content
    return json.loads(response.content)


def district_codes(regency=BANGKALAN):
    return list(Region.objects.filter(parent_id=regency).order_by("code").values_list("code", flat=True))


# --- Fields and values ----------------------------------------------------------------------------


def test_bangkalan_after_a_recalculation_gives_every_contract_field(api_client, clerk):
    workforce(BANGKALAN, 500_000)
    counts(BANGKALAN, 71_500, pu=41_000, bpu=30_500)
    target(BANGKALAN, "52.15")
    recalc(BANGKALAN)
    body = body_of(get(api_client, clerk, BANGKALAN))
    assert (body["code"], body["name"], body["level"]) == ("35.26", "Kabupaten Bangkalan", 2)
    assert body["as_of"] == DAY.isoformat() and body["computed_at"]
    assert (body["workforce"], body["workforce_year"], body["active"]) == (500_000, 2025, 71_500)
    assert body["segments"] == {"pu": 41_000, "bpu": 30_500, "jakon": None, "pmi": None}
    assert (body["ucj_active"], body["ucj_change"], body["bpjs_as_of"]) == (0, 0, "2025-03-31")
    # Decimals are JSON numbers, not strings.
    assert body["percent"] == 14.3 and isinstance(body["percent"], float)
    assert (body["target_percent"], body["target_year"]) == (52.15, 2025)
    assert body["gap_points"] == 37.85
    # 52.15 % of 500,000 is 260,750 people: 189,250 more than the 71,500 active.
    assert body["gap_people"] == 189_250
    assert body["band"] == "sangat_rendah"
    with translation.override("en"):
        assert body["band_label"] == str(CoverageBand.SANGAT_RENDAH.label)
    stored = CoverageSnapshot.objects.get(region_id=BANGKALAN, is_current=True)
    assert body["sources"] == stored.sources and [s["figure"] for s in body["sources"]] == [
        "workforce",
        "bpjs",
        "ucj",
        "target",
    ]
    assert body["missing"] == []
    assert "history" not in body


def test_children_are_listed_by_code_including_those_never_computed(api_client, clerk):
    workforce(SOCAH, 40_000)
    counts(SOCAH, 6_000)
    recalc(SOCAH)  # Socah and its ancestors; the other districts have no snapshot
    body = body_of(get(api_client, clerk, BANGKALAN))
    children = body["children"]
    assert [c["code"] for c in children] == district_codes()
    assert len(children) == 18
    socah = next(c for c in children if c["code"] == SOCAH)
    assert (socah["name"], socah["level"], socah["as_of"]) == ("Socah", 3, DAY.isoformat())
    assert (socah["workforce"], socah["active"], socah["percent"]) == (40_000, 6_000, 15.0)
    assert {"figure": "target"} in socah["missing"]
    never = [c for c in children if c["code"] != SOCAH]
    for child in never:
        assert child["as_of"] is None
        assert all(child[field] is None for field in NULL_FIGURES), child
        assert child["segments"] == {"pu": None, "bpu": None, "jakon": None, "pmi": None}
        assert child["missing"] == [{"figure": "snapshot"}] and child["sources"] == []
    # Children come without their own children.
    assert all("children" not in c and "history" not in c for c in children)
    # The regency itself was computed as Socah's ancestor and says what it lacks.
    missing = {m["figure"]: m for m in body["missing"]}
    assert (missing["workforce"]["children"], missing["workforce"]["children_without"]) == (18, 17)


def test_a_region_never_computed_says_so_and_invents_nothing(api_client, clerk):
    body = body_of(get(api_client, clerk, SOCAH))
    assert (body["code"], body["as_of"], body["missing"]) == (SOCAH, None, [{"figure": "snapshot"}])
    assert all(body[field] is None for field in NULL_FIGURES)
    assert len(body["children"]) == 11  # Socah's villages


def test_the_national_root_lists_the_provinces(api_client, admin_user):
    workforce("35", 21_000_000)
    counts("35", 6_300_000)
    recalc("35")
    body = body_of(get(api_client, admin_user, ROOT_CODE))
    assert (body["code"], body["level"], body["as_of"]) == (ROOT_CODE, 0, DAY.isoformat())
    assert [c["code"] for c in body["children"]] == ["35", "51"]  # the test database's provinces
    assert body["children"][0]["percent"] == 30.0 and body["children"][1]["as_of"] is None


# --- History ----------------------------------------------------------------------------------------


@pytest.fixture
def three_days():
    """Bangkalan computed on three days, twice on the middle one (a target added in between)."""
    workforce(BANGKALAN, 500_000)
    counts(BANGKALAN, 50_000, as_of=DAY - dt.timedelta(days=2))
    recalc(BANGKALAN, day=DAY - dt.timedelta(days=2))
    counts(BANGKALAN, 60_000, as_of=DAY - dt.timedelta(days=1))
    recalc(BANGKALAN, day=DAY - dt.timedelta(days=1))
    target(BANGKALAN, "30", year=DAY.year)
    recalc(BANGKALAN, day=DAY - dt.timedelta(days=1))
    counts(BANGKALAN, 70_000, as_of=DAY)
    recalc(BANGKALAN, day=DAY)


def test_history_has_one_point_per_day_oldest_first(api_client, clerk, three_days):
    body = body_of(get(api_client, clerk, BANGKALAN, history=1))
    history = body["history"]
    assert [p["date"] for p in history] == [(DAY - dt.timedelta(days=n)).isoformat() for n in (2, 1, 0)]
    assert [p["percent"] for p in history] == [10.0, 12.0, 14.0]
    assert [p["active"] for p in history] == [50_000, 60_000, 70_000]
    # The second recalculation of the middle day replaced its point (it has the target).
    assert [p["target_percent"] for p in history] == [None, 30.0, 30.0]
    assert set(history[0]) == {"date", "percent", "active", "workforce", "target_percent", "ucj_active"}
    assert history[-1]["percent"] == body["percent"] and body["as_of"] == DAY.isoformat()


def test_history_since_a_day(api_client, clerk, three_days):
    since = (DAY - dt.timedelta(days=1)).isoformat()
    body = body_of(get(api_client, clerk, BANGKALAN, history=1, since=since))
    assert [p["date"] for p in body["history"]] == [since, DAY.isoformat()]
    later = body_of(get(api_client, clerk, BANGKALAN, history="true", since="2030-01-01"))
    assert later["history"] == []


def test_without_history_there_is_no_series(api_client, clerk, three_days):
    assert "history" not in body_of(get(api_client, clerk, BANGKALAN))
    assert "history" not in body_of(get(api_client, clerk, BANGKALAN, history=0))


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"history": 1, "since": "23-11-2026"}, "since"),
        ({"history": 1, "since": "2026-13-01"}, "since"),
        ({"history": 1, "since": "yesterday"}, "since"),
        ({"history": "maybe"}, "history"),
    ],
)
def test_a_bad_query_is_a_400_that_names_the_parameter(api_client, clerk, params, field):
    response = get(api_client, clerk, BANGKALAN, **params)
    assert response.status_code == 400
    body = response.json()
    assert body["detail"].startswith(f"{field}:")
    assert field in body["errors"]


# --- Who may read it ------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [BANGKALAN, SOCAH, VILLAGE, "35", ROOT_CODE])
def test_an_outsider_gets_404_on_bangkalan_and_everything_around_it(api_client, outsider, code):
    recalc(VILLAGE)  # the snapshots exist: the 404 is the scope's, not a missing row's
    assert get(api_client, outsider, code).status_code == 404


def test_an_outsider_reads_their_own_regency(api_client, outsider):
    assert body_of(get(api_client, outsider, BADUNG))["code"] == BADUNG


def test_an_officer_reads_their_districts_not_the_regency(api_client, officer):
    assert get(api_client, officer, BANGKALAN).status_code == 404
    assert body_of(get(api_client, officer, SOCAH))["code"] == SOCAH
    assert get(api_client, officer, "35.26.05").status_code == 404


def test_an_unknown_code_is_404(api_client, admin_user):
    assert get(api_client, admin_user, "35.99").status_code == 404


def test_anonymous_is_refused(api_client):
    response = api_client.get(f"/api/v1/coverage/{BANGKALAN}/")
    assert response.status_code == 401
    assert "detail" in response.json()


# --- Cost and schema ------------------------------------------------------------------------------


def test_query_count_does_not_grow_with_the_children(api_client, clerk, django_assert_max_num_queries):
    for i, code in enumerate(district_codes()):
        workforce(code, 20_000 + i)
        counts(code, 3_000 + i, pu=1_000, bpu=2_000 + i)
    recalc(BANGKALAN, subtree=True)  # the regency's 18 districts and 281 villages
    api_client.force_authenticate(clerk)
    with django_assert_max_num_queries(8):
        body = body_of(api_client.get(f"/api/v1/coverage/{BANGKALAN}/", {"history": 1}))
    assert len(body["children"]) == 18 and all(c["percent"] for c in body["children"])
    # The same number of queries for a regency of 18 districts as for a district of 11 villages.
    with CaptureQueriesContext(connection) as regency:
        api_client.get(f"/api/v1/coverage/{BANGKALAN}/", {"history": 1})
    with CaptureQueriesContext(connection) as district:
        api_client.get(f"/api/v1/coverage/{SOCAH}/", {"history": 1})
    assert len(regency) == len(district)


def test_the_schema_describes_the_coverage_endpoint(api_client, clerk):
    api_client.force_authenticate(clerk)
    schema = api_client.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/coverage/{code}/"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"code", "history", "since"}
    assert set(operation["responses"]) == {"200", "400", "404"}
    detail = schema["components"]["schemas"]["CoverageDetail"]
    contract = {"code", "name", "level", "as_of", "workforce", "active", "segments", "percent"}
    contract |= {"target_percent", "gap_points", "gap_people", "band", "sources", "children"}
    assert contract <= set(detail["properties"]) <= set(detail["required"]) | {"history"}
    assert detail["properties"]["percent"]["type"] == "number"
