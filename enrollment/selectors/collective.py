"""Reads of enrollment worth naming. Every list starts from the user's scope (ucj.scope)."""

import datetime
import operator
import re
from dataclasses import dataclass
from functools import reduce

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from enrollment.models import (
    COMMITTED_STATES,
    DEFAULT_PROGRAMMES,
    RESERVES_MONEY,
    SEGMENT_OF_KIND,
    BatchKind,
    BatchMember,
    BatchState,
    EnrollmentBatch,
    FundingAllocation,
    ImportJob,
    MemberState,
    Participant,
)
from enrollment.services import allocation_for, duty_barred, may_edit, premium_monthly
from enrollment.services.premiums import month_starts
from ucj import scope
from ucj.errors import ApplicationError
from ucj.models import ROOT_CODE, AuditEvent, Role
from ucj.services import PERSONAL_VIEW

# --- Scoped querysets -----------------------------------------------------------------------------


def batches_visible_to(user) -> QuerySet[EnrollmentBatch]:
    """Batches whose area lies in the user's regions, and the drafts a field officer created for
    a wider area of their own regency."""
    return scope.visible_or_own(
        user,
        EnrollmentBatch.objects.all(),
        field="area__code",
        wide_field="area__code",
        owner_field="created_by",
        owner_roles=[Role.FIELD_OFFICER],
    )


def with_committed(allocations: QuerySet[FundingAllocation]) -> QuerySet[FundingAllocation]:
    """Allocations annotated with `committed`: what approved and active batches reserve (and
    cancelled active ones keep), in the same query."""
    committed = (
        EnrollmentBatch.objects.filter(RESERVES_MONEY, allocation=OuterRef("pk"))
        .order_by()
        .values("allocation")
        .annotate(s=Sum("total_cost"))
        .values("s")
    )
    return allocations.annotate(committed=Coalesce(Subquery(committed, output_field=IntegerField()), Value(0)))


def allocations_visible_to(user) -> QuerySet[FundingAllocation]:
    """Allocations of the user's regions and of the regions above them (a field officer of two
    districts sees the regency's money their batches draw on), with `committed`."""
    visible = scope.visible_with_ancestors(user, FundingAllocation.objects.select_related("region"), "region__code")
    return with_committed(visible).order_by("-year", "region_id", "source")


def participants_visible_to(user) -> QuerySet[Participant]:
    return scope.visible(user, Participant.objects.select_related("village"), "village__code")


NIK_DIGITS = re.compile(r"[0-9]+")


def nik_looked_up(query: str | None) -> str | None:
    """The NIK a participant search asks for by all its 16 digits, or None. Such a look-up
    confirms the digits a mask hides when it finds someone: it is logged, and counted against a
    rate for users who see NIKs masked (ucj.api_base.NikLookupThrottle)."""
    digits = (query or "").strip().replace(" ", "")
    return digits if len(digits) == 16 and NIK_DIGITS.fullmatch(digits) else None


def participant_search(*, user, query: str) -> QuerySet[Participant]:
    """By NIK (all 16 digits, or its start) or by part of the name."""
    qs = participants_visible_to(user)
    query = (query or "").strip()
    if not query:
        return qs.none()
    digits = query.replace(" ", "")
    if NIK_DIGITS.fullmatch(digits):
        if len(digits) == 16:
            return qs.filter(nik=digits)
        # The start of a NIK only among people whose NIK the user sees in full: elsewhere each
        # answer would tell a masked digit (a labour clerk of one regency may be a field officer of
        # another, where they see NIKs masked).
        return qs.filter(nik__startswith=digits).filter(scope.personal_data_q(user))
    return qs.filter(name__icontains=query)


def participant_history(*, participant: Participant) -> QuerySet[AuditEvent]:
    """What happened to the person's record: domiciles moved by enrollments and corrections by
    the labour office, newest first. Who looked at it is the access log's, not the record's story."""
    return (
        AuditEvent.objects.filter(target_type=participant._meta.label_lower, target_id=str(participant.pk))
        .exclude(action=PERSONAL_VIEW)
        .select_related("actor")
    )


# --- Batches --------------------------------------------------------------------------------------


def batch_state_counts(batches: QuerySet[EnrollmentBatch]) -> dict[str, dict[str, int]]:
    """Per state: batches and members, in one grouped query."""
    rows = batches.order_by().values("state").annotate(n=Count("id"), members=Sum("member_count"))
    found = {r["state"]: {"batches": r["n"], "members": r["members"] or 0} for r in rows}
    return {state: found.get(state, {"batches": 0, "members": 0}) for state in BatchState.values}


