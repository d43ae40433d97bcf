"""The coverage arithmetic and the recalculation: figures computed by hand, rollups, missing data,
UCJ activations and cancellations against BPJS's figure, history, stale marks, idempotence."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from enrollment.models import BatchMember, MemberState
from tests.coverage.conftest import BANGKALAN, DAY, SOCAH, VILLAGE, counts, target, workforce
from tests.enrollment.conftest import ACTIVATION_DAY
from ucj.coverage import engine
from ucj.models import ROOT_CODE, CoverageBaseline, CoverageSnapshot, Region, StaleRegion
from ucj.services import coverage_mark_stale

pytestmark = pytest.mark.django_db
BALI, BADUNG, BANGLI = "51", "51.03", "51.06"
JATIM = "35"
FIGURE_DAY = DAY - dt.timedelta(days=23)  # BPJS's latest count of Bangkalan


def current(code):
    return CoverageSnapshot.objects.get(region_id=code, is_current=True)


def recalc(*codes, day=DAY):
    return engine.recalculate_regions(codes, day=day)


# --- The arithmetic against hand-computed figures ---------------------------------------------


def test_bali_shows_what_follows_from_its_figures_not_the_reported_percent():
    # The press release says 50.88 %, but 935,079 ÷ 1,873,899 = 49.90 %: the app shows what
    # follows from the figures, with them as sources.
    workforce(BALI, 1_873_899, source="BPJamsostek Banuspa, 30 April 2025")
    counts(BALI, 935_079, as_of=dt.date(2025, 3, 31), source="BPJamsostek Banuspa, 30 April 2025")
    target(BALI, "67.28")
    recalc(BALI)
    snap = current(BALI)
    assert snap.workforce == 1_873_899
    assert snap.active == 935_079
    assert snap.percent == Decimal("49.90")
    assert snap.target_percent == Decimal("67.28")
    assert snap.gap_points == Decimal("17.38")
    # 67.28 % of 1,873,899 is 1,260,759.2472: 1,260,760 people, 325,681 more than today.
    assert snap.gap_people == 325_681
    assert snap.band == "sedang"
    figures = {s["figure"]: s for s in snap.sources}
    assert figures["workforce"]["value"] == 1_873_899
    assert figures["bpjs"]["as_of"] == "2025-03-31"
    assert figures["bpjs"]["source"] == "BPJamsostek Banuspa, 30 April 2025"
    assert figures["target"]["value"] == "67.28"
    assert snap.missing == []


@pytest.mark.parametrize(
    ("code", "workers", "active", "percent", "band"),
    [(BADUNG, 372_450, 218_554, "58.68", "sedang"), (BANGLI, 151_200, 53_706, "35.52", "rendah")],
)
def test_regency_percent_and_band(code, workers, active, percent, band):
    workforce(code, workers)
    counts(code, active)
    recalc(code)
    snap = current(code)
    assert snap.percent == Decimal(percent)
    assert snap.band == band
    assert snap.target_percent is None and snap.gap_points is None and snap.gap_people is None
    assert {"figure": "target"} in snap.missing


def test_bands_follow_the_configured_cut_offs(settings):
    workforce(BANGKALAN, 500_000)
    counts(BANGKALAN, 71_500, pu=41_000, bpu=30_500)
    recalc(BANGKALAN)
    snap = current(BANGKALAN)
    assert snap.percent == Decimal("14.30")
    assert snap.band == "sangat_rendah"
    settings.UCJ_COVERAGE_BANDS = (10.0, 30.0, 50.0)
    assert snap.band == "rendah"


def test_gap_is_negative_when_the_region_is_past_its_target():
    workforce(BADUNG, 1_000)
    counts(BADUNG, 700)
    target(BADUNG, "60")
    recalc(BADUNG)
    snap = current(BADUNG)
    assert snap.gap_points == Decimal("-10.00")
    assert snap.gap_people == -100


# --- Missing figures, fallbacks, rollups -----------------------------------------------------------


def test_a_region_without_figures_says_what_is_missing_and_invents_nothing():
    recalc(BANGKALAN)
    snap = current(BANGKALAN)
    assert snap.workforce is None and snap.active is None and snap.percent is None
    assert snap.gap_points is None and snap.band is None
    figures = {m["figure"]: m for m in snap.missing}
    assert figures["workforce"]["children"] == 18
    assert figures["workforce"]["children_without"] == 18
    assert set(figures) == {"workforce", "bpjs", "target"}


def test_the_latest_year_up_to_the_day_is_used_and_shown():
    workforce(BANGKALAN, 480_000, year=2024)
    workforce(BANGKALAN, 500_000, year=2025)
    workforce(BANGKALAN, 999_999, year=2027)  # a projection for a later year is not today's
    target(BANGKALAN, "25", year=2025)
    counts(BANGKALAN, 60_000, as_of=dt.date(2024, 12, 31))
    counts(BANGKALAN, 71_500, as_of=dt.date(2025, 3, 31))
    counts(BANGKALAN, 90_000, as_of=dt.date(2026, 12, 31))  # after the day
    recalc(BANGKALAN)
    snap = current(BANGKALAN)
    assert (snap.workforce, snap.workforce_year) == (500_000, 2025)
    assert (snap.active, snap.bpjs_as_of) == (71_500, dt.date(2025, 3, 31))
    assert snap.target_year == 2025


def district_codes(regency):
    return list(Region.objects.filter(parent_id=regency).values_list("code", flat=True))


def test_a_regency_without_its_own_figures_sums_its_districts():
    districts = district_codes(BANGKALAN)
    for i, code in enumerate(districts):
        workforce(code, 10_000 + i)
        counts(code, 1_000 + i, pu=600, bpu=400 + i)
    engine.recalculate_regions([BANGKALAN], day=DAY, subtree=True)
    snap = current(BANGKALAN)
    n = len(districts)
    assert snap.workforce == sum(10_000 + i for i in range(n))
    assert snap.active == sum(1_000 + i for i in range(n))
    assert snap.pu == 600 * n and snap.bpu == sum(400 + i for i in range(n))
    assert snap.jakon is None and snap.pmi is None  # no district gave them
    assert snap.percent == (Decimal(snap.active) * 100 / Decimal(snap.workforce)).quantize(Decimal("0.01"))
    bpjs = next(s for s in snap.sources if s["figure"] == "bpjs")
    assert bpjs["sum_of"] == n


def test_a_regency_with_one_district_missing_a_figure_shows_no_sum():
    districts = district_codes(BANGKALAN)
    for code in districts[1:]:
        workforce(code, 10_000)
        counts(code, 1_000)
    engine.recalculate_regions([BANGKALAN], day=DAY, subtree=True)
    snap = current(BANGKALAN)
    assert snap.workforce is None and snap.active is None and snap.percent is None
    workforce_missing = next(m for m in snap.missing if m["figure"] == "workforce")
    assert workforce_missing["children_without"] == 1


def test_the_regions_own_figure_wins_over_its_childrens_sum():
    for code in district_codes(BANGKALAN):
        workforce(code, 10_000)
        counts(code, 1_000)
    workforce(BANGKALAN, 500_000)
    counts(BANGKALAN, 71_500)
    engine.recalculate_regions([BANGKALAN], day=DAY, subtree=True)
    snap = current(BANGKALAN)
    assert (snap.workforce, snap.active) == (500_000, 71_500)


def test_rollup_reaches_the_national_root():
    workforce(JATIM, 21_000_000)
    counts(JATIM, 6_300_000)
    recalc(JATIM)
    root = current(ROOT_CODE)
    # The test database holds two provinces (35, 51) and Bali has no figure yet.
    assert root.workforce is None and root.percent is None
    missing = next(m for m in root.missing if m["figure"] == "workforce")
    assert (missing["children"], missing["children_without"]) == (2, 1)
    assert current(JATIM).percent == Decimal("30.00")

    workforce(BALI, 1_873_899)
    counts(BALI, 935_079)
    recalc(BALI)
    root = current(ROOT_CODE)
    assert root.workforce == 22_873_899 and root.active == 7_235_079
    assert root.percent == Decimal("31.63")


# --- UCJ's participants against BPJS's figure -----------------------------------------------------


@pytest.fixture
def bangkalan_figures():
    workforce(BANGKALAN, 500_000)
    counts(BANGKALAN, 71_500, pu=41_000, bpu=30_500, as_of=FIGURE_DAY)
    target(BANGKALAN, "30", year=DAY.year)


def test_activation_covers_members_from_today_to_the_period_end(batch_in_state):
    batch = batch_in_state("active", members=2)
    # batch_in_state activates on ACTIVATION_DAY (in the period's first month) unless today is earlier.
    activated = min(timezone.localdate(), ACTIVATION_DAY)
    for member in batch.members.all():
        assert member.covered_from == max(batch.period_start, activated)
        assert member.covered_until == batch.period_end


def active_batch(batch_in_state, members, *, since=DAY):
    """An active batch of VILLAGE whose members count from `since` (the clock-independent DAY)."""
    batch = batch_in_state("active", members=members)
    batch.members.update(covered_from=since, covered_until=DAY + dt.timedelta(days=90))
    return batch


def test_activation_after_the_bpjs_figure_adds_its_members(bangkalan_figures, batch_in_state):
    active_batch(batch_in_state, 3)
    assert set(StaleRegion.objects.values_list("region_id", flat=True)) == {VILLAGE}
    result = engine.recalculate_stale(day=DAY)
    assert result.levels == {4: 1, 3: 1, 2: 1, 1: 1, 0: 1}
    assert not StaleRegion.objects.exists()
    snap = current(BANGKALAN)
    assert snap.active == 71_503 and snap.ucj_change == 3 and snap.ucj_active == 3
    assert (snap.pu, snap.bpu) == (41_000, 30_503)  # vulnerable workers count as BPU
    village = current(VILLAGE)
    assert village.ucj_active == 3
    assert village.active is None  # BPJS gives no village figure: UCJ's own count is shown apart
    assert current(SOCAH).ucj_active == 3 and current(ROOT_CODE).ucj_active == 3


def test_snapshots_count_ucj_vulnerable_workers_by_occupation_up_to_the_country(bangkalan_figures, batch_in_state):
    batch = active_batch(batch_in_state, 3)
    participants = [member.participant for member in batch.members.order_by("id")]
    for participant, group in zip(participants, ["farmer", "farmer", ""], strict=True):
        participant.occupation_group = group
        participant.save(update_fields=["occupation_group"])
    engine.recalculate_stale(day=DAY)

    # The member without an occupation group counts in ucj_active, not by occupation.
    for code in (VILLAGE, SOCAH, BANGKALAN, ROOT_CODE):
        assert (current(code).ucj_active, current(code).occupations) == (3, {"farmer": 2}), code
    engine.recalculate_all(day=DAY)
    assert current(ROOT_CODE).occupations == {"farmer": 2}
    assert current(BALI).occupations == {}  # counted: nobody


def test_a_parent_of_a_snapshot_without_occupations_does_not_take_it_for_zero(bangkalan_figures, batch_in_state):
    active_batch(batch_in_state, 2)
    engine.recalculate_stale(day=DAY)
    CoverageSnapshot.objects.filter(region_id=SOCAH).update(occupations=None)  # older than the count
    recalc(BANGKALAN)

    assert current(BANGKALAN).occupations is None
    assert current(ROOT_CODE).occupations is None


def _members_around_the_figure(batch_in_state):
    """Five members of VILLAGE whose protection starts and ends around FIGURE_DAY: the region's
    change since the figure is +1 (one started after it, one lapsed, one came and went, one
    started today, one counts throughout)."""
    batch = batch_in_state("active", members=5)
    windows = [
        (FIGURE_DAY - dt.timedelta(days=60), DAY + dt.timedelta(days=90)),  # throughout: 0
        (FIGURE_DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=90)),  # started after: +1
        (FIGURE_DAY - dt.timedelta(days=60), FIGURE_DAY + dt.timedelta(days=5)),  # lapsed: -1
        (FIGURE_DAY + dt.timedelta(days=1), FIGURE_DAY + dt.timedelta(days=3)),  # came and went: 0
        (DAY, DAY + dt.timedelta(days=90)),  # starts on the day: +1
    ]
    for member, (start, end) in zip(batch.members.order_by("id"), windows, strict=True):
        BatchMember.objects.filter(pk=member.pk).update(covered_from=start, covered_until=end)


def test_changes_from_kept_baselines_equal_a_count_of_the_members(bangkalan_figures, batch_in_state):
    counts(JATIM, 9_000_000, pu=6_000_000, bpu=3_000_000, as_of=FIGURE_DAY)
    counts(SOCAH, 5_000, pu=3_000, bpu=2_000, as_of=FIGURE_DAY - dt.timedelta(days=30))  # another day
    _members_around_the_figure(batch_in_state)

    engine.recalculate_stale(day=DAY)

    for code in (SOCAH, BANGKALAN, JATIM):
        snap = current(code)
        live = engine._change(code, snap.bpjs_as_of, DAY)  # the members counted, as before baselines
        assert snap.ucj_change == sum(live.values()) == 1, code
        bpjs = next(source for source in snap.sources if source["figure"] == "bpjs")
        assert snap.bpu == bpjs["bpu"] + live["bpu"]
        assert CoverageBaseline.objects.get(region_id=code).date == snap.bpjs_as_of
    assert current(BANGKALAN).ucj_segments == {"bpu": 3}  # counting on the day: 0, 1, 4 (3 from 2026-11-23)


def test_a_kept_baseline_spares_the_member_scan_and_a_rebuild_counts_it_afresh(
    bangkalan_figures, batch_in_state, monkeypatch
):
    _members_around_the_figure(batch_in_state)
    engine.recalculate_stale(day=DAY)
    CoverageBaseline.objects.filter(region_id=BANGKALAN).update(segments={"bpu": 100})  # as if the past changed

    def no_scan(*args, **kwargs):
        raise AssertionError("the members were scanned")

    monkeypatch.setattr(engine, "_change", no_scan)
    recalc(VILLAGE)
    assert current(BANGKALAN).ucj_change == 3 - 100  # the kept baseline was used
    monkeypatch.undo()

    engine.recalculate_all(day=DAY)
    assert current(BANGKALAN).ucj_change == 1
    assert CoverageBaseline.objects.get(region_id=BANGKALAN).segments == {"bpu": 2}


def test_a_past_day_recalculated_after_a_newer_one_counts_that_days_people(bangkalan_figures, batch_in_state):
    _members_around_the_figure(batch_in_state)
    engine.recalculate_stale(day=DAY)
    earlier = DAY - dt.timedelta(days=5)  # the member starting on DAY does not count yet

    recalc(VILLAGE, day=earlier)

    row = CoverageSnapshot.objects.get(region_id=BANGKALAN, date=earlier)
    assert row.ucj_change == sum(engine._change(BANGKALAN, FIGURE_DAY, earlier).values()) == 0
    assert current(BANGKALAN).date == DAY and current(BANGKALAN).ucj_change == 1


def test_a_region_above_a_village_left_stale_counts_its_members(bangkalan_figures, batch_in_state):
    _members_around_the_figure(batch_in_state)  # marks VILLAGE stale; its snapshot is never made
    recalc(BANGKALAN)  # without its subtree: the districts' snapshots do not count the members

    assert current(BANGKALAN).ucj_change == 1
    assert not CoverageBaseline.objects.filter(region_id=BANGKALAN).exists()


def test_members_counted_in_the_bpjs_figure_are_not_counted_twice(bangkalan_figures, batch_in_state):
    # They were active before BPJS counted them.
    active_batch(batch_in_state, 3, since=FIGURE_DAY - dt.timedelta(days=60))
    engine.recalculate_stale(day=DAY)
    snap = current(BANGKALAN)
    assert snap.active == 71_500 and snap.ucj_change == 0 and snap.ucj_active == 3


def test_cancellation_after_the_figure_subtracts_members_it_counted(bangkalan_figures, batch_in_state, clerk):
    from enrollment import services

    batch = active_batch(batch_in_state, 3, since=FIGURE_DAY - dt.timedelta(days=60))  # counted by BPJS
    services.batch_cancel(actor=clerk, batch_id=batch.pk, reason="SK dicabut")
    # Cancelled today: they count until yesterday.
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    assert set(batch.members.values_list("covered_until", flat=True)) == {yesterday}
    batch.members.update(covered_until=DAY - dt.timedelta(days=1))
    engine.recalculate_stale(day=DAY)
    snap = current(BANGKALAN)
    assert snap.active == 71_497 and snap.ucj_change == -3 and snap.ucj_active == 0
    assert snap.bpu == 30_497


def test_members_stop_counting_when_their_period_lapses(bangkalan_figures, batch_in_state):
    active_batch(batch_in_state, 2)
    engine.recalculate_stale(day=DAY)
    assert current(BANGKALAN).active == 71_502
    after = DAY + dt.timedelta(days=91)
    engine.recalculate_regions([VILLAGE], day=after)
    snap = current(BANGKALAN)
    assert snap.active == 71_500 and snap.ucj_active == 0
    assert snap.date == after


def test_a_batch_activated_before_its_period_counts_from_the_period_start(bangkalan_figures, officer, clerk, kadis):
    from enrollment import services
    from tests.enrollment.conftest import import_rows, make_nik, member_row, new_batch

    services.allocation_create(actor=clerk, region_code="35.26", year=2027, source="dbhcht", amount=10**9)
    batch = new_batch(officer, year=2027, period_start=dt.date(2027, 1, 1), period_end=dt.date(2027, 6, 30))
    import_rows(officer, batch, [member_row(1)])
    services.batch_submit(actor=officer, batch_id=batch.pk)
    services.batch_verify(actor=clerk, batch_id=batch.pk)
    services.batch_approve(actor=kadis, batch_id=batch.pk)
    services.batch_activate(actor=clerk, batch_id=batch.pk, confirmations={make_nik(1): (2, "23000000001")})
    member = BatchMember.objects.get(batch=batch)
    assert member.covered_from == dt.date(2027, 1, 1) and member.state == MemberState.ACCEPTED
    engine.recalculate_stale(day=DAY)
    assert current(VILLAGE).ucj_active == 0


# --- Snapshots: history and the current one --------------------------------------------------------


def test_one_point_per_region_per_day_and_the_latest_is_current(bangkalan_figures):
    recalc(BANGKALAN, day=dt.date(2026, 11, 21))
    recalc(BANGKALAN, day=dt.date(2026, 11, 22))
    recalc(BANGKALAN, day=dt.date(2026, 11, 22))
    rows = CoverageSnapshot.objects.filter(region_id=BANGKALAN).order_by("date")
    assert [(r.date.day, r.is_current) for r in rows] == [(21, False), (22, True)]


@pytest.mark.parametrize("copy_from", [engine.COPY_FROM, 1])
def test_snapshots_stored_through_copy_are_those_stored_row_by_row(
    bangkalan_figures, batch_in_state, monkeypatch, copy_from
):
    _members_around_the_figure(batch_in_state)
    engine.recalculate_stale(day=DAY)
    expected = {s.region_id: values(s) for s in CoverageSnapshot.objects.all()}
    CoverageSnapshot.objects.all().delete()
    CoverageBaseline.objects.all().delete()
    monkeypatch.setattr(engine, "COPY_FROM", copy_from)
    coverage_mark_stale(region_codes=[VILLAGE])
    engine.recalculate_stale(day=DAY)
    assert {s.region_id: values(s) for s in CoverageSnapshot.objects.all()} == expected


def test_running_twice_gives_the_same_snapshots(bangkalan_figures, batch_in_state):
    active_batch(batch_in_state, 2)
    engine.recalculate_stale(day=DAY)
    first = {s.region_id: values(s) for s in CoverageSnapshot.objects.all()}
    recalc(VILLAGE)
    engine.recalculate_stale(day=DAY)  # nothing stale: nothing written
    second = {s.region_id: values(s) for s in CoverageSnapshot.objects.all()}
    assert first == second


def values(snap):
    return {f: getattr(snap, f) for f in engine.COMPUTED_FIELDS if f != "computed_at"}


def test_the_full_rebuild_agrees_with_the_incremental_recalculation(bangkalan_figures, batch_in_state):
    active_batch(batch_in_state, 2)
    workforce(BALI, 1_873_899)
    counts(BALI, 935_079)
    engine.recalculate_stale(day=DAY)
    recalc(BALI)
    touched = {s.region_id: values(s) for s in CoverageSnapshot.objects.all()}
    result = engine.recalculate_all(day=DAY)
    assert result.regions == Region.objects.count()
    rebuilt = {s.region_id: values(s) for s in CoverageSnapshot.objects.filter(region_id__in=touched)}
    assert rebuilt == touched


def test_a_full_rebuild_counts_today_and_the_bpjs_days_in_one_scan_of_the_members(
    bangkalan_figures, batch_in_state, monkeypatch
):
    counts(JATIM, 9_000_000, pu=6_000_000, bpu=3_000_000, as_of=FIGURE_DAY)
    counts(SOCAH, 5_000, pu=3_000, bpu=2_000, as_of=FIGURE_DAY - dt.timedelta(days=30))
    _members_around_the_figure(batch_in_state)
    engine.recalculate_stale(day=DAY)  # region by region: counted per region and day
    expected = {s.region_id: values(s) for s in CoverageSnapshot.objects.filter(is_current=True)}
    monkeypatch.setattr(engine, "ROLLUP_FROM", 1)  # every BPJS day rolled up from the villages
    scans = []
    scan = engine.enrollment_selectors.coverage_active_by_village

    def counted(**kwargs):
        scans.append(sorted(kwargs["days"]))
        return scan(**kwargs)

    monkeypatch.setattr(engine.enrollment_selectors, "coverage_active_by_village", counted)
    engine.recalculate_all(day=DAY)
    assert scans == [sorted({DAY, FIGURE_DAY, FIGURE_DAY - dt.timedelta(days=30)})]
    rebuilt = {s.region_id: values(s) for s in CoverageSnapshot.objects.filter(region_id__in=expected)}
    assert rebuilt == expected
    assert current(BANGKALAN).ucj_change == 1


def test_a_region_has_one_current_snapshot_in_the_database_itself(bangkalan_figures):
    engine.recalculate_regions([BANGKALAN], day=DAY)
    row = current(BANGKALAN)
    row.pk, row.date = None, DAY - dt.timedelta(days=1)
    # The partial unique index snapshot_one_current, which altering the region's foreign key once
    # dropped on PostgreSQL (migration ucj 0010 makes it again).
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()


def test_a_mark_made_during_the_run_is_kept_for_the_next(monkeypatch, bangkalan_figures):
    coverage_mark_stale(region_codes=[VILLAGE], reason="test")
    real = engine._recalculate

    def meanwhile(codes, day):
        out = real(codes, day)
        coverage_mark_stale(region_codes=[VILLAGE], reason="another activation")  # a newer mark
        return out

    monkeypatch.setattr(engine, "_recalculate", meanwhile)
    engine.recalculate_stale(day=DAY)
    assert StaleRegion.objects.filter(region_id=VILLAGE, reason="another activation").exists()


def test_one_village_costs_its_ancestors_not_the_country(bangkalan_figures, django_assert_max_num_queries):
    coverage_mark_stale(region_codes=[VILLAGE])
    # A few a level (the region's facts, its UCJ counts or its children's sums, storing) for five
    # levels, the marks and their consumption; on PostgreSQL the lock too, and this first time the
    # regency's baseline is counted and kept; DAY is a past day, so each parent also looks for a
    # newer child (a backfill): 49 on PostgreSQL today.
    with django_assert_max_num_queries(52):
        result = engine.recalculate_stale()  # today: no check for newer snapshots
    assert result.regions == 5
    assert CoverageSnapshot.objects.count() == 5


@pytest.mark.parametrize("copy_from", [engine.COPY_FROM, 1])  # 1: PostgreSQL stores through COPY
def test_recalculating_an_earlier_day_leaves_the_newer_snapshot_current(bangkalan_figures, monkeypatch, copy_from):
    monkeypatch.setattr(engine, "COPY_FROM", copy_from)
    recalc(BANGKALAN, day=DAY)
    recalc(BANGKALAN, day=DAY - dt.timedelta(days=1))
    rows = CoverageSnapshot.objects.filter(region_id=BANGKALAN).order_by("date")
    assert [(r.date, r.is_current) for r in rows] == [(DAY - dt.timedelta(days=1), False), (DAY, True)]


def test_a_full_rebuild_keeps_the_marks_made_while_it_ran(monkeypatch):
    coverage_mark_stale(region_codes=[VILLAGE], reason="before")
    real = engine._compute_level

    def meanwhile(level, codes, day, **kwargs):
        if level == 0:
            StaleRegion.objects.update_or_create(
                region_id=SOCAH, defaults={"marked_at": timezone.now(), "reason": "during"}
            )
        return real(level, codes, day, **kwargs)

    monkeypatch.setattr(engine, "_compute_level", meanwhile)
    result = engine.recalculate_all(day=DAY)
    assert result.stale == 1
    assert list(StaleRegion.objects.values_list("region_id", "reason")) == [(SOCAH, "during")]


def test_without_a_bpjs_figure_there_is_no_change_to_report(batch_in_state):
    active_batch(batch_in_state, 2)
    engine.recalculate_stale(day=DAY)
    village, regency = current(VILLAGE), current(BANGKALAN)
    assert village.ucj_active == regency.ucj_active == 2
    assert village.ucj_change is None and regency.ucj_change is None
    assert village.active is None and regency.active is None
