"""Outreach services: logging events (idempotent on client_id), validation, scope, the edit
window, leads, and leads into a draft batch through the enrollment import."""

import datetime as dt
import threading
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.utils import timezone, translation

from enrollment import services as enrollment
from enrollment.models import BatchMember, BatchState, FundingSource, Participant
from outreach import selectors, services
from outreach.models import EventKind, EventVillage, Lead, LeadStatus, OutreachEvent
from tests.conftest import services_required
from tests.enrollment.conftest import import_rows, make_nik, member_row, new_batch
from tests.enrollment.test_concurrency import run_together
from tests.factories import user_with
from tests.outreach.conftest import VILLAGE
from ucj.errors import Conflict, ValidationFailed
from ucj.models import Assignment, AuditEvent, Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

OTHER_VILLAGE = "35.26.01.2008"  # Sembilangan, Bangkalan district (the officer's)
OUTSIDE_OFFICER = "35.26.05.2001"  # Arosbaya: Bangkalan, not the officer's district
PAMEKASAN_VILLAGE = "35.28.01.2001"
BADUNG_VILLAGE = "51.03.01.1002"


def log(actor, data, client_id=None):
    return services.event_log(actor=actor, client_id=client_id or uuid.uuid4(), data=data)


def refused(actor, data) -> dict:
    with pytest.raises(ValidationFailed) as exc:
        log(actor, data)
    assert not OutreachEvent.objects.filter(created_by=actor, date=data.date, kind=data.kind).exists()
    return exc.value.details


def age(event, hours: float) -> None:
    OutreachEvent.objects.filter(pk=event.pk).update(created_at=timezone.now() - dt.timedelta(hours=hours))
    event.refresh_from_db()


# --- Logging ----------------------------------------------------------------------------------------


def test_logging_an_event_records_villages_officers_and_audit(officer, clerk, event_data):
    data = event_data(
        village_codes=[VILLAGE, OTHER_VILLAGE, VILLAGE],
        attendance={"farmers": 30, "village_officials": 4},
        officer_ids=[clerk.pk],
        partner="Kecamatan Socah",
    )
    event, created = log(officer, data)
    assert created
    assert (event.regency_id, event.created_by, event.attendance_total) == ("35.26", officer, 34)
    rows = EventVillage.objects.filter(event=event).order_by("village_id")
    assert [(r.village_id, r.date, r.kind) for r in rows] == [
        (OTHER_VILLAGE, data.date, EventKind.SOCIALISATION),
        (VILLAGE, data.date, EventKind.SOCIALISATION),
    ]
    assert set(event.officers.all()) == {officer, clerk}
    [audit] = AuditEvent.objects.filter(action="outreach.event.create", target_id=str(event.pk))
    assert (audit.actor, audit.region_id, audit.data["villages"]) == (officer, "35.26", [VILLAGE, OTHER_VILLAGE])


def test_a_retry_with_the_same_client_id_returns_the_same_event(officer, event_data):
    client_id = uuid.uuid4()
    first, created = log(officer, event_data(village_codes=[VILLAGE, OTHER_VILLAGE], partner="Kades"), client_id)
    # The phone lost the answer and sends the same event again (written a little differently).
    again, created_again = log(
        officer,
        event_data(
            village_codes=[f" {OTHER_VILLAGE}", VILLAGE, VILLAGE],
            partner="Kades ",
            attendance={"farmers": "12", "fishers": 0},
        ),
        client_id,
    )
    assert (created, created_again) == (True, False)
    assert again.pk == first.pk and again.farmers == 12
    assert OutreachEvent.objects.count() == 1
    assert EventVillage.objects.count() == 2
    assert AuditEvent.objects.filter(action="outreach.event.create").count() == 1


def test_the_same_client_id_with_another_event_is_a_conflict(officer, event_data):
    client_id = uuid.uuid4()
    first, _ = log(officer, event_data(), client_id)
    for other in (event_data(attendance={"farmers": 99}), event_data(village_codes=[OTHER_VILLAGE])):
        with pytest.raises(Conflict, match="already used for another event; send the new event with a new client id"):
            log(officer, other, client_id)
    first.refresh_from_db()
    assert (OutreachEvent.objects.count(), first.farmers, len(first.payload_hash)) == (1, 12, 64)
    # Editing the event does not change what a retry of the first request must carry.
    services.event_update(actor=officer, event_id=first.pk, data=event_data(attendance={"farmers": 20}))
    again, created = log(officer, event_data(), client_id)
    assert (again.pk, again.farmers, created) == (first.pk, 20, False)


