"""The access log of full NIKs (issue 9): every page or API answer that shows someone's NIK in
full records who saw whose, and where, as one `personal.view` audit event; an answer that shows
only masked NIKs records nothing. Exports are recorded by the export (`batch.export`)."""

import pytest

from enrollment.models import BatchMember, BatchState
from tests.enrollment.conftest import make_nik
from ucj.models import AuditEvent
from ucj.services import PERSONAL_VIEW

pytestmark = pytest.mark.django_db


def views():
    return list(AuditEvent.objects.filter(action=PERSONAL_VIEW).order_by("id"))


def ids_of(batch):
    return sorted(BatchMember.objects.filter(batch=batch).values_list("participant_id", flat=True))


def test_the_labour_office_reading_participants_by_api_is_logged_with_whom(api_client, clerk, batch_in_state):
    batch = batch_in_state(BatchState.SUBMITTED)
    api_client.force_authenticate(clerk)
    body = api_client.get("/api/v1/participants/").json()
    assert make_nik(1) in {p["nik"] for p in body["results"]}
    [event] = views()
    assert event.actor == clerk
    assert event.data == {"where": "/api/v1/participants/", "count": 3, "participants": ids_of(batch)}

    person = ids_of(batch)[0]
    api_client.get(f"/api/v1/participants/{person}/")
    assert views()[-1].data["participants"] == [person]


def test_batch_members_by_api_and_on_the_batch_page_are_logged_against_the_batch(
    api_client, client, clerk, batch_in_state
):
    batch = batch_in_state(BatchState.SUBMITTED)
    api_client.force_authenticate(clerk)
    api_client.get(f"/api/v1/batches/{batch.pk}/members/")
    client.force_login(clerk)
    assert make_nik(1) in client.get(f"/batches/{batch.pk}/").content.decode()
    api_event, page_event = views()
    assert api_event.data["participants"] == page_event.data["participants"] == ids_of(batch)
    assert (page_event.target_type, page_event.target_id, page_event.region_id) == (
        "enrollment.enrollmentbatch",
        str(batch.pk),
        "35.26",
    )
    # The batch's own history tells what happened to the batch, not who looked.
    history = api_client.get(f"/api/v1/batches/{batch.pk}/history/").json()
    assert PERSONAL_VIEW not in {e["action"] for e in history["results"]}


def test_the_participant_search_page_is_logged(client, clerk, batch_in_state):
    batch = batch_in_state(BatchState.SUBMITTED)
    client.force_login(clerk)
    client.get("/participants/", {"q": make_nik(1)})
    [event] = views()
    assert event.data["participants"] == ids_of(batch)[:1]
    assert event.data["where"].startswith("/participants/?q=")


def test_masked_answers_log_nothing(api_client, client, officer, supervisor, batch_in_state):
    batch = batch_in_state(BatchState.SUBMITTED)
    for user in (officer, supervisor):
        api_client.force_authenticate(user)
        for path in ("/api/v1/participants/", f"/api/v1/batches/{batch.pk}/members/"):
            body = api_client.get(path).json()
            assert make_nik(1) not in str(body), (user, path)
        client.force_login(user)
        client.get(f"/batches/{batch.pk}/")
        client.get("/participants/", {"q": "Warga"})
    assert views() == []


def test_a_lead_shown_with_its_full_nik_is_logged_and_a_masked_one_is_not(
    client, api_client, officer, clerk, supervisor
):
    from outreach import services as outreach

    lead = outreach.lead_create(
        actor=officer,
        data=outreach.LeadData(name="Siti Aminah", village_code="35.26.02.2001", nik=make_nik(7, sex="P")),
    )
    client.force_login(supervisor)  # masked for a supervisor
    assert make_nik(7, sex="P") not in client.get(lead.get_absolute_url()).content.decode()
    client.force_login(clerk)
    assert make_nik(7, sex="P") in client.get(lead.get_absolute_url()).content.decode()
    api_client.force_authenticate(officer)  # the officer who met her
    api_client.get("/api/v1/leads/?tab=all")
    events = views()
    assert [(e.actor, e.data.get("leads"), e.data.get("participants")) for e in events] == [
        (clerk, [lead.pk], None),
        (officer, [lead.pk], None),
    ]
    assert (events[0].target_type, events[0].region_id) == ("outreach.lead", "35.26")
