"""Celery: the heartbeat task eagerly, and one real round trip through Redis to a worker process
started here, writing to the PostgreSQL test database."""

import datetime as dt
import time
import uuid

import pytest
from django.utils import timezone

from tests.workers import real_worker, require_redis_and_postgres, worker_output
from ucj.models import WorkerHeartbeat
from ucj.tasks import worker_heartbeat


@pytest.mark.django_db
def test_heartbeat_records_the_worker_and_is_safe_to_repeat():
    worker_heartbeat.delay("w1@host")
    long_ago = timezone.now() - dt.timedelta(days=1)
    WorkerHeartbeat.objects.filter(hostname="w1@host").update(last_seen=long_ago)
    worker_heartbeat.delay("w1@host")
    assert WorkerHeartbeat.objects.filter(hostname="w1@host").count() == 1
    assert WorkerHeartbeat.objects.get(hostname="w1@host").last_seen > long_ago + dt.timedelta(hours=23)


@pytest.mark.real_celery
def test_task_goes_through_redis_to_a_real_worker_and_lands_in_postgres(committed_db):
    require_redis_and_postgres()
    queue = f"test-{uuid.uuid4().hex[:8]}"  # a queue of our own: no other worker can take the task
    with real_worker(queue) as (worker, log):
        hostname = f"roundtrip-{queue}"
        worker_heartbeat.apply_async(args=[hostname], queue=queue)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if WorkerHeartbeat.objects.filter(hostname=hostname).exists():
                break
            assert worker.poll() is None, worker_output(log)
            time.sleep(0.2)
        else:
            pytest.fail(f"the worker did not run the task within 60 s:\n{worker_output(log)}")
