"""Outreach pages: the mobile event form (idempotent on its client_id), the event list and
calendar, leads and follow-ups with "add to a draft batch", village visit coverage — who sees
what, and that refusals come back on the page."""

import datetime as dt
import re
import uuid
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from enrollment.models import BatchMember, mask_nik, mask_phone
from outreach import forms as outreach_forms
from outreach import selectors, services
from outreach.models import EventKind, EventVillage, Lead, LeadStatus, OutreachEvent
from tests.enrollment.conftest import make_nik, new_batch
from tests.factories import user_with
from tests.outreach.conftest import VILLAGE
from ucj.models import Region, Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]


OTHER_VILLAGE = "35.26.01.2008"  # Sembilangan, Bangkalan district (the officer's)
KELURAHAN = "35.26.01.1001"  # Mlajah, Bangkalan district (the officer's)
PAMEKASAN_VILLAGE = "35.28.01.2001"  # outside the officer's area
NEW_URL = "/events/new/"


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def form_post(client_id=None, **over) -> dict:
    data = {
        "client_id": str(client_id or uuid.uuid4()),
        "kind": EventKind.VILLAGE_VISIT,
        "date": timezone.localdate().isoformat(),
        "time": "09:30",
        "villages": [VILLAGE, OTHER_VILLAGE],
        "farmers": "25",
        "fishers": "3",
        "village_officials": "2",
        "partner_agency": "village_government",
        "partner": "Kepala Desa Socah",
        "notes": "Balai desa",
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def log(actor, *, villages=(VILLAGE,), day=None, kind=EventKind.SOCIALISATION, **attendance) -> OutreachEvent:
    data = services.EventData(
        kind=kind,
        date=day or timezone.localdate(),
        village_codes=list(villages),
        attendance=attendance or {"farmers": 10},
        planting_season="rendeng" if kind == EventKind.FERTILISER else "",
        distribution_point_kind="kiosk" if kind == EventKind.FERTILISER else "",
        distribution_point="Kios Tani Makmur" if kind == EventKind.FERTILISER else "",
        employer_name="PT Garam" if kind == EventKind.EMPLOYER_VISIT else "",
    )
    event, _created = services.event_log(actor=actor, client_id=uuid.uuid4(), data=data)
    return event


def age(event, hours: int) -> None:
    OutreachEvent.objects.filter(pk=event.pk).update(created_at=timezone.now() - dt.timedelta(hours=hours))


# --- Who gets in ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["officer", "clerk", "supervisor"])
def test_every_page_renders_for_the_roles_of_bangkalan(client, request, who, logged_event, lead):
    client.force_login(request.getfixturevalue(who))
    for url in [
        "/events/",
        "/events/?view=calendar",
        logged_event.get_absolute_url(),
        "/leads/",
        "/leads/?tab=all",
        lead.get_absolute_url(),
        "/outreach/visits/",
        "/outreach/visits/35.26.02/",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
    # The lead's form holds personal data: only the roles that may change the lead open it.
    edit = client.get(reverse("outreach:lead-edit", args=[lead.pk]))
    assert edit.status_code == (403 if who == "supervisor" else 200)


def test_nav_links_to_events_leads_and_visits_and_home_offers_the_form(client, officer):
    client.force_login(officer)
    page = client.get("/").content.decode()
    for url in ("/events/", "/leads/", "/outreach/visits/"):
        assert f'href="{url}"' in page
    assert re.search(r'href="/events/new/"[^>]*id="log-event"', page)


def test_anonymous_is_sent_to_login(client, logged_event, lead):
    urls = [
        "/events/",
        NEW_URL,
        logged_event.get_absolute_url(),
        reverse("outreach:event-edit", args=[logged_event.pk]),
        reverse("outreach:lead-new", args=[logged_event.pk]),
        "/leads/",
        lead.get_absolute_url(),
        "/outreach/visits/",
        "/outreach/visits/35.26/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


def test_outsider_gets_404_on_every_page_of_a_bangkalan_event_lead_and_region(client, outsider, logged_event, lead):
    client.force_login(outsider)
    for url in [
        logged_event.get_absolute_url(),
        reverse("outreach:event-edit", args=[logged_event.pk]),
        reverse("outreach:lead-new", args=[logged_event.pk]),
        lead.get_absolute_url(),
        reverse("outreach:lead-edit", args=[lead.pk]),
        "/outreach/visits/35.26/",
        "/outreach/visits/35.26.02/",
    ]:
        assert client.get(url).status_code == 404, url
    for url in [reverse("outreach:event-edit", args=[logged_event.pk]), reverse("outreach:lead-edit", args=[lead.pk])]:
        assert client.post(url, {"name": "x", "kind": "other"}).status_code == 404, url
    assert client.post(reverse("outreach:lead-new", args=[logged_event.pk]), {"name": "x"}).status_code == 404
    assert client.get("/events/").context["page"].paginator.count == 0
    assert client.get("/leads/?tab=all").context["page"].paginator.count == 0


def test_supervisor_cannot_open_the_form_but_reads_the_events(client, supervisor, logged_event):
    client.force_login(supervisor)
    assert client.get(NEW_URL).status_code == 403
    response = client.get("/events/")
    assert [e.pk for e in response.context["page"]] == [logged_event.pk]
    assert 'id="log-event"' not in response.content.decode()


# --- The mobile form ------------------------------------------------------------------------------


def test_form_offers_the_officers_villages_recent_first_with_today_and_a_fresh_client_id(client, officer):
    log(officer, villages=[OTHER_VILLAGE], day=timezone.localdate() - dt.timedelta(days=3))
    client.force_login(officer)
    response = client.get(NEW_URL)
    form = response.context["form"]
    page = response.content.decode()
    groups = form.grouped_villages()
    # The district where the officer logged last comes first, and in it the village they logged.
    assert groups[0]["code"] == "35.26.01" and groups[0]["villages"][0]["code"] == OTHER_VILLAGE
    codes = {v["code"] for g in groups for v in g["villages"]}
    assert len(codes) == 24 and all(c.startswith(("35.26.01.", "35.26.02.")) for c in codes)
    assert form["date"].value() == timezone.localdate()
    client_id = re.search(r'name="client_id" value="([0-9a-f-]{36})"', page)[1]
    assert uuid.UUID(client_id)
    assert client_id not in client.get(NEW_URL).content.decode()  # each rendering gets its own
    assert page.count('inputmode="numeric"') >= 5
    assert 'name="kind" id="kind-village_visit"' in page


def test_form_saves_an_event_and_redirects_to_it_with_a_log_another_link(client, officer, english):
    client.force_login(officer)
    response = client.post(NEW_URL, form_post())
    event = OutreachEvent.objects.get()
    assert response.status_code == 302 and response["Location"] == event.get_absolute_url()
    assert (event.kind, event.farmers, event.fishers, event.village_officials) == ("village_visit", 25, 3, 2)
    assert event.time == dt.time(9, 30) and event.created_by == officer
    assert sorted(EventVillage.objects.filter(event=event).values_list("village_id", flat=True)) == sorted(
        [VILLAGE, OTHER_VILLAGE]
    )
    assert messages_of(response) == [f"Event saved: village visit, {timezone.localdate():%d/%m/%Y}."]
    page = client.get(event.get_absolute_url()).content.decode()
    assert f'href="{NEW_URL}" id="log-another"' in page
    assert 'id="attendance-total">30<' in page


def test_the_same_client_id_posted_twice_makes_one_event(client, officer, english):
    client.force_login(officer)
    data = form_post()
    first = client.post(NEW_URL, data)
    second = client.post(NEW_URL, data)
    assert OutreachEvent.objects.count() == 1
    assert first["Location"] == second["Location"] == OutreachEvent.objects.get().get_absolute_url()
    assert messages_of(second)[-1] == "This event was already saved; nothing was added twice."


def test_someone_elses_client_id_is_refused_and_the_form_gets_a_new_one(client, officer, logged_event):
    other = user_with(Role.FIELD_OFFICER, "35.26.02", username="other-officer")
    client.force_login(other)
    response = client.post(NEW_URL, form_post(client_id=logged_event.client_id, villages=[VILLAGE]))
    assert response.status_code == 200 and OutreachEvent.objects.count() == 1
    assert response.context["form"].non_field_errors()
    assert str(logged_event.client_id) not in response.content.decode()


def test_form_shows_what_is_wrong_and_saves_nothing(client, officer, english):
    client.force_login(officer)
    response = client.post(NEW_URL, form_post(kind="", villages=[], farmers="-4"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["kind"] == ["Choose what kind of event it was."]
    assert errors["villages"] == ["Tick at least one village."]
    assert errors["farmers"] == ["Attendance cannot be negative."]
    page = response.content.decode()
    assert "The event was not saved. Please correct the marked fields." in page
    assert "Attendance cannot be negative." in page
    assert OutreachEvent.objects.count() == 0


def test_the_services_refusals_land_on_their_fields(client, officer, english):
    """A date in the future and a village outside the officer's area are the service's call."""
    client.force_login(officer)
    tomorrow = timezone.localdate(timezone=services.EASTERNMOST) + dt.timedelta(days=1)
    response = client.post(NEW_URL, form_post(date=tomorrow.isoformat(), villages=[VILLAGE]))
    assert "is in the future" in response.context["form"].errors["date"][0]
    # A Pamekasan village is not even offered; a crafted post is refused by the form.
    response = client.post(NEW_URL, form_post(villages=[PAMEKASAN_VILLAGE]))
    assert response.context["form"].errors["villages"]
    # Fertiliser tie-ins need their season and distribution point.
    response = client.post(NEW_URL, form_post(kind=EventKind.FERTILISER))
    errors = response.context["form"].errors
    assert {"planting_season", "distribution_point_kind", "distribution_point"} <= set(errors)
    assert OutreachEvent.objects.count() == 0


def test_the_fields_of_another_kind_are_not_saved(client, officer):
    client.force_login(officer)
    client.post(NEW_URL, form_post(employer_name="PT Garam", planting_season="gadu"))
    event = OutreachEvent.objects.get()
    assert (event.employer, event.planting_season) == (None, "")


def test_a_fertiliser_tie_in_with_location_is_shown_with_a_map_link(client, officer):
    client.force_login(officer)
    data = form_post(
        kind=EventKind.FERTILISER,
        planting_season="rendeng",
        distribution_point_kind="farmer_group",
        distribution_point="Poktan Sumber Rejeki",
        latitude="-7.053100",
        longitude="112.737800",
    )
    response = client.post(NEW_URL, data, follow=True)
    event = OutreachEvent.objects.get()
    assert (event.planting_season, event.distribution_point) == ("rendeng", "Poktan Sumber Rejeki")
    page = response.content.decode()
    assert "https://www.openstreetmap.org/?mlat=-7.053100&amp;mlon=112.737800" in page
    assert "Poktan Sumber Rejeki" in page


def test_gps_with_more_than_six_decimals_is_rounded_as_the_api_does(client, officer):
    client.force_login(officer)
    response = client.post(NEW_URL, form_post(latitude="-7.05310049", longitude="112.73780051"))
    assert response.status_code == 302
    event = OutreachEvent.objects.get()
    assert (event.latitude, event.longitude) == (Decimal("-7.053100"), Decimal("112.737801"))
    # Out of range is still refused.
    response = client.post(NEW_URL, form_post(latitude="-91.0000001", longitude="112.7"))
    assert response.status_code == 200 and response.context["form"].errors["latitude"]


def test_the_same_client_id_with_other_data_is_not_taken_for_the_first_event(client, officer, english):
    """Back to the saved form, a change, Save: the page says so and keeps the change; saving again
    logs a second event instead of silently showing the first."""
    client.force_login(officer)
    data = form_post(notes="Balai desa")
    first = client.post(NEW_URL, data)
    assert first.status_code == 302
    second = client.post(NEW_URL, {**data, "notes": "Posyandu, sore"})
    assert second.status_code == 200 and OutreachEvent.objects.count() == 1
    page = second.content.decode()
    assert "This form was already saved as another event; check it and save again to log a new one." in page
    assert "Posyandu, sore" in page
    new_id = second.context["form"]["client_id"].value()
    assert new_id != data["client_id"] and f'value="{new_id}"' in page
    third = client.post(NEW_URL, {**data, "client_id": new_id, "notes": "Posyandu, sore"})
    assert third.status_code == 302
    assert sorted(OutreachEvent.objects.values_list("notes", flat=True)) == ["Balai desa", "Posyandu, sore"]


# --- Users of many villages: a district first ------------------------------------------------------


def test_a_national_admin_chooses_a_district_before_the_form(client, admin_user):
    """The test database alone has some 600 villages; the country has 83,000."""
    client.force_login(admin_user)
    response = client.get(NEW_URL)
    assert response.status_code == 200
    assert response.templates[0].name == "outreach/event_district.html"
    page = response.content.decode()
    assert 'name="villages"' not in page and 'name="district"' in page
    assert '<option value="35.26.02">Socah</option>' in page
    assert len(page) < 60_000

    url = f"{NEW_URL}?district=35.26.02"
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    codes = {v["code"] for g in response.context["form"].grouped_villages() for v in g["villages"]}
    assert len(codes) == 11 and all(c.startswith("35.26.02.") for c in codes)
    # "Recent villages" are looked up among the shown ones, not among every village of the country.
    assert not any("35.26.01.2008" in q["sql"] for q in queries.captured_queries)
    # The form is sent to its own address, the district included.
    response = client.post(url, form_post(villages=[VILLAGE]))
    assert response.status_code == 302
    assert OutreachEvent.objects.get().created_by == admin_user
    # A village of another district is not on this form.
    response = client.post(url, form_post(villages=[OTHER_VILLAGE]))
    assert response.status_code == 200 and response.context["form"].errors["villages"]


def test_with_too_many_districts_for_a_select_the_regency_comes_first(client, admin_user, monkeypatch):
    monkeypatch.setattr(outreach_forms, "MAX_DISTRICT_OPTIONS", 10)
    client.force_login(admin_user)
    response = client.get(NEW_URL)
    chooser = response.context["chooser"]
    assert chooser.needs_regency and 'name="district"' not in response.content.decode()
    assert "35.26" in [code for code, _name in chooser.fields["regency"].choices]
    response = client.get(NEW_URL, {"regency": "35.26"})
    districts = [code for code, _name in response.context["chooser"].fields["district"].choices if code]
    assert len(districts) == 18 and all(code.startswith("35.26.") for code in districts)
    response = client.get(NEW_URL, {"regency": "35.26", "district": "35.26.02"})
    assert {v["code"] for g in response.context["form"].grouped_villages() for v in g["villages"]} >= {VILLAGE}


def test_a_labour_office_of_one_regency_keeps_the_one_page_form(client, clerk):
    client.force_login(clerk)
    response = client.get(NEW_URL)
    assert response.context["chooser"] is None
    assert len([v for g in response.context["form"].grouped_villages() for v in g["villages"]]) == 281


def test_a_national_admin_edits_an_event_with_the_villages_of_its_district(client, admin_user, logged_event):
    client.force_login(admin_user)
    url = reverse("outreach:event-edit", args=[logged_event.pk])
    response = client.get(url)
    codes = [code for code, _name in response.context["form"].fields["villages"].choices]
    assert VILLAGE in codes and len(codes) == 11
    codes = [
        code for code, _name in client.get(url, {"district": "35.26.01"}).context["form"].fields["villages"].choices
    ]
    assert VILLAGE in codes and OTHER_VILLAGE in codes


# --- The edit window ------------------------------------------------------------------------------


def test_the_author_edits_within_the_window(client, officer, logged_event):
    client.force_login(officer)
    assert client.get(logged_event.get_absolute_url()).context["may_edit"]
    url = reverse("outreach:event-edit", args=[logged_event.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, form_post(villages=[VILLAGE], farmers="40"))
    assert response.status_code == 302
    logged_event.refresh_from_db()
    assert (logged_event.farmers, logged_event.kind) == (40, "village_visit")


def test_after_the_window_only_a_supervisor_changes_the_event(client, officer, supervisor, logged_event, english):
    age(logged_event, hours=73)
    url = reverse("outreach:event-edit", args=[logged_event.pk])
    client.force_login(officer)
    assert not client.get(logged_event.get_absolute_url()).context["may_edit"]
    response = client.get(url)
    assert response.status_code == 302
    expected = "This event was logged more than 72 hours ago; only a supervisor can change it now."
    assert messages_of(response) == [expected]
    response = client.post(url, form_post(villages=[VILLAGE], farmers="99"))
    assert response.status_code == 302 and messages_of(response)[-1] == expected
    logged_event.refresh_from_db()
    assert logged_event.farmers == 12

    client.force_login(supervisor)
    assert client.get(url).status_code == 200
    response = client.post(url, form_post(villages=[VILLAGE], farmers="99"))
    assert response.status_code == 302
    logged_event.refresh_from_db()
    assert logged_event.farmers == 99


# --- Events list and calendar ---------------------------------------------------------------------


def test_event_list_filters_by_kind_month_region_and_mine(client, officer, clerk):
    today = timezone.localdate()
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=10)
    mine = log(officer, villages=[VILLAGE], kind=EventKind.VILLAGE_VISIT)
    older = log(officer, villages=[OTHER_VILLAGE], day=last_month)
    theirs = log(clerk, villages=["35.26.03.2001"], kind=EventKind.FERTILISER)
    client.force_login(clerk)

    def listed(**params):
        return {e.pk for e in client.get("/events/", params).context["page"]}

    assert listed() == {mine.pk, older.pk, theirs.pk}
    assert listed(kind="fertiliser_distribution") == {theirs.pk}
    assert listed(month=f"{last_month:%Y-%m}") == {older.pk}
    assert listed(region="35.26.02") == {mine.pk}
    assert listed(region=OTHER_VILLAGE) == {older.pk}
    assert listed(mine="on") == {theirs.pk}


def test_event_list_runs_a_bounded_number_of_queries(client, officer, django_assert_max_num_queries):
    villages = [r.code for r in Region.objects.filter(parent_id="35.26.02").order_by("code")[:6]]
    for i in range(30):
        log(officer, villages=villages[i % 3 : i % 3 + 3], day=timezone.localdate() - dt.timedelta(days=i % 20))
    client.force_login(officer)
    with django_assert_max_num_queries(10):
        response = client.get("/events/")
    assert len(response.context["page"]) == 30
    assert all(len(e.villages.all()) == 3 for e in response.context["page"])
    with django_assert_max_num_queries(10):
        response = client.get("/events/", {"view": "calendar"})
    assert response.context["event_count"] == sum(
        1 for e in OutreachEvent.objects.all() if e.date.month == timezone.localdate().month
    )


def test_calendar_places_events_on_their_days_and_pages_by_month(client, officer):
    day = dt.date(timezone.localdate().year, 1, 15) if timezone.localdate().month > 1 else timezone.localdate()
    event = log(officer, villages=[VILLAGE], day=day)
    client.force_login(officer)
    response = client.get("/events/", {"view": "calendar", "month": f"{day:%Y-%m}"})
    cells = [cell for week in response.context["weeks"] for cell in week if cell["date"] == day]
    assert [e.pk for e in cells[0]["events"]] == [event.pk]
    assert response.context["days"] == [(day, [event])]
    assert event.get_absolute_url() in response.content.decode()
    previous = (day.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    assert response.context["previous_month"] == previous
    assert client.get("/events/", {"view": "calendar", "month": previous}).context["days"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"month": "0000-05"},
        {"month": "0001-01"},
        {"month": "9999-12"},
        {"view": "calendar", "month": "0000-01"},
        {"view": "calendar", "month": "0001-01"},
        {"view": "calendar", "month": "9999-12"},
    ],
)
def test_an_impossible_month_is_a_form_error_not_a_crash(client, officer, params, english):
    client.force_login(officer)
    response = client.get("/events/", params)
    assert response.status_code == 200
    assert "Enter a month as YYYY-MM" in response.context["filters"].errors["month"][0]
    assert "Enter a month as YYYY-MM" in response.content.decode()


def test_the_calendar_stops_at_the_first_and_last_month_it_accepts(client, officer):
    client.force_login(officer)
    response = client.get("/events/", {"view": "calendar", "month": "2999-12"})
    assert (response.context["previous_month"], response.context["next_month"]) == ("2999-11", None)
    response = client.get("/events/", {"view": "calendar", "month": "1900-01"})
    assert (response.context["previous_month"], response.context["next_month"]) == (None, "1900-02")
    assert 'rel="prev"' not in response.content.decode()


def test_an_invalid_month_leaves_the_other_filters_working(client, officer, clerk):
    visit = log(officer, kind=EventKind.VILLAGE_VISIT)
    log(clerk, villages=["35.26.03.2001"], kind=EventKind.FERTILISER)
    client.force_login(clerk)
    response = client.get("/events/", {"month": "2026-13", "kind": EventKind.VILLAGE_VISIT})
    assert response.context["filters"].errors["month"]
    assert [e.pk for e in response.context["page"]] == [visit.pk]
    response = client.get("/events/", {"view": "calendar", "month": "0000-01", "kind": EventKind.VILLAGE_VISIT})
    assert response.context["month"] == timezone.localdate().replace(day=1)
    assert [e.pk for _day, events in response.context["days"] for e in events] == [visit.pk]


def test_event_page_shows_attendance_villages_officers_and_its_leads(client, officer, logged_event, lead):
    client.force_login(officer)
    response = client.get(logged_event.get_absolute_url())
    page = response.content.decode()
    assert "Socah" in page and lead.name in page
    assert response.context["attendance"][0] == ("farmers", 12)
    assert [o.pk for o in response.context["officers"]] == [officer.pk]
    assert f'href="{reverse("outreach:lead-new", args=[logged_event.pk])}"' in page


# --- Leads ----------------------------------------------------------------------------------------


def test_quick_add_of_a_lead_from_an_event(client, officer, logged_event):
    client.force_login(officer)
    url = reverse("outreach:lead-new", args=[logged_event.pk])
    form = client.get(url).context["form"]
    assert [c for c, _n in form.fields["village"].choices] == [VILLAGE]
    follow_up = timezone.localdate() + dt.timedelta(days=3)
    data = {
        "name": "Ahmad Fauzi",
        "nik": make_nik(7),
        "phone": "0812-3456-7812",
        "village": VILLAGE,
        "occupation": "nelayan",
        "next_follow_up": follow_up.isoformat(),
        "then": "another",
    }
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == url
    lead = Lead.objects.get()
    assert (lead.event, lead.officer, lead.village_id, lead.phone) == (logged_event, officer, VILLAGE, "+6281234567812")
    assert lead.next_follow_up == follow_up and lead.status == LeadStatus.INTERESTED


def test_lead_form_shows_the_services_reasons(client, officer, logged_event, english):
    client.force_login(officer)
    url = reverse("outreach:lead-new", args=[logged_event.pk])
    response = client.post(url, {"name": "", "nik": "123", "village": VILLAGE})
    errors = response.context["form"].errors
    assert errors["name"] and errors["nik"] == ["A NIK has 16 digits."]
    response = client.post(url, {"name": "Budi", "nik": make_nik(3, sex="P"), "sex": "L", "village": VILLAGE})
    assert response.context["form"].errors["sex"] == ["The NIK says P, the form says L."]
    assert Lead.objects.count() == 0


def test_lead_edit_changes_status_follow_up_and_notes(client, officer, lead):
    client.force_login(officer)
    url = reverse("outreach:lead-edit", args=[lead.pk])
    form = client.get(url).context["form"]
    assert LeadStatus.ADDED not in [v for v, _label in form.fields["status"].choices]
    response = client.post(
        url, {"name": lead.name, "status": LeadStatus.DECLINED, "notes": "Sudah punya BPJS dari pabrik"}
    )
    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.status, lead.notes, lead.next_follow_up) == ("declined", "Sudah punya BPJS dari pabrik", None)


def test_follow_up_tabs_list_the_officers_own_leads_by_due_date(client, officer, logged_event):
    today = timezone.localdate()
    made = {}
    for name, days in [("Due", 0), ("Late", -2), ("Soon", 5)]:
        made[name] = services.lead_create(
            actor=officer,
            data=services.LeadData(
                name=name, village_code=VILLAGE, event_id=logged_event.pk, next_follow_up=today + dt.timedelta(days)
            ),
        )
    client.force_login(officer)
    response = client.get("/leads/")
    assert response.context["tab"] == "today"
    assert dict(response.context["tabs"]) == {"today": 1, "overdue": 1, "upcoming": 1, "all": 3}
    assert [lead.name for lead in response.context["page"]] == ["Due"]
    assert [lead.name for lead in client.get("/leads/?tab=overdue").context["page"]] == ["Late"]
    assert [lead.name for lead in client.get("/leads/?tab=upcoming").context["page"]] == ["Soon"]
    assert client.get("/leads/", {"tab": "all", "region": "35.26.01"}).context["page"].paginator.count == 0


def test_lead_phone_is_full_for_its_officer_and_masked_for_the_supervisor(client, officer, supervisor, logged_event):
    lead = services.lead_create(
        actor=officer, data=services.LeadData(name="Rina", village_code=VILLAGE, phone="081234567812")
    )
    client.force_login(officer)
    assert "+6281234567812" in client.get(lead.get_absolute_url()).content.decode()
    client.force_login(supervisor)
    page = client.get(lead.get_absolute_url()).content.decode()
    assert "+6281234567812" not in page and mask_phone("+6281234567812") in page


BIRTH = dt.date(1988, 7, 14)


@pytest.fixture
def personal_lead(officer, logged_event):
    """A lead with a NIK (which gives the birth date 14/07/1988) and a phone number."""
    return services.lead_create(
        actor=officer,
        data=services.LeadData(
            name="Rina",
            village_code=VILLAGE,
            event_id=logged_event.pk,
            nik=make_nik(21, birth=BIRTH, sex="P"),
            phone="081234567812",
        ),
    )


def test_a_supervisor_may_not_open_a_leads_form_and_sees_no_edit_button(client, supervisor, officer, personal_lead):
    url = reverse("outreach:lead-edit", args=[personal_lead.pk])
    client.force_login(supervisor)
    response = client.get(url)
    assert response.status_code == 403 and personal_lead.nik not in response.content.decode()
    assert client.post(url, {"name": "X", "status": LeadStatus.DECLINED}).status_code == 403
    assert 'id="edit-lead"' not in client.get(personal_lead.get_absolute_url()).content.decode()
    personal_lead.refresh_from_db()
    assert personal_lead.name == "Rina"
    client.force_login(officer)
    assert f'href="{url}" id="edit-lead"' in client.get(personal_lead.get_absolute_url()).content.decode()


def test_a_lead_page_shows_no_birth_date_nor_year_to_masked_roles(client, supervisor, officer, personal_lead):
    assert personal_lead.birth_date == BIRTH
    client.force_login(supervisor)
    page = client.get(personal_lead.get_absolute_url()).content.decode()
    assert 'id="lead-birth">—<' in page and "14/07/1988" not in page and "1988" not in page
    assert personal_lead.nik not in page and mask_nik(personal_lead.nik) in page
    client.force_login(officer)
    assert 'id="lead-birth">14/07/1988<' in client.get(personal_lead.get_absolute_url()).content.decode()


def test_another_officer_edits_a_lead_with_its_nik_phone_and_birth_date_hidden(client, personal_lead):
    other = user_with(Role.FIELD_OFFICER, "35.26.02", username="other-officer")
    client.force_login(other)
    url = reverse("outreach:lead-edit", args=[personal_lead.pk])
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    nik, phone = personal_lead.nik, personal_lead.phone
    for secret in (nik, phone, "1988-07-14", "14/07/1988"):
        assert secret not in page, secret
    assert f'value="{mask_nik(nik)}"' in page and f'value="{mask_phone(phone)}"' in page
    # Sent back as shown, with another note: the stored NIK, phone and birth date stay.
    form = response.context["form"]
    data = {name: form[name].value() or "" for name in ("name", "nik", "phone", "occupation", "sex", "status")}
    response = client.post(url, {**data, "birth_date": "", "notes": "Minta ditelepon sore"})
    assert response.status_code == 302, response.context["form"].errors
    personal_lead.refresh_from_db()
    assert (personal_lead.nik, personal_lead.phone, personal_lead.birth_date) == (nik, phone, BIRTH)
    assert personal_lead.notes == "Minta ditelepon sore"
    # A new phone number typed over the masked one is taken.
    response = client.post(url, {**data, "phone": "0813-1111-2222", "notes": ""})
    assert response.status_code == 302
    personal_lead.refresh_from_db()
    assert (personal_lead.phone, personal_lead.nik, personal_lead.birth_date) == ("+6281311112222", nik, BIRTH)


@pytest.mark.parametrize("who", ["officer", "clerk"])
def test_the_leads_officer_and_the_labour_office_edit_it_in_full(client, request, who, personal_lead):
    client.force_login(request.getfixturevalue(who))
    response = client.get(reverse("outreach:lead-edit", args=[personal_lead.pk]))
    page = response.content.decode()
    assert f'value="{personal_lead.nik}"' in page and f'value="{personal_lead.phone}"' in page
    assert 'value="1988-07-14"' in page


def test_leads_are_added_to_a_draft_batch_through_the_page(client, officer, logged_event):
    batch = new_batch(officer, area="35.26.02")
    good = services.lead_create(
        actor=officer,
        data=services.LeadData(name="Warga Baik", village_code=VILLAGE, nik=make_nik(11), occupation="petani"),
    )
    no_nik = services.lead_create(actor=officer, data=services.LeadData(name="Tanpa NIK", village_code=VILLAGE))
    client.force_login(officer)
    response = client.get("/leads/?tab=all")
    assert [b.pk for b in response.context["batches"]] == [batch.pk]
    assert f'name="lead" value="{good.pk}"' in response.content.decode()
    response = client.post(reverse("outreach:leads-to-batch"), {"lead": [good.pk, no_nik.pk], "batch": batch.pk})
    assert response.status_code == 200
    assert [lead.pk for lead in response.context["added"]] == [good.pk]
    assert [(r["lead"], r["column"]) for r in response.context["refused"]] == [(no_nik.pk, "nik")]
    page = response.content.decode()
    assert "Tanpa NIK" in page and batch.get_absolute_url() in page
    good.refresh_from_db()
    assert (good.status, good.batch_id) == (LeadStatus.ADDED, batch.pk)
    assert BatchMember.objects.filter(batch=batch, participant__nik=make_nik(11)).exists()


def test_a_lead_id_beyond_the_database_range_is_refused_on_the_form(client, officer, lead, english):
    batch = new_batch(officer, area="35.26.02")
    client.force_login(officer)
    for huge in ("99999999999999999999999", "2147483648", "0"):
        response = client.post(reverse("outreach:leads-to-batch"), {"lead": [huge], "batch": batch.pk})
        assert response.status_code == 302 and messages_of(response)[-1] == "Choose leads from the list.", huge
    lead.refresh_from_db()
    assert lead.status == LeadStatus.INTERESTED


def test_only_vulnerable_workers_draft_batches_are_offered_for_leads(client, clerk, lead):
    officials = new_batch(clerk, kind="village_officials")
    workers = new_batch(clerk)
    client.force_login(clerk)
    assert [b.pk for b in client.get("/leads/?tab=all").context["batches"]] == [workers.pk]
    response = client.post(reverse("outreach:leads-to-batch"), {"lead": [lead.pk], "batch": officials.pk})
    assert response.status_code == 302 and messages_of(response)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.INTERESTED


def test_the_imports_warnings_are_shown_per_lead(client, officer, lead, monkeypatch):
    batch = new_batch(officer, area="35.26.02")
    warning = {"lead": lead.pk, "name": lead.name, "message": "Umur 59 tahun: mendekati batas."}

    def add(*, actor, lead_ids, batch_id):
        return SimpleNamespace(added=[lead], refused=[], warnings=[warning])

    monkeypatch.setattr(services, "leads_add_to_batch", add)
    client.force_login(officer)
    response = client.post(reverse("outreach:leads-to-batch"), {"lead": [lead.pk], "batch": batch.pk})
    assert response.context["warnings"] == [warning]
    page = response.content.decode()
    assert "Umur 59 tahun: mendekati batas." in page
    assert f'href="{lead.get_absolute_url()}">{lead.name}</a></td><td>Umur 59' in page


def test_adding_leads_needs_ticked_leads_and_one_of_the_users_draft_batches(client, officer, outsider, lead):
    batch = new_batch(officer, area="35.26.02")
    client.force_login(officer)
    response = client.post(reverse("outreach:leads-to-batch"), {"batch": batch.pk})
    assert response.status_code == 302 and messages_of(response)
    client.force_login(outsider)
    response = client.post(reverse("outreach:leads-to-batch"), {"lead": [lead.pk], "batch": batch.pk})
    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.status == LeadStatus.INTERESTED


# --- Village visit coverage -----------------------------------------------------------------------


def test_visits_page_shows_the_selectors_figures(client, clerk, officer, english):
    log(officer, villages=[VILLAGE, OTHER_VILLAGE], farmers=30)
    log(officer, villages=[KELURAHAN], kind=EventKind.VILLAGE_VISIT, fishers=4)
    log(clerk, villages=["35.26.03.2001"], kind=EventKind.EMPLOYER_VISIT, others=5)  # not a visit
    client.force_login(clerk)
    response = client.get("/outreach/visits/")  # the clerk holds Bangkalan only
    region = Region.objects.get(code="35.26")
    today = timezone.localdate()
    expected = selectors.village_visit_coverage(region=region, since=dt.date(today.year, 1, 1), until=today)
    coverage = response.context["coverage"]
    assert (coverage.villages, coverage.visited, coverage.desa, coverage.kelurahan) == (
        expected.villages,
        expected.visited,
        expected.desa,
        expected.kelurahan,
    )
    assert coverage.visited == 3 and coverage.kelurahan.visited == 1
    page = response.content.decode()
    text = f"2 of {expected.desa.villages} desa and 1 of {expected.kelurahan.villages} kelurahan visited"
    assert text in page
    assert response.context["events_total"] == 3 and response.context["attendance_total"] == 39
    # Never-visited villages come first.
    rows = response.context["rows"]
    assert rows[0].last_visit is None and rows[-1].last_visit == today


def test_visits_percent_is_written_the_indonesian_way(client, officer, settings):
    log(officer, villages=[VILLAGE])
    client.force_login(officer)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    response = client.get("/outreach/visits/35.26.02/")
    assert response.context["coverage"].percent == 9.1  # 1 of 11 villages of Socah
    assert 'id="visited-percent">9,1 %<' in response.content.decode()


def test_visits_filters_stale_villages_and_sorts(client, officer):
    old = timezone.localdate() - dt.timedelta(days=120)
    log(officer, villages=[VILLAGE], day=old)
    log(officer, villages=["35.26.02.2002"])
    client.force_login(officer)
    params = {"since": f"{old.year - 1}-01-01", "days": 90, "stale_only": "on"}
    rows = client.get("/outreach/visits/35.26.02/", params).context["rows"]
    assert "35.26.02.2002" not in {r.code for r in rows} and VILLAGE in {r.code for r in rows}
    assert len(rows) == 10
    rows = client.get("/outreach/visits/35.26.02/", {**params, "stale_only": "", "sort": "visits"}).context["rows"]
    assert rows[0].visits == 1


def test_visits_with_only_an_end_start_on_january_first_of_its_year(client, officer, english):
    last_year = timezone.localdate().year - 1
    event = log(officer, villages=[VILLAGE], kind=EventKind.VILLAGE_VISIT)
    day = dt.date(last_year, 3, 10)
    OutreachEvent.objects.filter(pk=event.pk).update(date=day)
    EventVillage.objects.filter(event=event).update(date=day)
    client.force_login(officer)
    response = client.get("/outreach/visits/35.26.02/", {"until": f"{last_year}-06-30"})
    values = response.context["values"]
    assert (values["since"], values["until"]) == (dt.date(last_year, 1, 1), dt.date(last_year, 6, 30))
    assert response.context["coverage"].visited == 1
    # A start after today with no end is an empty period: said so, and the defaults apply.
    future = timezone.localdate() + dt.timedelta(days=5)
    response = client.get("/outreach/visits/35.26.02/", {"since": future.isoformat()})
    assert response.context["filters"].errors["since"] == ["The start is after today; give the end too."]
    assert response.context["values"]["since"] == dt.date(timezone.localdate().year, 1, 1)


def test_visits_shows_an_officer_of_two_districts_both_and_a_province_picks_a_regency(client, officer, supervisor):
    client.force_login(officer)
    response = client.get("/outreach/visits/")
    assert [r.region.code for r in response.context["overview"].regions] == ["35.26.01", "35.26.02"]
    client.force_login(supervisor)
    response = client.get("/outreach/visits/35/")
    assert "35.26" in [r.code for r in response.context["regions"]]
    assert client.get("/outreach/visits/35.26/").status_code == 200
    assert client.get("/outreach/visits/51.03/").status_code == 404


def test_visits_page_runs_a_bounded_number_of_queries(client, clerk, officer, django_assert_max_num_queries):
    villages = [r.code for r in Region.objects.filter(parent_id="35.26.02").order_by("code")]
    for i in range(30):
        log(officer, villages=villages[i % 8 : i % 8 + 3], day=timezone.localdate() - dt.timedelta(days=i * 3))
    client.force_login(clerk)
    with django_assert_max_num_queries(12):
        response = client.get("/outreach/visits/35.26/")
    assert len(response.context["rows"]) == 281


def test_lead_list_runs_a_bounded_number_of_queries(client, officer, logged_event, django_assert_max_num_queries):
    for i in range(40):
        services.lead_create(
            actor=officer,
            data=services.LeadData(
                name=f"Warga {i}", village_code=VILLAGE, event_id=logged_event.pk, next_follow_up=timezone.localdate()
            ),
        )
    new_batch(officer, area="35.26.02")
    client.force_login(officer)
    with django_assert_max_num_queries(14):
        response = client.get("/leads/")
    assert len(response.context["page"]) == 40


def test_the_form_offers_as_co_officers_only_colleagues_of_the_officers_own_area(officer):
    colleague = user_with(Role.FIELD_OFFICER, "35.26.02.2001", username="colleague")
    elsewhere = user_with(Role.FIELD_OFFICER, "35.26.10", username="kokop")  # same regency, other district
    offered = {pk for pk, _name in outreach_forms.co_officer_choices(officer)}
    assert colleague.pk in offered and elsewhere.pk not in offered and officer.pk not in offered
    clerk = user_with(Role.LABOUR_OFFICE, "35.26", username="clerk2")
    assert {colleague.pk, elsewhere.pk, officer.pk} <= {pk for pk, _ in outreach_forms.co_officer_choices(clerk)}