def test_an_event_logged_before_payloads_were_kept_answers_any_retry(officer, event_data):
    client_id = uuid.uuid4()
    first, _ = log(officer, event_data(), client_id)
    OutreachEvent.objects.filter(pk=first.pk).update(payload_hash="")
    again, created = log(officer, event_data(attendance={"farmers": 99}), client_id)
    assert (again.pk, again.farmers, created) == (first.pk, 12, False)


def test_someone_elses_client_id_is_a_conflict(officer, clerk, event_data):
    client_id = uuid.uuid4()
    log(officer, event_data(), client_id)
    with pytest.raises(Conflict) as exc:
        log(clerk, event_data(), client_id)
    assert exc.value.status == 409
    assert OutreachEvent.objects.count() == 1


def test_a_concurrent_insert_with_the_same_client_id_gives_the_one_event(officer, event_data, monkeypatch):
    """Two requests pass the first lookup together; the second insert hits the unique constraint
    and must answer with the event the first one made."""
    client_id = uuid.uuid4()
    original = services._clean_event

    def clean_while_the_other_request_commits(*args, **kwargs):
        clean = original(*args, **kwargs)
        OutreachEvent.objects.create(
            client_id=client_id, kind=EventKind.VILLAGE_VISIT, date=timezone.localdate(), regency_id="35.26",
            created_by=officer,
        )  # fmt: skip
        return clean

    monkeypatch.setattr(services, "_clean_event", clean_while_the_other_request_commits)
    event, created = log(officer, event_data(), client_id)
    assert not created
    assert event.kind == EventKind.VILLAGE_VISIT
    assert OutreachEvent.objects.count() == 1


def test_two_requests_with_one_client_id_at_the_same_moment_make_one_event(committed_db, monkeypatch):
    """Real concurrency on PostgreSQL: both requests pass the lookup before either inserts; the
    unique constraint lets one insert and the other answers with that event."""
    if connection.vendor != "postgresql":
        message = "needs DATABASE_URL pointing at PostgreSQL (concurrent inserts across connections)"
        if services_required():
            pytest.fail(message)
        pytest.skip(message)
    officer = user_with(Role.FIELD_OFFICER, "35.26.02", username="officer")
    client_id = uuid.uuid4()
    both_checked = threading.Barrier(2)
    original = services._clean_event

    def clean_then_wait(*args, **kwargs):
        clean = original(*args, **kwargs)
        both_checked.wait(timeout=30)
        return clean

    monkeypatch.setattr(services, "_clean_event", clean_then_wait)
    data = services.EventData(kind=EventKind.VILLAGE_VISIT, date=timezone.localdate(), village_codes=[VILLAGE])
    results = run_together([lambda: log(officer, data, client_id)] * 2)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(created for _event, created in results) == [False, True]
    assert results[0][0].pk == results[1][0].pk
    assert OutreachEvent.objects.filter(client_id=client_id).count() == 1
    assert EventVillage.objects.filter(event__client_id=client_id).count() == 1


