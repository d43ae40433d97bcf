"""Premiums as the regulations have them (issue 20, DESIGN §3): village officials priced as wage
earners (PU) on their siltap, BPU declared incomes from the regulation's table, periods of whole
months costed month by month at each month's rates, no backdated protection, no double count of a
person BPJS already had, and the people an allocation can still pay for in the months left."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from enrollment import selectors, services
from enrollment.models import (
    BatchKind,
    BatchMember,
    BatchState,
    EnrollmentBatch,
    FundingSource,
    ImportJob,
    PremiumRate,
    Scheme,
)
from enrollment.services.premiums import month_starts
from tests.enrollment.conftest import (
    PREMIUM,
    VILLAGE,
    YEAR,
    approve,
    audit_events,
    import_rows,
    make_nik,
    member_row,
    new_batch,
    on_day,
    rows_csv,
)
from ucj.errors import Conflict, ValidationFailed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

SILTAP = 2_000_000
OFFICIAL_PREMIUM = 10_800  # JKK 0.24 % (Rp4,800) + JKM 0.30 % (Rp6,000) of Rp2,000,000


def officials_batch(officer, **terms):
    return new_batch(officer, kind=BatchKind.VILLAGE_OFFICIALS, source=FundingSource.APBD, area=VILLAGE, **terms)


def official(serial: int, wage="2.000.000", position="Kaur Keuangan", **over) -> dict:
    return member_row(serial, position=position, wage=wage, **over)


def confirmation(lines: list[tuple]) -> bytes:
    """BPJS's confirmation: nik, kpj and, when a line has one, status."""
    header = ["nik", "kpj", "status"] if any(len(line) > 2 for line in lines) else ["nik", "kpj"]
    rows = [",".join(header)] + [",".join(line) for line in lines]
    return ("\r\n".join(rows) + "\r\n").encode()


def activate(clerk, batch, lines):
    job = services.import_create(
        actor=clerk, batch_id=batch.pk, filename="konfirmasi.csv", content=confirmation(lines), kind="activation"
    )
    return services.import_run(job_id=job.pk)


# --- 1. Village officials: wage earners (PU) on their siltap --------------------------------------


def test_a_siltap_of_2_million_costs_10_800_a_month_not_26_800():
    assert (
        services.wage_premium_monthly(programmes=["jkk", "jkm"], wage=SILTAP, on_date=dt.date(YEAR, 6, 1))
        == OFFICIAL_PREMIUM
    )
    # What the BPU table made of it before: JKK 1 % of Rp2,000,000 + JKM Rp6,800.
    assert (
        services.premium_monthly(programmes=["jkk", "jkm"], declared_income=SILTAP, on_date=dt.date(YEAR, 6, 1))
        == 26_800
    )


def test_officials_batch_costs_the_sum_of_its_members_premiums(officer, english):
    batch = officials_batch(officer)
    job = import_rows(officer, batch, [official(1, position="Kepala Desa"), official(2, wage="Rp 3.000.000")])
    assert (job.accepted, job.rejected) == (2, 0), job.errors
    batch.refresh_from_db()
    members = dict(batch.members.values_list("participant__nik", "monthly_premium"))
    # 0.54 % of Rp3,000,000 is Rp16,200.
    assert members == {make_nik(1): OFFICIAL_PREMIUM, make_nik(2): 16_200}
    assert dict(batch.members.values_list("participant__nik", "wage")) == {make_nik(1): SILTAP, make_nik(2): 3_000_000}
    assert batch.monthly_premium == OFFICIAL_PREMIUM + 16_200
    assert batch.total_cost == (OFFICIAL_PREMIUM + 16_200) * 7  # June to December


