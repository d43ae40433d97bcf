"""Allocations, batches and their life cycle (DESIGN §3), members.

Each transition is one transaction: lock the batch, check who may do it and from which state,
change, audit, and only after commit enqueue background work. Views, the API and tasks call these
functions and nothing else writes these tables."""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.http import Http404
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from enrollment.models import (
    DEFAULT_PROGRAMMES,
    RESERVES_MONEY,
    VILLAGE_SOURCES,
    BatchKind,
    BatchMember,
    BatchState,
    EnrollmentBatch,
    FundingAllocation,
    FundingSource,
    MemberState,
    Participant,
    Programme,
    mask_nik,
    months_between,
)
from enrollment.services.premiums import (
    batch_costs,
    income_level_error,
    members_reprice,
    month_end,
    premium_monthly,
)
from ucj import scope
from ucj.errors import Conflict, ValidationFailed
from ucj.models import Region, Role, code_in_subtree, regency_code
from ucj.services import audit_record, coverage_mark_stale

# --- Allocations ----------------------------------------------------------------------------------


def allocation_committed(allocation: FundingAllocation) -> int:
    """Money reserved by approved and active batches, and kept by active batches cancelled later
    for the months they covered. Read it under the allocation's row lock when the answer decides
    anything."""
    return allocation.batches.filter(RESERVES_MONEY).aggregate(s=Sum("total_cost"))["s"] or 0


def _allocation_region(region_code: str, source: str) -> Region:
    region = Region.objects.filter(code=region_code).first()
    if region is None:
        raise ValidationFailed(
            _("Unknown region %(code)s.") % {"code": region_code}, details={"region": [_("Unknown region.")]}
        )
    if source in VILLAGE_SOURCES and region.level != Region.Level.VILLAGE:
        raise ValidationFailed(
            _("A village budget (APBDes / Dana Desa) belongs to a village, not to %(region)s.") % {"region": region},
            details={"region": [_("Choose a village.")]},
        )
    if source in VILLAGE_SOURCES and region.kind == Region.Kind.KELURAHAN:
        raise ValidationFailed(_kelurahan_has_no_apbdes(region), details={"region": [_("Choose a desa.")]})
    if source not in VILLAGE_SOURCES and region.level != Region.Level.REGENCY:
        raise ValidationFailed(
            _("An APBD, DBHCHT or other allocation belongs to a regency or city, not to %(region)s.")
            % {"region": region},
            details={"region": [_("Choose a regency or city.")]},
        )
    return region


def _kelurahan_has_no_apbdes(region: Region) -> str:
    # UU 6/2014 gives a desa its own budget (APBDes: Dana Desa, ADD); a kelurahan is part of the
    # regency's administration (UU 23/2014 art. 229) and is paid from the regency's APBD.
    return _(
        "%(region)s is a kelurahan: it has no village budget (APBDes / ADD / Dana Desa); the regency's "
        "APBD pays for it."
    ) % {"region": region}


# A regency's whole budget is in the trillions of rupiah; more than this is a typing mistake.
MAX_ALLOCATION = 10**15


def _check_amount(amount: int) -> None:
    if not 0 <= amount <= MAX_ALLOCATION:
        raise ValidationFailed(
            _("Enter an amount from 0 to %(max)s rupiah.")
            % {"max": number_format(MAX_ALLOCATION, force_grouping=True)},
            details={"amount": [_("Out of range.")]},
        )


def _allocation_exists(region, source: str, year: int) -> Conflict:
    return Conflict(
        _("%(region)s already has a %(source)s allocation for %(year)s; change its amount instead.")
        % {"region": region, "source": FundingSource(source).label, "year": year}
    )


@transaction.atomic
def allocation_create(
    *, actor, region_code: str, year: int, source: str, amount: int, note: str = ""
) -> FundingAllocation:
    region = _allocation_region(region_code, source)
    scope.require_role(actor, Role.LABOUR_OFFICE, region_code=regency_code(region.code))
    _check_amount(amount)
    if FundingAllocation.objects.filter(region=region, year=year, source=source).exists():
        raise _allocation_exists(region, source, year)
    try:
        with transaction.atomic():
            allocation = FundingAllocation.objects.create(
                region=region, year=year, source=source, amount=amount, note=note, created_by=actor
            )
    except IntegrityError as exc:  # the same allocation created at the same moment by someone else
        raise _allocation_exists(region, source, year) from exc
    audit_record(
        actor=actor, action="allocation.create", target=allocation, region_code=region.code, data={"amount": amount}
    )
    return allocation