def test_a_client_id_that_is_not_a_uuid_is_refused(officer, event_data):
    with pytest.raises(ValidationFailed) as exc:
        services.event_log(actor=officer, client_id="not-a-uuid", data=event_data())
    assert "client_id" in exc.value.details


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"village_codes": []}, "villages", "at least one village"),
        ({"village_codes": ["35.26.02.9999"]}, "villages", "Unknown village code"),
        ({"village_codes": ["35.26.02"]}, "villages", "Unknown village code"),
        ({"village_codes": [OUTSIDE_OFFICER]}, "villages", "Desa Arosbaya is outside your area"),
        ({"village_codes": [VILLAGE, PAMEKASAN_VILLAGE]}, "villages", "outside your area"),
        ({"kind": "picnic"}, "kind", "kind of event"),
        ({"date": timezone.localdate(timezone=services.EASTERNMOST) + dt.timedelta(days=1)}, "date", "in the future"),
        ({"date": timezone.localdate() - dt.timedelta(days=400)}, "date", "more than a year ago"),
        ({"attendance": {"farmers": -1}}, "farmers", "cannot be negative"),
        ({"attendance": {"fishers": 100_001}}, "fishers", "not plausible"),
        ({"attendance": {"children": 3}}, "attendance", "Unknown attendance group"),
        ({"attendance": {"others": "many"}}, "others", "whole number"),
        ({"kind": EventKind.FERTILISER, "distribution_point_kind": "kiosk", "distribution_point": "Kios Tani"},
         "planting_season", "planting season"),
        ({"kind": EventKind.FERTILISER, "planting_season": "rendeng"}, "distribution_point", "kiosk or farmer group"),
        ({"kind": EventKind.FERTILISER, "planting_season": "monsoon", "distribution_point_kind": "kiosk",
          "distribution_point": "Kios Tani"}, "planting_season", "from the list"),
        ({"kind": EventKind.EMPLOYER_VISIT}, "employer_name", "employer's name"),
        ({"latitude": Decimal("-7.05")}, "longitude", "both latitude and longitude"),
        ({"longitude": Decimal("112.7")}, "latitude", "both latitude and longitude"),
        ({"latitude": Decimal("95"), "longitude": Decimal("112.7")}, "latitude", "between -90 and 90"),
        ({"latitude": Decimal("-7.05"), "longitude": Decimal("181")}, "longitude", "between -180 and 180"),
        ({"partner_agency": "army"}, "partner_agency", "from the list"),
        ({"partner": "x" * 151}, "partner", "At most 150"),
    ],
)  # fmt: skip
def test_invalid_events_are_refused_with_a_message_per_field(officer, event_data, overrides, field, message):
    details = refused(officer, event_data(**overrides))
    assert field in details and message in details[field], details


def test_villages_of_two_regencies_are_refused(admin_user, event_data):
    details = refused(admin_user, event_data(village_codes=[VILLAGE, PAMEKASAN_VILLAGE]))
    assert "same regency" in details["villages"]


def test_every_problem_is_reported_at_once(officer, event_data):
    details = refused(
        officer,
        event_data(
            kind=EventKind.EMPLOYER_VISIT, date=timezone.localdate() + dt.timedelta(days=2), attendance={"farmers": -5}
        ),
    )
    assert set(details) == {"employer_name", "date", "farmers"}


@pytest.mark.parametrize(
    ("utc", "day", "accepted"),
    [
        # 23:30 in Jakarta, already 00:30 of the next day in Bali and Papua.
        ("2026-03-10T16:30:00+00:00", dt.date(2026, 3, 11), True),
        ("2026-03-10T16:30:00+00:00", dt.date(2026, 3, 12), False),
        # 08:30 in Papua, 06:30 in Jakarta: the same day everywhere.
        ("2026-03-10T23:30:00+00:00", dt.date(2026, 3, 11), True),
        ("2026-03-10T23:30:00+00:00", dt.date(2026, 3, 12), False),
    ],
)
def test_today_is_todays_date_in_the_easternmost_time_zone(officer, event_data, monkeypatch, utc, day, accepted):
    monkeypatch.setattr(timezone, "now", lambda: dt.datetime.fromisoformat(utc))
    if accepted:
        event, created = log(officer, event_data(date=day))
        assert created and event.date == day
    else:
        assert "in the future" in refused(officer, event_data(date=day))["date"]


def test_a_complete_fertiliser_tie_in_and_an_employer_visit_are_accepted(officer, event_data):
    fertiliser, _ = log(
        officer,
        event_data(
            kind=EventKind.FERTILISER, planting_season="rendeng", distribution_point_kind="farmer_group",
            distribution_point="Kelompok Tani Sido Makmur", attendance={"farmers": 85},
            latitude=Decimal("-7.0712345"), longitude=Decimal("112.7"),
        ),
    )  # fmt: skip
    assert (fertiliser.planting_season, fertiliser.latitude) == ("rendeng", Decimal("-7.071235"))
    visit, _ = log(officer, event_data(kind=EventKind.EMPLOYER_VISIT, employer_name="UD Batik Tulis"))
    assert (visit.employer.name, visit.employer.village_id) == ("UD Batik Tulis", VILLAGE)


