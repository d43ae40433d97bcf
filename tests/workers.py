"""A real Celery worker for the tests that are about one: a process of its own, reading the given
queue from Redis and writing to the test database (PostgreSQL)."""

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import services_required

ROOT = Path(__file__).resolve().parents[1]


def require_redis_and_postgres() -> None:
    """Fail in CI (the services must be there), skip elsewhere."""
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        message = "needs REDIS_URL and DATABASE_URL pointing at PostgreSQL"
        if services_required():
            pytest.fail(message)
        pytest.skip(message)


def test_db_url() -> str:
    """The test database (pytest-django's, not DATABASE_URL's) for the worker process."""
    s = connection.settings_dict
    user = s["USER"] or "postgres"
    auth = f"{user}:{s['PASSWORD']}@" if s["PASSWORD"] else f"{user}@"
    return f"postgres://{auth}{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@contextlib.contextmanager
def real_worker(queue: str):
    """Yields (process, log): the worker's output goes to a file, not a pipe, which could fill up
    and block it. Stopped on the way out."""
    env = {**os.environ, "DATABASE_URL": test_db_url(), "REDIS_URL": settings.REDIS_URL}
    with tempfile.TemporaryFile(mode="w+") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "ucj", "worker", "--pool=solo", "-Q", queue,
             "-n", f"{queue}-test-{os.getpid()}@%h", "--without-mingle", "--without-gossip", "-l", "warning"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            yield worker, log
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()


def wait_until_ready(worker, log, *, timeout: float = 60) -> None:
    """Block until the worker answers a control ping, so that timings exclude its start-up."""
    from ucj.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            pytest.fail(f"the worker stopped:\n{worker_output(log)}")
        if app.control.ping(timeout=0.5):
            return
    pytest.fail(f"the worker did not answer within {timeout} s:\n{worker_output(log)}")


def worker_output(log) -> str:
    log.seek(0)
    return log.read()
