"""Four eyes on money (DESIGN §3, issue 19): whoever submitted a batch does not verify it, and
whoever verified it does not approve it. The services refuse with a 409 that says who may; the
pages and the API go through them, and neither offers the barred step. UCJ_SEPARATE_DUTIES off
(an office with one clerk) lets one person do it all, and the batch page then says so."""

import runpy
from importlib import import_module
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from enrollment import selectors, services
from enrollment.models import BatchState, EnrollmentBatch
from tests.enrollment.conftest import audit_events, import_rows, member_row, new_batch
from tests.factories import user_with
from ucj.errors import Conflict
from ucj.models import Role

pytestmark = pytest.mark.django_db

ID = runpy.run_path(str(Path(__file__).resolve().parents[2] / "locale" / "id_translations.py"))["ID"]

SUBMITTER_MAY_NOT_VERIFY = "You submitted this batch; another labour-office user of Kabupaten Bangkalan must verify it."
VERIFIER_MAY_NOT_APPROVE = "You verified this batch; another labour-office user of Kabupaten Bangkalan must approve it."


def detail_url(batch):
    return reverse("enrollment:batch-detail", args=[batch.pk])


def transition_url(batch, action):
    return reverse("enrollment:batch-transition", kwargs={"pk": batch.pk, "action": action})


@pytest.fixture
def submitted_by_clerk(clerk, allocation):
    """A batch the labour-office clerk drafted and submitted themself (the labour office may)."""
    batch = new_batch(clerk)
    import_rows(clerk, batch, [member_row(i) for i in (1, 2)])
    services.batch_submit(actor=clerk, batch_id=batch.pk)
    batch.refresh_from_db()
    return batch


def test_the_submitter_may_not_verify_their_own_batch(english, submitted_by_clerk, clerk, kadis):
    batch = submitted_by_clerk
    with pytest.raises(Conflict) as exc:
        services.batch_verify(actor=clerk, batch_id=batch.pk)
    assert exc.value.status == 409
    assert exc.value.message == SUBMITTER_MAY_NOT_VERIFY
    batch.refresh_from_db()
    assert (batch.state, batch.verified_by) == (BatchState.SUBMITTED, None)
    assert not audit_events(batch, "batch.verify").exists()
    assert "verify" not in selectors.batch_actions_for(user=clerk, batch=batch)
    # Another labour-office user of the regency verifies it.
    assert "verify" in selectors.batch_actions_for(user=kadis, batch=batch)
    services.batch_verify(actor=kadis, batch_id=batch.pk)
    batch.refresh_from_db()
    assert (batch.state, batch.submitted_by, batch.verified_by) == (BatchState.VERIFIED, clerk, kadis)


def test_the_verifier_may_not_approve_what_they_verified(english, batch_in_state, clerk, kadis, allocation):
    batch = batch_in_state(BatchState.VERIFIED)  # the clerk verified it
    assert selectors.batch_actions_for(user=clerk, batch=batch) == ["return", "reject"]
    with pytest.raises(Conflict) as exc:
        services.batch_approve(actor=clerk, batch_id=batch.pk)
    assert (exc.value.status, exc.value.message) == (409, VERIFIER_MAY_NOT_APPROVE)
    batch.refresh_from_db()
    assert (batch.state, batch.allocation_id, batch.approved_by) == (BatchState.VERIFIED, None, None)
    assert services.allocation_committed(allocation) == 0
    assert not audit_events(batch, "batch.approve").exists()


