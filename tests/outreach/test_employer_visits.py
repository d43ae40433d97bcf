"""Employer visits point at an employer: chosen by id (one the officer sees, in one of the event's
villages) or named (found among the employers of the event's villages, else registered as an
employer found in the field); through the services, the API and the phone form; and the
migration that linked the names logged before employers existed."""

import datetime as dt
import uuid
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from enrollment.models import ComplianceStatus, Employer
from enrollment.services.employers import employer_register_from_visit, name_key
from outreach import services
from outreach.models import EventKind, OutreachEvent
from tests.employers.conftest import badung_employer, make_employer  # noqa: F401
from tests.factories import user_with
from ucj.errors import Conflict, ValidationFailed
from ucj.models import AuditEvent, Role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]

SOCAH = "35.26.02.2001"  # the officer's (district Socah)
KELEYAN = "35.26.02.2002"  # the officer's (district Socah)
SEMBILANGAN = "35.26.01.2008"  # the officer's (district Bangkalan)
AROSBAYA = "35.26.05.2001"  # Bangkalan, not the officer's
EVENTS = "/api/v1/events/"
NEW_URL = "/events/new/"
MIGRATION = "outreach.migrations.0003_outreachevent_employer"


def visit(*, villages=(SOCAH,), **over) -> services.EventData:
    return services.EventData(
        kind=over.pop("kind", EventKind.EMPLOYER_VISIT),
        date=over.pop("date", timezone.localdate()),
        village_codes=list(villages),
        attendance=over.pop("attendance", {"others": 6}),
        **over,
    )


def log(actor, data, client_id=None):
    return services.event_log(actor=actor, client_id=client_id or uuid.uuid4(), data=data)


def refused(actor, data) -> dict:
    with pytest.raises(ValidationFailed) as exc:
        log(actor, data)
    return exc.value.details


@pytest.fixture
def garam(make_employer):  # noqa: F811
    """A registered employer of Socah (the officer's village)."""
    return make_employer(name="PT. Garam Madura Jaya", village=SOCAH)


# --- Services -------------------------------------------------------------------------------------


def test_an_employer_chosen_by_id_is_the_events_employer(officer, garam):
    event, created = log(officer, visit(employer_id=garam.pk))
    assert created and event.employer == garam
    assert list(garam.visits.all()) == [event]
    assert AuditEvent.objects.get(action="outreach.event.create").data["employer"] == garam.pk


def test_a_name_of_an_employer_of_the_villages_finds_it_whatever_its_spelling(officer, garam):
    event, _ = log(officer, visit(villages=[KELEYAN, SOCAH], employer_name="garam madura jaya, PT"))
    assert event.employer == garam
    assert Employer.objects.count() == 1
    assert not AuditEvent.objects.filter(action="employer.discover").exists()


def test_a_new_name_registers_the_employer_in_the_first_village_without_figures(officer):
    event, _ = log(officer, visit(villages=[SOCAH, SEMBILANGAN], employer_name="  Toko Roti  Ningrat "))
    employer = event.employer
    assert (employer.name, employer.name_key) == ("Toko Roti Ningrat", "TOKO ROTI NINGRAT")
    assert (employer.village_id, employer.regency_id) == (SEMBILANGAN, "35.26")  # first by code
    assert employer.status == ComplianceStatus.UNASSESSED
    assert (employer.reported_workers, employer.bpjs_workers, employer.reported_source, employer.npp) == (
        None,
        None,
        "",
        "",
    )
    audit = AuditEvent.objects.get(action="employer.discover")
    assert (audit.actor, audit.target_id, audit.region_id) == (officer, str(employer.pk), SEMBILANGAN)


def test_a_name_of_an_employer_of_another_village_registers_a_new_one(officer, make_employer):  # noqa: F811
    elsewhere = make_employer(name="Toko Roti Ningrat", village=SEMBILANGAN)
    event, _ = log(officer, visit(employer_name="Toko Roti Ningrat"))
    assert event.employer != elsewhere and event.employer.village_id == SOCAH


def test_an_employer_of_another_village_is_refused(officer, make_employer):  # noqa: F811
    elsewhere = make_employer(name="CV Sumber Rejeki", village=SEMBILANGAN)
    details = refused(officer, visit(employer_id=elsewhere.pk))
    assert "not one of the event's villages" in details["employer"]
    assert not OutreachEvent.objects.exists()


