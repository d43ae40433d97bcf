"""The real rules of issue 20 (DESIGN §3): NIK realities (a district that no longer exists, a KTP
corrected by Dukcapil) are warnings the verifier acknowledges; working age (15 when the period
starts, no birth date in the future); village budgets (a desa's APBDes / Dana Desa pays for its
vulnerable workers too; a kelurahan has neither a village budget nor village officials)."""

import datetime as dt

import pytest
from django.urls import reverse

from enrollment import importers, services
from enrollment.importers.collective import _quick_member_row
from enrollment.models import BatchKind, BatchMember, BatchState, FundingSource, Participant
from tests.enrollment.conftest import (
    PREMIUM,
    VILLAGE,
    YEAR,
    audit_events,
    import_rows,
    make_nik,
    member_row,
    new_batch,
    rows_csv,
)
from ucj.errors import Conflict, ValidationFailed
from ucj.models import AuditEvent, Region

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

KELURAHAN = "35.26.01.1001"  # Mlajah, Kecamatan Bangkalan: a kelurahan
DESA_OF_THE_SAME_DISTRICT = "35.26.01.2008"  # Sembilangan: a desa
CORRECTED = "02/01/1990"  # the KTP's date; the NIK (make_nik) says 01/01/1990


def corrected_row(serial: int) -> dict:
    """A person whose KTP Dukcapil corrected: the NIK keeps 01/01/1990, the row has the KTP's date."""
    return member_row(serial, birth_date=CORRECTED)


def submitted_with_a_warning(officer, allocation) -> object:
    batch = new_batch(officer)
    job = import_rows(officer, batch, [member_row(1), corrected_row(2)])
    assert (job.accepted, job.rejected) == (2, 0), job.errors
    services.batch_submit(actor=officer, batch_id=batch.pk)
    return batch


# --- NIK realities --------------------------------------------------------------------------------


@pytest.mark.parametrize("district", ["910101", "920101", "927101"], ids=["merauke", "sorong", "kota_sorong"])
def test_a_papua_nik_of_a_district_from_before_the_split_is_accepted_with_a_warning(officer, draft_batch, district):
    nik = make_nik(2, district=district)
    job = import_rows(officer, draft_batch, [member_row(1), member_row(2, nik=nik)])
    assert (job.accepted, job.rejected, job.errors) == (2, 0, [])
    [warning] = job.warnings
    assert (warning["row"], warning["column"]) == (3, "nik")
    assert f"district code {district} is not in today's region list" in warning["message"]
    assert BatchMember.objects.get(participant__nik=nik).warnings == [warning]


def test_a_corrected_birth_date_is_imported_with_a_warning_and_the_rows_date_kept(officer, draft_batch):
    job = import_rows(officer, draft_batch, [member_row(1), corrected_row(2)])
    assert (job.accepted, job.rejected, job.errors) == (2, 0, [])
    [warning] = job.warnings
    assert (warning["row"], warning["column"]) == (3, "birth_date")
    assert "The NIK gives the birth date 01/01/1990, the row 02/01/1990" in warning["message"]
    assert Participant.objects.get(nik=make_nik(2)).birth_date == dt.date(1990, 1, 2)
    assert BatchMember.objects.get(participant__nik=make_nik(2)).warnings == [warning]


def test_a_sex_that_disagrees_with_the_nik_is_a_warning_and_the_rows_sex_kept(officer, draft_batch):
    job = import_rows(officer, draft_batch, [member_row(1, sex="P", nik=make_nik(1))])
    assert (job.accepted, job.rejected) == (1, 0)
    assert [(w["column"], "The NIK says L, the row says P" in w["message"]) for w in job.warnings] == [("sex", True)]
    assert Participant.objects.get().sex == "P"


