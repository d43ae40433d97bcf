"""Load (issue 9), on PostgreSQL with real commits, each request in a thread and a connection of
its own, all released at once:

- 50 verified batches approved at the same moment against one allocation that pays for 20:
  exactly 20 are approved, the other 30 get a clear 409, and the allocation is never overspent;
- events logged from phones on a bad connection: each of 15 events sent three times at the same
  moment through the API (the app retries when it saw no answer) makes exactly one event, and
  every answer of one event carries that event.

SQLite serialises writers: these skip there, and fail when CI requires the services."""

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from enrollment import services
from enrollment.models import BatchState, EnrollmentBatch
from outreach.models import EventVillage, OutreachEvent
from tests.enrollment.conftest import PREMIUM, YEAR, import_rows, member_row, new_batch
from tests.enrollment.test_concurrency import postgres, run_together  # noqa: F401 (a fixture)
from tests.factories import user_with
from ucj.errors import Conflict
from ucj.models import Role

User = get_user_model()
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("english")]


def test_fifty_approvals_at_once_never_overspend_the_allocation(postgres):  # noqa: F811
    officer = user_with(Role.FIELD_OFFICER, "35.26.01", "35.26.02", username="officer")
    clerk = user_with(Role.LABOUR_OFFICE, "35.26", username="clerk")
    kadis = user_with(Role.LABOUR_OFFICE, "35.26", username="kadis")  # four eyes: the clerk verifies
    n, fits = 50, 20
    cost = PREMIUM * 7  # one member, June to December
    allocation = services.allocation_create(
        actor=clerk, region_code="35.26", year=YEAR, source="dbhcht", amount=fits * cost
    )
    batch_ids = []
    for i in range(n):
        batch = new_batch(officer)
        assert import_rows(officer, batch, [member_row(i + 1)]).accepted == 1
        services.batch_submit(actor=officer, batch_id=batch.pk)
        services.batch_verify(actor=clerk, batch_id=batch.pk)
        batch_ids.append(batch.pk)

    def approve(batch_id):
        return lambda: services.batch_approve(actor=User.objects.get(pk=kadis.pk), batch_id=batch_id)

    results = run_together([approve(b) for b in batch_ids], timeout=120)

    approved = [r for r in results if isinstance(r, EnrollmentBatch)]
    refused = [r for r in results if isinstance(r, Conflict)]
    assert (len(approved), len(refused)) == (fits, n - fits), [r for r in results if not isinstance(r, EnrollmentBatch)]
    assert all(r.status == 409 and "cannot pay" in r.message for r in refused)
    assert EnrollmentBatch.objects.filter(state=BatchState.APPROVED).count() == fits
    allocation.refresh_from_db()
    assert services.allocation_committed(allocation) == fits * cost <= allocation.amount


def test_events_sent_three_times_at_once_are_logged_once(postgres):  # noqa: F811
    officer = user_with(Role.FIELD_OFFICER, "35.26.02", username="officer")
    bodies = [
        {
            "client_id": str(uuid.uuid4()),
            "kind": "socialisation",
            "date": timezone.localdate().isoformat(),
            "villages": ["35.26.02.2001"],
            "attendance": {"farmers": 10 + i},
            "notes": f"sosialisasi {i}",
        }
        for i in range(15)
    ]

    def send(body):
        def post():
            client = APIClient()
            client.force_authenticate(User.objects.get(pk=officer.pk))
            response = client.post("/api/v1/events/", body, format="json")
            return body["client_id"], response.status_code, response.json()

        return post

    results = run_together([send(body) for body in bodies for _attempt in range(3)], timeout=120)

    assert not [r for r in results if isinstance(r, Exception)], results
    assert all(status in (200, 201) for _client_id, status, _answer in results), results
    assert sorted(status for _c, status, _a in results).count(201) == len(bodies)
    for body in bodies:
        answers = [answer for client_id, _status, answer in results if client_id == body["client_id"]]
        assert len({a["id"] for a in answers}) == 1, answers
    assert OutreachEvent.objects.count() == len(bodies)
    assert EventVillage.objects.count() == len(bodies)
