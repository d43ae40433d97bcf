"""Workers employers register when a compliance case closes count toward coverage as wage earners
(PU), from the closing day, and only once: a case closed before BPJS's count is in that count."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from enrollment.models import ComplianceCase, Finding
from enrollment.selectors import compliance_pu_by_village, compliance_pu_change
from enrollment.services import case_close, case_open, employer_update
from tests.coverage.conftest import counts, workforce
from tests.employers.conftest import OTHER_DISTRICT_VILLAGE, VILLAGE
from ucj.coverage import engine
from ucj.models import CoverageBaseline, CoverageSnapshot

DAY = dt.date(2026, 11, 23)
FIGURE_DAY = DAY - dt.timedelta(days=23)
DISTRICT, REGENCY = VILLAGE.rsplit(".", 1)[0], "35.26"


def close_with_workers(clerk, employer, workers, closed_on):
    case = case_open(actor=clerk, employer_id=employer.pk, finding=Finding.PDS_WORKERS, opened_on=closed_on)
    return case_close(
        actor=clerk,
        case_id=case.pk,
        outcome="complied",
        workers_added=workers,
        wages_added=workers * 3_000_000,
        closed_on=closed_on,
    )


def current(code):
    return CoverageSnapshot.objects.get(region_id=code, is_current=True)


def test_workers_added_after_the_bpjs_count_raise_pu(clerk, employer):
    workforce(REGENCY, 500_000)
    counts(REGENCY, 71_500, pu=41_000, bpu=30_500, as_of=FIGURE_DAY)
    close_with_workers(clerk, employer, 4, FIGURE_DAY + dt.timedelta(days=1))
    result = engine.recalculate_stale(day=DAY)
    assert result.levels[4] == 1  # the employer's village, marked stale by the closing
    regency = current(REGENCY)
    assert (regency.active, regency.pu, regency.bpu) == (71_504, 41_004, 30_500)
    assert regency.ucj_change == 4 and regency.ucj_active == 4
    assert current(VILLAGE).ucj_active == 4  # BPJS gives no village figure; UCJ's own count shows


def test_workers_added_before_the_bpjs_count_are_not_counted_twice(clerk, employer):
    workforce(REGENCY, 500_000)
    counts(REGENCY, 71_500, pu=41_000, bpu=30_500, as_of=FIGURE_DAY)
    close_with_workers(clerk, employer, 4, FIGURE_DAY - dt.timedelta(days=5))
    engine.recalculate_stale(day=DAY)
    regency = current(REGENCY)
    assert (regency.active, regency.pu) == (71_500, 41_000)
    assert regency.ucj_active == 4  # UCJ's own work is still shown


def test_a_case_entered_late_with_an_earlier_closing_day_is_not_counted_twice(clerk, employer):
    workforce(REGENCY, 500_000)
    counts(REGENCY, 71_500, pu=41_000, bpu=30_500, as_of=FIGURE_DAY)
    engine.recalculate_regions([VILLAGE], day=DAY)  # keeps UCJ's count on BPJS's day: nobody
    assert CoverageBaseline.objects.filter(region_id=REGENCY, date=FIGURE_DAY).exists()

    # Closed before BPJS's count, entered after the recalculation: BPJS counted these workers.
    close_with_workers(clerk, employer, 4, FIGURE_DAY - dt.timedelta(days=5))
    engine.recalculate_stale(day=DAY)

    regency = current(REGENCY)
    assert (regency.pu, regency.ucj_change, regency.ucj_active) == (41_000, 0, 4)


def test_workers_stay_counted_where_the_case_closed_when_the_employer_moves(clerk, employer):
    workforce(REGENCY, 500_000)
    counts(REGENCY, 71_500, pu=41_000, bpu=30_500, as_of=FIGURE_DAY)
    close_with_workers(clerk, employer, 4, FIGURE_DAY + dt.timedelta(days=1))
    employer_update(actor=clerk, employer_id=employer.pk, changes={"village": OTHER_DISTRICT_VILLAGE})
    engine.recalculate_regions([VILLAGE, OTHER_DISTRICT_VILLAGE], day=DAY)
    assert current(VILLAGE).ucj_active == 4
    assert current(OTHER_DISTRICT_VILLAGE).ucj_active == 0
    assert current(REGENCY).pu == 41_004  # counted once, in the regency both villages belong to
    assert compliance_pu_change(region_code=DISTRICT, since=FIGURE_DAY, day=DAY) == 4
    assert compliance_pu_change(region_code=OTHER_DISTRICT_VILLAGE.rsplit(".", 1)[0], since=FIGURE_DAY, day=DAY) == 0


@pytest.mark.parametrize("rollup_from", [engine.ROLLUP_FROM, 1])
def test_a_full_rebuild_counts_the_workers_once_on_each_day(clerk, employer, make_employer, monkeypatch, rollup_from):
    workforce(REGENCY, 500_000)
    counts(REGENCY, 71_500, pu=41_000, bpu=30_500, as_of=FIGURE_DAY)
    close_with_workers(clerk, employer, 4, FIGURE_DAY - dt.timedelta(days=5))  # in BPJS's count
    neighbour = make_employer(name="PT Tetangga", village=VILLAGE, bpjs_workers=5, bpjs_wages=15_000_000)
    close_with_workers(clerk, neighbour, 3, FIGURE_DAY + dt.timedelta(days=1))  # after it
    # 1: BPJS's day rolled up from every village, counted in the same scan as today.
    monkeypatch.setattr(engine, "ROLLUP_FROM", rollup_from)
    engine.recalculate_all(day=DAY)
    regency = current(REGENCY)
    assert (regency.pu, regency.ucj_change, regency.ucj_active) == (41_003, 3, 7)
    assert current(VILLAGE).ucj_segments == {"pu": 7}
    assert CoverageBaseline.objects.get(region_id=REGENCY, date=FIGURE_DAY).segments == {"pu": 4}


def test_only_pwbd_and_pds_workers_cases_count_their_workers_as_pu(clerk, employer):
    case = close_with_workers(clerk, employer, 4, FIGURE_DAY + dt.timedelta(days=1))
    assert compliance_pu_by_village(day=DAY) == {VILLAGE: 4}
    # A row the services would refuse now (workers on a PDS wages case) counts for nothing.
    ComplianceCase.objects.filter(pk=case.pk).update(finding=Finding.PDS_WAGES)
    assert compliance_pu_by_village(day=DAY) == {}
    assert compliance_pu_by_village(day=DAY, village_codes=[VILLAGE]) == {}
    assert compliance_pu_change(region_code=REGENCY, since=FIGURE_DAY, day=DAY) == 0


@pytest.mark.usefixtures("committed_db")
def test_the_migration_gives_closed_cases_the_village_of_their_employer(clerk, employer, make_employer):
    closed = close_with_workers(clerk, employer, 4, FIGURE_DAY)
    other = make_employer(name="PT Masih Buka", village=OTHER_DISTRICT_VILLAGE, bpjs_workers=5, bpjs_wages=15_000_000)
    still_open = case_open(actor=clerk, employer_id=other.pk, finding=Finding.PDS_WORKERS, opened_on=FIGURE_DAY)
    executor = MigrationExecutor(connection)
    executor.migrate([("enrollment", "0004_employers_and_compliance_cases")])
    try:
        executor.loader.build_graph()
        executor.migrate([("enrollment", "0005_case_village_at_closing")])
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    assert ComplianceCase.objects.get(pk=closed.pk).village_id == VILLAGE
    assert ComplianceCase.objects.get(pk=still_open.pk).village_id is None
