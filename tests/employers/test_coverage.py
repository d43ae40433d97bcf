"""Workers employers register when a compliance case closes count toward coverage as wage earners
(PU), from the closing day, and only once: a case closed before BPJS's count is in that count."""

import datetime as dt

from enrollment.models import Finding
from enrollment.services import case_close, case_open
from tests.coverage.conftest import counts, workforce
from tests.employers.conftest import VILLAGE
from ucj.coverage import engine
from ucj.models import CoverageSnapshot

DAY = dt.date(2026, 11, 23)
FIGURE_DAY = DAY - dt.timedelta(days=23)
DISTRICT, REGENCY = VILLAGE.rsplit(".", 1)[0], "35.26"


def close_with_workers(clerk, employer, workers, closed_on):
    case = case_open(actor=clerk, employer_id=employer.pk, finding=Finding.PDS_WORKERS, opened_on=closed_on)
    return case_close(actor=clerk, case_id=case.pk, outcome="complied", workers_added=workers, closed_on=closed_on)


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
