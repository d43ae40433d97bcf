"""Cancelling a batch (issue 19). An active batch keeps the months from its period's start through
the month of cancellation (BPJS premiums are paid monthly in advance: that month is paid) and
releases the months after it; its members stop counting toward coverage on the day of
cancellation. An approved batch, which protected nobody, releases everything. "Today" is set by
replacing django.utils.timezone.now, as the outreach tests do."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from enrollment import selectors, services
from enrollment.models import BatchState
from tests.enrollment.conftest import PREMIUM, VILLAGE, YEAR, audit_events
from ucj.errors import Conflict
from ucj.models import StaleRegion

pytestmark = pytest.mark.django_db

MEMBERS = 3  # batch_in_state's batches: three members of VILLAGE, June to December
FULL = MEMBERS * PREMIUM * 7


@pytest.fixture
def today(monkeypatch):
    """Set today's date (10:00 in Jakarta)."""

    def set_day(day: dt.date):
        moment = timezone.make_aware(dt.datetime(day.year, day.month, day.day, 10))
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_day


def allocation_read(api_client, clerk, allocation) -> dict:
    api_client.force_authenticate(clerk)
    return api_client.get(f"/api/v1/allocations/{allocation.pk}/").json()


def test_cancelling_an_active_batch_on_15_september_keeps_june_to_september(
    today, api_client, batch_in_state, clerk, allocation
):
    today(dt.date(YEAR, 6, 3))
    batch = batch_in_state(BatchState.ACTIVE)
    assert services.allocation_committed(allocation) == FULL

    today(dt.date(YEAR, 9, 15))
    StaleRegion.objects.all().delete()
    services.batch_cancel(actor=clerk, batch_id=batch.pk, reason="SK dicabut")

    batch.refresh_from_db()
    kept, released = MEMBERS * PREMIUM * 4, MEMBERS * PREMIUM * 3  # June-September; October-December
    assert batch.state == BatchState.CANCELLED
    assert (batch.paid_until, batch.paid_months, batch.total_cost) == (dt.date(YEAR, 9, 30), 4, kept)
    assert services.allocation_committed(allocation) == kept
    body = allocation_read(api_client, clerk, allocation)
    assert (body["committed"], body["remaining"]) == (kept, allocation.amount - kept)
    assert selectors.allocations_visible_to(clerk).get().committed == kept

    [event] = audit_events(batch, "batch.cancel")
    assert event.reason == "SK dicabut"
    assert event.data["release"] == "months_not_covered" and event.data["paid_until"] == f"{YEAR}-09-30"
    assert (event.data["released"], event.data["months_kept"], event.data["months_released"]) == (released, 4, 3)
    assert (event.data["cost_before"], event.data["total_cost"]) == (FULL, kept)

    # The members counted up to the day before the cancellation, and not from it on.
    assert set(batch.members.values_list("covered_until", flat=True)) == {dt.date(YEAR, 9, 14)}
    counted = {
        day: selectors.coverage_active_in_region(region_code="35.26", day=dt.date(YEAR, 9, day)) for day in (14, 15, 16)
    }
    assert counted == {14: {"bpu": MEMBERS}, 15: {}, 16: {}}
    by_village = selectors.coverage_active_by_village(days=[dt.date(YEAR, 9, 14), dt.date(YEAR, 10, 1)])
    assert by_village[dt.date(YEAR, 9, 14)][VILLAGE]["segments"] == {"bpu": MEMBERS}
    assert by_village[dt.date(YEAR, 10, 1)] == {}
    # Their regions are recalculated.
    assert set(StaleRegion.objects.values_list("region_id", "reason")) == {(VILLAGE, "batch.cancel")}