# What each action needs: the states it starts from and who may take it.
ACTIONS = {
    "submit": ([BatchState.DRAFT], "editor"),
    "verify": ([BatchState.SUBMITTED], Role.LABOUR_OFFICE),
    "approve": ([BatchState.VERIFIED], Role.LABOUR_OFFICE),
    "return": ([BatchState.SUBMITTED, BatchState.VERIFIED], Role.LABOUR_OFFICE),
    "reject": ([BatchState.SUBMITTED, BatchState.VERIFIED], Role.LABOUR_OFFICE),
    "activate": ([BatchState.APPROVED], Role.LABOUR_OFFICE),
    "cancel": ([BatchState.APPROVED, BatchState.ACTIVE], Role.LABOUR_OFFICE),
}


def batch_actions_for(*, user, batch: EnrollmentBatch) -> list[str]:
    """The transitions this user may take on this batch now (pages show only these): their role,
    and four eyes as the services apply them (`duty_barred`)."""
    out = []
    for action, (states, who) in ACTIONS.items():
        if batch.state not in states:
            continue
        allowed = (
            may_edit(user, batch.area_id, batch.created_by_id)
            if who == "editor"
            else scope.has_role(user, who, batch.regency_id) and not duty_barred(user, batch, action)
        )
        if allowed:
            out.append(action)
    return out


def batch_can_edit(*, user, batch: EnrollmentBatch) -> bool:
    return batch.state == BatchState.DRAFT and may_edit(user, batch.area_id, batch.created_by_id)


def batch_history(*, batch: EnrollmentBatch) -> QuerySet[AuditEvent]:
    """What happened to the batch; who looked at its members' full NIKs is the access log's
    (`personal.view`, read in the admin), not the batch's story."""
    return (
        AuditEvent.objects.filter(target_type=batch._meta.label_lower, target_id=str(batch.pk))
        .exclude(action=PERSONAL_VIEW)
        .select_related("actor")
    )


def batch_imports(*, batch: EnrollmentBatch) -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(batch=batch).defer("content").select_related("created_by")


@dataclass
class BudgetEffect:
    allocation: FundingAllocation | None
    amount: int
    committed: int
    remaining: int
    this_batch: int
    counted: bool  # the batch is already part of `committed`
    remaining_after: int
    fits: bool


def batch_budget_effect(*, batch: EnrollmentBatch) -> BudgetEffect:
    allocation = batch.allocation or allocation_for(batch).first()
    if allocation is None:
        return BudgetEffect(None, 0, 0, 0, batch.total_cost, False, -batch.total_cost, False)
    committed = allocation.batches.filter(RESERVES_MONEY).aggregate(s=Sum("total_cost"))["s"] or 0
    counted = batch.state in COMMITTED_STATES and batch.allocation_id == allocation.pk
    remaining = allocation.amount - committed
    after = remaining if counted else remaining - batch.total_cost
    return BudgetEffect(
        allocation, allocation.amount, committed, remaining, batch.total_cost, counted, after, after >= 0
    )


# --- Periods --------------------------------------------------------------------------------------

# A period chosen in the first week of a month may still start that month: the batch can be
# approved and confirmed by BPJS before the month is far gone.
FIRST_WEEK_DAYS = 7


def batch_default_period(today: datetime.date | None = None) -> tuple[int, datetime.date, datetime.date]:
    """The budget year, first and last day a new batch is offered: from the first day of the next
    month (of this month in its first week) to the end of that budget year."""
    today = today or timezone.localdate()
    start = today.replace(day=1)
    if today.day > FIRST_WEEK_DAYS:
        start = (start + datetime.timedelta(days=32)).replace(day=1)
    return start.year, start, datetime.date(start.year, 12, 31)


def months_not_paid(
    *, period_start: datetime.date, period_end: datetime.date, today: datetime.date | None = None
) -> list[datetime.date]:
    """The months of a period that have already begun before this one: BPJS does not backdate
    protection, so a batch activated now is paid from this month and those months are never
    covered (nor paid for)."""
    this_month = (today or timezone.localdate()).replace(day=1)
    last = min(period_end, this_month - datetime.timedelta(days=1))
    return month_starts(period_start, last) if period_start <= last else []


def batch_members(*, batch: EnrollmentBatch) -> QuerySet[BatchMember]:
    return batch.members.select_related("participant__village").order_by("participant__village_id", "participant__name")


def batch_village_summary(*, batch: EnrollmentBatch) -> list[dict]:
    """Per village of the batch: its members here, and, for village officials, how many of the
    village's officials are protected today (accepted in an active village-officials batch)."""
    rows = list(
        batch.members.order_by()
        .values("participant__village_id", "participant__village__name")
        .annotate(members=Count("id", filter=~Q(state=MemberState.REJECTED)))
        .order_by("participant__village_id")
    )
    protected = {}
    if batch.kind == BatchKind.VILLAGE_OFFICIALS and rows:
        protected = officials_protected_by_village(village_codes=[r["participant__village_id"] for r in rows])
    return [
        {
            "code": r["participant__village_id"],
            "name": r["participant__village__name"],
            "members": r["members"],
            "officials_protected": protected.get(r["participant__village_id"], 0),
        }
        for r in rows
    ]


