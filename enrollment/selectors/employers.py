"""Reads of employer compliance: the assessment of an employer's figures (pure), scoped lists,
and the due and overdue cases."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Case, Count, Q, QuerySet, Sum, Value, When
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from enrollment.models import (
    FINE_PER_MILLE_A_MONTH,
    MANDATORY_PROGRAMMES,
    STEP_ACTOR,
    STEP_LEGAL_BASIS,
    STEPS_WITH_DEADLINE,
    CaseState,
    ComplianceCase,
    ComplianceStatus,
    Employer,
    EmployerProgramme,
    Finding,
    StepKind,
    Track,
)
from ucj import scope
from ucj.models import ROOT_CODE, AuditEvent, Role
from ucj.workdays import add_working_days

# How many working days ahead a deadline counts as "due" on the labour office's list.
DUE_SOON_WORKING_DAYS = 3
# The findings whose cases register workers (and so add wage earners, PU, to coverage).
WORKERS_FINDINGS = (Finding.PWBD, Finding.PDS_WORKERS)


# --- Assessment -----------------------------------------------------------------------------------


@dataclass
class FindingDetail:
    finding: str
    gap_workers: int = 0
    gap_wages: int = 0  # rupiah a month
    missing_programmes: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return Finding(self.finding).label

    @property
    def explanation(self) -> str:
        return _explain(self)


@dataclass
class Assessment:
    status: str
    findings: list[FindingDetail]
    # What could not be compared, and why (a figure a side has not given).
    unknown: list[str]

    @property
    def gap_workers(self) -> int:
        # PWBD and PDS workers never come together (one needs a registration, the other none).
        return sum(f.gap_workers for f in self.findings if f.finding in (Finding.PWBD, Finding.PDS_WORKERS))

    @property
    def gap_wages(self) -> int:
        return sum(f.gap_wages for f in self.findings)

    def finding(self, code: str) -> FindingDetail | None:
        return next((f for f in self.findings if f.finding == code), None)


def wage_tolerance() -> Decimal:
    """How far (a fraction) the average wage (or the wage bill) registered with BPJS may lie below
    the reported one before it is PDS wages: rounding and a month's difference between the two lists are not fraud."""
    return Decimal(str(settings.UCJ_PDS_WAGE_TOLERANCE)) / 100


def _rp(amount) -> str:
    return "Rp" + number_format(int(amount), force_grouping=True)


def _n(value) -> str:
    return number_format(int(value), force_grouping=True)


def workers_unregistered(employer: Employer) -> int:
    """Workers reported to the labour office and not registered with BPJS: how many a case may
    still register when it closes (for a PWBD employer, nobody registered, every reported worker)."""
    return max((employer.reported_workers or 0) - (employer.bpjs_workers or 0), 0)


def employer_is_registered(employer: Employer) -> bool:
    return bool(employer.npp) or bool(employer.bpjs_workers)


