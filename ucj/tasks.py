import datetime as dt
import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from enrollment.selectors import coverage_villages_changing
from ucj.coverage import engine
from ucj.models import CoverageSchedule, WorkerHeartbeat
from ucj.services import (
    coverage_mark_stale,
    coverage_run_done,
    coverage_run_started,
    coverage_schedule_row,
    holidays_load,
)

log = logging.getLogger(__name__)


@shared_task(bind=True, ignore_result=True, soft_time_limit=20, time_limit=30)
def worker_heartbeat(self, hostname: str | None = None) -> str:
    """Record that a worker is alive and can reach the database. Beat sends it every minute; the
    administrator's home page shows the last time each worker answered. Safe to run twice."""
    name = hostname or self.request.hostname or "eager"
    WorkerHeartbeat.objects.update_or_create(hostname=name, defaults={"last_seen": timezone.now()})
    return name


@shared_task(ignore_result=True, soft_time_limit=300, time_limit=360)
def coverage_recalculate() -> int:
    """Recompute every region marked stale and its ancestors. Sent shortly after a change (once per
    burst) and by beat every few minutes as a sweep; running it twice, or in two workers at once,
    gives the same snapshots (the second waits for the first and finds nothing left)."""
    started = coverage_run_started()
    result = engine.recalculate_stale()
    if result.stale:
        coverage_run_done(started)  # a sweep that found nothing does not delay the next change
        log.info("coverage: %s stale marks, %s snapshots %s", result.stale, result.regions, result.levels)
    return result.regions


@shared_task(ignore_result=True, soft_time_limit=600, time_limit=660)
def coverage_daily() -> int:
    """People whose protection starts or lapses change their villages' coverage without anybody
    doing anything: mark the villages of every day since the last one counted (beat runs this
    hourly, so a missed night is caught up) and recalculate."""
    today = timezone.localdate()
    done = coverage_schedule_row().days_done or today - dt.timedelta(days=1)
    if done >= today:
        return 0
    done = max(done, today - dt.timedelta(days=366))
    with transaction.atomic():
        villages = coverage_villages_changing(after=done, until=today)
        coverage_mark_stale(region_codes=villages, reason="coverage.daily")
        CoverageSchedule.objects.filter(pk=1).update(days_done=today)
    return engine.recalculate_stale().regions


@shared_task(ignore_result=True, soft_time_limit=120, time_limit=180)
def holidays_load_next_year() -> int:
    """Load next year's national holidays before the year turns (beat runs it every day of
    December, so a missed day is caught up), through the same service as `load_holidays`: without
    them, deadlines reaching into January are refused. Safe to run twice. Returns the holidays
    added."""
    year = timezone.localdate().year + 1
    added = holidays_load(years=[year])
    log.info("holidays: %s added for %s", added, year)
    return added