def officials_protected_by_village(*, village_codes: list[str], on=None) -> dict[str, int]:
    """Village code → officials protected on the day (accepted members of an active
    village-officials batch whose period covers it). One grouped query."""
    day = on or timezone.localdate()
    rows = (
        BatchMember.objects.filter(
            participant__village_id__in=village_codes,
            state=MemberState.ACCEPTED,
            batch__state=BatchState.ACTIVE,
            batch__kind=BatchKind.VILLAGE_OFFICIALS,
            batch__period_start__lte=day,
            batch__period_end__gte=day,
        )
        .order_by()
        .values("participant__village_id")
        .annotate(n=Count("participant_id", distinct=True))
    )
    return {r["participant__village_id"]: r["n"] for r in rows}


def renewals_due(*, batch: EnrollmentBatch) -> int:
    """Members of an active batch whose protection ends with it and who are in no later batch yet:
    the people a renewal for the next period should list."""
    if batch.state != BatchState.ACTIVE:
        return 0
    later = BatchMember.objects.filter(
        participant=OuterRef("participant"), batch__period_start__gt=batch.period_end
    ).exclude(batch__state__in=[BatchState.REJECTED, BatchState.CANCELLED])
    return batch.members.filter(state=MemberState.ACCEPTED).exclude(Exists(later)).count()


# --- Coverage: participants counting toward coverage through UCJ --------------------------------
# Read by the coverage engine (ucj/coverage). A member counts on the days from `covered_from` to
# `covered_until`; the segment follows the batch kind (SEGMENT_OF_KIND). A member BPJS already
# had (`already_registered`) is protected but never counts here: BPJS's own count holds them, and
# UCJ's change since that count must not add them again (DESIGN §3).

COVERAGE_CHUNK = 2_000  # codes per IN list


def _counted_members() -> QuerySet[BatchMember]:
    return BatchMember.objects.filter(state=MemberState.ACCEPTED, covered_from__isnull=False, already_registered=False)


def coverage_active_by_village(*, days, village_codes=None) -> dict:
    """Participants counting on each of `days`, per village: {day: {village: {"segments": {"pu":
    n, "bpu": m}, "occupations": {"farmer": k}}}}, the occupations counting the members of
    vulnerable-workers batches by their occupation group (those without one are left out). One
    grouped query per 2,000 villages, whatever the number of days (a full rebuild counts today and
    BPJS's day in one scan of the members); `village_codes=None` means every village."""
    days = list(dict.fromkeys(days))
    counting = [Q(covered_from__lte=day, covered_until__gte=day) for day in days]
    members = _counted_members().filter(reduce(operator.or_, counting))
    chunks = [None] if village_codes is None else _code_chunks(village_codes)
    out: dict = {day: {} for day in days}
    by_day = list(zip(range(3, 3 + len(days)), out.values(), strict=True))
    vulnerable = BatchKind.VULNERABLE_WORKERS
    for chunk in chunks:
        qs = members if chunk is None else members.filter(participant__village_id__in=chunk)
        rows = (
            qs.values_list("participant__village_id", "batch__kind", "participant__occupation_group")
            .annotate(**{f"on_{i}": Count("id", filter=q) for i, q in enumerate(counting)})
            .order_by()
        )
        for row in rows:
            code, kind, group = row[:3]
            segment = SEGMENT_OF_KIND[kind]
            for column, villages in by_day:
                if n := row[column]:
                    village = villages.get(code)
                    if village is None:
                        village = villages[code] = {"segments": {}, "occupations": {}}
                    village["segments"][segment] = village["segments"].get(segment, 0) + n
                    if group and kind == vulnerable:
                        village["occupations"][group] = village["occupations"].get(group, 0) + n
    return out


def coverage_active_in_region(*, region_code: str, day) -> dict[str, int]:
    """Participants counting on `day` in a region, per segment: {"pu": n, "bpu": m}. One grouped
    query."""
    members = _counted_members().filter(covered_from__lte=day, covered_until__gte=day)
    if region_code != ROOT_CODE:
        members = members.filter(
            Q(participant__village_id=region_code) | Q(participant__village__code__startswith=region_code + ".")
        )
    out: dict[str, int] = {}
    for row in members.values("batch__kind").annotate(n=Count("id")).order_by():
        segment = SEGMENT_OF_KIND[row["batch__kind"]]
        out[segment] = out.get(segment, 0) + row["n"]
    return out