@transaction.atomic
def allocation_update(
    *, actor, allocation_id: int, amount: int, note: str | None = None, reason: str = ""
) -> FundingAllocation:
    # Locked like an approval: a revision below what approvals have committed must not slip in
    # between an approval's check and its commit.
    allocation = FundingAllocation.objects.select_for_update().get(pk=allocation_id)
    scope.require_role(actor, Role.LABOUR_OFFICE, region_code=regency_code(allocation.region_id))
    _check_amount(amount)
    committed = allocation_committed(allocation)
    if amount < committed:
        raise Conflict(
            _("Rp%(amount)s is less than the Rp%(committed)s already committed to approved batches.")
            % {
                "amount": number_format(amount, force_grouping=True),
                "committed": number_format(committed, force_grouping=True),
            }
        )
    old = allocation.amount
    allocation.amount = amount
    fields = ["amount", "updated_at"]
    if note is not None:
        allocation.note = note
        fields.append("note")
    allocation.save(update_fields=fields)
    audit_record(
        actor=actor,
        action="allocation.update",
        target=allocation,
        region_code=allocation.region_id,
        reason=reason,
        data={"from": old, "to": amount},
    )
    return allocation


# --- Batches --------------------------------------------------------------------------------------

# Far above any informal worker's declared income; a larger figure is a typing mistake.
MAX_DECLARED_INCOME = 100_000_000


@dataclass
class BatchTerms:
    kind: str
    regency_code: str
    funding_source: str
    year: int
    period_start: dt.date
    period_end: dt.date
    declared_income: int = 1_000_000
    programmes: list[str] = field(default_factory=lambda: list(DEFAULT_PROGRAMMES))
    decree_number: str = ""
    title: str = ""
    area_code: str | None = None


def _check_terms(terms: BatchTerms) -> tuple[Region, list[str]]:
    """The regency, and the programmes in canonical order; raises with every problem found."""
    errors: dict[str, list[str]] = {}
    regency = Region.objects.filter(code=terms.regency_code).first()
    if regency is None or regency.level != Region.Level.REGENCY:
        errors["regency"] = [_("Choose a regency or city (a code such as 35.26).")]
    if terms.kind not in BatchKind.values:
        errors["kind"] = [_("Unknown kind.")]
    if terms.funding_source not in FundingSource.values:
        errors["funding_source"] = [_("Unknown funding source.")]
    programmes = [p for p in Programme.values if p in set(terms.programmes or [])]
    unknown = set(terms.programmes or []) - set(Programme.values)
    if unknown:
        errors["programmes"] = [_("Unknown programme(s): %(names)s.") % {"names": ", ".join(sorted(unknown))}]
    elif not {Programme.JKK, Programme.JKM} <= set(programmes):
        errors["programmes"] = [_("JKK and JKM are always included; JHT is optional.")]
    if terms.period_start.day != 1:
        # Whole calendar months (DESIGN §3): BPJS premiums are monthly, so a period that began or
        # ended inside a month would pay for that month twice across two batches.
        errors["period_start"] = [_("The period starts on the first day of a month.")]
    if terms.period_end != month_end(terms.period_end):
        errors["period_end"] = [_("The period ends on the last day of a month.")]
    if terms.period_start > terms.period_end:
        errors["period_end"] = [_("The period ends before it starts.")]
    elif terms.period_start.year != terms.year or terms.period_end.year != terms.year:
        errors["period_start"] = [_("The period must lie within the budget year %(year)s.") % {"year": terms.year}]
    if not 0 < terms.declared_income <= MAX_DECLARED_INCOME:
        errors["declared_income"] = [
            _("Enter the declared monthly income in rupiah, at most %(max)s.")
            % {"max": number_format(MAX_DECLARED_INCOME, force_grouping=True)}
        ]
    elif problem := income_level_error(terms.declared_income, terms.period_start):
        # The regulation's table (data, IncomeLevel): no floor below Rp1,000,000, no level between.
        errors["declared_income"] = [problem]
    if Programme.JP in programmes and terms.kind != BatchKind.VILLAGE_OFFICIALS:
        errors["programmes"] = [_("JP (pension) is for wage earners: village officials only.")]
    if errors:
        raise ValidationFailed(_("The batch has invalid terms."), details=errors)
    return regency, programmes


def _default_area(actor, regency: Region) -> str:
    """A field officer's own area inside the regency when it is one subtree; else the regency."""
    if scope.has_role(actor, Role.LABOUR_OFFICE, regency.code) or scope.has_role(
        actor, Role.FIELD_OFFICER, regency.code
    ):
        return regency.code
    inside = [c for c in scope.root_codes(actor, [Role.FIELD_OFFICER]) if code_in_subtree(c, regency.code)]
    return inside[0] if len(inside) == 1 else regency.code


