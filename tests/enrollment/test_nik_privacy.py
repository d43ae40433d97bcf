"""Look-ups by NIK (issue 19, "Hardening II"). A masked NIK `3526********0165` hides the district
and the birth date; with the birth year and the sex beside it, trying each day of one year found
the full NIK in 226 unthrottled, unlogged searches. Now: a look-up by a whole NIK is counted per
user who sees NIKs masked (30 an hour by default, pages and API on one counter, 429 beyond), every
look-up is on the access log (`personal.lookup`, found or not), a masked answer shows neither the
birth date nor its year, and a search by the start of a NIK finds only people whose NIK the user
sees in full."""

import datetime as dt
import json

import pytest
from django.utils import translation

from enrollment.models import BatchState, Participant
from tests.enrollment.conftest import make_nik
from tests.factories import user_with
from ucj.models import Assignment, AuditEvent, Role
from ucj.services import PERSONAL_LOOKUP

pytestmark = pytest.mark.django_db

PARTICIPANTS = "/api/v1/participants/"
PAGE = "/participants/"
BURST = 60


def lookups():
    return list(AuditEvent.objects.filter(action=PERSONAL_LOOKUP).order_by("id"))


def guesses(n: int) -> list[str]:
    """NIKs of one masked person's candidates: each day of 1990 (nobody has most of them)."""
    return [f"352602{day:02d}{month:02d}900001" for month in range(1, 13) for day in range(1, 29)][:n]


def test_a_burst_of_nik_guesses_by_a_field_officer_meets_429_through_the_api(api_client, officer, batch_in_state):
    batch_in_state(BatchState.DRAFT)
    api_client.force_authenticate(officer)
    answers = [api_client.get(PARTICIPANTS, {"q": nik}).status_code for nik in guesses(BURST)]
    assert answers[:30] == [200] * 30  # the default rate: 30 an hour
    assert 429 in answers and set(answers[30:]) == {429}
    refused = api_client.get(PARTICIPANTS, {"q": guesses(1)[0]})
    assert refused.status_code == 429 and "pencarian dengan NIK" in refused.json()["detail"]  # Indonesian by default
    assert int(refused["Retry-After"]) > 0
    # Searching by name is no look-up: it goes on.
    assert api_client.get(PARTICIPANTS, {"q": "Warga"}).status_code == 200
    # Only the look-ups that ran are on the log (a flood of refusals writes nothing).
    assert len(lookups()) == 30