def test_an_employer_the_officer_cannot_see_is_refused_as_unknown(officer, make_employer, badung_employer):  # noqa: F811
    arosbaya = make_employer(name="UD Arosbaya", village=AROSBAYA)  # Bangkalan, outside the officer's districts
    for employer in (badung_employer, arosbaya):
        assert refused(officer, visit(employer_id=employer.pk)) == {"employer": "No such employer."}
    assert refused(officer, visit(employer_id=10**9)) == {"employer": "No such employer."}


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({}, "employer_name", "choose it from the list or write the employer's name"),
        ({"employer_name": "PT."}, "employer_name", "not only its legal form"),
        ({"employer_name": "x" * 201}, "employer_name", "At most 200"),
        ({"kind": EventKind.SOCIALISATION, "employer_name": "PT Garam"}, "employer_name", "Only an employer visit"),
    ],
)
def test_invalid_employers_are_refused_on_their_field(officer, overrides, field, message):
    details = refused(officer, visit(**overrides))
    assert message in details[field], details


def test_an_id_and_another_name_together_are_refused(officer, garam):
    details = refused(officer, visit(employer_id=garam.pk, employer_name="Toko Roti Ningrat"))
    assert "not both" in details["employer_name"]
    event, _ = log(officer, visit(employer_id=garam.pk, employer_name="Garam Madura Jaya"))
    assert event.employer == garam


def test_two_employers_of_the_name_in_the_villages_ask_for_a_choice(officer, make_employer):  # noqa: F811
    make_employer(name="Toko Barokah", village=SOCAH)
    make_employer(name="Toko Barokah", village=KELEYAN)
    details = refused(officer, visit(villages=[SOCAH, KELEYAN], employer_name="Toko Barokah"))
    assert "choose one from the list" in details["employer_name"]


def test_a_retry_with_the_same_new_name_finds_the_event_and_registers_nothing_twice(officer):
    client_id = uuid.uuid4()
    first, created = log(officer, visit(employer_name="Bengkel Las Jaya"), client_id=client_id)
    again, created_again = log(officer, visit(employer_name="Bengkel Las Jaya"), client_id=client_id)
    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert Employer.objects.count() == 1 and AuditEvent.objects.filter(action="employer.discover").count() == 1
    with pytest.raises(Conflict):
        log(officer, visit(employer_name="Bengkel Las Lain"), client_id=client_id)
    assert Employer.objects.count() == 1


def test_a_retry_by_id_finds_the_event_and_another_employer_under_the_id_is_a_conflict(officer, garam):
    client_id = uuid.uuid4()
    first, _ = log(officer, visit(employer_id=garam.pk), client_id=client_id)
    assert log(officer, visit(employer_id=garam.pk), client_id=client_id) == (first, False)
    with pytest.raises(Conflict):
        log(officer, visit(employer_name="Garam Madura Jaya"), client_id=client_id)


def test_changes_replace_the_employer_and_a_visit_changed_into_another_kind_leaves_it(officer, garam):
    event, _ = log(officer, visit(employer_id=garam.pk))
    services.event_update(actor=officer, event_id=event.pk, changes={"employer_name": "Toko Roti Ningrat"})
    event.refresh_from_db()
    assert event.employer.name == "Toko Roti Ningrat" and event.employer != garam
    services.event_update(actor=officer, event_id=event.pk, changes={"notes": "ditemui pemilik"})
    event.refresh_from_db()
    assert event.employer.name == "Toko Roti Ningrat"
    services.event_update(actor=officer, event_id=event.pk, changes={"kind": EventKind.VILLAGE_VISIT})
    event.refresh_from_db()
    assert (event.kind, event.employer) == (EventKind.VILLAGE_VISIT, None)


def test_moving_the_event_away_from_its_employers_village_is_refused(officer, garam):
    event, _ = log(officer, visit(employer_id=garam.pk))
    with pytest.raises(ValidationFailed) as exc:
        services.event_update(actor=officer, event_id=event.pk, changes={"village_codes": [KELEYAN]})
    assert "not one of the event's villages" in exc.value.details["employer"]


# --- Registering an employer found in the field ---------------------------------------------------


def test_registering_reuses_the_employer_of_the_same_name_in_the_village(officer, garam):
    assert employer_register_from_visit(actor=officer, name="GARAM MADURA JAYA", village_code=SOCAH) == garam
    other = employer_register_from_visit(actor=officer, name="Garam Madura Jaya", village_code=KELEYAN)
    assert other != garam and other.village_id == KELEYAN