def _check_area(actor, terms: BatchTerms, regency: Region) -> Region:
    area_code = terms.area_code or _default_area(actor, regency)
    area = Region.objects.filter(code=area_code).first()
    if area is None or not code_in_subtree(area.code, regency.code):
        raise ValidationFailed(
            _("The area must lie inside the regency."),
            details={"area": [_("Choose a region inside %(r)s.") % {"r": regency}]},
        )
    if terms.funding_source in VILLAGE_SOURCES and area.level != Region.Level.VILLAGE:
        raise ValidationFailed(
            _("A batch paid from a village budget covers that one village."),
            details={"area": [_("Choose the village.")]},
        )
    if area.kind == Region.Kind.KELURAHAN:
        # A village budget may pay for a desa's officials and its vulnerable workers alike, but
        # a kelurahan has neither a village budget nor village officials. Officials batches for
        # a district or the regency are checked member by member (the importer refuses a
        # kelurahan's people in them).
        if terms.funding_source in VILLAGE_SOURCES:
            raise ValidationFailed(_kelurahan_has_no_apbdes(area), details={"area": [_("Choose a desa.")]})
        if terms.kind == BatchKind.VILLAGE_OFFICIALS:
            raise ValidationFailed(
                _(
                    "%(area)s is a kelurahan: it has no village officials (perangkat desa); its lurah and "
                    "staff are the regency's employees."
                )
                % {"area": area},
                details={"area": [_("Choose a desa.")]},
            )
    return area


def may_edit(actor, area_code: str, created_by_id: int | None) -> bool:
    """The labour office or a field officer of the whole area; or the field officer who drafted
    it for a wider area that holds their own districts (as `selectors.batches_visible_to` shows
    it to them)."""
    if scope.has_role(actor, Role.LABOUR_OFFICE, area_code) or scope.has_role(actor, Role.FIELD_OFFICER, area_code):
        return True
    return created_by_id == actor.pk and any(
        code_in_subtree(root, area_code) for root in scope.root_codes(actor, [Role.FIELD_OFFICER])
    )


def _require_editor(actor, batch: EnrollmentBatch) -> None:
    if not may_edit(actor, batch.area_id, batch.created_by_id):
        scope.require_role(actor, Role.LABOUR_OFFICE, Role.FIELD_OFFICER, region_code=batch.area_id)


def _state_error(batch: EnrollmentBatch, action: str) -> Conflict:
    return Conflict(
        _("Batch #%(id)s is %(state)s; it cannot be %(action)s from that state.")
        % {"id": batch.pk, "state": BatchState(batch.state).label, "action": action}
    )


def _lock(batch_id: int) -> EnrollmentBatch:
    return EnrollmentBatch.objects.select_for_update().get(pk=batch_id)


@transaction.atomic
def batch_create(*, actor, terms: BatchTerms) -> EnrollmentBatch:
    regency, programmes = _check_terms(terms)
    area = _check_area(actor, terms, regency)
    if not may_edit(actor, area.code, actor.pk):
        scope.require_role(actor, Role.LABOUR_OFFICE, Role.FIELD_OFFICER, region_code=area.code)
    batch = EnrollmentBatch(
        kind=terms.kind,
        regency=regency,
        area=area,
        funding_source=terms.funding_source,
        year=terms.year,
        period_start=terms.period_start,
        period_end=terms.period_end,
        declared_income=terms.declared_income,
        programmes=programmes,
        decree_number=terms.decree_number,
        title=terms.title,
        created_by=actor,
        state_changed_at=timezone.now(),
    )
    # A village officials' batch has no premium until its members bring their pay (batch_costs).
    batch.monthly_premium = (
        0
        if batch.is_officials
        else premium_monthly(programmes=programmes, declared_income=terms.declared_income, on_date=terms.period_start)
    )
    batch.save()
    audit_record(actor=actor, action="batch.create", target=batch, region_code=area.code, data={"to": batch.state})
    return batch