@pytest.mark.parametrize(
    ("header", "written", "wage"),
    [
        ("wage", "2500000", 2_500_000),
        ("SILTAP", "2.500.000", 2_500_000),
        ("PENGHASILAN TETAP", "Rp 2.500.000", 2_500_000),
        ("Siltap", "Rp2.500.000", 2_500_000),
    ],
)
def test_the_siltap_column_is_read_under_its_names_and_ways_of_writing(officer, header, written, wage):
    batch = officials_batch(officer)
    content = rows_csv([official(1, wage=written)]).replace(b",wage\r\n", f",{header}\r\n".encode())
    job = services.import_run(
        job_id=services.import_create(actor=officer, batch_id=batch.pk, filename="p.csv", content=content).pk
    )
    assert (job.accepted, job.rejected) == (1, 0), job.errors
    assert BatchMember.objects.get(batch=batch).wage == wage


@pytest.mark.parametrize("written", ["", "Rp", "0", "-2000000", "dua juta", "2.000.000.5"])
def test_an_official_without_a_positive_siltap_is_refused_with_its_row(officer, written):
    batch = officials_batch(officer)
    job = import_rows(officer, batch, [official(1), official(2, wage=written)])
    assert (job.accepted, job.rejected) == (1, 1)
    [error] = job.errors
    assert (error["row"], error["column"]) == (3, "wage")


def test_an_officials_list_without_a_siltap_column_is_refused_row_by_row(officer):
    batch = officials_batch(officer)
    job = import_rows(officer, batch, [member_row(1, position="Kepala Desa")])
    assert (job.accepted, job.rejected) == (0, 1)
    assert job.errors[0]["column"] == "wage" and "SILTAP" in job.errors[0]["message"]


def test_vulnerable_workers_ignore_a_wage_column(officer, draft_batch):
    job = import_rows(officer, draft_batch, [member_row(1, wage="Rp 5.000.000")])
    assert job.accepted == 1
    member = BatchMember.objects.get(batch=draft_batch)
    assert (member.wage, member.monthly_premium) == (None, None)
    draft_batch.refresh_from_db()
    assert draft_batch.total_cost == PREMIUM * 7


def test_jp_is_three_percent_of_the_wage_up_to_the_years_cap(officer):
    # The cap is data: a row of this test, so the figure does not rest on BPJS's yearly announcements.
    PremiumRate.objects.create(
        scheme=Scheme.PU, programme="jp", valid_from=dt.date(YEAR, 1, 1), percent_of_income=3,
        wage_cap=10_000_000, legal_basis="test",
    )  # fmt: skip
    on = dt.date(YEAR, 6, 1)
    assert services.wage_premium_monthly(programmes=["jkk", "jkm", "jp"], wage=SILTAP, on_date=on) == 10_800 + 60_000
    # Above the cap JP counts Rp10,000,000 (Rp300,000); JKK and JKM count the whole Rp20,000,000.
    assert services.wage_premium_monthly(programmes=["jkk", "jkm", "jp"], wage=20_000_000, on_date=on) == (
        48_000 + 60_000 + 300_000
    )
    assert services.wage_premium_monthly(programmes=["jkk", "jkm", "jht"], wage=SILTAP, on_date=on) == 10_800 + 114_000


def test_jp_is_for_village_officials_only(officer):
    with pytest.raises(ValidationFailed) as exc:
        new_batch(officer, programmes=["jkk", "jkm", "jp"])
    assert "programmes" in exc.value.details
    assert officials_batch(officer, programmes=["jkk", "jkm", "jp"]).programmes == ["jkk", "jkm", "jp"]


def test_member_reads_carry_the_siltap_and_premium_for_masked_roles_too(api_client, officer):
    batch = officials_batch(officer)
    import_rows(officer, batch, [official(1)])
    api_client.force_authenticate(officer)  # a field officer sees NIKs masked
    [member] = api_client.get(f"/api/v1/batches/{batch.pk}/members/").json()["results"]
    assert "*" in member["nik"]
    assert (member["wage"], member["monthly_premium"], member["already_registered"]) == (
        SILTAP,
        OFFICIAL_PREMIUM,
        False,
    )
    draft = new_batch(officer)
    import_rows(officer, draft, [member_row(2)])
    [worker] = api_client.get(f"/api/v1/batches/{draft.pk}/members/").json()["results"]
    assert (worker["wage"], worker["monthly_premium"]) == (None, PREMIUM)