def employer_assess(employer: Employer, *, tolerance: Decimal | None = None) -> Assessment:
    """The findings of an employer from its two sides' figures. Pure: no queries.

    - PWBD: no BPJS registration (no NPP, nobody registered) while the labour office was told of
      at least one worker;
    - PDS workers: fewer workers registered than reported (gap: the difference, and their wages
      at the reported average);
    - PDS wages: the average wage registered below the reported average by more than the
      tolerance (gap: the difference over the registered workers, a month); when BPJS counts more
      workers than were reported, the wage bills instead (gap: their difference);
    - PDS programme: a programme mandatory for the employer's size missing (Perpres 109/2013).
    Averages are compared (unless BPJS counts more workers), not wage bills, so that unregistered
    workers are not counted twice."""
    tolerance = wage_tolerance() if tolerance is None else tolerance
    findings: list[FindingDetail] = []
    unknown: list[str] = []
    reported_workers, reported_wages = employer.reported_workers, employer.reported_wages
    bpjs_workers, bpjs_wages = employer.bpjs_workers, employer.bpjs_wages

    if not employer_is_registered(employer):
        if reported_workers is None:
            unknown.append(_("The labour office has no report of this employer's workers."))
        elif reported_workers > 0:
            findings.append(FindingDetail(Finding.PWBD, gap_workers=reported_workers, gap_wages=reported_wages or 0))
        return _assessment(findings, unknown)

    if reported_workers is None:
        unknown.append(_("The labour office has no report of this employer's workers."))
    if bpjs_workers is None:
        unknown.append(_("BPJS's list gives no count of registered workers."))
    average_reported = (
        Decimal(reported_wages) / reported_workers if reported_wages is not None and reported_workers else None
    )
    if reported_workers is not None and bpjs_workers is not None and bpjs_workers < reported_workers:
        gap = reported_workers - bpjs_workers
        wages = (average_reported * gap).quantize(Decimal(1), ROUND_HALF_UP) if average_reported is not None else 0
        findings.append(FindingDetail(Finding.PDS_WORKERS, gap_workers=gap, gap_wages=int(wages)))

    if average_reported is None:
        unknown.append(_("The labour office has no report of this employer's wages."))
    elif bpjs_wages is None or not bpjs_workers:
        unknown.append(_("BPJS's list gives no registered wages."))
    elif bpjs_workers > reported_workers:
        # More workers registered than reported (the report is older, or counted differently):
        # the same wage bill spread over more people lowers the average without hiding a rupiah,
        # so the bills are compared.
        if bpjs_wages < reported_wages * (1 - tolerance):
            findings.append(FindingDetail(Finding.PDS_WAGES, gap_wages=reported_wages - bpjs_wages))
    else:
        average_registered = Decimal(bpjs_wages) / bpjs_workers
        if average_registered < average_reported * (1 - tolerance):
            gap = ((average_reported - average_registered) * bpjs_workers).quantize(Decimal(1), ROUND_HALF_UP)
            findings.append(FindingDetail(Finding.PDS_WAGES, gap_wages=int(gap)))

    if not employer.bpjs_programmes:
        unknown.append(_("BPJS's list gives no programmes."))
    else:
        registered = set(employer.bpjs_programmes)
        missing = [p for p in MANDATORY_PROGRAMMES[employer.size] if p not in registered]
        if missing:
            findings.append(
                FindingDetail(Finding.PDS_PROGRAMME, gap_workers=bpjs_workers or 0, missing_programmes=missing)
            )
    return _assessment(findings, unknown)


def _assessment(findings: list[FindingDetail], unknown: list[str]) -> Assessment:
    if findings:
        status = ComplianceStatus.FINDINGS
    elif unknown:
        status = ComplianceStatus.UNASSESSED
    else:
        status = ComplianceStatus.COMPLIANT
    return Assessment(status=status.value, findings=findings, unknown=unknown)


def _explain(detail: FindingDetail) -> str:
    if detail.finding == Finding.PWBD:
        return _(
            "Not registered with BPJS Ketenagakerjaan although %(workers)s workers were reported to the labour office."
        ) % {"workers": _n(detail.gap_workers)}
    if detail.finding == Finding.PDS_WORKERS:
        return _("%(workers)s reported workers are not registered (%(wages)s of wages a month).") % {
            "workers": _n(detail.gap_workers),
            "wages": _rp(detail.gap_wages),
        }
    if detail.finding == Finding.PDS_WAGES:
        return _("Registered wages are %(wages)s a month below the reported ones.") % {"wages": _rp(detail.gap_wages)}
    names = ", ".join(str(EmployerProgramme(p).label) for p in detail.missing_programmes)
    return _("Missing mandatory programmes: %(programmes)s.") % {"programmes": names}


# --- Scoped querysets -----------------------------------------------------------------------------


def employers_visible_to(user) -> QuerySet[Employer]:
    """Employers in the user's regions (by their village): a field officer sees those of the
    villages they work in, the labour office its regency's."""
    return scope.visible(user, Employer.objects.select_related("village", "regency"), "village__code")


def cases_visible_to(user) -> QuerySet[ComplianceCase]:
    return scope.visible(
        user,
        ComplianceCase.objects.select_related("employer", "employer__village", "regency"),
        "employer__village__code",
    )


def may_run_cases(user, employer: Employer) -> bool:
    """Cases, like the figures they rest on, belong to the labour office of the employer's
    regency (and administrators)."""
    return scope.has_role(user, Role.LABOUR_OFFICE, employer.village_id) or scope.has_role(
        user, Role.ADMIN, employer.village_id
    )


# --- Lists ----------------------------------------------------------------------------------------