@transaction.atomic
def batch_update(*, actor, batch_id: int, terms: BatchTerms) -> EnrollmentBatch:
    """Change a draft's terms. The regency stays; members already on it stay and are re-costed."""
    batch = _lock(batch_id)
    _require_editor(actor, batch)
    if batch.state != BatchState.DRAFT:
        raise _state_error(batch, _("edited"))
    terms.regency_code = batch.regency_id
    regency, programmes = _check_terms(terms)
    terms.area_code = terms.area_code or batch.area_id
    area = _check_area(actor, terms, regency)
    if not may_edit(actor, area.code, batch.created_by_id):
        # An area outside the editor's regions is answered as a missing one, and the draft must
        # not move to where its editor could no longer see it.
        raise Http404(_("Not found."))
    outside = batch.members.exclude(participant__village__code__startswith=area.code + ".").exclude(
        participant__village__code=area.code
    )
    if area.code != batch.area_id and outside.exists():
        raise ValidationFailed(
            _("Some members live outside %(area)s; remove them first.") % {"area": area},
            details={"area": [_("Members live outside this area.")]},
        )
    for name in (
        "kind",
        "funding_source",
        "year",
        "period_start",
        "period_end",
        "declared_income",
        "decree_number",
        "title",
    ):
        setattr(batch, name, getattr(terms, name))
    batch.area = area
    batch.programmes = programmes
    # Each official's premium follows the programmes and the rates of the period's first month.
    members_reprice(batch)
    problems = _member_problems(batch)
    if problems:
        raise ValidationFailed(
            _("%(n)s member(s) do not fit the new terms; remove them or keep the old terms.") % {"n": len(problems)},
            details=problems,
        )
    batch_refresh_totals(batch)
    batch.save()
    audit_record(actor=actor, action="batch.update", target=batch, region_code=batch.area_id)
    return batch


def _member_problems(batch: EnrollmentBatch) -> list[dict]:
    """Members already on a draft checked again against its (changed) terms, as an import would
    check them: working age (15) and the age limit of government money, protection already active
    for an overlapping period, and a position and a desa for village officials."""
    members = batch.members.exclude(state=MemberState.REJECTED)
    problems = []
    start = batch.period_start
    # Born after this day: under 15 when the period starts (BPS working age; as the importer).
    youngest = start.replace(year=start.year - 15, day=min(start.day, 28) if start.month == 2 else start.day)
    for nik, name in members.filter(participant__birth_date__gt=youngest).values_list(
        "participant__nik", "participant__name"
    ):
        problems.append({"nik": mask_nik(nik), "name": name, "message": _("Under 15 when the period starts.")})
    if batch.requires_under_65:
        start = batch.period_start
        # Born on or before this day: 65 or older when the period starts (29 February → 28).
        limit = start.replace(year=start.year - 65, day=min(start.day, 28) if start.month == 2 else start.day)
        too_old = members.filter(participant__birth_date__lte=limit)
        for nik, name in too_old.values_list("participant__nik", "participant__name"):
            problems.append({"nik": mask_nik(nik), "name": name, "message": _("65 or older when the period starts.")})
    overlapping = (
        BatchMember.objects.filter(
            participant__in=members.values("participant"),
            state=MemberState.ACCEPTED,
            batch__state=BatchState.ACTIVE,
            batch__period_start__lte=batch.period_end,
            batch__period_end__gte=batch.period_start,
        )
        .exclude(batch=batch)
        .values_list("participant__nik", "participant__name", "batch_id")
    )
    for nik, name, other in overlapping:
        message = _("Already active in batch #%(id)s for an overlapping period.") % {"id": other}
        problems.append({"nik": mask_nik(nik), "name": name, "message": message})
    if batch.kind == BatchKind.VILLAGE_OFFICIALS:
        for nik, name in members.filter(position="").values_list("participant__nik", "participant__name"):
            problems.append({"nik": mask_nik(nik), "name": name, "message": _("A village official needs a position.")})
        in_kelurahan = members.filter(participant__village__kind=Region.Kind.KELURAHAN)
        for nik, name in in_kelurahan.values_list("participant__nik", "participant__name"):
            message = _("Lives in a kelurahan, which has no village officials.")
            problems.append({"nik": mask_nik(nik), "name": name, "message": message})
    return problems


def batch_refresh_totals(batch: EnrollmentBatch) -> None:
    """Members who count (pending or accepted), monthly premium and total cost: each month paid
    at its own rates (premiums.batch_costs) — the period, from the activation month when it was
    activated late (`paid_from`), up to `paid_until` once an active batch is cancelled. Every sum
    of committed money reads `total_cost`, so they all follow. The caller saves."""
    batch.member_count, batch.monthly_premium, batch.total_cost = batch_costs(batch)


# --- Four eyes on money (DESIGN §3) ---------------------------------------------------------------
# Who took each step is kept on the batch (`_transition`); the step an action may not follow by
# the same person: whoever submitted does not verify, whoever verified does not approve.
STEP_BY = {"submit": "submitted_by", "verify": "verified_by", "approve": "approved_by"}
FOUR_EYES = {"verify": "submit", "approve": "verify"}


