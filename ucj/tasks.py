import logging
import time

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from enrollment.selectors import coverage_villages_changing
from ucj.coverage import engine
from ucj.models import WorkerHeartbeat
from ucj.services import COVERAGE_LAST_RUN, COVERAGE_PENDING, coverage_mark_stale

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
    # Changes from now on must send a new task: this run may already have read the marks.
    started = time.time()
    cache.delete(COVERAGE_PENDING)
    result = engine.recalculate_stale()
    if result.stale:
        cache.set(COVERAGE_LAST_RUN, started, timeout=3600)  # a sweep that found nothing does not count
        log.info("coverage: %s stale marks, %s snapshots %s", result.stale, result.regions, result.levels)
    return result.regions


@shared_task(ignore_result=True, soft_time_limit=600, time_limit=660)
def coverage_daily() -> int:
    """After midnight: people whose protection starts today or lapsed yesterday change their
    villages' coverage without anybody doing anything; mark those villages and recalculate."""
    villages = coverage_villages_changing(day=timezone.localdate())
    coverage_mark_stale(region_codes=villages, reason="coverage.daily")
    return engine.recalculate_stale().regions