def test_age_is_the_rows_birth_date_not_the_niks(officer, draft_batch):
    """The KTP's date decides: a NIK saying 2012 (13 in June 2026) with a row saying 1990 is
    enrolled; a NIK saying 1990 with a row saying 2012 is refused."""
    nik_2012 = make_nik(1, birth=dt.date(2012, 1, 1))
    job = import_rows(officer, draft_batch, [member_row(1, nik=nik_2012), member_row(2, birth_date="01/01/2012")])
    assert (job.accepted, job.rejected) == (1, 1)
    assert [(e["row"], e["column"]) for e in job.errors] == [(3, "birth_date")]
    assert "Aged 14 when the period starts" in job.errors[0]["message"]
    assert Participant.objects.get().nik == nik_2012


def test_the_quick_reader_leaves_a_disagreeing_row_to_the_full_reader():
    columns = {name: i for i, name in enumerate(["nik", "name", "sex", "birth_date", "village_code"])}
    quick = _quick_member_row(columns, dt.date.today().year % 100)
    agreeing = [make_nik(1), "Warga", "L", "01/01/1990", VILLAGE]
    assert quick(2, agreeing).birth_date == dt.date(1990, 1, 1)
    assert quick(2, [make_nik(1), "Warga", "L", CORRECTED, VILLAGE]) is None
    assert quick(2, [make_nik(1), "Warga", "P", "01/01/1990", VILLAGE]) is None


def test_lokals_indonesian_refusals_are_given_in_our_words():
    assert importers.nik_refusal("3526020113900002") == "The birth date in the NIK is not a real date."
    assert importers.nik_refusal("3526020101900000") == "The NIK's serial number cannot be 0000."


def test_verify_without_acknowledging_the_warnings_is_409_listing_them(officer, clerk, allocation):
    batch = submitted_with_a_warning(officer, allocation)
    with pytest.raises(Conflict) as exc:
        services.batch_verify(actor=clerk, batch_id=batch.pk)
    [pending] = exc.value.details
    assert pending["name"] == "Warga 2" and pending["warnings"][0]["column"] == "birth_date"
    batch.refresh_from_db()
    assert batch.state == BatchState.SUBMITTED


def test_verify_with_the_warnings_acknowledged_records_who_acknowledged(officer, clerk, allocation):
    batch = submitted_with_a_warning(officer, allocation)
    services.batch_verify(actor=clerk, batch_id=batch.pk, acknowledge_warnings=True)
    batch.refresh_from_db()
    assert batch.state == BatchState.VERIFIED
    [event] = audit_events(batch, "batch.verify")
    assert event.actor == clerk
    assert (event.data["warnings_acknowledged_by"], event.data["warnings_acknowledged"]) == ("clerk", 1)
    [warning] = BatchMember.objects.get(participant__nik=make_nik(2)).warnings
    assert (warning["acknowledged_by"], warning["acknowledged_by_id"]) == ("clerk", clerk.pk)
    assert warning["acknowledged_at"] and warning["column"] == "birth_date"
    assert services.batch_unacknowledged_warnings(batch) == []