def test_co_officers_must_work_in_one_of_the_events_villages(officer, clerk, supervisor, outsider, event_data):
    arosbaya = user_with(Role.FIELD_OFFICER, "35.26.05", username="arosbaya")  # another district, same regency
    # Outside Bangkalan; a supervisor is not an officer; a field officer of the regency who does
    # not work in the event's village would not even see the event.
    for other in (outsider, supervisor, arosbaya):
        details = refused(officer, event_data(officer_ids=[other.pk]))
        assert other.username in details["officers"]
        assert "working in one of its villages" in details["officers"], details
    details = refused(officer, event_data(officer_ids=[999_999]))
    assert "officers" in details
    socah = user_with(Role.FIELD_OFFICER, "35.26.02", username="socah")
    event, _ = log(officer, event_data(officer_ids=[clerk.pk, socah.pk, officer.pk]))
    assert set(event.officers.all()) == {officer, clerk, socah}
    # One village of theirs among the event's is enough.
    event, _ = log(clerk, event_data(village_codes=[VILLAGE, OUTSIDE_OFFICER], officer_ids=[arosbaya.pk]))
    assert set(event.officers.all()) == {clerk, arosbaya}
    assert selectors.events_visible_to(arosbaya).filter(pk=event.pk).exists()


def test_a_co_officer_who_moved_away_does_not_block_editing_the_event(officer, event_data):
    socah = user_with(Role.FIELD_OFFICER, "35.26.02", username="socah")
    event, _ = log(officer, event_data(officer_ids=[socah.pk]))
    Assignment.objects.filter(user=socah).update(region_id="35.28.01")  # now in Pamekasan
    event = services.event_update(
        actor=officer, event_id=event.pk, data=event_data(officer_ids=[socah.pk], notes="Balai desa")
    )
    assert event.notes == "Balai desa" and set(event.officers.all()) == {officer, socah}
    # Someone newly named is still checked.
    arosbaya = user_with(Role.FIELD_OFFICER, "35.26.05", username="arosbaya")
    with pytest.raises(ValidationFailed) as exc:
        services.event_update(actor=officer, event_id=event.pk, data=event_data(officer_ids=[socah.pk, arosbaya.pk]))
    assert "arosbaya" in exc.value.details["officers"] and "socah" not in exc.value.details["officers"]


def test_unknown_usernames_and_users_who_may_not_be_named_get_one_message(officer, supervisor, event_data):
    known = refused(officer, event_data(officer_ids=[supervisor.pk]))["officers"]
    unknown = refused(officer, event_data(unknown_officers=["nobody"]))
    assert unknown["officers"] == known.replace(supervisor.username, "nobody")


# --- Who may log -----------------------------------------------------------------------------------


def test_the_labour_office_logs_anywhere_in_its_regency(clerk, event_data):
    event, created = log(clerk, event_data(village_codes=[OUTSIDE_OFFICER]))
    assert created and event.regency_id == "35.26"


def test_a_supervisor_may_not_log(supervisor, event_data):
    with pytest.raises(PermissionDenied):
        log(supervisor, event_data())
    assert not OutreachEvent.objects.exists()


def test_an_outsider_cannot_log_in_bangkalan_nor_see_or_change_its_events(outsider, logged_event, event_data):
    details = refused(outsider, event_data())
    assert "outside your area" in details["villages"]
    assert not selectors.events_visible_to(outsider).filter(pk=logged_event.pk).exists()
    with pytest.raises(Http404):
        services.event_update(actor=outsider, event_id=logged_event.pk, data=event_data(village_codes=[BADUNG_VILLAGE]))
    with pytest.raises(Http404):
        services.event_update(actor=outsider, event_id=987_654, data=event_data())


# --- Edit window ---------------------------------------------------------------------------------


def test_the_author_changes_the_event_within_the_window_and_villages_follow(officer, logged_event, event_data):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    age(logged_event, 71)
    assert services.event_may_edit(officer, logged_event)
    event = services.event_update(
        actor=officer,
        event_id=logged_event.pk,
        data=event_data(kind=EventKind.VILLAGE_VISIT, date=yesterday, village_codes=[OTHER_VILLAGE], attendance={}),
    )
    assert (event.kind, event.date, event.farmers) == (EventKind.VILLAGE_VISIT, yesterday, 0)
    assert list(EventVillage.objects.filter(event=event).values_list("village_id", "date", "kind")) == [
        (OTHER_VILLAGE, yesterday, EventKind.VILLAGE_VISIT)
    ]
    assert set(event.officers.all()) == {officer}
    [audit] = AuditEvent.objects.filter(action="outreach.event.update", target_id=str(event.pk))
    assert audit.data["before"]["villages"] == [VILLAGE] and audit.data["after"]["villages"] == [OTHER_VILLAGE]


