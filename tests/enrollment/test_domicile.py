"""A person belongs to no region for good (issue 19, "Hardening II"). Badung (51.03) uploading a
Bangkalan (35.26) NIK not yet on record created the person in Badung, and after the member was
removed Bangkalan's own upload was refused ("registered in another region") with no way to
correct it outside the admin. Now: a person in no open batch and protected neither today nor
later is enrolled by whoever lists them, their domicile moves with the enrollment (on their
history); anyone held elsewhere is refused with one neutral message that names no region; and
the labour office of the region the person lives in corrects name, sex, birth date and village."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from enrollment import services
from enrollment.models import BatchMember, BatchState, Participant
from tests.enrollment.conftest import (
    FOREIGN_VILLAGE,
    OTHER_VILLAGE,
    VILLAGE,
    YEAR,
    import_rows,
    make_nik,
    member_row,
    new_batch,
)
from tests.factories import user_with
from ucj.models import AuditEvent, Role

pytestmark = pytest.mark.django_db

TAKEN = "Already in an open batch or protected for an overlapping period."
PARTICIPANTS = "/api/v1/participants/"


def badung_batch(actor, **terms):
    return new_batch(actor, regency_code="51.03", **terms)


def history(participant, action):
    return list(
        AuditEvent.objects.filter(target_type="enrollment.participant", target_id=str(participant.pk), action=action)
    )


@pytest.fixture
def left_in_badung(outsider):
    """A Bangkalan NIK that Badung's labour office uploaded (so the person was created in Kuta,
    Badung) and then removed from its draft: on record, in no batch."""
    batch = badung_batch(outsider)
    job = import_rows(outsider, batch, [member_row(1, village=FOREIGN_VILLAGE)])
    assert job.accepted == 1
    services.batch_members_remove(actor=outsider, batch_id=batch.pk, member_ids=[batch.members.get().pk])
    person = Participant.objects.get(nik=make_nik(1))
    assert person.village_id == FOREIGN_VILLAGE and not person.memberships.exists()
    return person


def test_a_person_badung_created_and_removed_is_enrolled_by_bangkalan_and_moves_there(officer, left_in_badung):
    draft = new_batch(officer)
    job = import_rows(officer, draft, [member_row(1, name="Warga Satu")])
    assert (job.accepted, job.errors) == (1, [])
    # Nothing of the record in Badung is told to Bangkalan's uploader.
    assert not [w for w in job.warnings if "51." in w["message"] or "Kuta" in w["message"]]
    person = Participant.objects.get(nik=make_nik(1))
    assert person.pk == left_in_badung.pk and person.village_id == VILLAGE
    assert list(draft.members.values_list("participant_id", flat=True)) == [person.pk]
    [move] = history(person, "participant.move")
    assert move.actor == officer and move.region_id == VILLAGE
    assert move.data == {"village_from": FOREIGN_VILLAGE, "village_to": VILLAGE, "batch": draft.pk, "job": job.pk}


def test_a_person_in_an_open_batch_is_refused_with_the_neutral_message_in_any_regions_upload(officer, outsider):
    held = new_batch(officer)
    import_rows(officer, held, [member_row(1)])
    colleague = user_with(Role.FIELD_OFFICER, "35.26.01", username="colleague")
    uploads = [
        (outsider, badung_batch(outsider), FOREIGN_VILLAGE),  # another regency
        (colleague, new_batch(colleague, area="35.26.01"), OTHER_VILLAGE),  # the same regency, elsewhere
        (officer, new_batch(officer), VILLAGE),  # the uploader's own village
    ]
    for serial, (actor, batch, village) in enumerate(uploads, start=2):
        job = import_rows(actor, batch, [member_row(serial, village=village), member_row(1, village=village)])
        assert (job.accepted, [(e["row"], e["column"], e["message"]) for e in job.errors]) == (
            1,
            [(3, "nik", TAKEN)],
        ), actor
        assert str(held.pk) not in job.errors[0]["message"]
    person = Participant.objects.get(nik=make_nik(1))
    assert person.village_id == VILLAGE and not history(person, "participant.move")


def test_a_person_protected_for_an_overlapping_period_or_later_is_refused_with_the_neutral_message(
    batch_in_state, officer, outsider
):
    batch_in_state(BatchState.ACTIVE, members=1)  # June to December, in VILLAGE
    overlapping = badung_batch(outsider)
    next_year = badung_batch(
        outsider, year=YEAR + 1, period_start=dt.date(YEAR + 1, 1, 1), period_end=dt.date(YEAR + 1, 12, 31)
    )
    for batch in (overlapping, next_year):
        job = import_rows(outsider, batch, [member_row(1, village=FOREIGN_VILLAGE)])
        assert (job.accepted, [(e["row"], e["column"], e["message"]) for e in job.errors]) == (0, [(2, "nik", TAKEN)])
    assert Participant.objects.get(nik=make_nik(1)).village_id == VILLAGE
    # Bangkalan renews its own people for the next period, as before.
    renewal = new_batch(
        officer, year=YEAR + 1, period_start=dt.date(YEAR + 1, 1, 1), period_end=dt.date(YEAR + 1, 12, 31)
    )
    assert import_rows(officer, renewal, [member_row(1)]).accepted == 1


def test_a_cancelled_protection_frees_the_person(batch_in_state, clerk, outsider):
    batch = batch_in_state(BatchState.ACTIVE, members=1)
    services.batch_cancel(actor=clerk, batch_id=batch.pk, reason="SK dicabut")
    later = badung_batch(
        outsider, year=YEAR + 1, period_start=dt.date(YEAR + 1, 1, 1), period_end=dt.date(YEAR + 1, 12, 31)
    )
    job = import_rows(outsider, later, [member_row(1, village=FOREIGN_VILLAGE)])
    assert (job.accepted, job.errors) == (1, [])
    assert Participant.objects.get(nik=make_nik(1)).village_id == FOREIGN_VILLAGE


def test_moving_many_people_costs_the_same_queries_as_moving_few(outsider, officer):
    """The checks and the moves are set-based: no query per row."""

    def run(serials):
        batch = badung_batch(outsider)
        import_rows(outsider, batch, [member_row(s, village=FOREIGN_VILLAGE) for s in serials])
        services.batch_members_remove(
            actor=outsider, batch_id=batch.pk, member_ids=list(batch.members.values_list("pk", flat=True))
        )
        draft = new_batch(officer)
        with CaptureQueriesContext(connection) as queries:
            job = import_rows(officer, draft, [member_row(s) for s in serials])
        assert job.accepted == len(serials)
        return len(queries)

    assert run(range(1, 3)) == run(range(10, 60))
    assert Participant.objects.filter(village_id=VILLAGE).count() == 52


# --- Corrections by the labour office -------------------------------------------------------------


@pytest.fixture
def moved(officer, left_in_badung):
    import_rows(officer, new_batch(officer), [member_row(1)])
    return Participant.objects.get(pk=left_in_badung.pk)


def test_bangkalans_labour_office_corrects_the_record_through_the_api_with_old_and_new_values(api_client, clerk, moved):
    api_client.force_authenticate(clerk)
    body = {"name": "Warga Satu Benar", "sex": "P", "birth_date": "1990-01-02", "village": OTHER_VILLAGE}
    response = api_client.patch(f"{PARTICIPANTS}{moved.pk}/", body, format="json")
    assert response.status_code == 200, response.json()
    answer = response.json()
    assert (answer["name"], answer["sex"], answer["birth_date"], answer["village"]) == (
        "Warga Satu Benar", "P", "1990-01-02", OTHER_VILLAGE,
    )  # fmt: skip
    person = Participant.objects.get(pk=moved.pk)
    assert (person.name, person.sex, person.birth_date, person.village_id, person.nik) == (
        "Warga Satu Benar", "P", dt.date(1990, 1, 2), OTHER_VILLAGE, make_nik(1),
    )  # fmt: skip
    [correction] = history(person, "participant.correct")
    assert correction.actor == clerk
    assert correction.data == {
        "changes": {
            "name": ["Warga 1", "Warga Satu Benar"],
            "sex": ["L", "P"],
            "birth_date": ["1990-01-01", "1990-01-02"],
            "village": [VILLAGE, OTHER_VILLAGE],
        }
    }
    # The NIK, the phone or anything else is not correctable here.
    refused = api_client.patch(f"{PARTICIPANTS}{moved.pk}/", {"village": FOREIGN_VILLAGE}, format="json")
    assert refused.status_code == 400 and Participant.objects.get(pk=moved.pk).village_id == OTHER_VILLAGE
    assert api_client.put(f"{PARTICIPANTS}{moved.pk}/", body, format="json").status_code == 405


def test_the_correction_is_404_for_badung_and_403_for_bangkalans_field_officer(
    api_client, client, officer, outsider, moved
):
    url, page = f"{PARTICIPANTS}{moved.pk}/", f"/participants/{moved.pk}/edit/"
    # Badung created the person, but they live in Bangkalan now: Badung sees nothing of them.
    api_client.force_authenticate(outsider)
    assert api_client.patch(url, {"name": "Badung"}, format="json").status_code == 404
    client.force_login(outsider)
    assert client.get(page).status_code == 404
    assert client.post(page, {"name": "Badung"}).status_code == 404
    api_client.force_authenticate(officer)
    assert api_client.patch(url, {"name": "Petugas"}, format="json").status_code == 403
    client.force_login(officer)
    assert client.get(page).status_code == 403
    assert Participant.objects.get(pk=moved.pk).name == "Warga 1"
    assert not history(moved, "participant.correct")


def test_the_correction_page_saves_and_shows_the_history(client, clerk, moved):
    client.force_login(clerk)
    page = f"/participants/{moved.pk}/edit/"
    shown = client.get(page)
    assert shown.status_code == 200
    text = shown.content.decode()
    assert make_nik(1) in text and FOREIGN_VILLAGE in text  # the move from Badung, on the history
    form = {"name": "Warga Satu", "sex": "L", "birth_date": "1990-01-01", "village": VILLAGE}
    response = client.post(page, form)
    assert response.status_code == 302
    person = Participant.objects.get(pk=moved.pk)
    assert person.name == "Warga Satu"
    [correction] = history(person, "participant.correct")
    assert correction.data == {"changes": {"name": ["Warga 1", "Warga Satu"]}}
    assert "Warga Satu" in client.get(page).content.decode()
    # A village outside the clerk's regency is refused on the form; nothing changes.
    response = client.post(page, {**form, "village": FOREIGN_VILLAGE})
    assert response.status_code == 200 and Participant.objects.get(pk=moved.pk).village_id == VILLAGE
    # The search offers the correction to the clerk.
    assert f'href="{page}"' in client.get("/participants/", {"q": "Warga"}).content.decode()


def test_a_village_correction_keeps_a_person_inside_their_open_batch(api_client, clerk, officer):
    batch = new_batch(officer, area="35.26.02")
    import_rows(officer, batch, [member_row(1)])
    person = Participant.objects.get(nik=make_nik(1))
    api_client.force_authenticate(clerk)
    response = api_client.patch(f"{PARTICIPANTS}{person.pk}/", {"village": OTHER_VILLAGE}, format="json")
    assert response.status_code == 409
    assert Participant.objects.get(pk=person.pk).village_id == VILLAGE
    assert BatchMember.objects.filter(batch=batch, participant=person).exists()