def test_the_export_lists_each_officials_siltap_and_premium(officer, clerk, kadis):
    services.allocation_create(actor=clerk, region_code="35.26", year=YEAR, source=FundingSource.APBD, amount=10**9)
    batch = officials_batch(officer)
    import_rows(officer, batch, [official(1)])
    approve(batch, officer, clerk, kadis)
    export = services.batch_export(actor=clerk, batch_id=batch.pk, fmt="csv")
    header, row = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert header[-3:] == ["SILTAP", "IURAN PER BULAN", "KPJ"]
    assert row[-3:-1] == [str(SILTAP), str(OFFICIAL_PREMIUM)]


# --- 2. BPU declared income: the regulation's levels ----------------------------------------------


def test_the_bpu_floor_costs_16_800_a_month(officer):
    assert new_batch(officer, declared_income=1_000_000).monthly_premium == 16_800


@pytest.mark.parametrize("income", [500_000, 1, 1_200_000])
def test_a_declared_income_off_the_levels_is_400_naming_them(api_client, officer, income):
    api_client.force_authenticate(officer)
    body = {
        "kind": "vulnerable_workers", "regency": "35.26", "funding_source": "dbhcht", "year": YEAR,
        "period_start": f"{YEAR}-06-01", "period_end": f"{YEAR}-12-31", "declared_income": income,
    }  # fmt: skip
    response = api_client.post("/api/v1/batches/", body, format="json")
    assert response.status_code == 400
    assert "1.000.000" in str(response.json()) and "1.500.000" in str(response.json())
    draft = new_batch(officer)
    response = api_client.patch(f"/api/v1/batches/{draft.pk}/", {"declared_income": income}, format="json")
    assert response.status_code == 400


def test_the_batch_form_refuses_a_declared_income_below_the_floor(client, officer):
    client.force_login(officer)
    data = {
        "kind": "vulnerable_workers", "regency": "35.26", "area": "35.26.02", "funding_source": "dbhcht",
        "year": YEAR, "period_start": f"01/06/{YEAR}", "period_end": f"31/12/{YEAR}", "declared_income": 500_000,
        "programmes": ["jkk", "jkm"],
    }  # fmt: skip
    response = client.post(reverse("enrollment:batch-create"), data)
    assert response.status_code == 200  # the form again, with the error
    assert "1.000.000" in response.content.decode()


# --- 3. Whole months, each at its own rates -------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [((6, 15), (12, 31), "period_start"), ((6, 1), (12, 15), "period_end"), ((6, 1), (11, 30), None)],
)
def test_a_period_runs_from_a_first_day_to_a_last_day(api_client, officer, start, end, field):
    api_client.force_authenticate(officer)
    body = {
        "kind": "vulnerable_workers", "regency": "35.26", "funding_source": "dbhcht", "year": YEAR,
        "period_start": dt.date(YEAR, *start).isoformat(), "period_end": dt.date(YEAR, *end).isoformat(),
    }  # fmt: skip
    response = api_client.post("/api/v1/batches/", body, format="json")
    if field is None:
        assert response.status_code == 201
    else:
        assert response.status_code == 400 and field in response.json()["errors"]


def test_a_june_to_december_batch_across_a_rate_change_is_costed_month_by_month(officer):
    # A new JKM rate from September (a test row: rates are data): Rp8,000 instead of Rp6,800.
    PremiumRate.objects.create(
        scheme=Scheme.BPU, programme="jkm", valid_from=dt.date(YEAR, 9, 1), flat_amount=8_000, legal_basis="test"
    )
    batch = new_batch(officer)
    import_rows(officer, batch, [member_row(1), member_row(2)])
    batch.refresh_from_db()
    assert batch.monthly_premium == 16_800  # June's
    assert batch.total_cost == 2 * (3 * 16_800 + 4 * 18_000)  # June-August, September-December