def test_after_the_window_only_a_supervisor_may_change_the_event(officer, supervisor, logged_event, event_data):
    age(logged_event, 73)
    assert not services.event_may_edit(officer, logged_event)
    with pytest.raises(PermissionDenied, match="more than 72 hours ago; only a supervisor can change it now"):
        services.event_update(actor=officer, event_id=logged_event.pk, data=event_data(attendance={"farmers": 13}))
    assert services.event_may_edit(supervisor, logged_event)
    # A supervisor may correct it anywhere in the regency, also outside the author's area.
    event = services.event_update(
        actor=supervisor,
        event_id=logged_event.pk,
        data=event_data(village_codes=[OUTSIDE_OFFICER], attendance={"farmers": 13}),
    )
    assert event.farmers == 13 and event.created_by == officer
    assert set(event.officers.all()) == {officer}
    assert list(EventVillage.objects.filter(event=event).values_list("village_id", flat=True)) == [OUTSIDE_OFFICER]


def test_the_edit_window_is_a_setting(officer, logged_event, settings):
    settings.OUTREACH_EDIT_HOURS = 2
    age(logged_event, 3)
    assert not services.event_may_edit(officer, logged_event)
    settings.OUTREACH_EDIT_HOURS = 4
    assert services.event_may_edit(officer, logged_event)


def test_co_officers_may_edit_within_the_window_other_officers_may_not(officer, clerk, event_data):
    colleague = user_with(Role.FIELD_OFFICER, "35.26.02", username="colleague")
    event, _ = log(officer, event_data(officer_ids=[clerk.pk]))
    assert services.event_may_edit(clerk, event)
    assert not services.event_may_edit(colleague, event)  # sees it (same district), was not there
    with pytest.raises(PermissionDenied, match="does not allow"):
        services.event_update(actor=colleague, event_id=event.pk, data=event_data())


def test_an_event_cannot_move_to_another_regency(admin_user, logged_event, event_data):
    with pytest.raises(ValidationFailed) as exc:
        services.event_update(
            actor=admin_user, event_id=logged_event.pk, data=event_data(village_codes=[PAMEKASAN_VILLAGE])
        )
    assert "another regency" in exc.value.details["villages"]


def test_an_old_date_kept_unchanged_does_not_block_a_correction(supervisor, logged_event, event_data):
    old = timezone.localdate() - dt.timedelta(days=400)
    OutreachEvent.objects.filter(pk=logged_event.pk).update(date=old)
    event = services.event_update(actor=supervisor, event_id=logged_event.pk, data=event_data(date=old, notes="ok"))
    assert event.notes == "ok"


# --- Leads ---------------------------------------------------------------------------------------


def lead_data(**overrides) -> services.LeadData:
    values = {"name": "Moh. Hasan", "village_code": VILLAGE}
    values.update(overrides)
    return services.LeadData(**values)


def test_a_lead_takes_sex_and_birth_date_from_the_nik_and_normalises_the_phone(officer, logged_event):
    nik = make_nik(41, birth=dt.date(1988, 3, 14), sex="P")
    lead = services.lead_create(
        actor=officer,
        data=lead_data(nik=nik, phone="0812-3456-7812", occupation="Buruh tani", event_id=logged_event.pk),
    )
    assert (lead.sex, lead.birth_date, lead.phone) == ("P", dt.date(1988, 3, 14), "+6281234567812")
    assert (lead.occupation_group, lead.officer, lead.status) == ("farmer", officer, LeadStatus.INTERESTED)
    [audit] = AuditEvent.objects.filter(action="outreach.lead.create")
    assert audit.region_id == "35.26" and nik not in str(audit.data)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": " "}, "name", "name"),
        ({"village_code": OUTSIDE_OFFICER}, "village_code", "outside your area"),
        ({"village_code": "35.26.02"}, "village_code", "Choose the village"),
        ({"nik": "12345"}, "nik", "16 digits"),
        ({"nik": make_nik(1, birth=dt.date(1990, 1, 1)), "sex": "P"}, "sex", "The NIK says L"),
        (
            {"nik": make_nik(1, birth=dt.date(1990, 1, 1)), "birth_date": dt.date(1990, 1, 2)},
            "birth_date",
            "01/01/1990",
        ),
        ({"phone": "12"}, "phone", "phone number"),
        ({"status": LeadStatus.ADDED}, "status", "add to batch"),
        ({"event_id": 987_654}, "event", "No such event"),
    ],
)
def test_invalid_leads_are_refused_with_a_message_per_field(officer, overrides, field, message):
    with pytest.raises(ValidationFailed) as exc:
        services.lead_create(actor=officer, data=lead_data(**overrides))
    assert message in exc.value.details[field]
    assert not Lead.objects.exists()