def test_three_people_take_a_batch_from_draft_to_approved(batch_in_state, officer, clerk, kadis):
    batch = batch_in_state(BatchState.VERIFIED)
    assert selectors.batch_actions_for(user=kadis, batch=batch) == ["approve", "return", "reject"]
    services.batch_approve(actor=kadis, batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.state == BatchState.APPROVED
    assert (batch.submitted_by, batch.verified_by, batch.approved_by) == (officer, clerk, kadis)
    steps = {
        e.action: e.actor
        for e in audit_events(batch).filter(action__in=["batch.submit", "batch.verify", "batch.approve"])
    }
    assert steps == {"batch.submit": officer, "batch.verify": clerk, "batch.approve": kadis}
    assert not any("same_person_as" in e.data for e in audit_events(batch))


def test_a_return_to_draft_starts_a_new_round(batch_in_state, officer, clerk, kadis):
    batch = batch_in_state(BatchState.VERIFIED)  # officer submitted, clerk verified
    services.batch_return(actor=kadis, batch_id=batch.pk, reason="Lampirkan SK")
    batch.refresh_from_db()
    assert (batch.submitted_by, batch.verified_by) == (None, None)
    services.batch_submit(actor=officer, batch_id=batch.pk)
    services.batch_verify(actor=kadis, batch_id=batch.pk)
    # The clerk verified the first round only: this round they may approve.
    services.batch_approve(actor=clerk, batch_id=batch.pk)
    batch.refresh_from_db()
    assert (batch.state, batch.verified_by, batch.approved_by) == (BatchState.APPROVED, kadis, clerk)


def test_the_api_answers_409_with_who_may(api_client, english, submitted_by_clerk, batch_in_state, clerk, kadis):
    api_client.force_authenticate(clerk)
    response = api_client.post(f"/api/v1/batches/{submitted_by_clerk.pk}/verify/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    assert response.json()["detail"] == SUBMITTER_MAY_NOT_VERIFY
    assert "verify" not in api_client.get(f"/api/v1/batches/{submitted_by_clerk.pk}/").json()["allowed_actions"]

    verified = batch_in_state(BatchState.VERIFIED, start=10)
    response = api_client.post(f"/api/v1/batches/{verified.pk}/approve/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    assert response.json()["detail"] == VERIFIER_MAY_NOT_APPROVE
    assert EnrollmentBatch.objects.get(pk=verified.pk).state == BatchState.VERIFIED

    api_client.force_authenticate(kadis)
    response = api_client.post(f"/api/v1/batches/{verified.pk}/approve/")
    assert response.status_code == 200 and response.json()["approved_by"] == "kadis"


def test_the_pages_refuse_with_a_message_and_offer_no_barred_button(client, submitted_by_clerk, clerk):
    batch = submitted_by_clerk
    client.force_login(clerk)
    page = client.get(detail_url(batch))
    assert "verify" not in page.context["transitions"]
    assert f'action="{transition_url(batch, "verify")}"' not in page.content.decode()
    response = client.post(transition_url(batch, "verify"), HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert response.status_code == 200
    assert SUBMITTER_MAY_NOT_VERIFY in response.content.decode()
    batch.refresh_from_db()
    assert batch.state == BatchState.SUBMITTED


def test_with_separation_of_duties_off_one_clerk_does_it_all_and_the_page_says_so(
    settings, client, submitted_by_clerk, clerk
):
    settings.UCJ_SEPARATE_DUTIES = False
    batch = submitted_by_clerk
    assert "verify" in selectors.batch_actions_for(user=clerk, batch=batch)
    services.batch_verify(actor=clerk, batch_id=batch.pk)
    services.batch_approve(actor=clerk, batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.state == BatchState.APPROVED
    assert batch.submitted_by == batch.verified_by == batch.approved_by == clerk
    # The history keeps that four eyes were two.
    assert audit_events(batch, "batch.verify").get().data["same_person_as"] == "submit"
    assert audit_events(batch, "batch.approve").get().data["same_person_as"] == "verify"

    client.force_login(clerk)
    html = client.get(detail_url(batch), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    notes = [
        "Submitted and verified by the same person (separation of duties switched off).",
        "Verified and approved by the same person (separation of duties switched off).",
    ]
    for note in notes:
        assert note in html
    # As a clerk reads it (the .mo is compiled from this dict by `make messages`).
    assert [ID[note] for note in notes] == [
        "Diajukan dan diverifikasi oleh orang yang sama (pemisahan tugas dimatikan).",
        "Diverifikasi dan disetujui oleh orang yang sama (pemisahan tugas dimatikan).",
    ]


def test_a_batch_of_three_people_carries_no_same_person_note(client, batch_in_state, kadis):
    batch = batch_in_state(BatchState.APPROVED)
    client.force_login(kadis)
    page = client.get(detail_url(batch), HTTP_ACCEPT_LANGUAGE="en")
    assert page.context["same_person"] == []
    assert "same person" not in page.content.decode()


def test_the_migration_reads_who_did_what_from_the_history(batch_in_state, officer, clerk, kadis):
    """Batches in flight when four eyes arrived: 0008 replays their audit history."""
    approved = batch_in_state(BatchState.APPROVED)
    returned = batch_in_state(BatchState.SUBMITTED, start=10)
    services.batch_return(actor=clerk, batch_id=returned.pk, reason="Lampirkan SK")
    resubmitted = batch_in_state(BatchState.SUBMITTED, start=20)
    EnrollmentBatch.objects.update(submitted_by=None, verified_by=None, approved_by=None)

    import_module("enrollment.migrations.0008_batch_duties_and_paid_until").who_did_what(django_apps, None)

    people = {
        pk: (s, v, a)
        for pk, s, v, a in EnrollmentBatch.objects.values_list("pk", "submitted_by", "verified_by", "approved_by")
    }
    assert people[approved.pk] == (officer.pk, clerk.pk, kadis.pk)
    assert people[returned.pk] == (None, None, None)
    assert people[resubmitted.pk] == (officer.pk, None, None)
    # And the rule holds for them at once.
    other = user_with(Role.LABOUR_OFFICE, "35.26", username="other-clerk")
    services.batch_verify(actor=other, batch_id=resubmitted.pk)
    with pytest.raises(Conflict):
        services.batch_approve(actor=other, batch_id=resubmitted.pk)