def test_only_officers_and_the_labour_office_of_the_village_register_employers(officer, supervisor, outsider):
    with pytest.raises(PermissionDenied):
        employer_register_from_visit(actor=supervisor, name="Toko Baru", village_code=SOCAH)
    for actor, village in ((outsider, SOCAH), (officer, AROSBAYA), (officer, "35.26.02")):
        with pytest.raises(ValidationFailed) as exc:
            employer_register_from_visit(actor=actor, name="Toko Baru", village_code=village)
        assert set(exc.value.details) == {"village"}
    assert not Employer.objects.exists()


def test_a_supervisor_editing_a_visit_cannot_add_an_employer_but_may_choose_one(officer, supervisor, garam):
    event, _ = log(officer, visit(employer_id=garam.pk))
    with pytest.raises(ValidationFailed) as exc:
        services.event_update(actor=supervisor, event_id=event.pk, changes={"employer_name": "Toko Baru"})
    assert "only a field officer or the labour office" in exc.value.details["employer_name"]
    services.event_update(actor=supervisor, event_id=event.pk, changes={"notes": "diperiksa"})
    event.refresh_from_db()
    assert event.employer == garam and Employer.objects.count() == 1


# --- API ------------------------------------------------------------------------------------------


def body(**over) -> dict:
    data = {
        "client_id": str(uuid.uuid4()),
        "kind": "employer_visit",
        "date": timezone.localdate().isoformat(),
        "villages": [SOCAH],
        "attendance": {"others": 4},
    }
    data.update(over)
    return data


def test_the_api_takes_an_employer_id_and_reads_it_back_with_its_name(api_client, officer, garam):
    api_client.force_authenticate(officer)
    sent = body(employer=garam.pk)
    response = api_client.post(EVENTS, sent, format="json")
    assert response.status_code == 201, response.json()
    assert (response.json()["employer"], response.json()["employer_name"]) == (garam.pk, "PT. Garam Madura Jaya")
    again = api_client.post(EVENTS, sent, format="json")
    assert again.status_code == 200 and again.json()["id"] == response.json()["id"]


def test_the_api_takes_a_new_employer_name(api_client, officer):
    api_client.force_authenticate(officer)
    response = api_client.post(EVENTS, body(employer_name="Bengkel Las Jaya"), format="json")
    assert response.status_code == 201, response.json()
    employer = Employer.objects.get()
    assert (response.json()["employer"], response.json()["employer_name"]) == (employer.pk, "Bengkel Las Jaya")


def test_the_api_refuses_an_employer_of_another_regency_on_its_field(api_client, officer, badung_employer):  # noqa: F811
    api_client.force_authenticate(officer)
    response = api_client.post(EVENTS, body(employer=badung_employer.pk), format="json")
    assert response.status_code == 400
    assert "employer" in response.json()["errors"] and "Bali" not in response.content.decode()