def test_a_nik_that_is_not_a_real_nik_is_refused(officer):
    with pytest.raises(ValidationFailed) as exc:
        services.lead_create(actor=officer, data=lead_data(nik="3526029913900001"))  # month 13, day 99
    assert "nik" in exc.value.details


def test_leads_are_scoped_like_events(officer, outsider, supervisor, lead):
    assert not selectors.leads_visible_to(outsider).exists()
    with pytest.raises(Http404):
        services.lead_update(actor=outsider, lead_id=lead.pk, data=lead_data())
    with pytest.raises(PermissionDenied):
        services.lead_update(actor=supervisor, lead_id=lead.pk, data=lead_data())
    with pytest.raises(PermissionDenied):
        services.lead_create(actor=supervisor, data=lead_data())
    updated = services.lead_update(
        actor=officer, lead_id=lead.pk, data=lead_data(name="Siti Aminah", status="declined", phone="+62 813 1111 2222")
    )
    assert (updated.status, updated.phone, updated.event_id) == ("declined", "+6281311112222", None)


# --- Leads into a batch --------------------------------------------------------------------------


@pytest.fixture
def draft(officer):
    return new_batch(officer)


def lead_with_nik(officer, serial: int, **overrides) -> Lead:
    return services.lead_create(
        actor=officer, data=lead_data(**{"nik": make_nik(serial), "name": f"Warga {serial}", **overrides})
    )


def active_member(officer, clerk, approver, serial: int) -> None:
    """Someone already protected for the same period through another batch (the clerk verifies,
    `approver` approves: four eyes)."""
    enrollment.allocation_create(
        actor=clerk, region_code="35.26", year=2026, source=FundingSource.DBHCHT, amount=1_000_000_000
    )
    batch = new_batch(officer)
    import_rows(officer, batch, [member_row(serial)])
    enrollment.batch_submit(actor=officer, batch_id=batch.pk)
    enrollment.batch_verify(actor=clerk, batch_id=batch.pk)
    enrollment.batch_approve(actor=approver, batch_id=batch.pk)
    enrollment.batch_activate(actor=clerk, batch_id=batch.pk, confirmations={make_nik(serial): (2, "23000000001")})


def test_leads_join_a_draft_batch_as_an_imported_sheet_would(officer, draft):
    ok = lead_with_nik(officer, 11, phone="081234567811", occupation="Nelayan")
    no_nik = services.lead_create(actor=officer, data=lead_data(name="Mat Rawi"))
    result = services.leads_add_to_batch(actor=officer, lead_ids=[ok.pk, no_nik.pk], batch_id=draft.pk)
    assert [lead.pk for lead in result.added] == [ok.pk]
    assert result.refused == [
        {
            "lead": no_nik.pk,
            "name": "Mat Rawi",
            "column": "nik",
            "message": "No NIK: add the NIK first; enrollment needs it.",
        }
    ]
    ok.refresh_from_db()
    assert (ok.status, ok.batch_id, ok.next_follow_up) == (LeadStatus.ADDED, draft.pk, None)
    member = BatchMember.objects.select_related("participant").get(batch=draft)
    p = member.participant
    assert (p.nik, p.name, p.village_id, p.phone, p.occupation) == (
        ok.nik,
        "Warga 11",
        VILLAGE,
        "+6281234567811",
        "Nelayan",
    )
    draft.refresh_from_db()
    assert draft.member_count == 1
    assert no_nik.__class__.objects.get(pk=no_nik.pk).status == LeadStatus.INTERESTED
    assert AuditEvent.objects.filter(action="outreach.leads.add_to_batch", target_id=str(draft.pk)).exists()
    # Adding it again: refused, nothing doubled.
    again = services.leads_add_to_batch(actor=officer, lead_ids=[ok.pk], batch_id=draft.pk)
    assert again.added == [] and "Already added" in again.refused[0]["message"]
    assert BatchMember.objects.filter(batch=draft).count() == 1