def test_the_api_verify_answers_409_then_200_with_acknowledge_warnings(api_client, officer, clerk, allocation):
    batch = new_batch(officer)
    api_client.force_authenticate(officer)
    content = rows_csv([member_row(1), corrected_row(2)])
    upload = api_client.post(
        f"/api/v1/batches/{batch.pk}/members/import/", {"file": _named(content, "anggota.csv")}
    ).json()
    assert [(w["row"], w["column"]) for w in upload["warnings"]] == [(3, "birth_date")]
    assert set(upload["warnings"][0]) == {"row", "column", "message"}
    assert api_client.post(f"/api/v1/batches/{batch.pk}/submit/").status_code == 200
    api_client.force_authenticate(clerk)
    url = f"/api/v1/batches/{batch.pk}/verify/"
    response = api_client.post(url, {}, format="json")
    assert response.status_code == 409, response.json()
    body = response.json()
    assert [m["name"] for m in body["errors"]] == ["Warga 2"]
    assert body["errors"][0]["warnings"][0]["column"] == "birth_date"
    response = api_client.post(url, {"acknowledge_warnings": True}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "verified"
    event = AuditEvent.objects.get(action="batch.verify", target_id=str(batch.pk))
    assert event.actor == clerk and event.data["warnings_acknowledged_by"] == "clerk"


def test_a_batch_without_warnings_is_verified_without_acknowledgement(batch_in_state, clerk):
    batch = batch_in_state(BatchState.VERIFIED)
    assert "warnings_acknowledged" not in audit_events(batch, "batch.verify").get().data


def test_the_batch_page_lists_the_warnings_and_verifies_once_acknowledged(client, officer, clerk, allocation):
    batch = submitted_with_a_warning(officer, allocation)
    client.force_login(clerk)
    page = client.get(batch.get_absolute_url()).content.decode()
    assert 'name="acknowledge_warnings"' in page and "The NIK gives the birth date 01/01/1990" in page
    url = reverse("enrollment:batch-transition", kwargs={"pk": batch.pk, "action": "verify"})
    page = client.post(url, follow=True).content.decode()
    assert "memiliki peringatan yang harus diperiksa dengan KTP" in page  # the page speaks Indonesian
    batch.refresh_from_db()
    assert batch.state == BatchState.SUBMITTED
    client.post(url, {"acknowledge_warnings": "1"})
    batch.refresh_from_db()
    assert batch.state == BatchState.VERIFIED
    page = client.get(batch.get_absolute_url()).content.decode()
    assert "sudah diperiksa oleh clerk" in page and 'name="acknowledge_warnings"' not in page


# --- Working age ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth", "accepted"),
    [(dt.date(YEAR - 15, 6, 1), True), (dt.date(YEAR - 15, 6, 2), False)],
    ids=["15_on_the_first_day", "14_on_the_first_day"],
)
def test_working_age_is_15_on_the_first_day_of_the_period(officer, draft_batch, birth, accepted):
    job = import_rows(officer, draft_batch, [member_row(1, birth=birth)])
    assert job.accepted == int(accepted), job.errors
    if not accepted:
        assert job.errors[0]["column"] == "birth_date"
        assert "Aged 14 when the period starts: only people aged 15 or older" in job.errors[0]["message"]


def test_a_birth_date_in_the_future_is_refused(officer, draft_batch):
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    job = import_rows(officer, draft_batch, [member_row(1, birth=tomorrow)])
    assert job.accepted == 0
    assert any(e["column"] == "birth_date" and "is in the future" in e["message"] for e in job.errors), job.errors


def test_an_earlier_period_start_that_makes_a_member_14_is_refused(officer, draft_batch):
    import_rows(officer, draft_batch, [member_row(1, birth=dt.date(YEAR - 15, 5, 15))])
    assert draft_batch.members.count() == 1
    terms = services.BatchTerms(
        kind=draft_batch.kind, regency_code="35.26", funding_source=draft_batch.funding_source, year=YEAR,
        period_start=dt.date(YEAR, 5, 1), period_end=dt.date(YEAR, 12, 31),
    )  # fmt: skip
    with pytest.raises(ValidationFailed) as exc:
        services.batch_update(actor=officer, batch_id=draft_batch.pk, terms=terms)
    assert exc.value.details[0]["message"] == "Under 15 when the period starts."


# --- Village budgets ------------------------------------------------------------------------------


def test_a_desas_dana_desa_pays_for_its_vulnerable_workers(officer, clerk, kadis):
    assert Region.objects.get(code=VILLAGE).kind == Region.Kind.DESA
    allocation = services.allocation_create(
        actor=clerk, region_code=VILLAGE, year=YEAR, source=FundingSource.DANA_DESA, amount=2 * PREMIUM * 7
    )
    batch = new_batch(officer, source=FundingSource.DANA_DESA, area=VILLAGE)
    assert batch.kind == BatchKind.VULNERABLE_WORKERS
    job = import_rows(officer, batch, [member_row(1), member_row(2)])
    assert job.accepted == 2, job.errors
    services.batch_submit(actor=officer, batch_id=batch.pk)
    services.batch_verify(actor=clerk, batch_id=batch.pk)
    services.batch_approve(actor=kadis, batch_id=batch.pk)
    batch.refresh_from_db()
    assert (batch.state, batch.allocation) == (BatchState.APPROVED, allocation)