def test_the_api_changes_the_employer_with_patch(api_client, officer, garam):
    event, _ = log(officer, visit(employer_name="Toko Roti Ningrat"))
    api_client.force_authenticate(officer)
    response = api_client.patch(f"{EVENTS}{event.pk}/", {"employer": garam.pk}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["employer_name"] == "PT. Garam Madura Jaya"


def test_an_outsider_gets_404_for_an_employer_visit(api_client, officer, outsider, garam):
    event, _ = log(officer, visit(employer_id=garam.pk))
    api_client.force_authenticate(outsider)
    assert api_client.get(f"{EVENTS}{event.pk}/").status_code == 404
    assert api_client.patch(f"{EVENTS}{event.pk}/", {"employer": None}, format="json").status_code == 404


def test_the_event_list_reads_the_employers_in_a_bounded_number_of_queries(
    api_client,
    clerk,
    officer,
    make_employer,  # noqa: F811
    django_assert_max_num_queries,
):
    for i in range(20):
        employer = make_employer(name=f"Toko {i}", village=SOCAH)
        log(officer, visit(employer_id=employer.pk, date=timezone.localdate() - dt.timedelta(days=i)))
    api_client.force_authenticate(clerk)
    with django_assert_max_num_queries(7):
        response = api_client.get(EVENTS)
    assert {e["employer_name"] for e in response.json()["results"]} == {f"Toko {i}" for i in range(20)}


# --- Pages ----------------------------------------------------------------------------------------


def test_the_form_offers_the_employers_of_the_users_villages_by_village(client, officer, garam, make_employer):  # noqa: F811
    arosbaya = make_employer(name="UD Arosbaya", village=AROSBAYA)
    client.force_login(officer)
    page = client.get(NEW_URL).content.decode()
    assert f'value="{garam.pk}" data-village="{SOCAH}"' in page
    assert "UD Arosbaya" not in page and f'value="{arosbaya.pk}"' not in page


def form_post(**over) -> dict:
    data = {
        "client_id": str(uuid.uuid4()),
        "kind": EventKind.EMPLOYER_VISIT,
        "date": timezone.localdate().isoformat(),
        "villages": [SOCAH],
        "others": "3",
    }
    data.update(over)
    return data


def test_the_form_links_the_chosen_employer_or_registers_a_new_one(client, officer, garam):
    client.force_login(officer)
    response = client.post(NEW_URL, form_post(employer=str(garam.pk)))
    assert response.status_code == 302
    assert OutreachEvent.objects.get().employer == garam
    client.post(NEW_URL, form_post(employer_name="Warung Bu Sum"))
    assert OutreachEvent.objects.order_by("-id").first().employer.name == "Warung Bu Sum"


def test_the_form_shows_the_services_refusal_on_the_employer_field(client, officer, make_employer):  # noqa: F811
    elsewhere = make_employer(name="CV Sumber Rejeki", village=SEMBILANGAN)
    client.force_login(officer)
    response = client.post(NEW_URL, form_post(employer=str(elsewhere.pk)))
    assert "not one of the event's villages" in response.context["form"].errors["employer"][0]
    response = client.post(NEW_URL, form_post())
    assert "employer's name" in response.context["form"].errors["employer_name"][0]
    assert not OutreachEvent.objects.exists()


def test_the_edit_form_keeps_the_events_employer(client, officer, garam):
    event, _ = log(officer, visit(employer_id=garam.pk))
    client.force_login(officer)
    form = client.get(f"/events/{event.pk}/edit/").context["form"]
    assert form["employer"].value() == garam.pk


def test_the_event_page_links_the_employer_for_those_who_may_open_it(client, officer, clerk, garam):
    officer_of_keleyan = user_with(Role.FIELD_OFFICER, KELEYAN, username="keleyan")
    event, _ = log(officer, visit(villages=[SOCAH, KELEYAN], employer_id=garam.pk))
    client.force_login(clerk)
    page = client.get(event.get_absolute_url()).content.decode()
    assert f'<a href="{garam.get_absolute_url()}">PT. Garam Madura Jaya</a>' in page
    # An officer of the other village sees the event and the employer's name, not a link to a page
    # that would answer 404.
    client.force_login(officer_of_keleyan)
    page = client.get(event.get_absolute_url()).content.decode()
    assert "PT. Garam Madura Jaya" in page and garam.get_absolute_url() not in page


def test_an_outsider_gets_404_for_the_page_of_an_employer_visit(client, officer, outsider, garam):
    event, _ = log(officer, visit(employer_id=garam.pk))
    client.force_login(outsider)
    assert client.get(event.get_absolute_url()).status_code == 404


# --- The migration --------------------------------------------------------------------------------


def test_the_migration_finds_the_employer_in_the_villages_only_else_makes_one(make_employer):  # noqa: F811
    employer_for = import_module(MIGRATION).employer_for
    model = django_apps.get_model("enrollment", "Employer")
    here = make_employer(name="PT Garam Madura Jaya", village=SOCAH)
    there = make_employer(name="Garam Madura Jaya", village=AROSBAYA)
    only_there = make_employer(name="CV Sumber Rejeki", village=AROSBAYA)

    def find(name, villages, made=None):
        return employer_for(model, name=name, regency_code="35.26", village_codes=villages, made=made)

    assert find("GARAM MADURA JAYA", [KELEYAN, SOCAH]) == here
    # The only one of the name in the regency, but in another village: not a guess to make.
    elsewhere = find("cv. sumber rejeki", [SOCAH])
    assert elsewhere != only_there
    assert (elsewhere.name, elsewhere.name_key, elsewhere.village_id) == ("cv. sumber rejeki", "SUMBER REJEKI", SOCAH)
    made = find("Garam Madura Jaya", [KELEYAN, SEMBILANGAN])  # none in these villages
    assert made not in (here, there)
    assert (made.name, made.name_key, made.village_id, made.regency_id, made.status) == (
        "Garam Madura Jaya",
        "GARAM MADURA JAYA",
        SEMBILANGAN,  # the event's first village by code
        "35.26",
        "unassessed",
    )
    assert find("Garam Madura Jaya", [SEMBILANGAN]) == made  # one in the villages now
    odd = find("P.T.", [SOCAH])
    assert odd.name_key == "PT" and find("pt", [SOCAH]) == odd


def test_the_migrations_name_key_is_the_services_with_dotted_legal_forms(make_employer):  # noqa: F811
    frozen = import_module(MIGRATION).name_key
    for name in ("P.T. Garam Madura Jaya", "C.V. Maju", "PT.GARAM", "U.D. Batik, Tbk.", "Toko A.B.C.", "Jl. P. Madura"):
        assert frozen(name) == name_key(name), name
    assert frozen("P.T. Garam Madura Jaya") == "GARAM MADURA JAYA"


def test_the_migration_gives_a_name_several_employers_share_one_new_employer_not_one_per_event(
    make_employer,  # noqa: F811
):
    employer_for = import_module(MIGRATION).employer_for
    model = django_apps.get_model("enrollment", "Employer")
    socah = make_employer(name="Toko Barokah", village=SOCAH)
    keleyan = make_employer(name="Toko Barokah", village=KELEYAN)
    made: dict = {}

    def find(villages):
        return employer_for(model, name="toko barokah", regency_code="35.26", village_codes=villages, made=made)

    first = find([SOCAH, KELEYAN])
    assert first not in (socah, keleyan) and first.village_id == SOCAH
    assert find([KELEYAN, SOCAH]) == first
    # In Socah alone the name is the registered employer's, whatever was made meanwhile.
    assert find([SOCAH]) == socah
    assert Employer.objects.filter(name_key="TOKO BAROKAH").count() == 3


@pytest.mark.usefixtures("committed_db")
def test_the_migration_links_the_named_employers_keeps_what_was_typed_and_copies_the_names_back(make_employer):  # noqa: F811
    """Run for real: back to the state with names, events logged with names, forward again."""
    arosbaya = make_employer(name="CV Sumber Rejeki", village=AROSBAYA)
    executor = MigrationExecutor(connection)
    before, after = ("outreach", "0002_outreachevent_payload_hash"), ("outreach", "0003_outreachevent_employer")
    executor.migrate([before])
    try:
        old = executor.loader.project_state([before]).apps
        user = old.get_model("auth", "User").objects.create(username="petugas")
        event_model, village_model = (
            old.get_model("outreach", "OutreachEvent"),
            old.get_model("outreach", "EventVillage"),
        )
        events = []
        for name, villages, notes in (
            ("UD Batik Tulis", [KELEYAN, SOCAH], ""),
            ("ud batik  tulis", [SOCAH], "ditemui pemilik"),
            ("", [SOCAH], ""),
            ("CV Sumber Rejeki", [SOCAH], ""),
        ):
            event = event_model.objects.create(
                kind="employer_visit",
                date=timezone.localdate(),
                regency_id="35.26",
                created_by=user,
                employer_name=name,
                notes=notes,
            )
            village_model.objects.bulk_create(
                [village_model(event=event, village_id=v, date=event.date, kind=event.kind) for v in villages]
            )
            events.append(event.pk)
        executor.loader.build_graph()
        executor.migrate([after])
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    first, second, unnamed, sumber = (OutreachEvent.objects.get(pk=pk) for pk in events)
    assert first.employer == second.employer and unnamed.employer is None
    assert (first.employer.name, first.employer.village_id) == ("UD Batik Tulis", SOCAH)
    assert (first.notes, second.notes) == ("", "ditemui pemilik\n\nEmployer as written: ud batik tulis")
    # The namesake of Arosbaya is not taken for the employer of Socah.
    assert sumber.employer != arosbaya and sumber.employer.village_id == SOCAH and sumber.notes == ""

    executor.loader.build_graph()
    executor.migrate([before])
    try:
        old = executor.loader.project_state([before]).apps
        rows = old.get_model("outreach", "OutreachEvent").objects.values_list("pk", "employer_name", "notes")
        restored = {pk: (name, notes) for pk, name, notes in rows}
        assert [restored[pk] for pk in events] == [
            ("UD Batik Tulis", ""),
            ("ud batik tulis", "ditemui pemilik"),
            ("", ""),
            ("CV Sumber Rejeki", ""),
        ]
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