def test_a_lead_already_active_for_an_overlapping_period_is_refused_with_the_enrollment_reason(
    officer, clerk, kadis, draft
):
    active_member(officer, clerk, kadis, 21)
    already = lead_with_nik(officer, 21)
    fresh = lead_with_nik(officer, 22)
    result = services.leads_add_to_batch(actor=officer, lead_ids=[already.pk, fresh.pk], batch_id=draft.pk)
    assert [lead.pk for lead in result.added] == [fresh.pk]
    [refusal] = result.refused
    assert (refusal["lead"], refusal["column"]) == (already.pk, "nik")
    assert refusal["message"] == "Already in an open batch or protected for an overlapping period."
    already.refresh_from_db()
    assert already.status == LeadStatus.INTERESTED and already.batch is None
    assert not BatchMember.objects.filter(batch=draft, participant__nik=already.nik).exists()


def test_the_same_nik_on_two_leads_joins_once(officer, draft):
    first = lead_with_nik(officer, 31, name="Siti Aminah")
    second = lead_with_nik(officer, 31, village_code=OTHER_VILLAGE)
    result = services.leads_add_to_batch(actor=officer, lead_ids=[second.pk, first.pk], batch_id=draft.pk)
    assert [lead.pk for lead in result.added] == [first.pk]
    [refusal] = result.refused
    assert refusal["lead"] == second.pk
    # Named by the other lead, not by a row of a spreadsheet the officer never saw.
    assert refusal["message"] == "The same NIK as Siti Aminah, chosen too."


def test_rows_are_named_by_lead_in_indonesian_too(officer, draft):
    first = lead_with_nik(officer, 32, name="Siti Aminah")
    second = lead_with_nik(officer, 32)
    with translation.override("id"):
        result = services.leads_add_to_batch(actor=officer, lead_ids=[first.pk, second.pk], batch_id=draft.pk)
    [refusal] = result.refused
    assert refusal["lead"] == second.pk
    assert "Siti Aminah" in refusal["message"] and "baris" not in refusal["message"]
    assert Participant.objects.filter(nik=first.nik).count() == 1


def test_leads_go_only_to_a_draft_the_actor_may_edit(officer, clerk, supervisor, outsider, draft):
    lead = lead_with_nik(officer, 41)
    import_rows(officer, draft, [member_row(42)])
    enrollment.batch_submit(actor=officer, batch_id=draft.pk)
    with pytest.raises(Conflict, match="only to a draft"):
        services.leads_add_to_batch(actor=officer, lead_ids=[lead.pk], batch_id=draft.pk)
    draft.refresh_from_db()
    assert draft.state == BatchState.SUBMITTED
    other = new_batch(officer)
    with pytest.raises(PermissionDenied):
        services.leads_add_to_batch(actor=supervisor, lead_ids=[lead.pk], batch_id=other.pk)
    with pytest.raises(Http404):
        services.leads_add_to_batch(actor=outsider, lead_ids=[lead.pk], batch_id=other.pk)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.INTERESTED
    assert not BatchMember.objects.filter(participant__nik=lead.nik).exists()


def added_to(batch, *leads, actor) -> list[int]:
    result = services.leads_add_to_batch(actor=actor, lead_ids=[lead.pk for lead in leads], batch_id=batch.pk)
    return [lead.pk for lead in result.added]


def test_a_lead_whose_person_left_the_batch_may_change_status_or_join_another(officer, draft):
    lead = lead_with_nik(officer, 61)
    assert added_to(draft, lead, actor=officer) == [lead.pk]
    lead.refresh_from_db()
    declined = lead_data(name=lead.name, nik=lead.nik, status="declined")
    # Still on the batch: its status stays.
    with pytest.raises(ValidationFailed) as exc:
        services.lead_update(actor=officer, lead_id=lead.pk, data=declined)
    assert "already on a batch" in exc.value.details["status"]
    # Taken off the batch: the lead is free again, to join it again...
    member = BatchMember.objects.get(batch=draft, participant__nik=lead.nik)
    enrollment.batch_members_remove(actor=officer, batch_id=draft.pk, member_ids=[member.pk])
    assert added_to(draft, lead, actor=officer) == [lead.pk]
    assert BatchMember.objects.filter(batch=draft, participant__nik=lead.nik).count() == 1
    # ... or to decline, which takes it off the batch.
    member = BatchMember.objects.get(batch=draft, participant__nik=lead.nik)
    enrollment.batch_members_remove(actor=officer, batch_id=draft.pk, member_ids=[member.pk])
    updated = services.lead_update(actor=officer, lead_id=lead.pk, data=declined)
    assert (updated.status, updated.batch_id) == (LeadStatus.DECLINED, None)


