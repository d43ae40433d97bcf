"""The outreach REST API (DESIGN §4 `events`, `leads`): the contract fields, POST idempotent on
`client_id`, validation that names the field, scope (outsiders 404, anonymous 401), the edit
window, masking of personal data, leads into a draft batch, and query counts on the lists."""

import datetime as dt
import json
import uuid

import pytest
from django.utils import timezone, translation
from rest_framework.test import APIClient

from enrollment import services as enrollment_services
from enrollment.models import BatchState
from outreach import services
from outreach.models import EventKind, EventVillage, Lead, LeadStatus, OutreachEvent
from tests.enrollment.conftest import import_rows, make_nik, member_row, new_batch
from tests.factories import user_with
from ucj.models import Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]


EVENTS = "/api/v1/events/"
LEADS = "/api/v1/leads/"
ADD_TO_BATCH = "/api/v1/leads/add-to-batch/"
VILLAGE = "35.26.02.2001"  # Socah district, the officer's
OTHER_VILLAGE = "35.26.01.2008"  # Bangkalan district, the officer's
OUTSIDE_OFFICER = "35.26.03.2001"  # Burneh: Bangkalan, not one of the officer's districts
FOREIGN_VILLAGE = "51.03.01.1002"  # Kuta, Badung, Bali


@pytest.fixture
def english():
    """Messages in English whatever the default language, for tests that read them."""
    with translation.override("en"):
        yield


