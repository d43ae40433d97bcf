"""Faults (issue 9), with the real services: Redis stopped and started again, Celery worker
processes killed with SIGKILL while their transaction is open, and one message delivered twice.
Each ends with the data as if the fault had not happened.

A worker is caught "in the middle" deterministically: the test holds a lock on the table the
worker is about to write, waits until PostgreSQL shows the worker's backend waiting for it, and
kills the worker there, with its transaction open. (PostgreSQL restarted under load is a script
that needs a running server: tests/faults/postgres_restart.py, run by .ci/run.)

They skip without Redis and PostgreSQL, and fail in CI (UCJ_REQUIRE_SERVICES=1)."""

import contextlib
import datetime as dt
import subprocess
import time
import uuid
from urllib.parse import urlsplit

import psycopg
import pytest
from django.conf import settings
from django.utils import timezone

from enrollment import services
from enrollment.models import BatchMember, BatchState, ImportJob, ImportState, Participant
from enrollment.tasks import import_run, import_submit
from tests import workers
from tests.coverage.conftest import BANGKALAN, bangkalan_batch_to_activate
from tests.enrollment.conftest import make_nik, member_row, new_batch, rows_csv
from tests.factories import user_with
from tests.workers import real_worker, require_redis_and_postgres, wait_until_ready, worker_output
from ucj import tasks
from ucj.celery import app as celery_app
from ucj.models import ROOT_CODE, AuditEvent, CoverageSnapshot, Role, StaleRegion

pytestmark = [pytest.mark.real_celery, pytest.mark.django_db(transaction=True)]


def redis_port() -> str:
    """The port of the Redis the tests use (REDIS_URL): the one this test stops and starts."""
    return str(urlsplit(settings.REDIS_URL).port or 6379)


def redis_start_command() -> list[str]:
    """How this machine starts Redis (the project's rules): as a daemon, keeping
    nothing on disk."""
    return [
        "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", redis_port(), "--save", "",
        "--appendonly", "no", "--dir", "/var/lib/redis", "--logfile", "/var/log/redis/ci.log",
    ]  # fmt: skip


def redis_answers() -> bool:
    ping = subprocess.run(["redis-cli", "-p", redis_port(), "ping"], capture_output=True)
    return ping.stdout.strip() == b"PONG"


@pytest.fixture
def services_up(committed_db):
    require_redis_and_postgres()
    for queue in ("coverage", "imports"):
        with celery_app.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue)


def wait_for(condition, *, what: str, timeout: float = 60, worker=None, log=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if worker is not None and worker.poll() is not None:
            pytest.fail(f"the worker stopped while waiting for {what}:\n{worker_output(log)}")
        time.sleep(0.05)
    pytest.fail(f"no {what} within {timeout} s" + (f":\n{worker_output(log)}" if log else ""))


@contextlib.contextmanager
def table_locked(table: str, mode: str):
    """Hold a lock on `table` from a connection of our own until the block ends."""
    with psycopg.connect(workers.test_db_url().replace("postgres://", "postgresql://")) as conn:
        conn.execute(f"LOCK TABLE {table} IN {mode} MODE")
        yield conn
        conn.rollback()


def backend_waiting_on_a_lock(conn, table_hint: str) -> bool:
    """A backend other than ours waits for a lock while running a statement on `table_hint`.
    (Activity is read once per transaction unless its snapshot is cleared.)"""
    conn.execute("SELECT pg_stat_clear_snapshot()")
    row = conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid() "
        "AND query ILIKE %s",
        [f"%{table_hint}%"],
    ).fetchone()
    return row[0] > 0


def verified_batch(people: int = 3):
    batch, _officer, clerk = bangkalan_batch_to_activate(people, approve=False)
    return batch, clerk


def confirmations(people: int) -> dict:
    return {make_nik(i): (i + 1, f"2300000000{i}") for i in range(1, people + 1)}


def national_counts(n: int) -> bool:
    return CoverageSnapshot.objects.filter(region_id=ROOT_CODE, is_current=True, ucj_active=n).exists()


# --- Redis down -----------------------------------------------------------------------------------


def test_with_redis_down_approval_and_activation_commit_and_coverage_catches_up_after(services_up, caplog):
    batch, clerk = verified_batch(3)
    subprocess.run(["redis-cli", "-p", redis_port(), "shutdown", "nosave"], check=False, capture_output=True)
    try:
        assert not redis_answers()
        services.batch_approve(actor=clerk, batch_id=batch.pk)
        services.batch_activate(actor=clerk, batch_id=batch.pk, confirmations=confirmations(3))
    finally:
        subprocess.run(redis_start_command(), check=False)
        deadline = time.monotonic() + 20
        while not redis_answers() and time.monotonic() < deadline:
            time.sleep(0.1)
        if not redis_answers():  # every later test needs it: stop here rather than fail them all
            pytest.exit(f"Redis did not start again: {' '.join(redis_start_command())}", returncode=1)
    batch.refresh_from_db()
    assert batch.state == BatchState.ACTIVE
    assert "periodic sweep" in caplog.text  # the recalculation could not be queued, and said so
    assert StaleRegion.objects.exists() and not national_counts(3)

    # Redis is back, empty (it keeps nothing on disk): beat's sweep catches up through a worker.
    with real_worker("coverage") as (worker, log):
        wait_until_ready(worker, log)
        tasks.coverage_recalculate.apply_async()  # what beat sends every five minutes
        wait_for(lambda: national_counts(3), what="national snapshot", worker=worker, log=log)
    assert not StaleRegion.objects.exists()