def test_a_lead_of_a_rejected_or_deleted_batch_may_join_another(officer, clerk, draft):
    lead = lead_with_nik(officer, 62)
    assert added_to(draft, lead, actor=officer) == [lead.pk]
    enrollment.batch_submit(actor=officer, batch_id=draft.pk)
    enrollment.batch_reject(actor=clerk, batch_id=draft.pk, reason="Salah SK")
    second = new_batch(officer)
    assert added_to(second, lead, actor=officer) == [lead.pk]
    lead.refresh_from_db()
    assert (lead.status, lead.batch_id) == (LeadStatus.ADDED, second.pk)
    # The batch gone altogether (the lead then has no batch): free again.
    BatchMember.objects.filter(batch=second).delete()
    second.delete()
    lead.refresh_from_db()
    assert (lead.status, lead.batch_id) == (LeadStatus.ADDED, None)
    assert added_to(new_batch(officer), lead, actor=officer) == [lead.pk]


def test_a_lead_of_an_active_batch_stays_added_until_the_batch_is_cancelled(officer, clerk, kadis, draft):
    lead = lead_with_nik(officer, 63)
    assert added_to(draft, lead, actor=officer) == [lead.pk]
    enrollment.allocation_create(
        actor=clerk, region_code="35.26", year=2026, source=FundingSource.DBHCHT, amount=1_000_000_000
    )
    enrollment.batch_submit(actor=officer, batch_id=draft.pk)
    enrollment.batch_verify(actor=clerk, batch_id=draft.pk)
    enrollment.batch_approve(actor=kadis, batch_id=draft.pk)
    enrollment.batch_activate(actor=clerk, batch_id=draft.pk, confirmations={lead.nik: (2, "23000000063")})
    later = new_batch(officer, period_start=dt.date(2027, 1, 1), period_end=dt.date(2027, 12, 31), year=2027)
    [refusal] = services.leads_add_to_batch(actor=officer, lead_ids=[lead.pk], batch_id=later.pk).refused
    assert refusal["message"] == f"Already added to batch #{draft.pk}."
    enrollment.batch_cancel(actor=clerk, batch_id=draft.pk, reason="Anggaran dialihkan")
    assert added_to(later, lead, actor=officer) == [lead.pk]


def test_warnings_of_the_import_come_back_per_lead(officer, draft):
    madura = lead_with_nik(officer, 71)
    pamekasan_nik = lead_with_nik(officer, 72, nik=make_nik(72, district="352801"), name="Warga Pamekasan")
    result = services.leads_add_to_batch(actor=officer, lead_ids=[madura.pk, pamekasan_nik.pk], batch_id=draft.pk)
    assert sorted(x.pk for x in result.added) == [madura.pk, pamekasan_nik.pk]
    assert result.warnings == [
        {
            "lead": pamekasan_nik.pk,
            "name": "Warga Pamekasan",
            "column": "nik",
            "message": "The NIK was issued outside the regency (district 35.28.01).",
        }
    ]


def test_leads_go_only_to_a_batch_of_vulnerable_workers(officer):
    officials = new_batch(officer, kind="village_officials")
    lead = lead_with_nik(officer, 81)
    with pytest.raises(ValidationFailed, match="village officials") as exc:
        services.leads_add_to_batch(actor=officer, lead_ids=[lead.pk], batch_id=officials.pk)
    assert "batch" in exc.value.details
    lead.refresh_from_db()
    assert lead.status == LeadStatus.INTERESTED and not officials.members.exists()


def test_a_lead_outside_the_actors_regions_is_not_found(officer, clerk, draft):
    arosbaya = services.lead_create(actor=clerk, data=lead_data(nik=make_nik(51), village_code=OUTSIDE_OFFICER))
    with pytest.raises(Http404):
        services.leads_add_to_batch(actor=officer, lead_ids=[arosbaya.pk], batch_id=draft.pk)
