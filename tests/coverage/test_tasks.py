"""The recalculation in Celery: sent after commit, once per burst, on its own queue; a broker that
cannot be reached loses nothing; the daily task; and a real worker through Redis turning an
activation made through the API into new snapshots from the village up to the national root."""

import datetime as dt
import io
import time

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Q
from django.utils import timezone
from rest_framework.test import APIClient

from enrollment import services
from enrollment.models import BatchMember
from enrollment.services.premiums import month_end
from tests.coverage.conftest import BANGKALAN, DAY, VILLAGE, bangkalan_batch_to_activate, counts, workforce
from tests.enrollment.conftest import import_rows, make_nik, member_row, new_batch
from tests.enrollment.test_concurrency import run_together
from tests.workers import real_worker, require_redis_and_postgres, wait_until_ready, worker_output
from ucj import tasks
from ucj.celery import app as celery_app
from ucj.coverage import engine
from ucj.models import ROOT_CODE, CoverageSchedule, CoverageSnapshot, Region, StaleRegion
from ucj.services import COVERAGE_TASK, coverage_mark_stale, coverage_schedule, coverage_schedule_row

CHAIN = [VILLAGE, "35.26.02", BANGKALAN, "35", ROOT_CODE]


def test_recalculations_go_to_the_coverage_queue():
    for task in (tasks.coverage_recalculate, tasks.coverage_daily):
        assert celery_app.amqp.router.route({}, task.name)["queue"].name == "coverage"
    assert {"coverage-sweep", "coverage-daily"} <= set(celery_app.conf.beat_schedule)


@pytest.fixture
def sent(monkeypatch):
    """The recalculation tasks sent, instead of running them."""
    calls = []
    monkeypatch.setattr(
        celery_app.tasks[COVERAGE_TASK], "apply_async", lambda *a, **kw: calls.append(kw.get("countdown"))
    )
    return calls


@pytest.mark.django_db
def test_a_burst_of_a_hundred_changes_sends_one_recalculation(sent, django_capture_on_commit_callbacks, settings):
    settings.UCJ_COVERAGE_DELAY, settings.UCJ_COVERAGE_INTERVAL = 0.5, 30
    for _ in range(100):
        with django_capture_on_commit_callbacks(execute=True):
            coverage_mark_stale(region_codes=[VILLAGE], reason="batch.activate")
    assert sent == [0.5]  # the first change of a quiet spell is counted at once
    assert StaleRegion.objects.filter(region_id=VILLAGE).count() == 1


@pytest.mark.django_db
def test_changes_right_after_a_recalculation_wait_for_the_interval(sent, settings):
    settings.UCJ_COVERAGE_DELAY, settings.UCJ_COVERAGE_INTERVAL = 0.5, 30
    coverage_mark_stale(region_codes=[VILLAGE])
    tasks.coverage_recalculate()  # a run that did work
    results = [coverage_schedule() for _ in range(50)]
    assert results.count(True) == 1 and len(sent) == 1
    assert 29 < sent[0] <= 30  # one task, at the end of the interval
    CoverageSchedule.objects.update(pending_since=None, last_run_at=timezone.now() - dt.timedelta(minutes=5))
    assert coverage_schedule() is True and sent[-1] == 0.5  # long after: quick again


@pytest.mark.django_db
def test_the_worker_starting_its_run_lets_the_next_change_send_a_task(sent, settings):
    """The claim is a database row, not a per-process cache: a worker process that starts the
    queued run frees it for every web process."""
    settings.UCJ_COVERAGE_DELAY, settings.UCJ_COVERAGE_INTERVAL = 0.5, 0
    assert coverage_schedule() is True and coverage_schedule() is False
    assert CoverageSchedule.objects.get().pending_since is not None
    tasks.coverage_recalculate()  # what the worker runs
    assert CoverageSchedule.objects.get().pending_since is None
    assert coverage_schedule() is True and len(sent) == 2


@pytest.mark.django_db
def test_a_task_queued_long_ago_and_never_started_is_sent_again(sent, settings):
    settings.UCJ_COVERAGE_DELAY = 0.5
    assert coverage_schedule() is True
    CoverageSchedule.objects.update(pending_since=timezone.now() - dt.timedelta(hours=1))  # lost with Redis
    assert coverage_schedule() is True and len(sent) == 2


@pytest.mark.django_db
def test_a_sweep_that_finds_nothing_does_not_delay_the_next_change(sent, settings):
    settings.UCJ_COVERAGE_DELAY = 0.5
    tasks.coverage_recalculate()
    assert coverage_schedule() is True and sent == [0.5]


