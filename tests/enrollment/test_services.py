"""The batch life cycle, premiums, budgets and activation through the service layer (DESIGN §3).

Every transition: who may take it (a wrong role is PermissionDenied, an outsider too), from which
state (anything else is a 409 Conflict with a message a clerk can read), what it records (an
AuditEvent with actor, action, from/to and reason) and what it does to the money."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from enrollment import selectors, services
from enrollment.models import (
    BatchKind,
    BatchMember,
    BatchState,
    FundingAllocation,
    FundingSource,
    ImportState,
    MemberState,
    Participant,
    Position,
    PremiumRate,
    months_between,
)
from enrollment.tasks import import_submit
from tests.enrollment.conftest import (
    OTHER_VILLAGE,
    PREMIUM,
    VILLAGE,
    YEAR,
    activation_day,
    approve,
    audit_events,
    import_rows,
    make_nik,
    member_row,
    new_batch,
    rows_csv,
)
from ucj.errors import Conflict, ValidationFailed
from ucj.models import Assignment, AuditEvent, StaleRegion

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

MONTHS = 7  # June to December
COST_OF_THREE = 3 * PREMIUM * MONTHS  # the batch_in_state batch: 352,800


def confirmation_csv(lines: list[tuple[str, str]]) -> bytes:
    return ("nik,kpj\r\n" + "".join(f"{nik},{kpj}\r\n" for nik, kpj in lines)).encode()


def activate_by_file(clerk, batch, lines):
    """BPJS's confirmation uploaded in the period's first month (conftest.activation_day)."""
    with activation_day():
        content = confirmation_csv(lines)
        return import_submit(
            actor=clerk, batch_id=batch.pk, filename="konfirmasi.csv", content=content, kind="activation"
        )


# --- Transitions: the happy path and what each records -------------------------------------------


def test_life_cycle_draft_to_cancelled_records_every_step(officer, clerk, kadis, allocation):
    batch = new_batch(officer)
    import_rows(officer, batch, [member_row(i) for i in (1, 2, 3)])

    steps = [
        (services.batch_submit, officer, "submit", BatchState.DRAFT, BatchState.SUBMITTED, "Siap diperiksa"),
        (services.batch_verify, clerk, "verify", BatchState.SUBMITTED, BatchState.VERIFIED, "Data cocok"),
        (services.batch_approve, kadis, "approve", BatchState.VERIFIED, BatchState.APPROVED, "SK Bupati"),
    ]
    for service, actor, action, before, after, reason in steps:
        result = service(actor=actor, batch_id=batch.pk, reason=reason)
        assert result.state == after
        batch.refresh_from_db()
        assert batch.state == after
        assert batch.last_reason == reason
        [event] = audit_events(batch, f"batch.{action}")
        assert event.actor == actor
        assert event.reason == reason
        assert event.data["from"] == before
        assert event.data["to"] == after
        assert event.region_id == batch.area_id

    result = services.batch_activate(
        actor=clerk, batch_id=batch.pk, confirmations={make_nik(i): (i + 1, f"2300000000{i}") for i in (1, 2, 3)}
    )
    assert result.matched == 3
    [event] = audit_events(batch, "batch.activate")
    assert (event.actor, event.data["from"], event.data["to"]) == (clerk, "approved", "active")
    assert event.data["confirmed"] == 3

    services.batch_cancel(actor=clerk, batch_id=batch.pk, reason="SK dicabut")
    batch.refresh_from_db()
    assert batch.state == BatchState.CANCELLED
    [event] = audit_events(batch, "batch.cancel")
    assert (event.actor, event.reason, event.data["from"], event.data["to"]) == (
        clerk,
        "SK dicabut",
        "active",
        "cancelled",
    )
    assert [e.action for e in audit_events(batch).order_by("id")] == [
        "batch.create",
        "batch.import",
        "batch.submit",
        "batch.verify",
        "batch.approve",
        "batch.activate",
        "batch.cancel",
    ]


@pytest.mark.parametrize("start", [BatchState.SUBMITTED, BatchState.VERIFIED])
def test_return_sends_the_batch_back_to_draft_with_its_reason(batch_in_state, officer, clerk, start):
    batch = batch_in_state(start)
    services.batch_return(actor=clerk, batch_id=batch.pk, reason="  NIK baris 3 salah  ")
    batch.refresh_from_db()
    assert batch.state == BatchState.DRAFT
    assert batch.last_reason == "NIK baris 3 salah"
    [event] = audit_events(batch, "batch.return")
    assert (event.actor, event.reason, event.data["from"], event.data["to"]) == (
        clerk,
        "NIK baris 3 salah",
        start,
        "draft",
    )
    # Back in the officer's hands: the members stay, it can be fixed and submitted again.
    assert batch.members.filter(is_open=True).count() == 3
    services.batch_submit(actor=officer, batch_id=batch.pk)


@pytest.mark.parametrize("start", [BatchState.SUBMITTED, BatchState.VERIFIED])
def test_reject_is_final_and_frees_the_people(batch_in_state, officer, clerk, start):
    batch = batch_in_state(start)
    services.batch_reject(actor=clerk, batch_id=batch.pk, reason="Bukan warga Bangkalan")
    batch.refresh_from_db()
    assert batch.state == BatchState.REJECTED
    [event] = audit_events(batch, "batch.reject")
    assert (event.actor, event.reason, event.data["from"], event.data["to"]) == (
        clerk,
        "Bukan warga Bangkalan",
        start,
        "rejected",
    )
    assert not batch.members.filter(is_open=True).exists()
    # The same people may be listed again in another batch.
    other = new_batch(officer)
    job = import_rows(officer, other, [member_row(1), member_row(2), member_row(3)])
    assert (job.state, job.accepted, job.rejected) == ("done", 3, 0)


@pytest.mark.parametrize("action", ["return", "reject"])
@pytest.mark.parametrize("reason", ["", "   ", None])
def test_return_and_reject_need_a_reason(batch_in_state, clerk, action, reason):
    batch = batch_in_state(BatchState.SUBMITTED)
    service = services.batch_return if action == "return" else services.batch_reject
    with pytest.raises(ValidationFailed) as exc:
        service(actor=clerk, batch_id=batch.pk, reason=reason)
    assert exc.value.status == 400
    assert "reason" in exc.value.details
    batch.refresh_from_db()
    assert batch.state == BatchState.SUBMITTED
    assert not audit_events(batch, f"batch.{action}").exists()


def test_submit_refuses_an_empty_draft(draft_batch, officer):
    with pytest.raises(ValidationFailed, match="Add members"):
        services.batch_submit(actor=officer, batch_id=draft_batch.pk)
    draft_batch.refresh_from_db()
    assert draft_batch.state == BatchState.DRAFT
    assert not audit_events(draft_batch, "batch.submit").exists()


def test_submit_refuses_a_draft_whose_members_were_all_removed(batch_in_state, officer):
    batch = batch_in_state(BatchState.DRAFT, members=2)
    removed = services.batch_members_remove(
        actor=officer, batch_id=batch.pk, member_ids=list(batch.members.values_list("pk", flat=True))
    )
    assert removed == 2
    batch.refresh_from_db()
    assert (batch.member_count, batch.total_cost) == (0, 0)
    with pytest.raises(ValidationFailed):
        services.batch_submit(actor=officer, batch_id=batch.pk)


# --- Transitions from the wrong state: 409 with a readable message --------------------------------

ALLOWED_FROM = {
    "submit": {BatchState.DRAFT},
    "verify": {BatchState.SUBMITTED},
    "approve": {BatchState.VERIFIED},
    "return": {BatchState.SUBMITTED, BatchState.VERIFIED},
    "reject": {BatchState.SUBMITTED, BatchState.VERIFIED},
    "activate": {BatchState.APPROVED},
    "cancel": {BatchState.APPROVED, BatchState.ACTIVE},
}
PAST_PARTICIPLE = {
    "submit": "submitted",
    "verify": "verified",
    "approve": "approved",
    "return": "returned",
    "reject": "rejected",
    "activate": "activated",
    "cancel": "cancelled",
}


def run_action(action: str, *, actor, batch):
    if action == "activate":
        confirmations = {m.participant.nik: (2, "23000000001") for m in batch.members.select_related("participant")}
        return services.batch_activate(actor=actor, batch_id=batch.pk, confirmations=confirmations)
    service = {
        "submit": services.batch_submit,
        "verify": services.batch_verify,
        "approve": services.batch_approve,
        "return": services.batch_return,
        "reject": services.batch_reject,
        "cancel": services.batch_cancel,
    }[action]
    return service(actor=actor, batch_id=batch.pk, reason="Alasan")


WRONG_STATE_CASES = [
    (action, state) for action in ALLOWED_FROM for state in BatchState.values if state not in ALLOWED_FROM[action]
]


@pytest.mark.parametrize(("action", "state"), WRONG_STATE_CASES)
def test_transition_from_the_wrong_state_is_a_conflict(batch_in_state, officer, clerk, action, state):
    batch = batch_in_state(state)
    events = AuditEvent.objects.count()
    with pytest.raises(Conflict) as exc:
        run_action(action, actor=officer if action == "submit" else clerk, batch=batch)
    assert exc.value.status == 409
    label = BatchState(state).label
    assert exc.value.message == f"Batch #{batch.pk} is {label}; it cannot be {PAST_PARTICIPLE[action]} from that state."
    batch.refresh_from_db()
    assert batch.state == state
    assert AuditEvent.objects.count() == events


# --- Who may do what -----------------------------------------------------------------------------

STATE_FOR = {
    "submit": BatchState.DRAFT,
    "verify": BatchState.SUBMITTED,
    "approve": BatchState.VERIFIED,
    "return": BatchState.SUBMITTED,
    "reject": BatchState.VERIFIED,
    "activate": BatchState.APPROVED,
    "cancel": BatchState.APPROVED,
}


@pytest.mark.parametrize("action", ["verify", "approve", "return", "reject", "activate", "cancel"])
def test_field_officer_cannot_take_labour_office_decisions(batch_in_state, officer, action):
    batch = batch_in_state(STATE_FOR[action])
    with pytest.raises(PermissionDenied):
        run_action(action, actor=officer, batch=batch)
    batch.refresh_from_db()
    assert batch.state == STATE_FOR[action]


@pytest.mark.parametrize("action", list(STATE_FOR))
def test_supervisor_only_reads(batch_in_state, supervisor, action):
    batch = batch_in_state(STATE_FOR[action])
    with pytest.raises(PermissionDenied):
        run_action(action, actor=supervisor, batch=batch)
    batch.refresh_from_db()
    assert batch.state == STATE_FOR[action]
    assert batch in selectors.batches_visible_to(supervisor)


def test_supervisor_cannot_create_batches_import_or_allocate(draft_batch, supervisor):
    with pytest.raises(PermissionDenied):
        new_batch(supervisor)
    with pytest.raises(PermissionDenied):
        services.import_create(actor=supervisor, batch_id=draft_batch.pk, filename="a.csv", content=b"nik\r\n")
    with pytest.raises(PermissionDenied):
        services.allocation_create(
            actor=supervisor, region_code="35.26", year=YEAR, source=FundingSource.APBD, amount=1_000_000
        )


def test_labour_office_may_also_submit(batch_in_state, clerk):
    batch = batch_in_state(BatchState.DRAFT)
    services.batch_submit(actor=clerk, batch_id=batch.pk)
    [event] = audit_events(batch, "batch.submit")
    assert event.actor == clerk


@pytest.mark.parametrize("action", list(STATE_FOR))
def test_outsider_is_denied_and_never_sees_the_batch(batch_in_state, outsider, clerk, officer, action):
    batch = batch_in_state(STATE_FOR[action])
    # The pages and the API look the batch up through the scope first: for Badung it does not exist.
    assert not selectors.batches_visible_to(outsider).filter(pk=batch.pk).exists()
    assert selectors.batches_visible_to(clerk).filter(pk=batch.pk).exists()
    assert selectors.batches_visible_to(officer).filter(pk=batch.pk).exists()
    # And the service itself refuses, should anything call it with a foreign id.
    with pytest.raises(PermissionDenied):
        run_action(action, actor=outsider, batch=batch)
    batch.refresh_from_db()
    assert batch.state == STATE_FOR[action]


def test_outsider_cannot_import_into_or_allocate_for_bangkalan(draft_batch, outsider):
    with pytest.raises(PermissionDenied):
        services.import_create(actor=outsider, batch_id=draft_batch.pk, filename="a.csv", content=b"nik\r\n")
    with pytest.raises(PermissionDenied):
        services.allocation_create(
            actor=outsider, region_code="35.26", year=YEAR, source=FundingSource.APBD, amount=1_000_000
        )
    assert not selectors.allocations_visible_to(outsider).exists()


# --- Premiums: rates are data ---------------------------------------------------------------------


def test_jkk_and_jkm_at_one_million_cost_16800_a_month():
    assert (
        services.premium_monthly(programmes=["jkk", "jkm"], declared_income=1_000_000, on_date=dt.date(YEAR, 6, 1))
        == 16_800
    )


def test_jht_adds_two_percent():
    premium = services.premium_monthly(
        programmes=["jkk", "jkm", "jht"], declared_income=1_000_000, on_date=dt.date(YEAR, 6, 1)
    )
    assert premium == 36_800


def test_batch_premium_and_total_follow_members_premium_and_months(officer):
    batch = new_batch(officer, programmes=["jht", "jkk", "jkm"])
    assert batch.programmes == ["jkk", "jkm", "jht"]
    assert batch.monthly_premium == 36_800
    assert months_between(batch.period_start, batch.period_end) == batch.months == MONTHS
    import_rows(officer, batch, [member_row(i) for i in range(1, 5)])
    batch.refresh_from_db()
    assert batch.member_count == 4
    assert batch.total_cost == 4 * 36_800 * MONTHS


def test_default_batch_costs_members_times_16800_times_months(batch_in_state):
    batch = batch_in_state(BatchState.DRAFT)
    assert (batch.monthly_premium, batch.member_count, batch.total_cost) == (PREMIUM, 3, COST_OF_THREE)
    assert COST_OF_THREE == 352_800


def test_a_later_rate_applies_to_batches_starting_after_it(officer):
    PremiumRate.objects.create(
        programme="jkm", valid_from=dt.date(YEAR, 7, 1), flat_amount=10_000, legal_basis="PP (test) 2026"
    )
    before = new_batch(officer)
    after = new_batch(officer, period_start=dt.date(YEAR, 8, 1))
    assert before.monthly_premium == 16_800
    assert after.monthly_premium == 20_000  # JKK 10,000 + the new JKM 10,000
    on_the_day = services.premium_monthly(
        programmes=["jkk", "jkm"], declared_income=1_000_000, on_date=dt.date(YEAR, 7, 1)
    )
    assert on_the_day == 20_000


def test_premium_follows_the_declared_income(officer):
    batch = new_batch(officer, declared_income=2_500_000)
    assert batch.monthly_premium == 25_000 + 6_800


def test_no_rate_before_pp_44_2015_is_a_validation_error():
    with pytest.raises(ValidationFailed, match="No premium rate"):
        services.premium_monthly(programmes=["jkk", "jkm"], declared_income=1_000_000, on_date=dt.date(2014, 1, 1))


def test_manggarai_barat_2025_reproduces():
    """2,829 people x Rp16,800 x 12 months = Rp570,326,400 (DESIGN §3)."""
    premium = services.premium_monthly(
        programmes=["jkk", "jkm"], declared_income=1_000_000, on_date=dt.date(2025, 1, 1)
    )
    months = months_between(dt.date(2025, 1, 1), dt.date(2025, 12, 31))
    assert months == 12
    assert 2_829 * premium * months == 570_326_400


def test_months_between_counts_both_ends():
    assert months_between(dt.date(YEAR, 6, 1), dt.date(YEAR, 12, 31)) == 7
    assert months_between(dt.date(YEAR, 6, 15), dt.date(YEAR, 6, 20)) == 1
    assert months_between(dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31)) == 12


def test_batch_terms_are_checked(officer):
    with pytest.raises(ValidationFailed) as exc:
        next_year = {"period_start": dt.date(YEAR + 1, 1, 1), "period_end": dt.date(YEAR + 1, 2, 28)}
        new_batch(officer, programmes=["jkm"], **next_year)
    assert set(exc.value.details) == {"programmes", "period_start"}
    with pytest.raises(ValidationFailed) as exc:
        new_batch(officer, source=FundingSource.DANA_DESA)  # village money for the whole regency
    assert "area" in exc.value.details


def test_an_absurd_declared_income_is_a_validation_error(officer):
    with pytest.raises(ValidationFailed):
        new_batch(officer, declared_income=10_000_000_000)


# --- Budget ---------------------------------------------------------------------------------------


def set_amount(clerk, allocation, amount):
    return services.allocation_update(actor=clerk, allocation_id=allocation.pk, amount=amount)


def test_approve_refuses_when_the_allocation_cannot_pay(batch_in_state, clerk, kadis, allocation):
    batch = batch_in_state(BatchState.VERIFIED)
    set_amount(clerk, allocation, COST_OF_THREE - 1)
    with pytest.raises(Conflict, match="cannot pay") as exc:
        services.batch_approve(actor=kadis, batch_id=batch.pk)
    assert exc.value.status == 409
    assert "it needs Rp352,800 and Rp352,799 remain" in exc.value.message
    with translation.override("id"), pytest.raises(Conflict) as exc:
        services.batch_approve(actor=kadis, batch_id=batch.pk)
    assert "Rp352.800" in exc.value.message  # amounts as the clerk writes them
    batch.refresh_from_db()
    assert (batch.state, batch.allocation_id) == (BatchState.VERIFIED, None)
    assert not audit_events(batch, "batch.approve").exists()
    # Exactly enough is enough.
    set_amount(clerk, allocation, COST_OF_THREE)
    services.batch_approve(actor=kadis, batch_id=batch.pk)
    batch.refresh_from_db()
    assert (batch.state, batch.allocation_id) == (BatchState.APPROVED, allocation.pk)
    assert services.allocation_committed(allocation) == COST_OF_THREE
    [event] = audit_events(batch, "batch.approve")
    assert event.data["remaining_after"] == 0


def test_approve_without_an_allocation_is_a_conflict(officer, clerk, kadis):
    batch = new_batch(officer, source=FundingSource.APBD)
    import_rows(officer, batch, [member_row(1)])
    services.batch_submit(actor=officer, batch_id=batch.pk)
    services.batch_verify(actor=clerk, batch_id=batch.pk)
    # Money of another year or source does not pay for it.
    services.allocation_create(actor=clerk, region_code="35.26", year=YEAR + 1, source="apbd", amount=10**9)
    services.allocation_create(actor=clerk, region_code="35.26", year=YEAR, source="dbhcht", amount=10**9)
    with pytest.raises(Conflict, match=f"no APBD .* allocation for {YEAR}"):
        services.batch_approve(actor=kadis, batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.state == BatchState.VERIFIED


def test_cancel_releases_the_money(batch_in_state, clerk, kadis, allocation):
    first = batch_in_state(BatchState.APPROVED)
    second = batch_in_state(BatchState.VERIFIED, start=4)
    set_amount(clerk, allocation, COST_OF_THREE)  # room for one batch of three
    with pytest.raises(Conflict, match="cannot pay"):
        services.batch_approve(actor=kadis, batch_id=second.pk)
    [row] = selectors.allocations_visible_to(clerk)
    assert (row.committed, row.amount - row.committed) == (COST_OF_THREE, 0)

    services.batch_cancel(actor=clerk, batch_id=first.pk, reason="SK dicabut")
    assert selectors.allocations_visible_to(clerk).get().committed == 0
    services.batch_approve(actor=kadis, batch_id=second.pk)
    assert selectors.allocations_visible_to(clerk).get().committed == COST_OF_THREE


def test_active_batches_stay_committed(batch_in_state, allocation):
    batch_in_state(BatchState.ACTIVE)
    assert services.allocation_committed(allocation) == COST_OF_THREE


def test_allocation_cannot_drop_below_what_is_committed(batch_in_state, clerk, allocation):
    batch_in_state(BatchState.APPROVED)
    with pytest.raises(Conflict, match="already committed") as exc:
        set_amount(clerk, allocation, COST_OF_THREE - 1)
    assert exc.value.status == 409
    allocation.refresh_from_db()
    assert allocation.amount == 1_000_000_000
    set_amount(clerk, allocation, COST_OF_THREE)
    allocation.refresh_from_db()
    assert allocation.amount == COST_OF_THREE
    [event] = AuditEvent.objects.filter(action="allocation.update", target_id=str(allocation.pk))
    assert (event.actor, event.data) == (clerk, {"from": 1_000_000_000, "to": COST_OF_THREE})


def test_allocation_is_one_per_region_year_and_source(clerk, allocation):
    with pytest.raises(Conflict):
        services.allocation_create(actor=clerk, region_code="35.26", year=YEAR, source="dbhcht", amount=1)
    with pytest.raises(ValidationFailed):
        services.allocation_create(actor=clerk, region_code="35.26", year=YEAR, source="apbd", amount=-1)


def test_village_budget_belongs_to_a_village(clerk):
    with pytest.raises(ValidationFailed, match="belongs to a village"):
        services.allocation_create(actor=clerk, region_code="35.26", year=YEAR, source="dana_desa", amount=10**8)
    with pytest.raises(ValidationFailed, match="belongs to a regency"):
        services.allocation_create(actor=clerk, region_code=VILLAGE, year=YEAR, source="apbd", amount=10**8)


def test_village_officials_batch_draws_on_its_own_village_budget(officer, clerk, kadis):
    # Wage earners (PU): JKK 0.24 % + JKM 0.30 % of a siltap of Rp2,000,000 is Rp10,800 a month.
    village_money = services.allocation_create(
        actor=clerk, region_code=VILLAGE, year=YEAR, source=FundingSource.DANA_DESA, amount=2 * 10_800 * MONTHS
    )
    assert village_money.region_id == VILLAGE
    batch = new_batch(officer, source=FundingSource.DANA_DESA, kind=BatchKind.VILLAGE_OFFICIALS, area=VILLAGE)
    assert batch.area_id == VILLAGE
    officials = [
        member_row(1, position="Kepala Desa", wage="2000000"),
        member_row(2, position="Sekdes", wage="2000000"),
    ]
    import_rows(officer, batch, officials)
    services.batch_submit(actor=officer, batch_id=batch.pk)
    services.batch_verify(actor=clerk, batch_id=batch.pk)
    services.batch_approve(actor=kadis, batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.allocation == village_money
    assert services.allocation_committed(village_money) == 2 * 10_800 * MONTHS
    assert set(batch.members.values_list("position", flat=True)) == {Position.KEPALA_DESA, Position.SEKRETARIS_DESA}

    # The next village has no budget of its own: Socah's money does not pay for it.
    other = new_batch(officer, source=FundingSource.DANA_DESA, kind=BatchKind.VILLAGE_OFFICIALS, area=OTHER_VILLAGE)
    import_rows(officer, other, [member_row(3, village=OTHER_VILLAGE, position="Kaur Keuangan", wage="2000000")])
    services.batch_submit(actor=officer, batch_id=other.pk)
    services.batch_verify(actor=clerk, batch_id=other.pk)
    with pytest.raises(Conflict):
        services.batch_approve(actor=clerk, batch_id=other.pk)


def test_village_budget_batch_covers_one_village(officer):
    with pytest.raises(ValidationFailed, match="covers that one village"):
        new_batch(officer, source=FundingSource.DANA_DESA, kind=BatchKind.VILLAGE_OFFICIALS, area="35.26.02")


# --- Activation: BPJS's confirmation -------------------------------------------------------------


def test_activation_accepts_confirmed_members_and_rejects_the_rest(batch_in_state, clerk):
    batch = batch_in_state(BatchState.APPROVED)
    StaleRegion.objects.all().delete()
    job = activate_by_file(
        clerk,
        batch,
        [(make_nik(1), "23000000001"), (make_nik(2), "23000000002"), (make_nik(99), "23000000099")],
    )
    assert job.finished and job.state == "done"
    assert (job.accepted, job.rejected) == (2, 1)
    assert job.errors == [{"row": 4, "column": "nik", "message": "This NIK is not a member of the batch."}]
    assert len(job.warnings) == 1 and "not confirmed by BPJS" in job.warnings[0]["message"]

    batch.refresh_from_db()
    assert batch.state == BatchState.ACTIVE
    assert batch.member_count == 2
    assert batch.total_cost == 2 * PREMIUM * MONTHS  # the unconfirmed member stops costing money
    assert Participant.objects.get(nik=make_nik(1)).kpj == "23000000001"
    assert Participant.objects.get(nik=make_nik(2)).kpj == "23000000002"
    unconfirmed = BatchMember.objects.get(batch=batch, participant__nik=make_nik(3))
    assert (unconfirmed.state, unconfirmed.reason) == (MemberState.REJECTED, "Not confirmed by BPJS.")
    assert unconfirmed.participant.kpj == ""
    assert set(batch.members.filter(state=MemberState.ACCEPTED).values_list("participant__nik", flat=True)) == {
        make_nik(1),
        make_nik(2),
    }
    assert not batch.members.filter(is_open=True).exists()
    # The coverage hook: the members' village is marked for recalculation.
    assert list(StaleRegion.objects.values_list("region_id", "reason")) == [(VILLAGE, "batch.activate")]
    [event] = audit_events(batch, "batch.activate")
    assert event.data["confirmed"] == 2 and event.data["unconfirmed"] == 1 and event.data["unmatched_lines"] == 1


def test_activation_reports_unusable_lines_with_row_and_column(batch_in_state, clerk):
    batch = batch_in_state(BatchState.APPROVED)
    job = activate_by_file(
        clerk,
        batch,
        [(make_nik(1), "23000000001"), ("12345", "23000000002"), (make_nik(2), "12"), (make_nik(1), "23000000003")],
    )
    assert job.state == "done" and job.accepted == 1
    assert [(e["row"], e["column"]) for e in job.errors] == [(3, "nik"), (4, "kpj"), (5, "nik")]
    assert "16 digits" in job.errors[0]["message"]
    assert "8 to 16 digits" in job.errors[1]["message"]
    assert "same NIK is on row 2" in job.errors[2]["message"]


def test_activation_with_no_match_changes_nothing(batch_in_state, clerk):
    batch = batch_in_state(BatchState.APPROVED)
    StaleRegion.objects.all().delete()
    job = activate_by_file(clerk, batch, [(make_nik(50), "23000000050")])
    assert job.state == "failed"
    assert "nothing was activated" in job.message
    assert job.errors == [{"row": 2, "column": "nik", "message": "This NIK is not a member of the batch."}]
    batch.refresh_from_db()
    assert batch.state == BatchState.APPROVED
    assert not batch.members.exclude(state=MemberState.PENDING).exists()
    assert not StaleRegion.objects.exists()

    with pytest.raises(ValidationFailed):
        services.batch_activate(actor=clerk, batch_id=batch.pk, confirmations={})
    batch.refresh_from_db()
    assert batch.state == BatchState.APPROVED


def test_only_the_labour_office_uploads_a_confirmation(batch_in_state, officer, outsider):
    batch = batch_in_state(BatchState.APPROVED)
    for actor in (officer, outsider):
        with pytest.raises(PermissionDenied):
            activate_by_file(actor, batch, [(make_nik(1), "23000000001")])


def test_cancelling_an_active_batch_marks_its_villages_stale(officer, clerk, kadis, allocation):
    batch = new_batch(officer)
    import_rows(officer, batch, [member_row(1), member_row(2, village=OTHER_VILLAGE), member_row(3)])
    approve(batch, officer, clerk, kadis)
    services.batch_activate(
        actor=clerk, batch_id=batch.pk, confirmations={make_nik(i): (i + 1, f"2300000000{i}") for i in (1, 2, 3)}
    )
    assert set(StaleRegion.objects.values_list("region_id", flat=True)) == {VILLAGE, OTHER_VILLAGE}
    StaleRegion.objects.all().delete()

    services.batch_cancel(actor=clerk, batch_id=batch.pk, reason="SK dicabut")
    assert set(StaleRegion.objects.values_list("region_id", "reason")) == {
        (VILLAGE, "batch.cancel"),
        (OTHER_VILLAGE, "batch.cancel"),
    }


def test_cancelling_an_approved_batch_changes_no_coverage(batch_in_state, clerk):
    batch = batch_in_state(BatchState.APPROVED)
    StaleRegion.objects.all().delete()
    services.batch_cancel(actor=clerk, batch_id=batch.pk)
    assert not StaleRegion.objects.exists()
    assert not batch.members.filter(is_open=True).exists()


def test_renewal_for_a_later_period_is_allowed(batch_in_state, officer, clerk):
    batch_in_state(BatchState.ACTIVE)
    services.allocation_create(actor=clerk, region_code="35.26", year=YEAR + 1, source="dbhcht", amount=10**9)
    renewal = new_batch(
        officer, year=YEAR + 1, period_start=dt.date(YEAR + 1, 1, 1), period_end=dt.date(YEAR + 1, 6, 30)
    )
    job = import_rows(officer, renewal, [member_row(1), member_row(2), member_row(3)])
    assert (job.accepted, job.rejected) == (3, 0)
    assert FundingAllocation.objects.filter(year=YEAR + 1).count() == 1


# --- Drafts: terms and members ---------------------------------------------------------------------


def test_updating_a_draft_re_costs_its_members(batch_in_state, officer):
    batch = batch_in_state(BatchState.DRAFT)
    terms = services.BatchTerms(
        kind=BatchKind.VULNERABLE_WORKERS,
        regency_code="35.26",
        funding_source=FundingSource.DBHCHT,
        year=YEAR,
        period_start=dt.date(YEAR, 1, 1),
        period_end=dt.date(YEAR, 12, 31),
        programmes=["jkk", "jkm", "jht"],
    )
    services.batch_update(actor=officer, batch_id=batch.pk, terms=terms)
    batch.refresh_from_db()
    assert (batch.monthly_premium, batch.member_count, batch.total_cost) == (36_800, 3, 3 * 36_800 * 12)
    assert audit_events(batch, "batch.update").get().actor == officer


def test_a_draft_cannot_shrink_its_area_away_from_its_members(batch_in_state, officer):
    batch = batch_in_state(BatchState.DRAFT)  # members in Socah (35.26.02)
    terms = services.BatchTerms(
        kind=BatchKind.VULNERABLE_WORKERS,
        regency_code="35.26",
        funding_source=FundingSource.DBHCHT,
        year=YEAR,
        period_start=dt.date(YEAR, 6, 1),
        period_end=dt.date(YEAR, 12, 31),
        area_code="35.26.01",
    )
    with pytest.raises(ValidationFailed, match="live outside"):
        services.batch_update(actor=officer, batch_id=batch.pk, terms=terms)
    terms.area_code = "35.26.02"
    services.batch_update(actor=officer, batch_id=batch.pk, terms=terms)
    batch.refresh_from_db()
    assert batch.area_id == "35.26.02"


def test_only_a_draft_can_be_updated_or_lose_members(batch_in_state, officer):
    batch = batch_in_state(BatchState.SUBMITTED)
    terms = services.BatchTerms(
        kind=BatchKind.VULNERABLE_WORKERS,
        regency_code="35.26",
        funding_source=FundingSource.DBHCHT,
        year=YEAR,
        period_start=dt.date(YEAR, 6, 1),
        period_end=dt.date(YEAR, 12, 31),
    )
    with pytest.raises(Conflict):
        services.batch_update(actor=officer, batch_id=batch.pk, terms=terms)
    with pytest.raises(Conflict):
        services.batch_members_remove(actor=officer, batch_id=batch.pk, member_ids=[batch.members.first().pk])
    assert batch.members.count() == 3


def test_removing_members_touches_only_this_batch(batch_in_state, officer):
    mine = batch_in_state(BatchState.DRAFT, members=2)
    other = batch_in_state(BatchState.DRAFT, members=2, start=10)
    removed = services.batch_members_remove(
        actor=officer,
        batch_id=mine.pk,
        member_ids=[*other.members.values_list("pk", flat=True), mine.members.first().pk],
    )
    assert removed == 1
    assert (mine.members.count(), other.members.count()) == (1, 2)
    mine.refresh_from_db()
    assert (mine.member_count, mine.total_cost) == (1, PREMIUM * MONTHS)
    assert audit_events(mine, "batch.members_remove").get().data == {"removed": 1}


def test_an_officer_cannot_touch_a_batch_of_another_district(clerk, officer):
    burneh = new_batch(clerk, area="35.26.03")
    assert not selectors.batches_visible_to(officer).filter(pk=burneh.pk).exists()
    with pytest.raises(PermissionDenied):
        services.batch_submit(actor=officer, batch_id=burneh.pk)
    with pytest.raises(PermissionDenied):
        services.import_create(actor=officer, batch_id=burneh.pk, filename="a.csv", content=b"nik\r\n")


def test_an_officer_cannot_submit_a_colleagues_regency_wide_draft(batch_in_state):
    from tests.factories import user_with
    from ucj.models import Role

    batch = batch_in_state(BatchState.DRAFT)  # the officer's own, for the whole regency (35.26)
    colleague = user_with(Role.FIELD_OFFICER, "35.26.05", username="colleague")
    assert not selectors.batches_visible_to(colleague).filter(pk=batch.pk).exists()
    with pytest.raises(PermissionDenied):
        services.batch_submit(actor=colleague, batch_id=batch.pk)


def _terms(**over) -> services.BatchTerms:
    values = {
        "kind": BatchKind.VULNERABLE_WORKERS,
        "regency_code": "35.26",
        "funding_source": FundingSource.DBHCHT,
        "year": YEAR,
        "period_start": dt.date(YEAR, 6, 1),
        "period_end": dt.date(YEAR, 12, 31),
    }
    return services.BatchTerms(**{**values, **over})


def test_moving_a_draft_onto_its_members_active_period_is_refused(batch_in_state, officer):
    batch_in_state(BatchState.ACTIVE)  # serials 1-3, June to December
    renewal = new_batch(
        officer, year=YEAR + 1, period_start=dt.date(YEAR + 1, 1, 1), period_end=dt.date(YEAR + 1, 6, 30)
    )
    assert import_rows(officer, renewal, [member_row(1)]).accepted == 1
    with pytest.raises((ValidationFailed, Conflict)):
        services.batch_update(actor=officer, batch_id=renewal.pk, terms=_terms(period_start=dt.date(YEAR, 7, 1)))


def test_switching_a_draft_to_government_money_rechecks_the_age_limit(officer):
    batch = new_batch(officer, source=FundingSource.OTHER)
    assert import_rows(officer, batch, [member_row(1, birth=dt.date(1950, 1, 1))]).accepted == 1
    with pytest.raises(ValidationFailed):
        services.batch_update(actor=officer, batch_id=batch.pk, terms=_terms(funding_source=FundingSource.DBHCHT))


def test_an_allocation_created_twice_at_the_same_moment_is_a_conflict_not_a_crash(clerk, allocation, monkeypatch):
    # The other clerk's insert committed between this one's existence check and its insert.
    monkeypatch.setattr("django.db.models.query.QuerySet.exists", lambda self: False)
    with pytest.raises(Conflict):
        services.allocation_create(actor=clerk, region_code="35.26", year=YEAR, source=FundingSource.DBHCHT, amount=1)


def test_an_uploader_who_lost_the_role_gets_a_failed_job_not_a_crash(officer, draft_batch):
    job = services.import_create(
        actor=officer, batch_id=draft_batch.pk, filename="a.csv", content=rows_csv([member_row(1)])
    )
    Assignment.objects.filter(user=officer).delete()
    job = services.import_run(job_id=job.pk)
    assert job.state == ImportState.FAILED and job.message
    assert draft_batch.members.count() == 0


def test_an_allocation_beyond_any_budget_is_a_validation_error(clerk, allocation):
    with pytest.raises(ValidationFailed):
        services.allocation_create(actor=clerk, region_code="35.26", year=YEAR, source="apbd", amount=10**19)
    with pytest.raises(ValidationFailed):
        services.allocation_update(actor=clerk, allocation_id=allocation.pk, amount=10**19)


def test_submit_rechecks_members_against_the_terms(officer):
    batch = new_batch(officer, source=FundingSource.OTHER)
    assert import_rows(officer, batch, [member_row(1, birth=dt.date(1950, 1, 1))]).accepted == 1
    # Terms changed behind the services' back (as by a race the import guards against).
    type(batch).objects.filter(pk=batch.pk).update(funding_source=FundingSource.DBHCHT)
    with pytest.raises(ValidationFailed) as refused:
        services.batch_submit(actor=officer, batch_id=batch.pk)
    assert refused.value.details[0]["nik"] == "3526********0001"