# --- A worker killed in the middle ----------------------------------------------------------------


def test_a_worker_killed_in_the_middle_of_a_recalculation_leaves_the_next_run_correct(services_up):
    batch, clerk = verified_batch(3)
    services.batch_approve(actor=clerk, batch_id=batch.pk)
    with real_worker("coverage") as (worker, log):
        wait_until_ready(worker, log)
        with table_locked("ucj_coveragesnapshot", "EXCLUSIVE") as lock:
            # The activation's commit sends the recalculation; the worker starts it and waits
            # for the snapshot table with its transaction open: killed there.
            services.batch_activate(actor=clerk, batch_id=batch.pk, confirmations=confirmations(3))
            wait_for(lambda: backend_waiting_on_a_lock(lock, "coveragesnapshot"), what="worker at the lock",
                     worker=worker, log=log)  # fmt: skip
            worker.kill()
            worker.wait(timeout=10)
    assert not national_counts(3)
    assert StaleRegion.objects.exists()  # its transaction never committed: the marks stay

    with real_worker("coverage") as (worker, log):
        wait_until_ready(worker, log)
        tasks.coverage_recalculate.apply_async()  # beat's sweep
        wait_for(lambda: national_counts(3), what="national snapshot", worker=worker, log=log)
    assert not StaleRegion.objects.exists()
    # One current snapshot per region, each the same as a recalculation from scratch gives.
    current = list(CoverageSnapshot.objects.filter(is_current=True).values_list("region_id", "ucj_active"))
    assert len(current) == len({code for code, _n in current})
    assert dict(current)[BANGKALAN] == 3


def big_file(people: int) -> bytes:
    """A member file over the inline limit, so that a worker imports it."""
    return rows_csv([member_row(i, name=f"Warga Desa Socah Nomor {i:05d}") for i in range(1, people + 1)])


def test_a_worker_killed_in_the_middle_of_an_import_adds_nothing_and_the_import_runs_again(services_up):
    officer = user_with(Role.FIELD_OFFICER, "35.26.02", username="officer")
    batch = new_batch(officer)
    people = 3_000
    with real_worker("imports") as (worker, log):
        wait_until_ready(worker, log)
        with table_locked("enrollment_participant", "SHARE") as lock:
            job = import_submit(
                actor=officer, batch_id=batch.pk, filename="anggota.csv", content=big_file(people), kind="members"
            )
            assert job.state == ImportState.QUEUED
            wait_for(lambda: backend_waiting_on_a_lock(lock, "enrollment_participant"), what="worker at the lock",
                     worker=worker, log=log)  # fmt: skip
            worker.kill()
            worker.wait(timeout=10)
    job.refresh_from_db()
    assert job.state == ImportState.RUNNING  # claimed by the worker that died
    assert not BatchMember.objects.filter(batch=batch).exists()
    assert not Participant.objects.filter(nik=make_nik(1)).exists()

    # Past the task time limit a running job counts as abandoned and is claimed again (here the
    # clock is moved instead of waiting 16 minutes); the message comes again (a retry, or Redis
    # redelivering the unacknowledged message).
    late = timezone.now() - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 120)
    ImportJob.objects.filter(pk=job.pk).update(started_at=late)
    with real_worker("imports") as (worker, log):
        wait_until_ready(worker, log)
        import_run.apply_async(args=[job.pk])
        wait_for(lambda: ImportJob.objects.get(pk=job.pk).state == ImportState.DONE, what="import done",
                 worker=worker, log=log, timeout=120)  # fmt: skip
    job.refresh_from_db()
    assert (job.accepted, job.rejected) == (people, 0), job.errors[:3]
    assert BatchMember.objects.filter(batch=batch).count() == people
    batch.refresh_from_db()
    assert batch.member_count == people


def queue_length(queue: str) -> int:
    with celery_app.connection_for_write() as conn:
        return conn.default_channel.client.llen(queue)


def worker_busy() -> bool:
    active = celery_app.control.inspect(timeout=1).active() or {}
    reserved = celery_app.control.inspect(timeout=1).reserved() or {}
    return any(active.values()) or any(reserved.values())


# --- One message delivered twice --------------------------------------------------------------------


def test_one_import_message_delivered_twice_imports_once(services_up):
    officer = user_with(Role.FIELD_OFFICER, "35.26.02", username="officer")
    batch = new_batch(officer)
    people = 2_000
    job = services.import_create(actor=officer, batch_id=batch.pk, filename="a.csv", content=big_file(people))
    message_id = str(uuid.uuid4())
    with real_worker("imports") as (worker, log):
        wait_until_ready(worker, log)
        for _delivery in range(2):
            import_run.apply_async(args=[job.pk], task_id=message_id)
        wait_for(lambda: ImportJob.objects.get(pk=job.pk).state == ImportState.DONE, what="import done",
                 worker=worker, log=log, timeout=120)  # fmt: skip
        # The second delivery too: the queue empty and the worker idle (it runs one at a time).
        wait_for(lambda: queue_length("imports") == 0 and not worker_busy(), what="the second delivery handled",
                 worker=worker, log=log)  # fmt: skip
    job.refresh_from_db()
    assert job.accepted == people
    assert BatchMember.objects.filter(batch=batch).count() == people
    imports = AuditEvent.objects.filter(action="batch.import", target_id=str(batch.pk))
    assert imports.count() == 1