def test_month_starts_count_each_month_once():
    assert month_starts(dt.date(YEAR, 6, 1), dt.date(YEAR, 12, 31)) == [dt.date(YEAR, m, 1) for m in range(6, 13)]
    assert month_starts(dt.date(YEAR, 8, 1), dt.date(YEAR, 7, 31)) == []


# --- 7. No backdated protection -------------------------------------------------------------------


def test_activation_in_august_of_a_june_to_december_batch_releases_june_and_july(
    api_client, batch_in_state, clerk, allocation
):
    batch = batch_in_state(BatchState.APPROVED)
    full = 3 * PREMIUM * 7
    assert services.allocation_committed(allocation) == full
    with on_day(dt.date(YEAR, 8, 14)):
        job = activate(clerk, batch, [(make_nik(i), f"2300000000{i}") for i in (1, 2, 3)])
    assert job.state == "done", job.message
    batch.refresh_from_db()
    kept = 3 * PREMIUM * 5  # August to December
    assert (batch.paid_from, batch.paid_months, batch.total_cost) == (dt.date(YEAR, 8, 1), 5, kept)
    assert services.allocation_committed(allocation) == kept
    assert selectors.allocations_visible_to(clerk).get().committed == kept
    assert selectors.batch_budget_effect(batch=batch).this_batch == kept
    [event] = audit_events(batch, "batch.activate")
    assert event.data["release"] == "months_before_activation" and event.data["paid_from"] == f"{YEAR}-08-01"
    assert (event.data["months_released"], event.data["released"]) == (2, full - kept)
    # Protection itself starts on the day of activation.
    assert set(batch.members.values_list("covered_from", flat=True)) == {dt.date(YEAR, 8, 14)}
    api_client.force_authenticate(clerk)
    assert api_client.get(f"/api/v1/batches/{batch.pk}/").json()["paid_from"] == f"{YEAR}-08-01"

    # Cancelled in October it keeps August to October.
    with on_day(dt.date(YEAR, 10, 2)):
        services.batch_cancel(actor=clerk, batch_id=batch.pk, reason="SK dicabut")
    batch.refresh_from_db()
    assert (batch.paid_months, batch.total_cost) == (3, 3 * PREMIUM * 3)
    assert services.allocation_committed(allocation) == 3 * PREMIUM * 3


def test_activation_before_or_in_the_first_month_pays_the_whole_period(batch_in_state, clerk):
    batch = batch_in_state(BatchState.APPROVED)
    with on_day(dt.date(YEAR, 6, 20)):
        activate(clerk, batch, [(make_nik(i), f"2300000000{i}") for i in (1, 2, 3)])
    batch.refresh_from_db()
    assert (batch.paid_from, batch.total_cost) == (None, 3 * PREMIUM * 7)


def test_activation_after_the_period_ended_is_409(api_client, batch_in_state, clerk):
    batch = batch_in_state(BatchState.APPROVED)
    api_client.force_authenticate(clerk)
    with on_day(dt.date(YEAR + 1, 1, 2)):
        upload = io.BytesIO(confirmation([(make_nik(1), "23000000001")]))
        upload.name = "konfirmasi.csv"
        response = api_client.post(f"/api/v1/batches/{batch.pk}/activate/", {"file": upload}, format="multipart")
        assert response.status_code == 409 and "tidak memberi perlindungan surut" in response.json()["detail"]
        with pytest.raises(Conflict):
            services.batch_activate(actor=clerk, batch_id=batch.pk, confirmations={make_nik(1): (2, "23000000001")})
    batch.refresh_from_db()
    assert batch.state == BatchState.APPROVED


# --- 8. No double count ---------------------------------------------------------------------------


