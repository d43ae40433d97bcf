"""Imports in the background: `import_submit` runs small files at once and queues large ones for a
worker after commit; `import_run` is safe to repeat and picks up a job a dead worker left running.

Eagerly here; and once with a real worker process through Redis, importing 100,000 members into
PostgreSQL, which prints its rate (run with -s to see it)."""

import datetime as dt
import time

import pytest
from django.conf import settings
from django.utils import timezone

from enrollment import services, tasks
from enrollment.models import BatchMember, EnrollmentBatch, ImportJob, ImportState
from enrollment.tasks import import_submit
from tests.enrollment.conftest import PREMIUM, audit_events, make_nik, member_row, new_batch, rows_csv
from tests.factories import user_with
from tests.workers import real_worker, require_redis_and_postgres, worker_output
from ucj.celery import app as celery_app
from ucj.models import Region, Role


def large_file(count: int) -> bytes:
    return rows_csv([member_row(i) for i in range(1, count + 1)])


# --- Eager ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_small_file_runs_inline(officer, draft_batch, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        job = import_submit(
            actor=officer, batch_id=draft_batch.pk, filename="a.csv", content=rows_csv([member_row(1)]), kind="members"
        )
    assert callbacks == []
    assert job.finished and job.state == ImportState.DONE and job.accepted == 1


@pytest.mark.django_db
def test_a_large_file_goes_to_the_worker_after_commit(officer, draft_batch, django_capture_on_commit_callbacks):
    content = large_file(2_100)
    assert len(content) > services.INLINE_MAX_BYTES
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = import_submit(actor=officer, batch_id=draft_batch.pk, filename="big.csv", content=content, kind="members")
        # Nothing runs before the upload is committed: the worker must find the job.
        assert not job.finished and job.state == ImportState.QUEUED
        assert not BatchMember.objects.filter(batch=draft_batch).exists()
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.state == ImportState.DONE, job.message
    assert (job.total_rows, job.processed_rows, job.accepted, job.rejected) == (2_100, 2_100, 2_100, 0)
    assert job.percent == 100 and job.started_at and job.finished_at
    draft_batch.refresh_from_db()
    assert draft_batch.member_count == 2_100
    assert draft_batch.total_cost == 2_100 * PREMIUM * 7


def test_imports_are_routed_to_their_own_queue():
    route = celery_app.amqp.router.route({}, tasks.import_run.name, args=(1,), kwargs={})
    assert route["queue"].name == "imports"


@pytest.mark.django_db
def test_running_an_import_twice_does_the_work_once(officer, draft_batch):
    job = services.import_create(
        actor=officer, batch_id=draft_batch.pk, filename="a.csv", content=rows_csv([member_row(1), member_row(2)])
    )
    first = services.import_run(job_id=job.pk)
    assert (first.state, first.accepted) == (ImportState.DONE, 2)
    second = services.import_run(job_id=job.pk)
    tasks.import_run.delay(job.pk)  # a redelivered task message, too
    assert (second.state, second.accepted, second.finished_at) == (ImportState.DONE, 2, first.finished_at)
    job.refresh_from_db()
    assert (job.state, job.accepted, job.rejected, job.errors) == (ImportState.DONE, 2, 0, [])
    assert BatchMember.objects.filter(batch=draft_batch).count() == 2
    assert audit_events(draft_batch, "batch.import").count() == 1


@pytest.mark.django_db
def test_a_failed_import_is_not_retried_by_a_second_run(officer, draft_batch):
    job = services.import_create(actor=officer, batch_id=draft_batch.pk, filename="a.csv", content=b"nik\r\n")
    assert services.import_run(job_id=job.pk).state == ImportState.FAILED
    assert services.import_run(job_id=job.pk).state == ImportState.FAILED


@pytest.mark.django_db
def test_a_job_left_running_by_a_dead_worker_is_claimed_again(officer, draft_batch):
    job = services.import_create(
        actor=officer, batch_id=draft_batch.pk, filename="a.csv", content=rows_csv([member_row(1)])
    )
    long_ago = timezone.now() - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 120)
    ImportJob.objects.filter(pk=job.pk).update(state=ImportState.RUNNING, started_at=long_ago, processed_rows=1)
    job = services.import_run(job_id=job.pk)
    assert (job.state, job.accepted) == (ImportState.DONE, 1)
    assert job.started_at > long_ago + dt.timedelta(seconds=60)
    assert BatchMember.objects.filter(batch=draft_batch).count() == 1