def employers_filter(
    employers: QuerySet[Employer],
    *,
    status: str = "",
    finding: str = "",
    sector: str = "",
    district: str = "",
    overdue: bool = False,
    query: str = "",
    today: dt.date | None = None,
) -> QuerySet[Employer]:
    """The employer list's filters. `status` is a ComplianceStatus or a Finding code."""
    if status in ComplianceStatus.values:
        employers = employers.filter(status=status)
    code = finding or (status if status in Finding.values else "")
    if code:
        employers = employers.filter(**{code: True})
    if sector:
        employers = employers.filter(sector=sector)
    if district:
        employers = employers.filter(village__code__startswith=district + ".")
    if overdue:
        today = today or timezone.localdate()
        employers = employers.filter(cases__state=CaseState.OPEN, cases__due_on__lt=today).distinct()
    if query:
        digits = query.strip()
        employers = employers.filter(
            Q(name__icontains=query.strip())
            | Q(npp=digits.upper())
            | Q(nib=digits)
            | Q(address__icontains=query.strip())
        )
    return employers


def cases_overdue(cases: QuerySet[ComplianceCase], *, today: dt.date | None = None) -> QuerySet[ComplianceCase]:
    """Open cases whose employer's deadline has passed with no next step taken."""
    today = today or timezone.localdate()
    return cases.filter(state=CaseState.OPEN, due_on__lt=today).order_by("due_on", "id")


def cases_due(cases: QuerySet[ComplianceCase], *, today: dt.date | None = None) -> QuerySet[ComplianceCase]:
    """Open cases whose deadline falls today or in the next few working days."""
    today = today or timezone.localdate()
    # A horizon, not a deadline: counted with whatever holidays are loaded.
    horizon = add_working_days(today, DUE_SOON_WORKING_DAYS, require_loaded=False)
    return cases.filter(state=CaseState.OPEN, due_on__gte=today, due_on__lte=horizon).order_by("due_on", "id")


def compliance_summary(*, employers: QuerySet[Employer], cases: QuerySet[ComplianceCase], today=None) -> dict:
    """Counts for a region's page: employers per status and finding, workers and wages at stake,
    open and overdue cases. Two queries."""
    today = today or timezone.localdate()
    row = employers.aggregate(
        employers=Count("id"),
        compliant=Count("id", filter=Q(status=ComplianceStatus.COMPLIANT)),
        with_findings=Count("id", filter=Q(status=ComplianceStatus.FINDINGS)),
        unassessed=Count("id", filter=Q(status=ComplianceStatus.UNASSESSED)),
        pds_workers=Count("id", filter=Q(pds_workers=True)),
        pds_wages=Count("id", filter=Q(pds_wages=True)),
        pds_programme=Count("id", filter=Q(pds_programme=True)),
        pwbd=Count("id", filter=Q(pwbd=True)),
        gap_workers=Sum("gap_workers"),
        gap_wages=Sum("gap_wages"),
    )
    row.update(
        cases.aggregate(
            cases_open=Count("id", filter=Q(state=CaseState.OPEN)),
            cases_overdue=Count("id", filter=Q(state=CaseState.OPEN, due_on__lt=today)),
            workers_added=Sum("workers_added", filter=Q(state=CaseState.CLOSED)),
        )
    )
    for key in ("gap_workers", "gap_wages", "workers_added"):
        row[key] = row[key] or 0
    return row


def case_steps(case: ComplianceCase):
    return case.steps.select_related("recorded_by").order_by("taken_on", "id")


def case_history(case: ComplianceCase):
    return AuditEvent.objects.filter(target_type="enrollment.compliancecase", target_id=str(case.pk)).select_related(
        "actor"
    )


def employer_cases(employer: Employer):
    """The employer's cases: open ones first, then the newest."""
    open_first = Case(When(state=CaseState.OPEN, then=Value(0)), default=Value(1))
    return employer.cases.order_by(open_first, "-opened_on", "-id")


def case_actions_for(*, user, case: ComplianceCase, today: dt.date | None = None) -> list[str]:
    """What the user may do with a case now: the next step of each track whose employer's
    deadline is not running, and closing."""
    if case.state != CaseState.OPEN or not may_run_cases(user, case.employer):
        return []
    steps = [
        kind
        for track in Track.values
        if (kind := case.next_step_in(track)) and not case_waiting(case, track, today=today)
    ]
    return [*steps, "close"]