def test_a_village_budget_allocation_on_a_kelurahan_is_refused(api_client, clerk):
    with pytest.raises(ValidationFailed) as exc:
        services.allocation_create(
            actor=clerk, region_code=KELURAHAN, year=YEAR, source=FundingSource.DANA_DESA, amount=10**7
        )
    assert "is a kelurahan: it has no village budget" in exc.value.message
    api_client.force_authenticate(clerk)
    body = {"region": KELURAHAN, "year": YEAR, "source": "dana_desa", "amount": 10**7}
    response = api_client.post("/api/v1/allocations/", body, format="json")
    assert response.status_code == 400
    assert "kelurahan" in response.json()["detail"] and "region" in response.json()["errors"]


@pytest.mark.parametrize("source", [FundingSource.APBD, FundingSource.DANA_DESA])
def test_an_officials_batch_in_a_kelurahan_is_refused(officer, source):
    with pytest.raises(ValidationFailed) as exc:
        new_batch(officer, source=source, kind=BatchKind.VILLAGE_OFFICIALS, area=KELURAHAN)
    assert "is a kelurahan" in exc.value.message and "area" in exc.value.details


def officials_csv(rows: list[tuple[int, str, str]]) -> bytes:
    """(serial, village, position) per official, with their siltap."""
    lines = ["NIK;NAMA;JENIS KELAMIN;TANGGAL LAHIR;KODE DESA;JABATAN;SILTAP"]
    for serial, village, position in rows:
        r = member_row(serial)
        lines.append(";".join([r["nik"], r["name"], "L", r["birth_date"], village, position, "2500000"]))
    return ("\r\n".join(lines) + "\r\n").encode()


def test_an_officials_batch_of_a_district_refuses_people_of_its_kelurahan(officer):
    batch = new_batch(officer, source=FundingSource.APBD, kind=BatchKind.VILLAGE_OFFICIALS, area="35.26.01")
    content = officials_csv([(1, DESA_OF_THE_SAME_DISTRICT, "Kepala Desa"), (2, KELURAHAN, "Kasi Pemerintahan")])
    job = services.import_run(
        job_id=services.import_create(actor=officer, batch_id=batch.pk, filename="a.csv", content=content).pk
    )
    assert (job.accepted, job.rejected) == (1, 1), job.errors
    [error] = job.errors
    assert (error["row"], error["field"]) == (3, "village_code")
    assert f"{KELURAHAN} is a kelurahan: it has no village officials" in error["message"]


@pytest.mark.parametrize("written", ["Lurah", "LURAH", "Kepala Kelurahan", "Sekretaris Kelurahan", "lurah."])
def test_a_lurah_is_not_a_kepala_desa(written):
    assert importers.position_of(written) is None
    assert importers.is_kelurahan_position(written)


def test_lurah_is_refused_as_a_position_in_an_officials_batch(officer):
    batch = new_batch(officer, source=FundingSource.APBD, kind=BatchKind.VILLAGE_OFFICIALS, area=VILLAGE)
    content = officials_csv([(1, VILLAGE, "Kepala Desa"), (2, VILLAGE, "Lurah")])
    job = services.import_run(
        job_id=services.import_create(actor=officer, batch_id=batch.pk, filename="a.csv", content=content).pk
    )
    assert (job.accepted, job.rejected) == (1, 1), job.errors
    [error] = job.errors
    assert (error["row"], error["field"]) == (3, "position")
    assert "Lurah is a post of a kelurahan" in error["message"] and "not village officials" in error["message"]


def _named(content: bytes, name: str):
    import io

    f = io.BytesIO(content)
    f.name = name
    return f


def test_seed_demo_shows_a_member_whose_warning_the_clerk_acknowledged(capsys):
    from django.core.management import call_command

    call_command("seed_demo")
    members = BatchMember.objects.filter(batch__decree_number__startswith="DEMO", batch__state=BatchState.VERIFIED)
    acknowledged = [w for m in members for w in m.warnings]
    assert [(w["column"], w["acknowledged_by"]) for w in acknowledged] == [("birth_date", "disnaker")]
    batch = members.first().batch
    assert audit_events(batch, "batch.verify").get().data["warnings_acknowledged_by"] == "disnaker"