def as_user(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def contract_event(**over) -> dict:
    """The body tools/contract_check.py posts (DESIGN §4 event create)."""
    body = {
        "client_id": str(uuid.uuid4()),
        "kind": "socialisation",
        "date": timezone.localdate().isoformat(),
        "villages": [VILLAGE],
        "attendance": {"farmers": 12},
        "partner": "Dinas Pertanian",
        "notes": "contract check",
    }
    body.update(over)
    return body


def log(actor, *, villages=(VILLAGE,), day=None, kind=EventKind.SOCIALISATION, **over) -> OutreachEvent:
    data = services.EventData(
        kind=kind,
        date=day or timezone.localdate(),
        village_codes=list(villages),
        attendance=over.pop("attendance", {"farmers": 5}),
        **over,
    )
    return services.event_log(actor=actor, client_id=uuid.uuid4(), data=data)[0]


def age(event: OutreachEvent, hours: int) -> None:
    """Pretend the event was logged `hours` ago (created_at is auto_now_add: update() it)."""
    OutreachEvent.objects.filter(pk=event.pk).update(created_at=timezone.now() - dt.timedelta(hours=hours))


def new_lead(actor, *, village=VILLAGE, **over) -> Lead:
    return services.lead_create(
        actor=actor, data=services.LeadData(name=over.pop("name", "Siti"), village_code=village, **over)
    )


# --- Events: create, idempotent on client_id ------------------------------------------------------


def test_logging_an_event_takes_a_bounded_number_of_queries(api_client, officer, django_assert_max_num_queries):
    """What a phone sends most: a new event is inserted with its villages and officers, without
    reading back rows a new event cannot have yet (bench/api.py measures its requests/s)."""
    client = as_user(api_client, officer)
    # 18 before the inserts stopped reading first; 14 before the request ran in one transaction
    # (ucj.middleware.AtomicWrites), which makes the service's own transaction a savepoint.
    with django_assert_max_num_queries(16):
        response = client.post(EVENTS, contract_event(), format="json")
    assert response.status_code == 201, response.json()


def test_officer_logs_an_event_with_the_contract_fields(api_client, officer):
    body = contract_event(
        time="08:30:00",
        partner_agency="agriculture",
        latitude=-7.0412345678,  # a phone's GPS: more decimals than kept
        longitude=112.7512,
    )
    response = as_user(api_client, officer).post(EVENTS, body, format="json")

    assert response.status_code == 201, response.json()
    event = response.json()
    assert event["client_id"] == body["client_id"]
    assert event["kind"] == "socialisation" and event["date"] == body["date"] and event["time"] == "08:30:00"
    assert event["villages"] == [VILLAGE] and event["village_names"] == ["Socah"]
    assert event["regency"] == "35.26" and event["regency_name"]
    assert event["attendance"] == {
        "farmers": 12,
        "livestock_keepers": 0,
        "fishers": 0,
        "village_officials": 0,
        "others": 0,
    }
    assert event["attendance_total"] == 12
    assert event["partner"] == "Dinas Pertanian" and event["partner_agency"] == "agriculture"
    assert event["notes"] == "contract check"
    assert event["latitude"] == -7.041235 and event["longitude"] == 112.7512
    assert event["created_by"] == "officer" and event["officers"] == ["officer"]
    assert event["may_edit"] is True
    assert event["created_at"] and event["updated_at"]
    assert response["Location"].endswith(f"/api/v1/events/{event['id']}/")
    assert EventVillage.objects.filter(event_id=event["id"], village_id=VILLAGE).exists()


def test_a_retry_with_the_same_client_id_answers_200_with_the_same_event(api_client, officer):
    body = contract_event()
    client = as_user(api_client, officer)

    first = client.post(EVENTS, body, format="json")
    again = client.post(EVENTS, body, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert OutreachEvent.objects.filter(client_id=body["client_id"]).count() == 1


def test_the_same_client_id_with_changed_data_is_409_and_the_event_stays(api_client, officer):
    body = contract_event()
    client = as_user(api_client, officer)
    first = client.post(EVENTS, body, format="json")
    assert first.status_code == 201

    again = client.post(EVENTS, {**body, "attendance": {"farmers": 99}}, format="json")

    assert again.status_code == 409
    assert again.json()["detail"] == (
        "This client id was already used for another event; send the new event with a new client id."
    )
    assert client.get(f"{EVENTS}{first.json()['id']}/").json()["attendance_total"] == 12
    assert OutreachEvent.objects.filter(client_id=body["client_id"]).count() == 1


def test_a_client_id_someone_else_logged_is_409(api_client, officer, clerk):
    body = contract_event()
    assert as_user(api_client, clerk).post(EVENTS, body, format="json").status_code == 201

    response = as_user(api_client, officer).post(EVENTS, body, format="json")

    assert response.status_code == 409
    assert response.json()["detail"]
    assert OutreachEvent.objects.filter(client_id=body["client_id"]).count() == 1


def test_a_fertiliser_tie_in_carries_its_season_and_distribution_point(api_client, officer):
    body = contract_event(
        kind="fertiliser_distribution",
        planting_season="rendeng",
        distribution_point_kind="farmer_group",
        distribution_point="Poktan Sumber Rejeki",
        villages=[VILLAGE, OTHER_VILLAGE],
    )
    response = as_user(api_client, officer).post(EVENTS, body, format="json")

    assert response.status_code == 201, response.json()
    event = response.json()
    assert (event["planting_season"], event["distribution_point_kind"]) == ("rendeng", "farmer_group")
    assert event["distribution_point"] == "Poktan Sumber Rejeki"
    assert sorted(event["villages"]) == sorted([VILLAGE, OTHER_VILLAGE])


def test_co_officers_are_named_by_username(api_client, officer, clerk):
    response = as_user(api_client, officer).post(EVENTS, contract_event(officers=["clerk"]), format="json")

    assert response.status_code == 201, response.json()
    assert sorted(response.json()["officers"]) == ["clerk", "officer"]


def test_an_unknown_co_officer_is_400_naming_the_field(api_client, officer):
    response = as_user(api_client, officer).post(EVENTS, contract_event(officers=["nobody"]), format="json")

    assert response.status_code == 400
    assert "nobody" in str(response.json()["errors"]["officers"])


def test_an_unknown_username_and_a_user_who_may_not_be_named_answer_alike(api_client, officer, supervisor):
    """No telling from the answer whether a username exists."""
    client = as_user(api_client, officer)
    for method, path, body in [
        ("post", EVENTS, contract_event),
        ("patch", f"{EVENTS}{log(officer).pk}/", dict),
    ]:
        unknown = getattr(client, method)(path, body(officers=["nobody"]), format="json")
        known = getattr(client, method)(path, body(officers=[supervisor.username]), format="json")

        assert unknown.status_code == known.status_code == 400
        as_text = json.dumps(known.json(), sort_keys=True).replace(supervisor.username, "nobody")
        assert json.dumps(unknown.json(), sort_keys=True) == as_text


@pytest.mark.parametrize(
    "change, field",
    [
        ({"villages": [OUTSIDE_OFFICER]}, "villages"),
        ({"villages": [FOREIGN_VILLAGE]}, "villages"),
        ({"villages": ["35.26.02.9999"]}, "villages"),
        ({"villages": ["not a code"]}, "villages"),
        ({"villages": []}, "villages"),
        ({"villages": "35.26.02.2001"}, "villages"),
        ({"date": "2999-01-01"}, "date"),
        ({"date": "yesterday"}, "date"),
        ({"client_id": "not-a-uuid"}, "client_id"),
        ({"kind": "party"}, "kind"),
        ({"latitude": 91}, "latitude"),
        ({"longitude": "1e400"}, "longitude"),
        ({"partner": "x" * 151}, "partner"),
        ({"partner_agency": "army"}, "partner_agency"),
        ({"kind": "employer_visit"}, "employer_name"),
        ({"kind": "fertiliser_distribution"}, "planting_season"),
        ({"notes": "nul \x00 byte"}, "notes"),
    ],
)
def test_event_create_with_bad_input_is_400_naming_the_field(api_client, officer, change, field):
    response = as_user(api_client, officer).post(EVENTS, contract_event(**change), format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert response.json()["detail"]
    assert not OutreachEvent.objects.exists()


@pytest.mark.parametrize(
    "attendance, group",
    [
        ({"farmers": -3}, "farmers"),
        ({"fishers": 10**12}, "fishers"),
        ({"farmers": 2.5}, "farmers"),
        ({"farmers": "many"}, "farmers"),
        ({"goats": 4}, "goats"),
    ],
)
def test_bad_attendance_is_400_naming_the_group(api_client, officer, attendance, group):
    response = as_user(api_client, officer).post(EVENTS, contract_event(attendance=attendance), format="json")

    assert response.status_code == 400, response.json()
    assert group in response.json()["errors"]["attendance"]
    assert f"attendance.{group}" in response.json()["detail"]


def test_attendance_that_is_not_an_object_is_400(api_client, officer):
    response = as_user(api_client, officer).post(EVENTS, contract_event(attendance=[1, 2]), format="json")

    assert response.status_code == 400
    assert "attendance" in response.json()["errors"]


def test_a_village_outside_the_officers_area_says_so(api_client, officer, english):
    response = as_user(api_client, officer).post(EVENTS, contract_event(villages=[OUTSIDE_OFFICER]), format="json")

    assert response.status_code == 400
    assert "outside your area" in str(response.json()["errors"]["villages"])


def test_a_date_in_the_future_says_so(api_client, officer, english):
    tomorrow = timezone.localdate(timezone=services.EASTERNMOST) + dt.timedelta(days=1)
    response = as_user(api_client, officer).post(EVENTS, contract_event(date=tomorrow.isoformat()), format="json")

    assert response.status_code == 400
    assert "future" in str(response.json()["errors"]["date"])


def test_a_supervisor_may_not_log_events(api_client, supervisor):
    response = as_user(api_client, supervisor).post(EVENTS, contract_event(), format="json")

    assert response.status_code == 403
    assert response.json()["detail"]


# --- Events: read, scope --------------------------------------------------------------------------


def test_anonymous_gets_401_on_events_and_leads(api_client):
    for method, path in [("get", EVENTS), ("post", EVENTS), ("get", LEADS), ("post", LEADS), ("post", ADD_TO_BATCH)]:
        response = getattr(api_client, method)(path, {}, format="json")
        assert response.status_code == 401, path
        assert response.json()["detail"]


def test_an_outsider_gets_404_on_an_event_and_sees_none_in_the_list(api_client, outsider, officer):
    event = log(officer)
    client = as_user(api_client, outsider)

    assert client.get(f"{EVENTS}{event.pk}/").status_code == 404
    assert client.patch(f"{EVENTS}{event.pk}/", {"notes": "x"}, format="json").status_code == 404
    assert client.get(EVENTS).json()["results"] == []
    assert client.get(f"{EVENTS}{event.pk}/").json()["detail"]


def test_the_labour_office_and_the_supervisor_see_the_officers_events(api_client, officer, clerk, supervisor):
    event = log(officer)

    for user in (clerk, supervisor):
        response = as_user(api_client, user).get(f"{EVENTS}{event.pk}/")
        assert response.status_code == 200
        assert response.json()["may_edit"] is (user == supervisor)


def test_events_are_listed_newest_first_and_filtered(api_client, officer, clerk):
    today = timezone.localdate()
    old = log(officer, day=today - dt.timedelta(days=20), villages=[OTHER_VILLAGE])
    visit = log(officer, day=today - dt.timedelta(days=2), kind=EventKind.VILLAGE_VISIT)
    newest = log(clerk, villages=[OUTSIDE_OFFICER])
    client = as_user(api_client, clerk)

    def ids(**params):
        response = client.get(EVENTS, params)
        assert response.status_code == 200, response.json()
        return [e["id"] for e in response.json()["results"]]

    assert ids() == [newest.pk, visit.pk, old.pk]
    assert ids(kind="village_visit") == [visit.pk]
    assert ids(date_from=(today - dt.timedelta(days=5)).isoformat()) == [newest.pk, visit.pk]
    assert ids(date_to=(today - dt.timedelta(days=5)).isoformat()) == [old.pk]
    assert ids(region="35.26.01") == [old.pk]
    assert ids(region=VILLAGE) == [visit.pk]
    assert ids(region="35.26") == [newest.pk, visit.pk, old.pk]
    assert ids(officer="officer") == [visit.pk, old.pk]
    assert ids(officer="me") == [newest.pk]


def test_the_officer_filter_finds_events_with_a_co_officer(api_client, officer, clerk):
    shared = log(clerk, villages=[VILLAGE], officer_ids=[officer.pk])
    log(clerk, villages=[VILLAGE])

    response = as_user(api_client, officer).get(EVENTS, {"officer": "me"})

    assert [e["id"] for e in response.json()["results"]] == [shared.pk]


@pytest.mark.parametrize(
    "params, field",
    [({"region": "not-a-code"}, "region"), ({"date_from": "soon"}, "date_from"), ({"kind": "party"}, "kind")],
)
def test_a_bad_filter_is_400_naming_it(api_client, officer, params, field):
    response = as_user(api_client, officer).get(EVENTS, params)

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_events_have_no_delete_and_no_put(api_client, officer):
    event = log(officer)
    client = as_user(api_client, officer)

    assert client.delete(f"{EVENTS}{event.pk}/").status_code == 405
    assert client.put(f"{EVENTS}{event.pk}/", contract_event(), format="json").status_code == 405
    assert OutreachEvent.objects.filter(pk=event.pk).exists()


def test_the_event_list_has_a_bounded_number_of_queries(api_client, clerk, officer, django_assert_max_num_queries):
    villages = [VILLAGE, "35.26.02.2002", OTHER_VILLAGE]
    for i in range(30):
        log(officer, villages=villages, day=timezone.localdate() - dt.timedelta(days=i), officer_ids=[clerk.pk])
    client = as_user(api_client, clerk)

    with django_assert_max_num_queries(6):
        response = client.get(EVENTS)

    assert response.status_code == 200
    assert response.json()["count"] == 30
    assert all(len(e["villages"]) == 3 and len(e["officers"]) == 2 for e in response.json()["results"])


# --- Events: changes and the edit window ----------------------------------------------------------


def test_the_officer_changes_an_event_within_the_edit_window(api_client, officer):
    event = log(officer, attendance={"farmers": 5, "fishers": 2})

    response = as_user(api_client, officer).patch(
        f"{EVENTS}{event.pk}/", {"attendance": {"farmers": 40}, "notes": "Balai desa"}, format="json"
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["attendance"]["farmers"] == 40 and body["attendance"]["fishers"] == 2  # untouched group stays
    assert body["notes"] == "Balai desa" and body["villages"] == [VILLAGE] and body["kind"] == "socialisation"


def test_the_officer_cannot_change_an_event_after_the_edit_window(api_client, officer, settings, english):
    event = log(officer)
    age(event, settings.OUTREACH_EDIT_HOURS + 1)
    client = as_user(api_client, officer)

    response = client.patch(f"{EVENTS}{event.pk}/", {"notes": "too late"}, format="json")

    assert response.status_code == 403
    assert "supervisor" in response.json()["detail"]
    assert client.get(f"{EVENTS}{event.pk}/").json()["may_edit"] is False
    event.refresh_from_db()
    assert event.notes == ""


def test_a_supervisor_changes_an_event_after_the_edit_window(api_client, officer, supervisor, settings):
    event = log(officer)
    age(event, settings.OUTREACH_EDIT_HOURS + 1)

    response = as_user(api_client, supervisor).patch(
        f"{EVENTS}{event.pk}/", {"attendance": {"others": 3}}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["attendance_total"] == 8
    assert response.json()["created_by"] == "officer"


def test_a_patch_changes_only_what_it_names_even_when_another_change_lands_first(api_client, officer, monkeypatch):
    """Two phones PATCH the same event at once: the second must not write back what it read
    before the first one committed."""
    event = log(officer, attendance={"farmers": 5})
    original = services.event_update

    def another_change_commits_first(**kwargs):
        # What a concurrent request does between this request's read and its lock.
        monkeypatch.setattr(services, "event_update", original)
        original(
            actor=officer,
            event_id=event.pk,
            data=services.EventData(
                kind=EventKind.SOCIALISATION,
                date=event.date,
                village_codes=[VILLAGE, OTHER_VILLAGE],
                attendance={"farmers": 5},
                notes="Balai desa",
            ),
        )
        return original(**kwargs)

    monkeypatch.setattr(services, "event_update", another_change_commits_first)
    response = as_user(api_client, officer).patch(f"{EVENTS}{event.pk}/", {"attendance": {"fishers": 3}}, format="json")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["notes"] == "Balai desa" and sorted(body["villages"]) == sorted([VILLAGE, OTHER_VILLAGE])
    assert (body["attendance"]["farmers"], body["attendance"]["fishers"]) == (5, 3)


def test_a_patch_keeps_a_co_officer_who_moved_away(api_client, officer):
    colleague = user_with(Role.FIELD_OFFICER, "35.26.02", username="colleague")
    event = log(officer, officer_ids=[colleague.pk])
    colleague.assignments.update(region_id="35.28.01")
    client = as_user(api_client, officer)
    officers = client.get(f"{EVENTS}{event.pk}/").json()["officers"]

    response = client.patch(f"{EVENTS}{event.pk}/", {"officers": officers, "notes": "ok"}, format="json")

    assert response.status_code == 200, response.json()
    assert sorted(response.json()["officers"]) == ["colleague", "officer"]


def test_an_event_change_is_validated_like_a_new_one(api_client, officer):
    event = log(officer)
    client = as_user(api_client, officer)

    outside = client.patch(f"{EVENTS}{event.pk}/", {"villages": [OUTSIDE_OFFICER]}, format="json")
    negative = client.patch(f"{EVENTS}{event.pk}/", {"attendance": {"farmers": -1}}, format="json")
    other_id = client.patch(f"{EVENTS}{event.pk}/", {"client_id": str(uuid.uuid4())}, format="json")

    assert outside.status_code == 400 and "villages" in outside.json()["errors"]
    assert negative.status_code == 400 and "farmers" in negative.json()["errors"]["attendance"]
    assert other_id.status_code == 400 and "client_id" in other_id.json()["errors"]


# --- Leads ----------------------------------------------------------------------------------------


def test_officer_creates_a_lead_and_sees_what_they_wrote(api_client, officer):
    event = log(officer)
    nik = make_nik(7, birth=dt.date(1985, 3, 4), sex="P")
    body = {
        "name": "Siti Aminah",
        "village": VILLAGE,
        "event": event.pk,
        "nik": nik,
        "phone": "081234567812",
        "occupation": "petani",
        "next_follow_up": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
    }

    response = as_user(api_client, officer).post(LEADS, body, format="json")

    assert response.status_code == 201, response.json()
    lead = response.json()
    # The officer who met the person calls them back: NIK and phone in full for them.
    assert lead["nik"] == nik and lead["phone"] == "+6281234567812"
    assert lead["birth_date"] == "1985-03-04" and lead["birth_year"] == 1985
    assert lead["sex"] == "P"  # from the NIK
    colleague = user_with(Role.FIELD_OFFICER, "35.26.02")
    masked = as_user(APIClient(), colleague).get(f"{LEADS}{lead['id']}/").json()
    assert masked["nik"] == nik[:4] + "********" + nik[12:]
    assert masked["phone"] != "+6281234567812" and masked["phone"].endswith("812")
    assert masked["birth_date"] is None and masked["birth_year"] is None
    assert (lead["village"], lead["event"], lead["status"], lead["officer"]) == (
        VILLAGE,
        event.pk,
        "interested",
        "officer",
    )
    assert lead["occupation_group"]
    stored = Lead.objects.get(pk=lead["id"])
    assert stored.nik == nik and stored.phone == "+6281234567812"


def test_the_labour_office_sees_a_leads_nik_and_phone_in_full(api_client, officer, clerk):
    nik = make_nik(8)
    lead = new_lead(officer, nik=nik, phone="081234567812")

    body = as_user(api_client, clerk).get(f"{LEADS}{lead.pk}/").json()

    assert body["nik"] == nik and body["phone"] == "+6281234567812" and body["birth_date"] == "1990-01-01"


def test_a_masked_nik_sent_back_unchanged_keeps_the_stored_one(api_client, officer):
    nik = make_nik(9)
    lead = new_lead(officer, nik=nik, phone="081234567812")
    client = as_user(api_client, user_with(Role.FIELD_OFFICER, "35.26.02"))  # a colleague: masked
    shown = client.get(f"{LEADS}{lead.pk}/").json()
    assert shown["nik"] != nik

    response = client.patch(
        f"{LEADS}{lead.pk}/", {"nik": shown["nik"], "phone": shown["phone"], "status": "declined"}, format="json"
    )

    assert response.status_code == 200, response.json()
    lead.refresh_from_db()
    assert (lead.nik, lead.phone, lead.status) == (nik, "+6281234567812", LeadStatus.DECLINED)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"village": OUTSIDE_OFFICER}, "village"),
        ({"village": "nowhere"}, "village"),
        ({"nik": "12345"}, "nik"),
        ({"name": ""}, "name"),
        ({"status": "added"}, "status"),
        ({"event": 0}, "event"),
        ({"birth_date": "2999-01-01"}, "birth_date"),
    ],
)
def test_lead_create_with_bad_input_is_400_naming_the_field(api_client, officer, change, field):
    response = as_user(api_client, officer).post(LEADS, {"name": "Siti", "village": VILLAGE, **change}, format="json")

    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert not Lead.objects.exists()


def test_an_outsider_gets_404_on_a_lead(api_client, officer, outsider):
    lead = new_lead(officer)
    client = as_user(api_client, outsider)

    assert client.get(f"{LEADS}{lead.pk}/").status_code == 404
    assert client.patch(f"{LEADS}{lead.pk}/", {"status": "declined"}, format="json").status_code == 404
    assert client.get(LEADS).json()["results"] == []


def test_leads_are_filtered_by_follow_up_status_region_event_and_officer(api_client, officer, clerk):
    today = timezone.localdate()
    event = log(officer)
    due = new_lead(officer, name="Due", next_follow_up=today, event_id=event.pk)
    late = new_lead(officer, name="Late", next_follow_up=today - dt.timedelta(days=3), village=OTHER_VILLAGE)
    new_lead(officer, name="Declined", next_follow_up=today - dt.timedelta(days=3), status="declined")
    mine = new_lead(clerk, name="Clerk's", village=OUTSIDE_OFFICER)
    client = as_user(api_client, clerk)

    def names(**params):
        response = client.get(LEADS, params)
        assert response.status_code == 200, response.json()
        return sorted(lead["name"] for lead in response.json()["results"])

    assert names(due="today") == ["Due"]
    assert names(due="overdue") == ["Late"]
    assert names(status="declined") == ["Declined"]
    assert names(region="35.26.01") == ["Late"]
    assert names(event=event.pk) == ["Due"]
    assert names(officer="me") == [mine.name]
    assert names(officer="officer") == ["Declined", "Due", "Late"]
    assert client.get(LEADS, {"due": "someday"}).status_code == 400
    assert due.pk and late.pk


def test_the_lead_list_has_a_bounded_number_of_queries(api_client, officer, clerk, django_assert_max_num_queries):
    event = log(officer)
    for i in range(30):
        new_lead(officer, name=f"Warga {i}", nik=make_nik(100 + i), event_id=event.pk, phone=f"0812{i:08d}")
    client = as_user(api_client, clerk)

    with django_assert_max_num_queries(4):
        response = client.get(LEADS)

    assert response.json()["count"] == 30


# --- Leads into a batch ---------------------------------------------------------------------------


def test_leads_go_into_a_draft_batch_and_those_that_cannot_are_refused_with_the_reason(api_client, officer):
    batch = new_batch(officer)
    ready = new_lead(officer, name="Siti", nik=make_nik(11), occupation="petani")
    no_nik = new_lead(officer, name="Budi")

    response = as_user(api_client, officer).post(
        ADD_TO_BATCH, {"leads": [ready.pk, no_nik.pk], "batch": batch.pk}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["added"] == [ready.pk]
    assert response.json()["warnings"] == []
    [refused] = response.json()["refused"]
    assert (refused["lead"], refused["name"], refused["column"]) == (no_nik.pk, "Budi", "nik")
    assert refused["message"]
    ready.refresh_from_db()
    assert ready.status == LeadStatus.ADDED and ready.batch_id == batch.pk
    assert batch.members.count() == 1


def test_add_to_batch_returns_the_imports_warnings_per_lead(api_client, officer):
    batch = new_batch(officer)
    lead = new_lead(officer, name="Warga Pamekasan", nik=make_nik(14, district="352801"))

    response = as_user(api_client, officer).post(ADD_TO_BATCH, {"leads": [lead.pk], "batch": batch.pk}, format="json")

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "added": [lead.pk],
        "refused": [],
        "warnings": [
            {
                "lead": lead.pk,
                "name": "Warga Pamekasan",
                "column": "nik",
                "message": "The NIK was issued outside the regency (district 35.28.01).",
            }
        ],
    }


def test_leads_into_a_batch_of_village_officials_is_400(api_client, officer):
    batch = new_batch(officer, kind="village_officials")
    lead = new_lead(officer, nik=make_nik(15))

    response = as_user(api_client, officer).post(ADD_TO_BATCH, {"leads": [lead.pk], "batch": batch.pk}, format="json")

    assert response.status_code == 400
    assert "village officials" in response.json()["detail"] and "batch" in response.json()["errors"]
    assert batch.members.count() == 0


def test_a_lead_outside_the_users_regions_is_404_and_nothing_is_added(api_client, officer, outsider):
    batch = new_batch(officer)
    mine = new_lead(officer, nik=make_nik(12))
    foreign = new_lead(outsider, village=FOREIGN_VILLAGE)

    response = as_user(api_client, officer).post(
        ADD_TO_BATCH, {"leads": [mine.pk, foreign.pk], "batch": batch.pk}, format="json"
    )

    assert response.status_code == 404
    assert batch.members.count() == 0


def test_leads_into_a_batch_that_is_not_a_draft_is_409(api_client, officer):
    batch = new_batch(officer)
    import_rows(officer, batch, [member_row(1)])
    enrollment_services.batch_submit(actor=officer, batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.state == BatchState.SUBMITTED
    lead = new_lead(officer, nik=make_nik(13))

    response = as_user(api_client, officer).post(ADD_TO_BATCH, {"leads": [lead.pk], "batch": batch.pk}, format="json")

    assert response.status_code == 409
    assert response.json()["detail"]


@pytest.mark.parametrize("body", [{}, {"leads": [], "batch": 1}, {"leads": ["x"], "batch": 1}, {"leads": [1]}])
def test_add_to_batch_with_bad_input_is_400(api_client, officer, body):
    response = as_user(api_client, officer).post(ADD_TO_BATCH, body, format="json")

    assert response.status_code == 400
    assert response.json()["errors"]


# --- The contract check's own calls ---------------------------------------------------------------


def test_the_contract_checks_calls_pass_for_the_demo_roles(api_client):
    """tools/contract_check.py: the field officer posts the same event twice; the clerk lists leads."""
    officer = user_with(Role.FIELD_OFFICER, "35.26.01", "35.26.02", "35.26.03", username="petugas")
    clerk = user_with(Role.LABOUR_OFFICE, "35.26", username="disnaker")
    body = contract_event()

    first = as_user(api_client, officer).post(EVENTS, body, format="json")
    again = as_user(api_client, officer).post(EVENTS, body, format="json")
    leads = as_user(api_client, clerk).get(LEADS)

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert leads.status_code == 200