def coverage_change(*, region_code: str, since, day) -> dict[str, int]:
    """How UCJ moved a region's count between BPJS's figure of `since` and `day`, per segment:
    members who began counting after `since` and still count on `day`, minus members who counted
    on `since` and stopped before `day`. BPJS's figure already holds the people who counted then."""
    if since >= day:
        return {}
    members = _counted_members().filter(
        Q(covered_from__gt=since, covered_from__lte=day, covered_until__gte=day)
        | Q(covered_from__lte=since, covered_until__gte=since, covered_until__lt=day)
    )
    if region_code != ROOT_CODE:
        members = members.filter(
            Q(participant__village_id=region_code) | Q(participant__village__code__startswith=region_code + ".")
        )
    rows = (
        members.values("batch__kind")
        .annotate(
            plus=Count("id", filter=Q(covered_from__gt=since)),
            minus=Count("id", filter=Q(covered_from__lte=since)),
        )
        .order_by()
    )
    out: dict[str, int] = {}
    for row in rows:
        segment = SEGMENT_OF_KIND[row["batch__kind"]]
        out[segment] = out.get(segment, 0) + row["plus"] - row["minus"]
    return out


def coverage_villages_changing(*, after, until) -> list[str]:
    """Villages where somebody starts counting on a day in (after, until], or stopped counting the
    day before one: marked stale by the daily recalculation (a period that starts after its
    activation, or lapses)."""
    one_day = datetime.timedelta(days=1)
    return sorted(
        set(
            _counted_members()
            .filter(
                Q(covered_from__gt=after, covered_from__lte=until)
                | Q(covered_until__gte=after, covered_until__lte=until - one_day)
            )
            .values_list("participant__village_id", flat=True)
            .distinct()
        )
    )


def _code_chunks(codes) -> list[list[str]]:
    codes = sorted(set(codes))
    return [codes[i : i + COVERAGE_CHUNK] for i in range(0, len(codes), COVERAGE_CHUNK)]


def coverage_active_by_occupation(*, region_code: str, day) -> dict[str, int]:
    """Members of UCJ's vulnerable-workers batches counting on `day` in a region, per occupation
    group (those without one left out): {occupation group: n}. One grouped query. The coverage
    snapshots keep the same figure of their day (`CoverageSnapshot.occupations`); this counts it
    for a day that has none."""
    members = _counted_members().filter(
        covered_from__lte=day, covered_until__gte=day, batch__kind=BatchKind.VULNERABLE_WORKERS
    )
    if region_code != ROOT_CODE:
        members = members.filter(
            Q(participant__village_id=region_code) | Q(participant__village__code__startswith=region_code + ".")
        )
    rows = members.values("participant__occupation_group").annotate(n=Count("id")).order_by()
    return {row["participant__occupation_group"]: row["n"] for row in rows if row["participant__occupation_group"]}


# --- Allocations: how many more people the remaining money protects -------------------------------
# Allocations show how many more people their remaining money protects for the months left in its
# budget year at the default terms (JKK+JKM on Rp1,000,000: Rp16,800 a month under PP 44/2015):
# a batch runs in whole months within its year, and BPJS does not backdate, so in August only
# August to December can still be paid. The allocations page and the progress pages both read it
# here, so that they cannot disagree.

COVER_MONTHS = 12  # a whole budget year, before it begins
COVER_DECLARED_INCOME = 1_000_000


def cover_months(year: int, today: datetime.date | None = None) -> int:
    """Months of budget year `year` a batch can still pay for: all 12 before it begins, from this
    month to December during it, none after it."""
    today = today or timezone.localdate()
    if year > today.year:
        return COVER_MONTHS
    if year < today.year:
        return 0
    return 12 - today.month + 1


def cover_premium(year: int) -> int | None:
    """The monthly premium at the default terms from the rates valid on 1 January of `year`
    (rates are data); None when no rate is on record then."""
    try:
        return premium_monthly(
            programmes=DEFAULT_PROGRAMMES, declared_income=COVER_DECLARED_INCOME, on_date=datetime.date(year, 1, 1)
        )
    except ApplicationError:
        return None


def people_covered(remaining: int, premium: int | None, months: int = COVER_MONTHS) -> int | None:
    """People the remaining money protects for `months` at `premium` a month each (none when no
    month is left)."""
    if not premium:
        return None
    return max(remaining, 0) // (premium * months) if months else 0


def allocations_people_covered(allocations, today: datetime.date | None = None) -> None:
    """Set `remaining`, `cover_months` (cover_months: those left in its budget year) and
    `people_covered` on each allocation (annotated with `committed`), with the premium of its
    year's 1 January."""
    premiums: dict[int, int | None] = {}
    for allocation in allocations:
        allocation.remaining = allocation.amount - allocation.committed
        if allocation.year not in premiums:
            premiums[allocation.year] = cover_premium(allocation.year)
        allocation.cover_months = cover_months(allocation.year, today)
        allocation.people_covered = people_covered(
            allocation.remaining, premiums[allocation.year], allocation.cover_months
        )