def test_an_already_registered_member_is_recorded_but_not_counted_in_coverage(api_client, batch_in_state, clerk):
    batch = batch_in_state(BatchState.APPROVED)
    lines = [
        (make_nik(1), "23000000001", "baru"),
        (make_nik(2), "23000000002", "sudah terdaftar"),
        (make_nik(3), "23000000003", "already_registered"),
    ]
    with on_day(dt.date(YEAR, 6, 3)):
        job = activate(clerk, batch, lines)
    assert (job.accepted, job.new_participants, job.already_registered) == (3, 1, 2)
    assert "1 new" in job.message and "2 already registered" in job.message
    flags = dict(batch.members.values_list("participant__nik", "already_registered"))
    assert flags == {make_nik(1): False, make_nik(2): True, make_nik(3): True}
    assert batch.members.get(participant__nik=make_nik(2)).participant.kpj == "23000000002"
    day = dt.date(YEAR, 7, 1)
    assert selectors.coverage_active_in_region(region_code="35.26", day=day) == {"bpu": 1}
    assert selectors.coverage_change(region_code="35.26", since=dt.date(YEAR, 5, 31), day=day) == {"bpu": 1}
    assert selectors.coverage_active_by_village(days=[day])[day][VILLAGE]["segments"] == {"bpu": 1}
    # Still protected, and paid for: the batch costs all three.
    batch.refresh_from_db()
    assert batch.total_cost == 3 * PREMIUM * 7
    api_client.force_authenticate(clerk)
    body = api_client.get(f"/api/v1/batches/{batch.pk}/imports/{job.pk}/").json()
    assert (body["new_participants"], body["already_registered"]) == (1, 2)


def test_an_unknown_status_is_refused_with_its_row(batch_in_state, clerk):
    batch = batch_in_state(BatchState.APPROVED)
    with on_day(dt.date(YEAR, 6, 3)):
        job = activate(clerk, batch, [(make_nik(1), "23000000001", "baru"), (make_nik(2), "23000000002", "mungkin")])
    assert {"row": 3, "column": "status"}.items() <= job.errors[0].items()
    assert ImportJob.objects.get(pk=job.pk).new_participants == 1


# --- 9. People an allocation can still pay for ----------------------------------------------------


def test_people_it_can_still_pay_for_use_the_months_left_in_the_budget_year():
    assert selectors.cover_months(YEAR, dt.date(YEAR, 8, 10)) == 5  # August to December
    assert selectors.cover_months(YEAR, dt.date(YEAR - 1, 11, 1)) == 12
    assert selectors.cover_months(YEAR, dt.date(YEAR + 1, 1, 1)) == 0
    assert selectors.people_covered(16_800 * 5 * 10, 16_800, 5) == 10
    assert selectors.people_covered(16_800 * 5 * 10, 16_800, 0) == 0


def test_the_allocations_page_counts_people_for_the_months_left(client, clerk, allocation):
    client.force_login(clerk)
    with on_day(dt.date(YEAR, 8, 10)):
        response = client.get("/allocations/")
    [row] = response.context["page"]
    assert (row.cover_months, row.people_covered) == (5, 1_000_000_000 // (16_800 * 5))


# --- The demo -------------------------------------------------------------------------------------


def test_seed_demo_prices_the_village_officials_on_their_siltap():
    from django.core.management import call_command

    call_command("seed_demo")
    batch = EnrollmentBatch.objects.get(kind=BatchKind.VILLAGE_OFFICIALS, title="Aparatur desa (APBDes)")
    premiums = dict(batch.members.values_list("position", "monthly_premium").order_by("position"))
    # PP 11/2019 siltap floors: Rp2,426,640 for the kepala desa costs Rp5,824 + Rp7,280 a month.
    assert premiums["kepala_desa"] == 13_104 and premiums["sekretaris_desa"] == 12_012
    assert set(batch.members.values_list("wage", flat=True)) == {2_426_640, 2_224_420, 2_022_200}
    counted = batch.members.exclude(state="rejected")
    assert batch.monthly_premium == sum(counted.values_list("monthly_premium", flat=True))
    assert batch.total_cost == batch.monthly_premium * batch.paid_months