def test_the_participant_page_counts_on_the_same_counter_and_says_why_in_both_languages(
    api_client, client, officer, batch_in_state
):
    batch_in_state(BatchState.DRAFT)
    api_client.force_authenticate(officer)
    for nik in guesses(29):
        assert api_client.get(PARTICIPANTS, {"q": nik}).status_code == 200
    client.force_login(officer)
    assert client.get(PAGE, {"q": make_nik(1)}).status_code == 200  # the 30th
    response = client.get(PAGE, {"q": make_nik(2)})
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    page = response.content.decode()
    assert 'id="nik-lookup-refused"' in page and make_nik(2)[4:12] not in page.replace(make_nik(2), "")
    with translation.override("en"):
        assert (
            "Too many look-ups by NIK"
            in client.get(PAGE, {"q": make_nik(2)}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        )
    # The API refuses too: one counter.
    assert api_client.get(PARTICIPANTS, {"q": make_nik(3)}).status_code == 429


def test_the_labour_office_sees_nik_in_full_and_is_not_throttled_but_logged(api_client, clerk, batch_in_state):
    batch_in_state(BatchState.DRAFT)
    api_client.force_authenticate(clerk)
    assert all(api_client.get(PARTICIPANTS, {"q": nik}).status_code == 200 for nik in guesses(BURST))
    assert len(lookups()) == BURST


def test_a_user_who_sees_nik_masked_anywhere_is_throttled(api_client, batch_in_state, outsider):
    batch_in_state(BatchState.DRAFT)
    # The labour office of Badung who is also a field officer in Bangkalan.
    Assignment.objects.create(user=outsider, role=Role.FIELD_OFFICER, region_id="35.26.02")
    api_client.force_authenticate(outsider)
    answers = [api_client.get(PARTICIPANTS, {"q": nik}).status_code for nik in guesses(BURST)]
    assert 429 in answers


def test_every_nik_lookup_is_logged_with_who_which_nik_where_and_whom_it_found(
    api_client, client, officer, batch_in_state
):
    batch_in_state(BatchState.DRAFT)
    person = Participant.objects.get(nik=make_nik(1))
    api_client.force_authenticate(officer)
    assert api_client.get(PARTICIPANTS, {"q": make_nik(1)}).json()["count"] == 1
    assert api_client.get(PARTICIPANTS, {"q": make_nik(9)}).json()["count"] == 0
    client.force_login(officer)
    assert client.get(PAGE, {"q": make_nik(9)}).status_code == 200
    found, missed, on_page = lookups()
    assert (found.actor, found.data) == (officer, {"nik": make_nik(1), "where": PARTICIPANTS, "found": [person.pk]})
    assert (missed.actor, missed.data) == (officer, {"nik": make_nik(9), "where": PARTICIPANTS, "found": []})
    assert (on_page.actor, on_page.data) == (officer, {"nik": make_nik(9), "where": PAGE, "found": []})
    assert found.at is not None and found.target_type == "enrollment.participant"
    # A search by name is no look-up by NIK.
    api_client.get(PARTICIPANTS, {"q": "Warga"})
    assert len(lookups()) == 3


def test_a_masked_answer_confirms_a_match_and_nothing_the_mask_hides(api_client, client, officer, batch_in_state):
    batch = batch_in_state(BatchState.ACTIVE)
    nik = make_nik(1)  # born 01/01/1990, male, issued in 35.26.02
    hidden = nik[4:12]
    api_client.force_authenticate(officer)
    answer = api_client.get(PARTICIPANTS, {"q": nik}).json()
    [person] = answer["results"]
    assert person["nik"] == nik[:4] + "*" * 8 + nik[12:]
    assert person["birth_date"] is None and person["birth_year"] is None
    assert hidden not in json.dumps(answer) and "1990" not in json.dumps(answer)
    members = api_client.get(f"/api/v1/batches/{batch.pk}/members/").json()
    assert "1990" not in json.dumps(members) and hidden not in json.dumps(members)
    client.force_login(officer)
    for url in (f"{PAGE}?q={nik}", f"/batches/{batch.pk}/"):
        page = client.get(url).content.decode()
        assert "1990" not in page and hidden not in page.replace(nik, ""), url


def test_a_search_by_the_start_of_a_nik_finds_only_people_seen_in_full(api_client, batch_in_state, outsider):
    batch_in_state(BatchState.DRAFT)
    Assignment.objects.create(user=outsider, role=Role.FIELD_OFFICER, region_id="35.26.02")
    api_client.force_authenticate(outsider)
    # Bangkalan's people show masked to them: the start of a NIK would tell a hidden digit.
    assert api_client.get(PARTICIPANTS, {"q": make_nik(1)[:12]}).json()["count"] == 0
    assert api_client.get(PARTICIPANTS, {"q": make_nik(1)[:6]}).json()["count"] == 0
    # The whole NIK finds the person (a counted, logged look-up), masked.
    [person] = api_client.get(PARTICIPANTS, {"q": make_nik(1)}).json()["results"]
    assert person["nik"] != make_nik(1)
    # Where they see NIKs in full (Badung), the start of a NIK works.
    badung = Participant.objects.create(
        nik=make_nik(7, district="510301"),
        name="Made",
        sex="L",
        birth_date=dt.date(1990, 1, 1),
        village_id="51.03.01.1002",
    )
    assert [p["id"] for p in api_client.get(PARTICIPANTS, {"q": badung.nik[:10]}).json()["results"]] == [badung.pk]


def test_a_field_officer_outside_the_region_finds_nobody_and_is_still_counted(api_client, batch_in_state):
    batch_in_state(BatchState.DRAFT)
    bali = user_with(Role.FIELD_OFFICER, "51.03.01", username="bali-officer")
    api_client.force_authenticate(bali)
    assert api_client.get(PARTICIPANTS, {"q": make_nik(1)}).json()["count"] == 0
    assert lookups()[-1].data["found"] == []