@pytest.mark.django_db
def test_a_job_another_worker_is_running_is_left_alone(officer, draft_batch):
    job = services.import_create(
        actor=officer, batch_id=draft_batch.pk, filename="a.csv", content=rows_csv([member_row(1)])
    )
    recently = timezone.now() - dt.timedelta(seconds=30)
    ImportJob.objects.filter(pk=job.pk).update(state=ImportState.RUNNING, started_at=recently)
    job = services.import_run(job_id=job.pk)
    assert job.state == ImportState.RUNNING and job.started_at == recently
    assert not BatchMember.objects.filter(batch=draft_batch).exists()


# --- A real worker, 100,000 rows ------------------------------------------------------------------

ROWS = 100_000


def members_file(count: int, villages: list[str]) -> bytes:
    """`count` distinct valid people of Socah: serials 1-9,000 per birth date, men and women,
    spread over the district's villages. Written directly (a dict per row is too slow here)."""
    lines = ["nik,name,sex,birth_date,village_code,occupation,phone"]
    per_date = 9_000
    for i in range(count):
        block, serial = divmod(i, per_date)
        sex = "P" if block % 2 else "L"
        birth = dt.date(1970 + block, 1 + block % 12, 1 + block % 28)
        day = birth.day + (40 if sex == "P" else 0)
        nik = f"352602{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial + 1:04d}"
        lines.append(f"{nik},Warga {i},{sex},{birth:%d/%m/%Y},{villages[i % len(villages)]},Petani,0812{i:08d}")
    return ("\r\n".join(lines) + "\r\n").encode()


def _submit_and_wait(officer, batch, content: bytes, worker, log) -> float:
    """Seconds from the upload to the job's end, as the person uploading waits for it."""
    started = time.monotonic()
    job = import_submit(actor=officer, batch_id=batch.pk, filename="anggota.csv", content=content, kind="members")
    assert job.state == ImportState.QUEUED
    deadline = started + 300
    while time.monotonic() < deadline:
        job.refresh_from_db(fields=["state", "processed_rows"])
        if job.finished:
            return time.monotonic() - started
        if worker.poll() is not None:
            pytest.fail(f"the worker stopped:\n{worker_output(log)}")
        time.sleep(0.5)
    pytest.fail(f"not done within 300 s ({job.processed_rows} rows checked):\n{worker_output(log)}")


@pytest.mark.real_celery
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_imports_100000_members(committed_db, capsys):
    require_redis_and_postgres()
    officer = user_with(Role.FIELD_OFFICER, "35.26.02", username="officer")
    batch = new_batch(officer)
    assert batch.area_id == "35.26.02"
    villages = list(Region.objects.filter(parent_id="35.26.02").values_list("code", flat=True))
    assert len(villages) > 5
    content = members_file(ROWS, villages)
    assert make_nik(1, birth=dt.date(1970, 1, 1)) in content.decode()[:200]

    # Nothing stale from an earlier run may reach the worker (a Redis DB of its own in CI).
    with celery_app.connection_for_write() as conn:
        conn.default_channel.queue_purge("imports")
    with real_worker("imports") as (worker, log):
        elapsed = _submit_and_wait(officer, batch, content, worker, log)

    job = ImportJob.objects.get(batch=batch)
    assert job.state == ImportState.DONE, job.message
    assert (job.accepted, job.rejected) == (ROWS, 0), job.errors[:5]
    batch = EnrollmentBatch.objects.get(pk=batch.pk)
    assert batch.member_count == ROWS
    assert batch.total_cost == ROWS * PREMIUM * 7
    assert BatchMember.objects.filter(batch=batch).count() == ROWS
    with capsys.disabled():
        print(
            f"\nreal worker: {ROWS:,} member rows ({len(content) / 1e6:.1f} MB CSV) from upload to DONE in "
            f"{elapsed:.1f} s = {ROWS / elapsed:,.0f} rows/s (PostgreSQL, Redis, celery --pool=solo)"
        )
