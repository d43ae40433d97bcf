"""Celery: the heartbeat task eagerly, and one real round trip through Redis to a worker process
started here, writing to the PostgreSQL test database."""

import datetime as dt
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from tests.conftest import services_required
from ucj.models import WorkerHeartbeat
from ucj.tasks import worker_heartbeat

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_heartbeat_records_the_worker_and_is_safe_to_repeat():
    worker_heartbeat.delay("w1@host")
    long_ago = timezone.now() - dt.timedelta(days=1)
    WorkerHeartbeat.objects.filter(hostname="w1@host").update(last_seen=long_ago)
    worker_heartbeat.delay("w1@host")
    assert WorkerHeartbeat.objects.filter(hostname="w1@host").count() == 1
    assert WorkerHeartbeat.objects.get(hostname="w1@host").last_seen > long_ago + dt.timedelta(hours=23)


def _database_url_for_test_db() -> str:
    s = connection.settings_dict
    user = s["USER"] or "postgres"
    auth = f"{user}:{s['PASSWORD']}@" if s["PASSWORD"] else f"{user}@"
    return f"postgres://{auth}{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@pytest.mark.real_celery
def test_task_goes_through_redis_to_a_real_worker_and_lands_in_postgres(committed_db):
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        message = "needs REDIS_URL and DATABASE_URL pointing at PostgreSQL"
        if services_required():
            pytest.fail(message)
        pytest.skip(message)

    queue = f"test-{uuid.uuid4().hex[:8]}"  # a queue of our own: no other worker can take the task
    env = {**os.environ, "DATABASE_URL": _database_url_for_test_db(), "REDIS_URL": settings.REDIS_URL}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "ucj", "worker", "--pool=solo", "-Q", queue,
         "-n", f"{queue}@%h", "--without-mingle", "--without-gossip", "-l", "warning"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        hostname = f"roundtrip-{queue}"
        worker_heartbeat.apply_async(args=[hostname], queue=queue)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if WorkerHeartbeat.objects.filter(hostname=hostname).exists():
                break
            assert worker.poll() is None, worker.stdout.read()
            time.sleep(0.2)
        else:
            pytest.fail("the worker did not run the task within 60 s")
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