def test_the_released_months_pay_for_another_batch(english, today, batch_in_state, clerk, kadis, allocation):
    today(dt.date(YEAR, 6, 3))
    first = batch_in_state(BatchState.ACTIVE)
    today(dt.date(YEAR, 9, 15))
    second = batch_in_state(BatchState.VERIFIED, start=10)
    # Room for the first batch's four months and the second's seven, not for both whole.
    amount = MEMBERS * PREMIUM * (4 + 7)
    services.allocation_update(actor=clerk, allocation_id=allocation.pk, amount=amount)
    with pytest.raises(Conflict, match="cannot pay"):
        services.batch_approve(actor=kadis, batch_id=second.pk)
    services.batch_cancel(actor=clerk, batch_id=first.pk)
    services.batch_approve(actor=kadis, batch_id=second.pk)
    assert services.allocation_committed(allocation) == amount
    # The money kept for the months covered cannot be taken back by lowering the allocation.
    with pytest.raises(Conflict, match="already committed"):
        services.allocation_update(actor=clerk, allocation_id=allocation.pk, amount=MEMBERS * PREMIUM * 7)


def test_cancelling_in_the_last_month_of_the_period_releases_nothing(today, batch_in_state, clerk, allocation):
    today(dt.date(YEAR, 6, 3))
    batch = batch_in_state(BatchState.ACTIVE)
    today(dt.date(YEAR, 12, 1))
    services.batch_cancel(actor=clerk, batch_id=batch.pk)
    batch.refresh_from_db()
    assert (batch.paid_until, batch.total_cost) == (dt.date(YEAR, 12, 31), FULL)
    assert services.allocation_committed(allocation) == FULL
    assert audit_events(batch, "batch.cancel").get().data["released"] == 0


def test_an_active_batch_cancelled_before_its_period_starts_releases_everything(
    today, batch_in_state, clerk, allocation
):
    today(dt.date(YEAR, 5, 20))  # activated before June: protection would begin on 1 June
    batch = batch_in_state(BatchState.ACTIVE)
    today(dt.date(YEAR, 5, 27))
    services.batch_cancel(actor=clerk, batch_id=batch.pk)
    batch.refresh_from_db()
    assert (batch.paid_months, batch.total_cost) == (0, 0)
    assert services.allocation_committed(allocation) == 0
    assert audit_events(batch, "batch.cancel").get().data["released"] == FULL
    assert selectors.coverage_active_in_region(region_code="35.26", day=dt.date(YEAR, 6, 1)) == {}


def test_cancelling_an_approved_batch_releases_all_its_money(today, api_client, batch_in_state, clerk, allocation):
    today(dt.date(YEAR, 9, 15))
    batch = batch_in_state(BatchState.APPROVED)
    assert services.allocation_committed(allocation) == FULL
    services.batch_cancel(actor=clerk, batch_id=batch.pk, reason="SK dicabut")
    batch.refresh_from_db()
    assert batch.paid_until is None and batch.state == BatchState.CANCELLED
    assert services.allocation_committed(allocation) == 0
    body = allocation_read(api_client, clerk, allocation)
    assert (body["committed"], body["remaining"]) == (0, allocation.amount)
    data = audit_events(batch, "batch.cancel").get().data
    assert (data["release"], data["released"], data["months_kept"], data["months_released"]) == ("all", FULL, 0, 7)


def test_the_batch_page_says_what_was_kept_and_released(today, client, batch_in_state, clerk):
    today(dt.date(YEAR, 6, 3))
    batch = batch_in_state(BatchState.ACTIVE)
    client.force_login(clerk)
    page = client.get(batch.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The months from the period's start through this month stay paid" in page
    today(dt.date(YEAR, 9, 15))
    client.force_login(clerk)  # a session of June has expired by September
    url = reverse("enrollment:batch-transition", kwargs={"pk": batch.pk, "action": "cancel"})
    response = client.post(url, {"reason": "SK dicabut"}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    html = response.content.decode()
    assert "the money for the months not yet covered is released" in html
    assert "Paid until (cancelled)" in html and f"30/09/{YEAR}" in html
    assert "released (3 months not yet covered)" in html