def duty_barred(actor, batch: EnrollmentBatch, action: str) -> bool:
    """Whether four eyes keep `actor` from taking `action` on `batch` because they took the step
    before it (off when UCJ_SEPARATE_DUTIES is, for an office with a single clerk). The services
    refuse with it and the actions pages and the API offer are filtered with it: one rule."""
    step = FOUR_EYES.get(action)
    if step is None or not settings.UCJ_SEPARATE_DUTIES:
        return False
    done_by = getattr(batch, STEP_BY[step] + "_id")
    return done_by is not None and done_by == actor.pk


def _require_four_eyes(actor, batch: EnrollmentBatch, action: str) -> None:
    if not duty_barred(actor, batch, action):
        return
    regency = batch.regency.name
    if action == "verify":
        message = _("You submitted this batch; another labour-office user of %(regency)s must verify it.")
    else:
        message = _("You verified this batch; another labour-office user of %(regency)s must approve it.")
    raise Conflict(message % {"regency": regency})


def _transition(batch: EnrollmentBatch, *, actor, to: str, action: str, reason: str = "", data=None) -> None:
    before = batch.state
    data = dict(data or {})
    if action in STEP_BY:
        previous = FOUR_EYES.get(action)
        if previous and getattr(batch, STEP_BY[previous] + "_id") == actor.pk:
            # Only with UCJ_SEPARATE_DUTIES off: the history says plainly that four eyes were two.
            data["same_person_as"] = previous
        setattr(batch, STEP_BY[action], actor)
    elif action == "return":
        # Back to draft: the next submission and verification are a new round.
        batch.submitted_by = batch.verified_by = None
    batch.state = to
    batch.state_changed_at = timezone.now()
    batch.last_reason = reason
    batch.save(
        update_fields=[
            "state",
            "state_changed_at",
            "last_reason",
            "member_count",
            "monthly_premium",
            "total_cost",
            "paid_from",
            "submitted_by",
            "verified_by",
            "approved_by",
            "updated_at",
        ]
    )
    audit_record(
        actor=actor,
        action=f"batch.{action}",
        target=batch,
        region_code=batch.area_id,
        reason=reason,
        data={"from": before, "to": to, "members": batch.member_count, "total_cost": batch.total_cost, **data},
    )