def case_waiting(case: ComplianceCase, track: str, *, today: dt.date | None = None) -> bool:
    """True while the employer's deadline of the track's last step runs: the track's next step
    must wait for it (the services refuse it until then)."""
    today = today or timezone.localdate()
    due_on = case.track_due_on(track)
    return case.track_step(track) in STEPS_WITH_DEADLINE and due_on is not None and due_on >= today


@dataclass
class TrackState:
    """Where a case stands in one track, for the pages and the API."""

    track: str
    label: str
    last_step: str
    next_step: str | None
    due_on: dt.date | None
    waiting: bool

    @property
    def last_step_label(self) -> str:
        return StepKind(self.last_step).label if self.last_step else ""

    @property
    def next_step_label(self) -> str:
        return StepKind(self.next_step).label if self.next_step else ""

    @property
    def next_actor(self) -> str:
        return STEP_ACTOR[self.next_step].value if self.next_step else ""

    @property
    def next_actor_label(self) -> str:
        return STEP_ACTOR[self.next_step].label if self.next_step else ""

    @property
    def next_legal_basis(self) -> str:
        return STEP_LEGAL_BASIS[self.next_step] if self.next_step else ""


def case_tracks(case: ComplianceCase, *, today: dt.date | None = None) -> list[TrackState]:
    """Both tracks of a case, BPJS's first: the last step, the next one, the deadline running.
    No query (the case row holds each track's state)."""
    today = today or timezone.localdate()
    return [
        TrackState(
            track=track.value,
            label=track.label,
            last_step=case.track_step(track),
            next_step=case.next_step_in(track),
            due_on=case.track_due_on(track),
            waiting=case_waiting(case, track, today=today),
        )
        for track in Track
    ]


def fine_for(*, premiums_owed: int, months: int) -> int:
    """BPJS's fine (PP 86/2013 art. 7(3)): 0.1 % a month of the premiums that should have been
    paid, for the months since the second written warning ended. Rp10,000,000 owed for 3 months
    is Rp30,000. Whole rupiah, half a rupiah rounded up."""
    amount = Decimal(premiums_owed) * months * FINE_PER_MILLE_A_MONTH / 1000
    return int(amount.quantize(Decimal(1), ROUND_HALF_UP))


# --- Coverage -------------------------------------------------------------------------------------


def _closed_with_workers():
    """Closed cases that registered workers: only PWBD and PDS-workers cases add people (the
    services refuse workers on the others; the filter keeps older rows honest too)."""
    return ComplianceCase.objects.filter(
        state=CaseState.CLOSED, workers_added__gt=0, finding__in=WORKERS_FINDINGS, village__isnull=False
    )


def compliance_pu_by_village(*, day, village_codes=None) -> dict[str, int]:
    """Workers registered through closed cases by `day`, per village of the employer on the
    closing day (kept on the case): wage earners (PU) UCJ brought in."""
    cases = _closed_with_workers().filter(closed_on__lte=day)
    codes = sorted(set(village_codes)) if village_codes is not None else None
    out: dict[str, int] = {}
    for start in range(0, len(codes), 2_000) if codes is not None else [None]:
        chunk = cases if start is None else cases.filter(village_id__in=codes[start : start + 2_000])
        for row in chunk.values("village_id").annotate(n=Sum("workers_added")).order_by():
            out[row["village_id"]] = row["n"]
    return out


def compliance_pu_in_region(*, region_code: str, day) -> int:
    """Workers registered through cases closed by `day` in the region, by the case's village."""
    cases = _closed_with_workers().filter(closed_on__lte=day)
    if region_code != ROOT_CODE:
        cases = cases.filter(scope.subtree_q([region_code], "village__code"))
    return cases.aggregate(n=Sum("workers_added"))["n"] or 0


def compliance_pu_change(*, region_code: str, since, day) -> int:
    """Workers registered through cases closed after BPJS's count of `since`, up to `day` (those
    closed earlier are in BPJS's count already), in the region by the case's village."""
    if since >= day:
        return 0
    cases = _closed_with_workers().filter(closed_on__gt=since, closed_on__lte=day)
    if region_code != ROOT_CODE:
        # Region foreign keys hold the code: the subtree is a prefix (Django needs no join for it).
        cases = cases.filter(scope.subtree_q([region_code], "village__code"))
    return cases.aggregate(n=Sum("workers_added"))["n"] or 0