@pytest.mark.django_db
def test_nothing_is_sent_for_a_change_that_rolls_back(sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        coverage_mark_stale(region_codes=[VILLAGE])
    assert len(callbacks) == 1 and sent == []  # sent only when the change commits


@pytest.mark.django_db
def test_a_broker_that_cannot_be_reached_loses_nothing(monkeypatch, caplog):
    def down(*args, **kwargs):
        raise ConnectionRefusedError("Redis is down")

    monkeypatch.setattr(celery_app.tasks[COVERAGE_TASK], "apply_async", down)
    coverage_mark_stale(region_codes=[VILLAGE])
    assert coverage_schedule() is False
    assert "periodic sweep" in caplog.text
    assert CoverageSchedule.objects.get().pending_since is None  # the next change tries again
    assert StaleRegion.objects.filter(region_id=VILLAGE).exists()  # the sweep will find it
    tasks.coverage_recalculate()  # what the beat sweep runs
    assert not StaleRegion.objects.exists()
    assert set(CoverageSnapshot.objects.values_list("region_id", flat=True)) == set(CHAIN)


@pytest.mark.django_db
def test_an_activation_recalculates_after_commit(officer, clerk, kadis, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    workforce(BANGKALAN, 500_000)
    counts(BANGKALAN, 71_500, as_of=today - dt.timedelta(days=30))
    with django_capture_on_commit_callbacks(execute=True):
        activate_batch_today(officer, clerk, kadis, members=3)
    snap = CoverageSnapshot.objects.get(region_id=BANGKALAN, is_current=True)
    assert (snap.ucj_active, snap.ucj_change, snap.active) == (3, 3, 71_503)
    assert not StaleRegion.objects.exists()


def activate_batch_today(officer, clerk, approver, *, members: int):
    """A batch of VILLAGE whose period starts today, activated through the services (the clerk
    verifies, `approver` approves: four eyes)."""
    today = timezone.localdate()
    services.allocation_create(actor=clerk, region_code=BANGKALAN, year=today.year, source="dbhcht", amount=10**9)
    # Whole months: from this month's first day (its members count from the activation, today).
    end = min(month_end(today + dt.timedelta(days=60)), dt.date(today.year, 12, 31))
    batch = new_batch(officer, year=today.year, period_start=today.replace(day=1), period_end=end)
    import_rows(officer, batch, [member_row(i) for i in range(1, members + 1)])
    services.batch_submit(actor=officer, batch_id=batch.pk)
    services.batch_verify(actor=clerk, batch_id=batch.pk)
    services.batch_approve(actor=approver, batch_id=batch.pk)
    confirmations = {make_nik(i): (i + 1, f"2300000000{i}") for i in range(1, members + 1)}
    services.batch_activate(actor=clerk, batch_id=batch.pk, confirmations=confirmations)
    return batch


@pytest.mark.django_db
def test_the_daily_task_recalculates_villages_whose_protection_starts_today(batch_in_state):
    batch = batch_in_state("active", members=2)
    tasks.coverage_recalculate()
    today = timezone.localdate()
    batch.members.update(covered_from=today, covered_until=today + dt.timedelta(days=30))
    CoverageSnapshot.objects.all().delete()
    tasks.coverage_daily()
    assert CoverageSnapshot.objects.get(region_id=VILLAGE, is_current=True).ucj_active == 2
    assert CoverageSchedule.objects.get().days_done == today
    CoverageSnapshot.objects.all().delete()
    assert tasks.coverage_daily() == 0  # once a day: the hourly runs after it do nothing
    assert not CoverageSnapshot.objects.exists()


@pytest.mark.django_db
def test_the_daily_task_catches_up_nights_it_missed(batch_in_state):
    batch = batch_in_state("active", members=2)
    today = timezone.localdate()
    batch.members.update(covered_from=today - dt.timedelta(days=40), covered_until=today - dt.timedelta(days=3))
    tasks.coverage_recalculate()
    CoverageSnapshot.objects.all().delete()
    coverage_schedule_row()
    CoverageSchedule.objects.update(days_done=today - dt.timedelta(days=4))  # three nights missed
    tasks.coverage_daily()
    assert CoverageSnapshot.objects.get(region_id=VILLAGE, is_current=True).ucj_active == 0
    assert CoverageSchedule.objects.get().days_done == today


@pytest.mark.django_db
def test_recalculate_coverage_command(capsys):
    workforce(BANGKALAN, 500_000)
    counts(BANGKALAN, 71_500)
    call_command("recalculate_coverage", "--region", BANGKALAN)
    out = capsys.readouterr().out
    # The regency, its 18 districts and their 281 villages, and the province and the root above it.
    assert "302 snapshots written" in out
    below = Region.objects.filter(code__startswith="35.26.").count()
    assert below == 18 + 281
    assert set(CoverageSnapshot.objects.values_list("region_id", flat=True)) == set(
        Region.objects.filter(Q(code__startswith="35.26.") | Q(code__in=["35.26", "35", ROOT_CODE])).values_list(
            "code", flat=True
        )
    )
    call_command("recalculate_coverage", "--all")
    assert "level 4" in capsys.readouterr().out
    with pytest.raises(CommandError, match=r"No region has the code 99\.99"):
        call_command("recalculate_coverage", "--region", "99.99")


# --- A real worker --------------------------------------------------------------------------------


@pytest.mark.real_celery
@pytest.mark.django_db(transaction=True)
def test_an_activation_through_the_api_reaches_the_national_snapshot_through_a_real_worker(committed_db, capsys):
    """Redis, a worker on the `coverage` queue and PostgreSQL: the activation's commit sends the
    recalculation, and the worker writes new snapshots of the village, its district, regency,
    province and the national root."""
    require_redis_and_postgres()
    today = timezone.localdate()
    batch, _officer, clerk = bangkalan_batch_to_activate(4)
    confirmation = io.BytesIO(
        ("nik,kpj\r\n" + "".join(f"{make_nik(i)},2300000000{i}\r\n" for i in range(1, 5))).encode()
    )
    confirmation.name = "bpjs.csv"

    with celery_app.connection_for_write() as conn:
        conn.default_channel.queue_purge("coverage")
    with real_worker("coverage") as (worker, log):
        wait_until_ready(worker, log)
        client = APIClient()
        client.force_authenticate(clerk)
        response = client.post(f"/api/v1/batches/{batch.pk}/activate/", {"file": confirmation})
        assert response.status_code == 200, response.content
        committed = time.monotonic()
        assert BatchMember.objects.filter(batch=batch, covered_from=today).count() == 4
        deadline = committed + 60
        while time.monotonic() < deadline:
            root = CoverageSnapshot.objects.filter(region_id=ROOT_CODE, is_current=True, ucj_active=4).first()
            if root is not None:
                break
            if worker.poll() is not None:
                pytest.fail(f"the worker stopped:\n{worker_output(log)}")
            time.sleep(0.05)
        else:
            pytest.fail(f"no national snapshot within 60 s:\n{worker_output(log)}")
        elapsed = time.monotonic() - committed

    snapshots = {s.region_id: s for s in CoverageSnapshot.objects.filter(is_current=True)}
    assert set(snapshots) == set(CHAIN)
    assert all(snapshots[code].ucj_active == 4 for code in CHAIN)
    assert snapshots[BANGKALAN].active == 71_504
    assert not StaleRegion.objects.exists()
    with capsys.disabled():
        delay = settings.UCJ_COVERAGE_DELAY
        print(f"\nreal worker: activation commit → national snapshot in {elapsed:.2f} s (of which {delay} s delay)")


# --- Two workers at once (PostgreSQL) --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_recalculations_at_once_give_the_same_snapshots_as_one(committed_db):
    require_redis_and_postgres()
    workforce(BANGKALAN, 500_000)
    counts(BANGKALAN, 71_500)
    villages = ["35.26.02.2001", "35.26.01.2008", "51.03.01.1002"]
    # Marked as a change would, without its on_commit task (eager here, it would run at once).
    StaleRegion.objects.bulk_create([StaleRegion(region_id=v, marked_at=timezone.now()) for v in villages])
    results = run_together([lambda: engine.recalculate_stale(day=DAY)] * 2)
    assert not [r for r in results if isinstance(r, Exception)], results
    # One of them did the work, the other waited for it and found nothing left.
    assert sorted(r.stale for r in results) == [0, 3]
    assert not StaleRegion.objects.exists()
    together = {s.region_id: (s.workforce, s.active, s.percent) for s in CoverageSnapshot.objects.all()}
    engine.recalculate_regions(villages, day=DAY)
    alone = {s.region_id: (s.workforce, s.active, s.percent) for s in CoverageSnapshot.objects.all()}
    assert together == alone
    assert CoverageSnapshot.objects.filter(is_current=True).count() == len(alone) == 3 + 3 + 2 + 2 + 1
