"""Two people at the same moment, on PostgreSQL with real commits and real row locks (DESIGN §3):
approvals never overspend an allocation, and a person never ends up in two open batches.

SQLite serialises every writer, so these tests mean nothing there: they skip, unless CI requires
the services (UCJ_REQUIRE_SERVICES=1), where a missing PostgreSQL is a failure."""

import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.utils import translation

from enrollment import importers, services
from enrollment.models import BatchMember, BatchState, EnrollmentBatch, ImportState, Participant
from enrollment.services import batches as batch_services
from tests.conftest import services_required
from tests.enrollment.conftest import (
    PREMIUM,
    YEAR,
    audit_events,
    import_rows,
    make_nik,
    member_row,
    new_batch,
    rows_csv,
)
from tests.factories import user_with
from ucj.errors import Conflict
from ucj.models import Role

User = get_user_model()
MONTHS = 7

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("english")]


@pytest.fixture
def postgres(committed_db):
    if connection.vendor != "postgresql":
        message = "needs DATABASE_URL pointing at PostgreSQL (row locks across connections)"
        if services_required():
            pytest.fail(message)
        pytest.skip(message)


def run_together(functions, *, timeout=60):
    """Run each function in its own thread, all released at once; return what each returned or
    raised, in order. Every thread closes its database connection."""
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def worker(i, fn):
        try:
            translation.activate("en")  # the language is per thread
            barrier.wait(timeout=timeout)
            results[i] = fn()
        except Exception as exc:  # the test inspects what each thread got
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, fn)) for i, fn in enumerate(functions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
        assert not t.is_alive(), "a thread is stuck (deadlock?)"
    return results


def test_concurrent_approvals_never_overspend_the_allocation(postgres, monkeypatch):
    officer = user_with(Role.FIELD_OFFICER, "35.26.01", "35.26.02", username="officer")
    clerk = user_with(Role.LABOUR_OFFICE, "35.26", username="clerk")
    kadis = user_with(Role.LABOUR_OFFICE, "35.26", username="kadis")  # four eyes: the clerk verifies
    n, fits = 8, 3
    cost = PREMIUM * MONTHS  # one member, June to December
    allocation = services.allocation_create(
        actor=clerk, region_code="35.26", year=YEAR, source="dbhcht", amount=fits * cost
    )
    batch_ids = []
    for i in range(n):
        batch = new_batch(officer)
        import_rows(officer, batch, [member_row(i + 1)])
        services.batch_submit(actor=officer, batch_id=batch.pk)
        services.batch_verify(actor=clerk, batch_id=batch.pk)
        batch_ids.append(batch.pk)
    assert set(EnrollmentBatch.objects.values_list("total_cost", flat=True)) == {cost}

    # Widen the window between reading what is committed and saving the approval: without the
    # allocation's row lock, every thread would read the same total and all eight would pass.
    real_committed = batch_services.allocation_committed

    def slow_committed(alloc):
        value = real_committed(alloc)
        time.sleep(0.05)
        return value

    monkeypatch.setattr(batch_services, "allocation_committed", slow_committed)

    def approve(batch_id):
        actor = User.objects.get(pk=kadis.pk)  # each thread its own connection and user object
        return lambda: services.batch_approve(actor=actor, batch_id=batch_id)

    results = run_together([approve(b) for b in batch_ids])

    approved = [r for r in results if isinstance(r, EnrollmentBatch)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(approved) == fits, results
    assert len(refused) == n - fits, results
    assert all("cannot pay" in r.message for r in refused), [r.message for r in refused]
    assert all(r.status == 409 for r in refused)
    assert EnrollmentBatch.objects.filter(state=BatchState.APPROVED).count() == fits
    assert EnrollmentBatch.objects.filter(state=BatchState.VERIFIED).count() == n - fits
    allocation.refresh_from_db()
    committed = real_committed(allocation)
    assert committed == fits * cost <= allocation.amount
    assert sum(audit_events(EnrollmentBatch(pk=b), "batch.approve").count() for b in batch_ids) == fits


def test_concurrent_imports_put_a_person_in_one_open_batch_only(postgres, monkeypatch):
    officer = user_with(Role.FIELD_OFFICER, "35.26.01", "35.26.02", username="officer")
    first, second = new_batch(officer), new_batch(officer)
    shared = member_row(1)
    jobs = [
        services.import_create(
            actor=officer, batch_id=b.pk, filename="a.csv", content=rows_csv([member_row(own), shared])
        ).pk
        for b, own in ((first, 2), (second, 3))
    ]

    # Both uploads pass the first (unlocked) membership check before either writes: the race the
    # re-check under the batch lock and the partial unique index must settle.
    both_checked = threading.Barrier(2)
    real_check = importers.check_member_rows

    def check_then_wait(*args, **kwargs):
        registered = real_check(*args, **kwargs)
        both_checked.wait(timeout=30)
        return registered

    monkeypatch.setattr(importers, "check_member_rows", check_then_wait)

    results = run_together([lambda j=j: services.import_run(job_id=j) for j in jobs])
    assert not any(isinstance(r, Exception) for r in results), results

    nik = shared["nik"]
    assert Participant.objects.filter(nik=nik).count() == 1
    assert BatchMember.objects.filter(participant__nik=nik, is_open=True).count() == 1
    done = [r for r in results if r.state == ImportState.DONE and r.accepted == 2]
    assert len(done) == 1, [(r.state, r.accepted, r.rejected, r.message, r.errors) for r in results]
    [loser] = [r for r in results if r is not done[0]]
    # The later upload either saw the winner under its lock (the row is refused) or hit the
    # unique index (the whole file fails with a Conflict and adds nothing).
    if loser.state == ImportState.DONE:
        assert (loser.accepted, loser.rejected) == (1, 1)
        assert "Already in an open batch" in loser.errors[0]["message"]
    else:
        assert loser.state == ImportState.FAILED
        assert "upload the file again" in loser.message
        assert not BatchMember.objects.filter(batch_id=loser.batch_id).exists()
    for batch in (first, second):
        batch.refresh_from_db()
        assert batch.member_count == BatchMember.objects.filter(batch=batch).count()
    assert make_nik(1) == nik
