"""Progress selectors: the headline (change since last month, segments, coverage by occupation),
the trend, the children table (best and worst, sorting, outreach and pipeline per child), what
moves coverage (outreach, pipeline, budget, compliance), the exports' rows, the occupation
figures' import, and bounded query counts."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enrollment import services as enrollment_services
from enrollment.models import (
    BatchKind,
    BatchState,
    CaseOutcome,
    CaseState,
    ComplianceCase,
    ComplianceStatus,
    Employer,
    EnrollmentBatch,
    Finding,
    FundingAllocation,
    FundingSource,
    MemberState,
)
from outreach.models import EventKind
from tests.enrollment.conftest import on_day
from tests.progress.conftest import (
    BADUNG_VILLAGE,
    BANGKALAN,
    DAY,
    KOTA_BANGKALAN,
    KOTA_VILLAGE,
    MONTH_START,
    PAMEKASAN,
    PAMEKASAN_VILLAGE,
    SOCAH,
    SOCAH_VILLAGES,
    batch,
    event,
    snapshot,
)
from ucj import demo
from ucj.coverage import facts
from ucj.errors import ValidationFailed
from ucj.models import (
    ROOT_CODE,
    AuditEvent,
    CoverageSnapshot,
    MembershipCount,
    OccupationFigure,
    OccupationGroup,
    Region,
    StaleRegion,
)
from ucj.progress import selectors
from ucj.services import regions_load

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2025, 3, 14)


def region(code) -> Region:
    return Region.objects.get(code=code)


def figure(code, occupation, workers, covered, *, as_of=AS_OF, source="BPS / BPJS demo"):
    return OccupationFigure.objects.create(
        region_id=code, as_of=as_of, occupation=occupation, workers=workers, covered=covered, source=source
    )


def rows_by_code(rows):
    return {row.region.code: row for row in rows}


# --- Headline -------------------------------------------------------------------------------------


def test_headline_change_is_against_the_newest_snapshot_before_the_first_of_the_month():
    snapshot(BANGKALAN, dt.date(2026, 9, 30), "10.00", active=1_000)
    snapshot(BANGKALAN, dt.date(2026, 10, 31), "12.50", active=1_250)
    snapshot(BANGKALAN, dt.date(2026, 11, 5), "13.90", active=1_390)  # this month: not the reference
    current = snapshot(BANGKALAN, dt.date(2026, 11, 22), "14.30", current=True, active=1_430, workforce=10_000)

    headline = selectors.progress_headline(region=region(BANGKALAN), day=DAY)

    assert headline.snapshot.pk == current.pk
    assert headline.previous.date == dt.date(2026, 10, 31)
    assert headline.change_points == Decimal("1.80")
    assert headline.change_active == 180
    assert headline.month_start == MONTH_START


def test_headline_without_an_earlier_snapshot_has_no_change():
    snapshot(BANGKALAN, dt.date(2026, 11, 2), "14.30", current=True, active=1_430)

    headline = selectors.progress_headline(region=region(BANGKALAN), day=DAY)

    assert headline.previous is None
    assert headline.change_points is None
    assert headline.change_active is None


def test_headline_never_compares_a_snapshot_that_predates_the_month_with_itself():
    snapshot(BANGKALAN, dt.date(2026, 10, 20), "12.00", active=1_200)
    current = snapshot(BANGKALAN, dt.date(2026, 10, 31), "12.50", current=True, active=1_250)  # not yet recomputed

    headline = selectors.progress_headline(region=region(BANGKALAN), day=DAY)
    child = rows_by_code(selectors.progress_children(region=region("35"), day=DAY))[BANGKALAN]

    assert headline.previous.date == dt.date(2026, 10, 20) and headline.previous.pk != current.pk
    assert headline.change_points == Decimal("0.50")
    assert child.change_points == Decimal("0.50")


def test_headline_of_a_region_never_computed_is_empty_but_complete():
    headline = selectors.progress_headline(region=region(BANGKALAN), day=DAY)

    assert headline.snapshot is None
    assert headline.card.snapshot is None
    assert headline.previous is None
    assert headline.segments == []
    assert headline.occupations == []


def test_headline_segments_are_the_snapshots_in_bpjs_order_with_unknown_ones_as_none():
    snapshot(BANGKALAN, DAY, "14.30", current=True, active=71_500, pu=41_000, bpu=30_500)

    segments = selectors.progress_headline(region=region(BANGKALAN), day=DAY).segments

    assert [(s.code, s.short, s.value) for s in segments] == [
        ("pu", "PU", 41_000),
        ("bpu", "BPU", 30_500),
        ("jakon", "Jakon", None),
        ("pmi", "PMI", None),
    ]


def test_headline_percent_and_card_come_from_the_same_current_snapshot():
    snapshot(BANGKALAN, dt.date(2026, 11, 1), "9.00")
    snapshot(BANGKALAN, DAY, "14.30", current=True, target_percent="20.00", gap_points="5.70", gap_people=28_500)

    headline = selectors.progress_headline(region=region(BANGKALAN), day=DAY)

    assert headline.snapshot.percent == Decimal("14.30")
    assert headline.card.snapshot.pk == headline.snapshot.pk
    assert headline.card.gap == {"state": "behind", "points": Decimal("5.70"), "people": 28_500}
    assert headline.card.band_label  # 14.30 % is "sangat rendah" with the default bands


# --- Coverage by occupation -----------------------------------------------------------------------


def test_occupation_percent_adds_ucj_members_who_started_after_the_figure_and_not_before(creator):
    figure(BANGKALAN, OccupationGroup.FARMER, 100, 40)
    figure(BANGKALAN, OccupationGroup.FISHER, 50, 45)
    after = (dt.date(2025, 6, 1), dt.date(2026, 12, 31))
    # Three farmers enrolled after the figure and counting on the day: added.
    batch(creator, BatchState.ACTIVE, [SOCAH_VILLAGES[0]] * 3, covered=after)
    # Two farmers counting since before the figure: in BPJS's count already, not added.
    before = (dt.date(2025, 1, 1), dt.date(2026, 12, 31))
    batch(creator, BatchState.ACTIVE, [SOCAH_VILLAGES[1]] * 2, covered=before)
    # A farmer counting on the figure's date whose protection lapsed since: one fewer.
    batch(creator, BatchState.ACTIVE, [KOTA_VILLAGE], covered=(dt.date(2025, 1, 1), dt.date(2026, 6, 30)))
    # A farmer who started after the figure and stopped before the day: neither.
    batch(creator, BatchState.ACTIVE, [KOTA_VILLAGE], covered=(dt.date(2025, 6, 1), dt.date(2026, 6, 30)))
    # Not farmers of Bangkalan's vulnerable workers: a fisher, a village official, a Pamekasan farmer.
    batch(creator, BatchState.ACTIVE, [SOCAH_VILLAGES[2]], covered=after, group=OccupationGroup.FISHER)
    batch(creator, BatchState.ACTIVE, [SOCAH_VILLAGES[2]], covered=after, kind=BatchKind.VILLAGE_OFFICIALS)
    batch(creator, BatchState.ACTIVE, [PAMEKASAN_VILLAGE], covered=after, regency=PAMEKASAN)

    rows = {row.group: row for row in selectors.progress_headline(region=region(BANGKALAN), day=DAY).occupations}

    farmers = rows[OccupationGroup.FARMER]
    assert (farmers.workers, farmers.covered, farmers.ucj_added, farmers.covered_now) == (100, 40, 2, 42)
    assert farmers.percent == Decimal("42.00")
    assert farmers.as_of == AS_OF
    assert farmers.source == "BPS / BPJS demo"
    fishers = rows[OccupationGroup.FISHER]
    assert (fishers.ucj_added, fishers.percent) == (1, Decimal("92.00"))


def test_occupations_take_now_from_the_current_snapshot_and_the_figures_day_from_the_members(
    creator, django_assert_num_queries
):
    figure(BANGKALAN, OccupationGroup.FARMER, 100, 40)
    # Two farmers counting on the figure's date (and still now); the snapshot of the day counts 7.
    batch(creator, BatchState.ACTIVE, [SOCAH_VILLAGES[0]] * 2, covered=(dt.date(2025, 1, 1), dt.date(2026, 12, 31)))
    current = snapshot(BANGKALAN, DAY, "14.30", current=True, occupations={OccupationGroup.FARMER: 7})
    bangkalan = region(BANGKALAN)

    # The figures, then the members counting on the figure's date; the snapshot stands for now.
    with django_assert_num_queries(2):
        (farmers,) = selectors.progress_occupations(region=bangkalan, day=DAY, snapshot=current)
    assert (farmers.ucj_added, farmers.covered_now) == (5, 45)
    # The figure's date is past: its count comes from the cache the second time.
    with django_assert_num_queries(1):
        selectors.progress_occupations(region=bangkalan, day=DAY, snapshot=current)
    # A snapshot older than the count by occupation: now is counted from the members.
    current.occupations = None
    (farmers,) = selectors.progress_occupations(region=bangkalan, day=DAY, snapshot=current)
    assert farmers.ucj_added == 0


def test_occupations_take_the_latest_figure_up_to_the_day_in_the_groups_order():
    figure(BANGKALAN, OccupationGroup.FISHER, 9_000, 8_650)
    figure(BANGKALAN, OccupationGroup.FARMER, 40_000, 16_000, as_of=dt.date(2024, 8, 31))
    figure(BANGKALAN, OccupationGroup.FARMER, 40_000, 18_400)
    figure(BANGKALAN, OccupationGroup.FARMER, 41_000, 30_000, as_of=DAY + dt.timedelta(days=1))  # after the day

    rows = selectors.progress_occupations(region=region(BANGKALAN), day=DAY)

    assert [(r.group, r.covered, r.percent) for r in rows] == [
        (OccupationGroup.FARMER, 18_400, Decimal("46.00")),
        (OccupationGroup.FISHER, 8_650, Decimal("96.11")),
    ]


def test_occupation_coverage_never_exceeds_the_workers(monkeypatch):
    figure(BANGKALAN, OccupationGroup.FISHER, 9_000, 8_990)
    monkeypatch.setattr(
        selectors.enrollment_selectors,
        "coverage_active_by_occupation",
        lambda *, region_code, day: {OccupationGroup.FISHER: 25} if day == DAY else {},
    )

    (row,) = selectors.progress_occupations(region=region(BANGKALAN), day=DAY)

    assert (row.ucj_added, row.covered_now, row.percent) == (25, 9_000, Decimal("100.00"))


def test_occupations_are_the_regions_own_figures_only():
    figure(SOCAH, OccupationGroup.FARMER, 4_000, 1_000)

    assert selectors.progress_occupations(region=region(BANGKALAN), day=DAY) == []
    assert len(selectors.progress_occupations(region=region(SOCAH), day=DAY)) == 1


def test_demo_occupation_figures_say_what_the_report_says_and_fit_inside_bpjs_bpu():
    regions_load(provinces=["17"])  # Bengkulu: the demo's figures name it too
    demo.coverage_facts(log=lambda *args: None)
    demo.coverage_facts(log=lambda *args: None)  # idempotent

    rows = {r.group: r for r in selectors.progress_occupations(region=region(BANGKALAN), day=DAY)}
    count = MembershipCount.objects.get(region_id=BANGKALAN, as_of=dt.date(2025, 3, 14))  # the report's

    assert OccupationFigure.objects.filter(region_id=BANGKALAN).count() == 3
    assert rows[OccupationGroup.FARMER].percent < 50 < rows[OccupationGroup.FISHER].percent
    assert rows[OccupationGroup.FISHER].percent > 95
    assert rows[OccupationGroup.LIVESTOCK].workers == 12_000
    assert all(r.as_of == count.as_of for r in rows.values())
    assert sum(r.covered for r in rows.values()) <= count.bpu == 30_500
    assert "demo" in rows[OccupationGroup.FARMER].source.lower()


# --- Trend ----------------------------------------------------------------------------------------


def test_trend_runs_oldest_first_from_24_months_back_to_the_day():
    snapshot(BANGKALAN, dt.date(2024, 11, 22), "5.00")  # just over 24 months back
    snapshot(BANGKALAN, dt.date(2024, 11, 23), "6.00", target_percent="20.00", active=600, workforce=10_000)
    snapshot(BANGKALAN, dt.date(2026, 10, 31), "12.00")
    snapshot(BANGKALAN, DAY, "14.30", current=True)
    snapshot(SOCAH, dt.date(2026, 10, 31), "50.00")  # another region

    trend = selectors.progress_trend(region=region(BANGKALAN), day=DAY)

    assert [p.date for p in trend] == [dt.date(2024, 11, 23), dt.date(2026, 10, 31), DAY]
    first = trend[0]
    assert (first.percent, first.target_percent, first.active, first.workforce) == (
        Decimal("6.00"),
        Decimal("20.00"),
        600,
        10_000,
    )


def test_trend_since_a_date_and_a_snapshot_after_the_day_is_left_out():
    snapshot(BANGKALAN, dt.date(2026, 10, 1), "11.00")
    snapshot(BANGKALAN, dt.date(2026, 10, 31), "12.00")
    snapshot(BANGKALAN, DAY + dt.timedelta(days=1), "14.30", current=True)

    trend = selectors.progress_trend(region=region(BANGKALAN), since=dt.date(2026, 10, 2), day=DAY)

    assert [p.date for p in trend] == [dt.date(2026, 10, 31)]


# --- Children -------------------------------------------------------------------------------------

D = {n: f"35.26.{n:02d}" for n in range(1, 19)}  # Bangkalan's 18 districts


def _district_snapshots():
    snapshot(D[1], dt.date(2026, 10, 15), "25.00")
    snapshot(D[1], DAY, "30.00", current=True, gap_points="10.00", gap_people=500)
    snapshot(D[2], DAY, "30.00", current=True, gap_points="-2.00", gap_people=-40)
    snapshot(D[3], DAY, "10.00", current=True)
    snapshot(D[4], DAY, "10.00", current=True)
    snapshot(D[5], dt.date(2026, 10, 31), "21.00")
    snapshot(D[5], dt.date(2026, 11, 3), "20.50")  # this month, not current: not the reference
    snapshot(D[5], DAY, "20.00", current=True)
    snapshot(D[6], DAY, None, current=True)  # computed, figures missing


def test_children_change_and_best_and_worst_with_ties_and_missing_percents():
    _district_snapshots()

    rows = rows_by_code(selectors.progress_children(region=region(BANGKALAN), day=DAY))

    assert len(rows) == 18
    assert rows[D[1]].change_points == Decimal("5.00")
    assert rows[D[5]].change_points == Decimal("-1.00")
    assert rows[D[2]].change_points is None  # no snapshot before the month
    assert {code for code, row in rows.items() if row.best} == {D[1], D[2]}
    assert {code for code, row in rows.items() if row.worst} == {D[3], D[4]}
    assert not rows[D[6]].best and not rows[D[6]].worst
    assert rows[D[6]].snapshot is not None and rows[D[6]].percent is None
    assert rows[D[7]].snapshot is None and rows[D[7]].band is None and rows[D[7]].band_label == ""
    assert rows[D[2]].gap_people == -40
    assert rows[D[1]].band == "rendah" and rows[D[1]].band_label


@pytest.mark.parametrize("percents", [["30.00"], ["30.00", "30.00", None]])
def test_no_child_is_marked_when_none_stands_out(percents):
    for n, percent in enumerate(percents, start=1):
        snapshot(D[n], DAY, percent, current=True)

    rows = selectors.progress_children(region=region(BANGKALAN), day=DAY)

    assert not any(row.best or row.worst for row in rows)


def test_sorting_puts_missing_values_last_in_both_directions_and_keeps_ties_in_code_order():
    _district_snapshots()
    region_ = region(BANGKALAN)

    down = [r.region.code for r in selectors.progress_children(region=region_, day=DAY, sort="percent")]
    up = [r.region.code for r in selectors.progress_children(region=region_, day=DAY, descending=False)]

    without = [D[n] for n in range(6, 19)]  # D6 has a snapshot without a percent, D7-D18 none
    assert down == [D[1], D[2], D[5], D[3], D[4], *without]
    assert up == [D[3], D[4], D[5], D[1], D[2], *without]
    change = selectors.progress_children(region=region_, day=DAY, sort="change_points", descending=False)
    assert [r.region.code for r in change][:2] == [D[5], D[1]]
    assert all(r.change_points is None for r in change[2:])


def test_sorting_by_name_and_by_counts():
    rows = selectors.progress_children(region=region(BANGKALAN), day=DAY, sort="name", descending=False)
    names = [r.region.name for r in rows]
    assert names == sorted(names, key=str.casefold)

    by_events = selectors.progress_children(region=region(BANGKALAN), day=DAY, sort="events_month")
    assert [r.region.code for r in by_events] == [D[n] for n in range(1, 19)]  # all 0: code order


def test_an_unknown_sort_key_is_a_value_error():
    with pytest.raises(ValueError, match="sort key"):
        selectors.progress_children(region=region(BANGKALAN), day=DAY, sort="region__name")


def test_a_village_has_no_children():
    assert selectors.progress_children(region=region(SOCAH_VILLAGES[0]), day=DAY) == []


@pytest.fixture
def field_work(creator):
    """Events, visits and batches in Bangkalan (Kota Bangkalan and Socah districts), Pamekasan and
    Badung, around DAY."""
    month = DAY - dt.timedelta(days=3)
    # This month: a session reaching two villages of Socah and one of Kota Bangkalan (one event),
    # a visit to a Socah village, an employer visit in Kota Bangkalan (an event, not a visit).
    event(creator, [*SOCAH_VILLAGES[:2], KOTA_VILLAGE], month, farmers=30, fishers=5)
    event(creator, [SOCAH_VILLAGES[0]], MONTH_START, kind=EventKind.VILLAGE_VISIT, village_officials=4)
    event(creator, [KOTA_VILLAGE], month, kind=EventKind.EMPLOYER_VISIT, others=2)
    # Last month, 89 days ago (still a visit of the last 90 days) and 90 days ago (no longer).
    event(creator, [SOCAH_VILLAGES[2]], DAY - dt.timedelta(days=89), farmers=10)
    event(creator, ["35.26.03.2001"], DAY - dt.timedelta(days=90), farmers=10)
    # After the day: not yet.
    event(creator, ["35.26.03.2001"], DAY + dt.timedelta(days=1), farmers=10)
    event(creator, [PAMEKASAN_VILLAGE], month, farmers=7)
    event(creator, [BADUNG_VILLAGE], month, farmers=9)

    # Approved: a regency-wide batch with members in Socah (2) and Kota Bangkalan (1), a rejected
    # member left out; a Socah batch of 1. Other states do not count as pipeline.
    batch(creator, BatchState.APPROVED, [*SOCAH_VILLAGES[:2], KOTA_VILLAGE], rejected=[SOCAH_VILLAGES[0]])
    batch(creator, BatchState.APPROVED, [SOCAH_VILLAGES[2]], area=SOCAH)
    batch(creator, BatchState.ACTIVE, [SOCAH_VILLAGES[0]] * 5)
    batch(creator, BatchState.VERIFIED, [KOTA_VILLAGE] * 2)
    batch(creator, BatchState.DRAFT, [])
    batch(creator, BatchState.APPROVED, [PAMEKASAN_VILLAGE] * 4, regency=PAMEKASAN)


def test_children_aggregates_per_regency_on_the_province_page(field_work):
    rows = rows_by_code(selectors.progress_children(region=region("35"), day=DAY))

    bangkalan, pamekasan = rows[BANGKALAN], rows[PAMEKASAN]
    assert len(rows) == 38
    assert bangkalan.events_month == 3
    assert pamekasan.events_month == 1
    assert bangkalan.villages == Region.objects.filter(code__startswith="35.26.", level=4).count() == 281
    assert bangkalan.villages_visited == 4  # Socah 2001 (twice), 2002, 2003 (89 days ago); Kota 2008
    assert bangkalan.pipeline_people == 4
    assert pamekasan.pipeline_people == 4
    assert rows["35.01"].events_month == rows["35.01"].villages_visited == rows["35.01"].pipeline_people == 0


def test_children_aggregates_per_district_count_an_event_once_in_each_district_it_reached(field_work):
    rows = rows_by_code(selectors.progress_children(region=region(BANGKALAN), day=DAY))

    socah, kota = rows[SOCAH], rows[KOTA_BANGKALAN]
    assert (socah.events_month, kota.events_month) == (2, 2)
    assert (socah.villages, socah.villages_visited) == (11, 3)
    assert (kota.villages, kota.villages_visited) == (13, 1)
    assert socah.villages_not_visited == 8
    assert (socah.pipeline_people, kota.pipeline_people) == (3, 1)
    assert rows["35.26.03"].villages_visited == 0  # visited 90 days ago, and tomorrow


def test_children_aggregates_per_village_on_a_district_page(field_work):
    rows = rows_by_code(selectors.progress_children(region=region(SOCAH), day=DAY))

    first, second, third = (rows[code] for code in SOCAH_VILLAGES)
    assert (first.events_month, second.events_month, third.events_month) == (2, 1, 0)
    assert (first.villages, first.villages_visited, third.villages_visited) == (1, 1, 1)
    assert rows["35.26.02.2004"].villages_visited == 0
    assert (first.pipeline_people, second.pipeline_people, third.pipeline_people) == (1, 1, 1)


def test_national_children_are_the_provinces(field_work):
    rows = rows_by_code(selectors.progress_children(region=region(ROOT_CODE), day=DAY))

    assert set(rows) == {"35", "51"}
    assert rows["35"].events_month == 4
    assert rows["51"].events_month == 1
    assert rows["35"].pipeline_people == 8


# --- What moves it --------------------------------------------------------------------------------


def test_drivers_outreach_of_a_regency_and_of_a_district(field_work):
    regency = selectors.progress_drivers(region=region(BANGKALAN), day=DAY).outreach
    district = selectors.progress_outreach(region=region(SOCAH), day=DAY)
    village = selectors.progress_outreach(region=region(SOCAH_VILLAGES[2]), day=DAY)

    assert regency == {
        "events_month": 3,
        "attendance_month": 41,
        "villages": 281,
        "villages_visited_90": 4,
        "villages_not_visited_90": 277,
    }
    assert (district["events_month"], district["attendance_month"]) == (2, 39)
    assert (district["villages"], district["villages_visited_90"], district["villages_not_visited_90"]) == (11, 3, 8)
    assert (village["events_month"], village["villages"], village["villages_visited_90"]) == (0, 1, 1)


@pytest.mark.parametrize("code", [ROOT_CODE, "35", BANGKALAN, SOCAH])
def test_drivers_outreach_from_the_children_rows_is_the_same_in_fewer_queries(field_work, code):
    """The page hands its children rows to the drivers, which add up their villages instead of
    counting them again: the same figures, two queries fewer."""
    with CaptureQueriesContext(connection) as alone:
        counted = selectors.progress_outreach(region=region(code), day=DAY)
    children = selectors.progress_children(region=region(code), day=DAY)
    with CaptureQueriesContext(connection) as given:
        summed = selectors.progress_outreach(region=region(code), day=DAY, children=children)

    assert summed == counted
    assert counted["villages_visited_90"] > 0
    assert len(given) == len(alone) - 2


def test_pipeline_counts_every_state_and_what_approved_batches_will_add(field_work):
    pipeline = selectors.progress_drivers(region=region(BANGKALAN), day=DAY).pipeline

    assert set(pipeline["states"]) == set(BatchState.values)
    assert pipeline["states"][BatchState.APPROVED] == {"batches": 2, "members": 4}
    assert pipeline["states"][BatchState.ACTIVE] == {"batches": 1, "members": 5}
    assert pipeline["states"][BatchState.DRAFT] == {"batches": 1, "members": 0}
    assert pipeline["states"][BatchState.REJECTED] == {"batches": 0, "members": 0}
    assert pipeline["approved_people"] == 4
    assert [row["code"] for row in pipeline["rows"]] == list(BatchState.values)


def test_pipeline_of_a_district_counts_the_members_living_in_it(field_work):
    pipeline = selectors.progress_pipeline(region=region(KOTA_BANGKALAN))

    # The regency-wide approved batch reaches Kota Bangkalan with one member; the verified one with two.
    assert pipeline["states"][BatchState.APPROVED] == {"batches": 1, "members": 1}
    assert pipeline["states"][BatchState.VERIFIED] == {"batches": 1, "members": 2}
    assert pipeline["approved_people"] == 1


def test_budget_rows_equal_the_allocations_pages_figures(client, clerk, creator):
    apbd = enrollment_services.allocation_create(
        actor=clerk, region_code=BANGKALAN, year=2026, source=FundingSource.APBD, amount=500_000_000
    )
    dbhcht = enrollment_services.allocation_create(
        actor=clerk, region_code=BANGKALAN, year=2026, source=FundingSource.DBHCHT, amount=1_000_000_000
    )
    for village, amount in ((SOCAH_VILLAGES[0], 30_000_000), (SOCAH_VILLAGES[1], 10_100_000)):
        enrollment_services.allocation_create(
            actor=clerk, region_code=village, year=2026, source=FundingSource.DANA_DESA, amount=amount
        )
    enrollment_services.allocation_create(
        actor=clerk, region_code=BANGKALAN, year=2025, source=FundingSource.APBD, amount=700_000_000
    )
    # Committed: approved and active batches drawing on an allocation; a cancelled one is not.
    for state, cost in (
        (BatchState.APPROVED, 117_600_000),
        (BatchState.ACTIVE, 35_280_000),
        (BatchState.CANCELLED, 9_999),
    ):
        made = batch(creator, state, [SOCAH_VILLAGES[0]])
        EnrollmentBatch.objects.filter(pk=made.pk).update(allocation=dbhcht, total_cost=cost)
    made = batch(creator, BatchState.APPROVED, [SOCAH_VILLAGES[0]])
    EnrollmentBatch.objects.filter(pk=made.pk).update(allocation=apbd, total_cost=1_000_000)

    client.force_login(clerk)
    with on_day(DAY):  # the allocations page on the drivers' day: the same months left in the year
        page = client.get(reverse("enrollment:allocation-list")).context["page"]
    expected: dict[str, dict] = {}
    for allocation in (a for a in page if a.year == 2026):
        row = expected.setdefault(allocation.source, {"allocated": 0, "committed": 0, "remaining": 0, "people": 0})
        row["allocated"] += allocation.amount
        row["committed"] += allocation.committed
        row["remaining"] += allocation.remaining
        row["people"] += allocation.people_covered

    budget = selectors.progress_drivers(region=region(BANGKALAN), day=DAY).budget

    assert [row.source for row in budget] == [FundingSource.APBD, FundingSource.DBHCHT, FundingSource.DANA_DESA]
    got = {row.source: {"allocated": row.allocated, "committed": row.committed, "remaining": row.remaining,
                        "people": row.people_covered} for row in budget}  # fmt: skip
    assert got == expected
    # Rp1,000,000,000 - 152,880,000 at Rp16,800 a month for the months left on 23 November
    # (November and December: BPJS does not backdate); the two villages' money per village.
    assert got[FundingSource.DBHCHT]["people"] == 847_120_000 // 33_600
    assert got[FundingSource.DANA_DESA]["people"] == 30_000_000 // 33_600 + 10_100_000 // 33_600


def test_budget_of_a_district_holds_only_its_villages_own_money(clerk):
    enrollment_services.allocation_create(
        actor=clerk, region_code=BANGKALAN, year=2026, source=FundingSource.APBD, amount=500_000_000
    )
    enrollment_services.allocation_create(
        actor=clerk, region_code=SOCAH_VILLAGES[0], year=2026, source=FundingSource.DANA_DESA, amount=20_160_000
    )

    budget = selectors.progress_budget(region=region(SOCAH), year=2026, day=DAY)

    # Rp16,800 a month for November and December, the months left on DAY.
    assert [(row.source, row.allocated, row.people_covered) for row in budget] == [
        (FundingSource.DANA_DESA, 20_160_000, 600)
    ]


def _employer(village, name, **figures):
    return Employer.objects.create(
        name=name, name_key=name.upper(), village_id=village, regency_id=".".join(village.split(".")[:2]), **figures
    )


def _case(employer, clerk, finding, *, due_on=None, closed_on=None, workers_added=0):
    closed = closed_on is not None
    return ComplianceCase.objects.create(
        employer=employer,
        regency_id=employer.regency_id,
        finding=finding,
        state=CaseState.CLOSED if closed else CaseState.OPEN,
        opened_on=dt.date(2026, 9, 1),
        opened_by=clerk,
        due_on=due_on,
        closed_on=closed_on,
        outcome=CaseOutcome.COMPLIED if closed else "",
        workers_added=workers_added,
    )


def test_compliance_counts_the_regions_employers_and_cases(clerk, outsider):
    pwbd = _employer(SOCAH_VILLAGES[0], "UD Garam", status=ComplianceStatus.FINDINGS, pwbd=True, gap_workers=12)
    pds = _employer(KOTA_VILLAGE, "PT Madura", status=ComplianceStatus.FINDINGS, pds_workers=True, gap_workers=30)
    _employer(KOTA_VILLAGE, "CV Rapi", status=ComplianceStatus.COMPLIANT)
    _employer(BADUNG_VILLAGE, "PT Kuta", status=ComplianceStatus.FINDINGS, pwbd=True, gap_workers=99)
    _case(pwbd, clerk, Finding.PWBD, due_on=DAY - dt.timedelta(days=1))  # overdue
    _case(pds, clerk, Finding.PDS_WORKERS, due_on=DAY + dt.timedelta(days=5))
    _case(pds, clerk, Finding.PDS_WAGES, closed_on=dt.date(2026, 10, 1), workers_added=7)

    regency = selectors.progress_drivers(region=region(BANGKALAN), day=DAY).compliance
    district = selectors.progress_compliance(region=region(SOCAH), day=DAY)

    assert (regency["employers"], regency["with_findings"], regency["compliant"]) == (3, 2, 1)
    assert (regency["pwbd"], regency["pds_workers"], regency["gap_workers"]) == (1, 1, 42)
    assert (regency["cases_open"], regency["cases_overdue"], regency["workers_added"]) == (2, 1, 7)
    assert (district["employers"], district["gap_workers"], district["cases_open"], district["cases_overdue"]) == (
        1,
        12,
        1,
        1,
    )


# --- Exports --------------------------------------------------------------------------------------


def test_export_rows_are_the_headlines_and_the_childrens_figures(field_work):
    snapshot(BANGKALAN, dt.date(2026, 10, 31), "12.00", active=1_200)
    snapshot(BANGKALAN, DAY, "14.30", current=True, active=1_430, workforce=10_000, pu=900, bpu=530)
    _district_snapshots()
    figure(BANGKALAN, OccupationGroup.FARMER, 100, 40)

    data = selectors.progress_export(region=region(BANGKALAN), day=DAY)
    headline = dict(data["headline"])
    children = selectors.progress_children(region=region(BANGKALAN), day=DAY)

    assert Decimal("14.30") in headline.values()
    assert 1_430 in headline.values() and 10_000 in headline.values()
    assert Decimal("2.30") in headline.values() and 230 in headline.values()
    assert 900 in headline.values() and 530 in headline.values()
    assert Decimal("40.00") in headline.values()
    table = data["children"]
    assert len(table["columns"]) == len(table["rows"][0])
    assert [r[0] for r in table["rows"]] == [row.region.code for row in children]
    first = table["rows"][0]
    assert first[:3] == [D[1], children[0].region.name, Decimal("30.00")]
    socah = next(r for r in table["rows"] if r[0] == SOCAH)
    assert socah[10:14] == [2, 11, 3, 3]


def test_export_labels_are_translated(in_english):
    snapshot(BANGKALAN, DAY, "14.30", current=True)

    labels = [label for label, _value in selectors.progress_export(region=region(BANGKALAN), day=DAY)["headline"]]

    assert "UCJ %" in labels and "Region" in labels


# --- Bounded queries ------------------------------------------------------------------------------


# The headline: the card, last month's snapshot, the occupation figures, and UCJ's workers by
# occupation now (here the snapshots predate that count) and on the figures' date (cold cache).
BOUNDS = {"headline": 5, "trend": 1, "children": 6, "drivers": 9}


def _queries(region_) -> dict[str, int]:
    """Queries each selector of the page takes for the region, with a cold cache."""
    counts = {}
    for name in BOUNDS:
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            getattr(selectors, f"progress_{name}")(region=region_, day=DAY)
        counts[name] = len(queries)
    return counts


def _lots_of_data(creator, regencies, per_regency):
    """Snapshots (current and last month's) for every region of Jawa Timur down to the regencies,
    and in `regencies` `per_regency` events, approved batches, employers with open cases and
    allocations (the regency's and its villages' own)."""
    for code in ["35", *Region.objects.filter(parent_id="35").values_list("code", flat=True)]:
        if not CoverageSnapshot.objects.filter(region_id=code, date=DAY).exists():
            snapshot(code, dt.date(2026, 10, 31), "10.00", active=100)
            snapshot(code, DAY, "12.00", current=True, active=120)
    for regency in regencies:
        villages = list(Region.objects.filter(code__startswith=regency + ".", level=4).values_list("code", flat=True))
        FundingAllocation.objects.get_or_create(
            region_id=regency, year=2026, source=FundingSource.APBD, defaults={"amount": 100_000_000}
        )
        for i in range(per_regency):
            event(creator, villages[i : i + 2], DAY - dt.timedelta(days=i), farmers=i)
            made = batch(creator, BatchState.APPROVED, villages[i : i + 2], regency=regency)
            FundingAllocation.objects.get_or_create(
                region_id=villages[i], year=2026, source=FundingSource.DANA_DESA, defaults={"amount": 5_000_000}
            )
            EnrollmentBatch.objects.filter(pk=made.pk).update(
                allocation=FundingAllocation.objects.get(region_id=regency, year=2026), total_cost=1_000_000
            )
            employer = _employer(villages[i], f"Usaha {regency} {i}", status=ComplianceStatus.FINDINGS, pwbd=True)
            _case(employer, creator, Finding.PWBD, due_on=DAY)


@pytest.mark.parametrize("code", ["35", ROOT_CODE, BANGKALAN, SOCAH, SOCAH_VILLAGES[0]])
def test_queries_are_bounded_whatever_the_number_of_children_villages_events_and_batches(creator, code):
    figure(code, OccupationGroup.FARMER, 100, 40)
    _lots_of_data(creator, [BANGKALAN], 2)
    small = _queries(region(code))
    _lots_of_data(creator, [BANGKALAN, PAMEKASAN, "35.01", "35.78", "35.15"], 12)
    large = _queries(region(code))

    assert large == small
    assert all(small[name] <= bound for name, bound in BOUNDS.items()), small


def test_the_national_children_table_takes_six_queries(creator, django_assert_max_num_queries):
    _lots_of_data(creator, [BANGKALAN, PAMEKASAN, "51.03"], 5)

    national = region(ROOT_CODE)

    with django_assert_max_num_queries(6):
        rows = selectors.progress_children(region=national, day=DAY)

    assert {row.region.code for row in rows} == {"35", "51"}
    assert rows_by_code(rows)["35"].events_month == 10


# --- The occupation figures: a fact like the others ----------------------------------------------

HEADERS_ID = ["KODE WILAYAH", "TANGGAL", "PEKERJAAN", "JUMLAH PEKERJA", "PESERTA", "SUMBER"]


def _csv(rows, headers=HEADERS_ID) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


GOOD = [
    ["35.26", "14/03/2025", "Petani", "40.000", "18.400", "Disperinaker Bangkalan"],
    ["3526", "14/03/2025", "nelayan", "9000", "8650", ""],
    ["35.26", "14/03/2025", "Livestock keepers", "12000", "2900", "Disperinaker Bangkalan"],
]


def test_importing_occupation_figures_writes_audits_and_marks_nothing_stale(clerk):
    result = facts.facts_import(
        actor=clerk, kind="occupations", content=_csv(GOOD), filename="pekerjaan.csv", default_source="BPJS Bangkalan"
    )

    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    stored = {f.occupation: f for f in OccupationFigure.objects.filter(region_id=BANGKALAN)}
    assert (stored["farmer"].workers, stored["farmer"].covered, stored["farmer"].as_of) == (40_000, 18_400, AS_OF)
    assert stored["fisher"].source == "BPJS Bangkalan"
    assert stored["livestock"].covered == 2_900
    assert AuditEvent.objects.filter(action="coverage.occupation_import").count() == 1
    assert not StaleRegion.objects.exists()

    changed = [[*GOOD[0][:4], "19000", GOOD[0][5]], GOOD[1], GOOD[2]]
    again = facts.facts_import(
        actor=clerk,
        kind="occupations",
        content=_csv(changed),
        filename="pekerjaan.csv",
        default_source="BPJS Bangkalan",
    )
    assert (again.created, again.updated, again.unchanged) == (0, 1, 2)
    assert OccupationFigure.objects.get(region_id=BANGKALAN, occupation="farmer").covered == 19_000


def test_a_bad_occupation_row_writes_nothing_and_every_problem_is_listed(clerk, in_english):
    figure(BANGKALAN, OccupationGroup.FARMER, 40_000, 18_400, source="on record")
    rows = [
        ["35.26", "14/03/2025", "petani", "40000", "20000", "changed"],  # fine alone
        ["35.26", "14/03/2025", "astronaut", "10", "1", "x"],  # unknown occupation
        ["35.26", "14/03/2025", "nelayan", "100", "150", "x"],  # more covered than workers
        ["35.26", "14/03/2025", "petani", "1", "1", "x"],  # same region, date and occupation again
        ["51.03", "14/03/2025", "nelayan", "100", "10", "x"],  # outside the clerk's regions
    ]

    with pytest.raises(ValidationFailed) as refused:
        facts.facts_import(actor=clerk, kind="occupations", content=_csv(rows), filename="bad.csv")

    problems = {(e["row"], e["column"]): e["message"] for e in refused.value.details}
    assert set(problems) == {(3, "PEKERJAAN"), (4, "PESERTA"), (5, "KODE WILAYAH"), (6, "KODE WILAYAH")}
    assert "astronaut" in problems[(3, "PEKERJAAN")]
    assert "More participants" in problems[(4, "PESERTA")]
    assert "row 2" in problems[(5, "KODE WILAYAH")]
    assert "outside your regions" in problems[(6, "KODE WILAYAH")]
    assert OccupationFigure.objects.get().source == "on record"


def test_occupation_save_audits_without_marking_coverage_stale_and_refuses_more_covered_than_workers(clerk):
    saved = facts.occupation_save(
        actor=clerk, region_code=BANGKALAN, as_of=AS_OF, occupation="fisher", workers=9_000, covered=8_650, source="x"
    )

    assert saved.occupation == OccupationGroup.FISHER
    assert AuditEvent.objects.filter(action="coverage.occupation_save", target_id=str(saved.pk)).exists()
    assert not StaleRegion.objects.exists()
    with pytest.raises(ValidationFailed):
        facts.occupation_save(
            actor=clerk, region_code=BANGKALAN, as_of=AS_OF, occupation="fisher", workers=10, covered=11, source="x"
        )
    with pytest.raises(ValidationFailed):
        facts.occupation_save(
            actor=clerk, region_code=BANGKALAN, as_of=AS_OF, occupation="pilot", workers=10, covered=1, source="x"
        )
    facts.fact_delete(actor=clerk, obj=saved)
    assert not OccupationFigure.objects.exists()
    assert not StaleRegion.objects.exists()


def test_import_occupations_command(tmp_path):
    path = tmp_path / "pekerjaan.csv"
    path.write_bytes(_csv(GOOD))
    out = io.StringIO()

    call_command("import_occupations", str(path), "--source", "BPJS Bangkalan", stdout=out)

    assert "3 new" in out.getvalue()
    assert OccupationFigure.objects.count() == 3
    path.write_bytes(_csv([["35.26", "14/03/2025", "astronaut", "1", "1", "x"]]))
    with pytest.raises(CommandError):
        call_command("import_occupations", str(path), stdout=io.StringIO(), stderr=io.StringIO())


def test_approved_batches_members_are_pending_until_activation_so_the_pipeline_counts_them(batch_in_state):
    """Why the pipeline counts members not rejected rather than accepted ones: the services accept
    members only when BPJS confirms them, at activation."""
    approved = batch_in_state(BatchState.APPROVED, members=3)

    assert set(approved.members.values_list("state", flat=True)) == {MemberState.PENDING}
    assert selectors.progress_pipeline(region=region(BANGKALAN))["approved_people"] == 3
    assert rows_by_code(selectors.progress_children(region=region(BANGKALAN), day=DAY))[SOCAH].pipeline_people == 3