def _require_reason(reason: str, action: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed(
            _("Give a reason to %(action)s a batch.") % {"action": action},
            details={"reason": [_("This field is required.")]},
        )
    return reason


@transaction.atomic
def batch_submit(*, actor, batch_id: int, reason: str = "") -> EnrollmentBatch:
    batch = _lock(batch_id)
    _require_editor(actor, batch)
    if batch.state != BatchState.DRAFT:
        raise _state_error(batch, _("submitted"))
    batch_refresh_totals(batch)
    if batch.member_count == 0:
        raise ValidationFailed(_("Add members before submitting the batch."))
    problems = _member_problems(batch)
    if problems:
        raise ValidationFailed(
            _("%(n)s member(s) do not fit the batch's terms; remove them first.") % {"n": len(problems)},
            details=problems,
        )
    _transition(batch, actor=actor, to=BatchState.SUBMITTED, action="submit", reason=reason)
    return batch


def _unacknowledged(warnings: list[dict]) -> list[dict]:
    return [w for w in warnings or [] if not w.get("acknowledged_at")]


def batch_unacknowledged_warnings(batch: EnrollmentBatch) -> list[dict]:
    """Members still carrying warnings nobody acknowledged (a NIK that disagrees with the row's sex
    or birth date, a district outside the regency or not in today's region tree, …):
    {"member", "participant", "nik" (masked), "name", "warnings": [{"row", "column", "message"}]}.
    Reads only the members with warnings, one query."""
    out = []
    members = (
        batch.members.exclude(state=MemberState.REJECTED)
        .exclude(warnings=[])
        .order_by("pk")
        .values_list("pk", "participant_id", "participant__nik", "participant__name", "warnings")
    )
    for pk, participant, nik, name, warnings in members:
        if pending := _unacknowledged(warnings):
            out.append(
                {"member": pk, "participant": participant, "nik": mask_nik(nik), "name": name, "warnings": pending}
            )
    return out


def _acknowledge_warnings(batch: EnrollmentBatch, pending: list[dict], actor) -> None:
    """Mark each warning of `pending` (batch_unacknowledged_warnings) acknowledged by `actor` now."""
    stamp = {"acknowledged_by": actor.get_username(), "acknowledged_by_id": actor.pk}
    stamp["acknowledged_at"] = timezone.now().isoformat()
    members = BatchMember.objects.filter(pk__in=[p["member"] for p in pending]).only("pk", "warnings")
    changed = []
    for member in members:
        member.warnings = [w if w.get("acknowledged_at") else {**w, **stamp} for w in member.warnings]
        changed.append(member)
    BatchMember.objects.bulk_update(changed, ["warnings"], batch_size=1000)


@transaction.atomic
def batch_verify(*, actor, batch_id: int, reason: str = "", acknowledge_warnings: bool = False) -> EnrollmentBatch:
    """Verify a submitted batch. Members' warnings (DESIGN §3: a sex or birth date that disagrees
    with the NIK because Dukcapil corrected the KTP, a NIK of another or a former district) are
    the verifier's to check against the KTP: while any is unacknowledged, verifying needs
    `acknowledge_warnings`, else 409 listing them. The acknowledgement is marked on each warning
    (by whom, when) and in the verification's audit entry."""
    batch = _lock(batch_id)
    scope.require_role(actor, Role.LABOUR_OFFICE, region_code=batch.regency_id)
    if batch.state != BatchState.SUBMITTED:
        raise _state_error(batch, _("verified"))
    _require_four_eyes(actor, batch, "verify")
    pending = batch_unacknowledged_warnings(batch)
    data = {}
    if pending:
        if not acknowledge_warnings:
            raise Conflict(
                _(
                    "%(n)s member(s) carry warnings to check against their KTP; verify again with the "
                    "warnings acknowledged."
                )
                % {"n": len(pending)},
                details=pending,
            )
        _acknowledge_warnings(batch, pending, actor)
        data = {
            "warnings_acknowledged_by": actor.get_username(),
            "warnings_acknowledged": sum(len(p["warnings"]) for p in pending),
            "members_with_warnings": [p["member"] for p in pending],
        }
    _transition(batch, actor=actor, to=BatchState.VERIFIED, action="verify", reason=reason, data=data)
    return batch


def allocation_for(batch: EnrollmentBatch):
    """The allocation a batch draws on: its funding source's money for its year, of the regency,
    or of its village for a village budget."""
    region = batch.area_id if batch.funding_source in VILLAGE_SOURCES else batch.regency_id
    return FundingAllocation.objects.filter(region_id=region, year=batch.year, source=batch.funding_source)


@transaction.atomic
def batch_approve(*, actor, batch_id: int, reason: str = "") -> EnrollmentBatch:
    batch = _lock(batch_id)
    scope.require_role(actor, Role.LABOUR_OFFICE, region_code=batch.regency_id)
    if batch.state != BatchState.VERIFIED:
        raise _state_error(batch, _("approved"))
    _require_four_eyes(actor, batch, "approve")
    # Lock the allocation row: two clerks approving at once must not overspend it. The second
    # waits here until the first commits, then sees its batch among the committed ones.
    allocation = allocation_for(batch).select_for_update().first()
    if allocation is None:
        raise Conflict(
            _("There is no %(source)s allocation for %(year)s to pay for this batch.")
            % {"source": FundingSource(batch.funding_source).label, "year": batch.year}
        )
    batch_refresh_totals(batch)
    committed = allocation_committed(allocation)
    if committed + batch.total_cost > allocation.amount:
        raise Conflict(
            _("The allocation cannot pay for this batch: it needs Rp%(needed)s and Rp%(remaining)s remain.")
            % {
                "needed": number_format(batch.total_cost, force_grouping=True),
                "remaining": number_format(max(allocation.amount - committed, 0), force_grouping=True),
            }
        )
    batch.allocation = allocation
    batch.save(update_fields=["allocation"])
    _transition(
        batch,
        actor=actor,
        to=BatchState.APPROVED,
        action="approve",
        reason=reason,
        data={"allocation": allocation.pk, "remaining_after": allocation.amount - committed - batch.total_cost},
    )
    return batch


@transaction.atomic
def batch_return(*, actor, batch_id: int, reason: str) -> EnrollmentBatch:
    reason = _require_reason(reason, _("return"))
    batch = _lock(batch_id)
    scope.require_role(actor, Role.LABOUR_OFFICE, region_code=batch.regency_id)
    if batch.state not in (BatchState.SUBMITTED, BatchState.VERIFIED):
        raise _state_error(batch, _("returned"))
    _transition(batch, actor=actor, to=BatchState.DRAFT, action="return", reason=reason)
    return batch


def _close_members(batch: EnrollmentBatch) -> None:
    """The members are no longer in an open batch: free to join another."""
    batch.members.update(is_open=False, updated_at=timezone.now())


@transaction.atomic
def batch_reject(*, actor, batch_id: int, reason: str) -> EnrollmentBatch:
    reason = _require_reason(reason, _("reject"))
    batch = _lock(batch_id)
    scope.require_role(actor, Role.LABOUR_OFFICE, region_code=batch.regency_id)
    if batch.state not in (BatchState.SUBMITTED, BatchState.VERIFIED):
        raise _state_error(batch, _("rejected"))
    # The people are free to join another batch.
    _close_members(batch)
    _transition(batch, actor=actor, to=BatchState.REJECTED, action="reject", reason=reason)
    return batch


@dataclass
class ActivationResult:
    matched: int
    unconfirmed: list[dict]  # members BPJS did not confirm: {"nik", "name"}
    errors: list[dict]  # confirmation lines that matched no member: {"row", "column", "message"}
    already_registered: int = 0  # of `matched`, those BPJS already had as active participants
    released: int = 0  # rupiah released for the months before the activation month


def activation_refused(batch: EnrollmentBatch, today: dt.date) -> Conflict | None:
    """Why the batch cannot be activated on `today` whatever its state: BPJS does not backdate
    protection, so a period that has ended can no longer be covered."""
    if today > batch.period_end:
        return Conflict(
            _(
                "The batch's period ended on %(end)s: BPJS does not backdate protection, so it can no longer be "
                "activated. Cancel it to release its money, and enroll the people in a batch for a current period."
            )
            % {"end": batch.period_end.strftime("%d/%m/%Y")}
        )
    return None


@transaction.atomic
def batch_activate(
    *, actor, batch_id: int, confirmations: dict[str, tuple], errors: list[dict] | None = None
) -> ActivationResult:
    """Record BPJS's confirmation: `confirmations` maps NIK → (row, KPJ card number[, already
    registered]) (lines already checked for form by the importer, which passes the lines it
    refused as `errors`). Confirmed members become accepted with their card number; members BPJS
    did not confirm are rejected and stop costing money; lines naming nobody on the batch are
    reported. A member BPJS says it already had is recorded, but does not add to UCJ's change
    since BPJS's count (`BatchMember.already_registered`).

    BPJS does not backdate protection: activated after its period began, the batch is paid from
    the activation month (`paid_from`) and the months before are released from the allocation;
    after its period ended it cannot be activated (409)."""
    batch = _lock(batch_id)
    scope.require_role(actor, Role.LABOUR_OFFICE, region_code=batch.regency_id)
    if batch.state != BatchState.APPROVED:
        raise _state_error(batch, _("activated"))
    today = timezone.localdate()
    if refused := activation_refused(batch, today):
        raise refused
    errors = list(errors or [])
    members = list(batch.members.exclude(state=MemberState.REJECTED).select_related("participant"))
    by_nik = {m.participant.nik: m for m in members}
    for nik, (row, *_rest) in confirmations.items():
        if nik not in by_nik:
            errors.append({"row": row, "column": "nik", "message": _("This NIK is not a member of the batch.")})
    matched = [m for nik, m in by_nik.items() if nik in confirmations]
    if not matched:
        raise ValidationFailed(
            _("No line of the confirmation matches a member of this batch; nothing was activated."), details=errors
        )
    now = timezone.now()
    participants = []
    for member in matched:
        member.participant.kpj = confirmations[member.participant.nik][1]
        member.participant.updated_at = now
        participants.append(member.participant)
    # Card numbers differ per person; the members' new states are two set-based updates.
    Participant.objects.bulk_update(participants, ["kpj", "updated_at"], batch_size=2000)
    known = {m.pk for m in matched if len(confirmations[m.participant.nik]) > 2 and confirmations[m.participant.nik][2]}
    # They count toward coverage from today (never before their period starts) to its end.
    covered_from = max(batch.period_start, today)
    for already, ids in ((False, [m.pk for m in matched if m.pk not in known]), (True, sorted(known))):
        for start in range(0, len(ids), 5000):
            BatchMember.objects.filter(pk__in=ids[start : start + 5000]).update(
                state=MemberState.ACCEPTED,
                reason="",
                updated_at=now,
                covered_from=covered_from,
                covered_until=batch.period_end,
                already_registered=already,
            )
    unconfirmed = [m for nik, m in by_nik.items() if nik not in confirmations]
    batch.members.filter(state=MemberState.PENDING).update(
        state=MemberState.REJECTED, reason=_("Not confirmed by BPJS."), updated_at=now
    )
    # Active members are no longer in an open batch: they may join a batch for a later period.
    _close_members(batch)
    data = {
        "confirmed": len(matched),
        "unconfirmed": len(unconfirmed),
        "unmatched_lines": len(errors),
        "new": len(matched) - len(known),
        "already_registered": len(known),
    }
    cost_before = batch.total_cost
    batch_refresh_totals(batch)  # the confirmed members, for the whole period
    released = 0
    first_month = today.replace(day=1)
    if first_month > batch.period_start:
        # No backdating: the months before the activation month are not paid, and their money
        # goes back to the allocation (the reservation shrinks to what is really paid).
        whole_period = batch.total_cost
        batch.paid_from = first_month
        batch_refresh_totals(batch)
        released = whole_period - batch.total_cost
        data.update(
            release="months_before_activation",
            paid_from=batch.paid_from.isoformat(),
            months_released=months_between(batch.period_start, batch.paid_from) - 1,
            released=released,
            cost_before=cost_before,
        )
    _transition(batch, actor=actor, to=BatchState.ACTIVE, action="activate", data=data)
    _mark_villages_stale(batch, reason="batch.activate")
    return ActivationResult(
        matched=len(matched),
        unconfirmed=[{"nik": m.participant.nik, "name": m.participant.name} for m in unconfirmed],
        errors=errors,
        already_registered=len(known),
        released=released,
    )


def _month_end(day: dt.date) -> dt.date:
    return month_end(day)


@transaction.atomic
def batch_cancel(*, actor, batch_id: int, reason: str = "") -> EnrollmentBatch:
    """Cancel an approved or active batch. An approved batch has paid nothing: all its money is
    released. An active batch keeps the months from its period's start through the month of
    cancellation (BPJS premiums are paid monthly in advance, so that month is paid) and releases
    the months after it; its members stop counting toward coverage on the day of cancellation."""
    batch = _lock(batch_id)
    scope.require_role(actor, Role.LABOUR_OFFICE, region_code=batch.regency_id)
    if batch.state not in (BatchState.APPROVED, BatchState.ACTIVE):
        raise _state_error(batch, _("cancelled"))
    today = timezone.localdate()
    cost_before, months_before = batch.total_cost, batch.paid_months
    if batch.state == BatchState.ACTIVE:
        _mark_villages_stale(batch, reason="batch.cancel")  # before the members are closed
        # They stop counting toward coverage today; the days they counted stay counted.
        yesterday = today - dt.timedelta(days=1)
        batch.members.filter(state=MemberState.ACCEPTED, covered_until__gt=yesterday).update(
            covered_until=yesterday, updated_at=timezone.now()
        )
        # The cost shrinks to the months paid; the allocation counts that much (RESERVES_MONEY).
        batch.paid_until = min(_month_end(today), batch.period_end)
        batch.save(update_fields=["paid_until"])
        batch_refresh_totals(batch)
        release = {"release": "months_not_covered", "paid_until": batch.paid_until.isoformat()}
    else:
        # Approved, not active: nobody was protected and nothing is paid. A cancelled batch
        # without `paid_until` reserves nothing; its total cost stays as the cost it would have had.
        release = {"release": "all"}
    released = cost_before - (batch.total_cost if batch.paid_until else 0)
    kept_months = batch.paid_months if batch.paid_until else 0
    _close_members(batch)
    _transition(
        batch,
        actor=actor,
        to=BatchState.CANCELLED,
        action="cancel",
        reason=reason,
        data={
            **release,
            "released": released,
            "months_kept": kept_months,
            "months_released": months_before - kept_months,
            "cost_before": cost_before,
        },
    )
    return batch


def _mark_villages_stale(batch: EnrollmentBatch, *, reason: str) -> None:
    villages = (
        batch.members.filter(state=MemberState.ACCEPTED).values_list("participant__village_id", flat=True).distinct()
    )
    coverage_mark_stale(region_codes=list(villages), reason=reason)


@transaction.atomic
def batch_members_remove(*, actor, batch_id: int, member_ids: list[int]) -> int:
    batch = _lock(batch_id)
    _require_editor(actor, batch)
    if batch.state != BatchState.DRAFT:
        raise _state_error(batch, _("edited"))
    removed, _detail = batch.members.filter(pk__in=member_ids).delete()
    batch_refresh_totals(batch)
    batch.save(update_fields=["member_count", "monthly_premium", "total_cost", "updated_at"])
    if removed:
        audit_record(
            actor=actor,
            action="batch.members_remove",
            target=batch,
            region_code=batch.area_id,
            data={"removed": removed},
        )
    return removed
