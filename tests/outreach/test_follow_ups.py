"""Lead follow-ups (issue 25 point 5): a log of every contact with a lead — when, how, what came of
it, who — on the lead's page and in the API, written by one service; the lead's status and next
follow-up date follow its latest entry, and the home to-do list follows the lead."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone
from rest_framework.test import APIClient

from outreach import services
from outreach.models import FollowUpChannel, FollowUpOutcome, Lead, LeadFollowUp, LeadStatus
from ucj.models import AuditEvent
from ucj.todo.selectors import todo_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]


def record(lead, actor, *, outcome=FollowUpOutcome.NOT_REACHED, day=None, next_date=None, **over):
    data = services.FollowUpData(
        date=day or timezone.localdate(),
        channel=over.pop("channel", FollowUpChannel.PHONE),
        outcome=outcome,
        next_date=next_date,
        **over,
    )
    return services.lead_follow_up_record(lead_id=lead.pk, actor=actor, data=data)


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- Service ----------------------------------------------------------------------------------------


def test_a_follow_up_is_logged_with_who_and_the_lead_takes_its_next_date(officer, lead):
    today = timezone.localdate()
    entry = record(lead, officer, next_date=today + dt.timedelta(days=3), notes="No answer, try after Friday prayer")
    lead.refresh_from_db()
    assert (entry.officer, entry.channel, entry.outcome) == (officer, "phone", "not_reached")
    assert lead.status == LeadStatus.INTERESTED and lead.next_follow_up == today + dt.timedelta(days=3)
    audit = AuditEvent.objects.get(action="outreach.lead.follow_up")
    assert audit.target_id == str(lead.pk) and audit.data["outcome"] == "not_reached"
    assert audit.region_id == "35.26"


def test_declined_closes_the_lead_and_a_later_contact_reopens_it(officer, lead):
    today = timezone.localdate()
    record(lead, officer, outcome=FollowUpOutcome.DECLINED, day=today - dt.timedelta(days=2), next_date=today)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.DECLINED and lead.next_follow_up is None
    record(lead, officer, outcome=FollowUpOutcome.WILL_ENROLL, next_date=today + dt.timedelta(days=5))
    lead.refresh_from_db()
    assert lead.status == LeadStatus.INTERESTED and lead.next_follow_up == today + dt.timedelta(days=5)


def test_enrolled_marks_the_lead_enrolled_without_a_next_date(officer, lead):
    record(lead, officer, outcome=FollowUpOutcome.ENROLLED, next_date=timezone.localdate())
    lead.refresh_from_db()
    assert lead.status == LeadStatus.ENROLLED and lead.next_follow_up is None
    assert LeadFollowUp.objects.get().next_date is None


def test_an_entry_older_than_the_latest_is_logged_without_changing_the_lead(officer, lead):
    today = timezone.localdate()
    record(lead, officer, outcome=FollowUpOutcome.WILL_ENROLL, next_date=today + dt.timedelta(days=4))
    record(lead, officer, outcome=FollowUpOutcome.DECLINED, day=today - dt.timedelta(days=10))
    lead.refresh_from_db()
    assert lead.status == LeadStatus.INTERESTED and lead.next_follow_up == today + dt.timedelta(days=4)
    assert LeadFollowUp.objects.filter(lead=lead).count() == 2


def test_a_follow_up_refuses_future_dates_and_a_next_date_before_today(officer, lead):
    today = timezone.localdate()
    with pytest.raises(services.ValidationFailed) as exc:
        record(lead, officer, day=today + dt.timedelta(days=3), channel="fax", outcome="maybe")
    assert set(exc.value.details) == {"date", "channel", "outcome"}
    with pytest.raises(services.ValidationFailed) as exc:
        record(lead, officer, next_date=today - dt.timedelta(days=1))
    assert set(exc.value.details) == {"next_date"}
    assert not LeadFollowUp.objects.exists()


def test_outsiders_get_404_and_supervisors_may_not_record(officer, outsider, supervisor, lead):
    with pytest.raises(Http404):
        record(lead, outsider)
    with pytest.raises(PermissionDenied):
        record(lead, supervisor)
    assert not LeadFollowUp.objects.exists()


def test_the_todo_list_follows_the_latest_follow_up(officer, lead):
    today = timezone.localdate()
    Lead.objects.filter(pk=lead.pk).update(next_follow_up=today)

    def due_names():
        todo = todo_for(user=officer)
        items = [item for section in todo.sections for item in section.items if item.key == "follow-ups"]
        return [row.text for item in items for row in item.rows]

    assert due_names()
    record(lead, officer, outcome=FollowUpOutcome.DECLINED)
    assert not due_names()
    record(lead, officer, outcome=FollowUpOutcome.NOT_REACHED, next_date=today)
    assert due_names()


# --- Page -------------------------------------------------------------------------------------------


def test_the_lead_page_offers_the_form_with_a_visible_next_date_and_lists_the_log(client, officer, lead):
    today = timezone.localdate()
    record(lead, officer, day=today - dt.timedelta(days=3), notes="first call")
    record(lead, officer, outcome=FollowUpOutcome.REACHED, channel="whatsapp", notes="second call", next_date=today)
    client.force_login(officer)
    html = client.get(lead.get_absolute_url()).content.decode()
    assert 'id="follow-up-form"' in html
    assert f'name="next_date" value="{(today + dt.timedelta(days=7)).isoformat()}"' in html
    assert html.index("second call") < html.index("first call")  # newest first


def test_posting_the_form_records_and_errors_come_back_on_it(client, officer, lead):
    client.force_login(officer)
    url = f"/leads/{lead.pk}/follow-ups/"
    today = timezone.localdate()
    bad = client.post(url, {"date": today.isoformat(), "channel": "phone", "outcome": ""})
    assert bad.status_code == 400 and not LeadFollowUp.objects.exists()
    ok = client.post(
        url,
        {"date": today.isoformat(), "channel": "visit", "outcome": "will_enroll", "next_date": "", "notes": "x"},
    )
    assert ok.status_code == 302
    lead.refresh_from_db()
    assert LeadFollowUp.objects.get().channel == "visit" and lead.next_follow_up is None


def test_outsiders_get_404_on_the_follow_up_form_and_supervisors_see_no_form(client, outsider, supervisor, lead):
    client.force_login(outsider)
    assert client.post(f"/leads/{lead.pk}/follow-ups/", {}).status_code == 404
    client.force_login(supervisor)
    assert 'id="follow-up-form"' not in client.get(lead.get_absolute_url()).content.decode()
    assert client.post(f"/leads/{lead.pk}/follow-ups/", {}).status_code == 403


# --- API --------------------------------------------------------------------------------------------


def test_api_records_a_follow_up_with_a_week_ahead_by_default_and_lists_them(officer, lead):
    url = f"/api/v1/leads/{lead.pk}/follow-ups/"
    today = timezone.localdate()
    response = api(officer).post(url, {"date": today.isoformat(), "channel": "phone", "outcome": "reached"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["next_date"] == (today + dt.timedelta(days=7)).isoformat() and body["officer"] == officer.username
    api(officer).post(url, {"date": today.isoformat(), "channel": "whatsapp", "outcome": "declined"}, format="json")
    listed = api(officer).get(url).json()["results"]
    assert [row["outcome"] for row in listed] == ["declined", "reached"]
    assert api(officer).get(f"/api/v1/leads/{lead.pk}/").json()["status"] == "declined"


def test_api_follow_ups_are_404_to_outsiders_and_400_name_the_field(officer, outsider, lead):
    url = f"/api/v1/leads/{lead.pk}/follow-ups/"
    assert api(outsider).get(url).status_code == 404
    assert api(outsider).post(url, {"date": "2026-01-01", "channel": "phone", "outcome": "reached"}).status_code == 404
    future = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    response = api(officer).post(url, {"date": future, "channel": "phone", "outcome": "reached"})
    assert response.status_code == 400 and "date" in response.json()["errors"]
