"""Pages of employer compliance: the employer list and page (both sides' figures, findings, cases,
visits from outreach), registering and editing employers, importing the labour office's and
BPJS's lists, the labour office's work list of cases and the case page with its escalation.

Thin by design: every object is fetched through the scoped selectors (an outsider gets 404),
every change is a service call, and a refusal comes back on the form it came from."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from enrollment import selectors, services
from enrollment.forms import (
    EMPLOYER_WRITER_ROLES,
    CaseCloseForm,
    CaseOpenForm,
    CaseStepForm,
    EmployerFilterForm,
    EmployerForm,
    EmployerImportForm,
    add_service_errors,
)
from enrollment.models import (
    MANDATORY_PROGRAMMES,
    STEP_ACTOR,
    STEP_LEGAL_BASIS,
    TRACK_STEPS,
    CaseState,
    ComplianceCase,
    Employer,
    EmployerProgramme,
    Finding,
    StepKind,
    Track,
)
from enrollment.services.employer_imports import employers_import
from ucj import scope, sheets
from ucj.audit import action_label
from ucj.errors import ApplicationError, ValidationFailed
from ucj.models import Region
from ucj.workdays import WorkingCalendar, add_working_days

EMPLOYERS_PER_PAGE = 50
# Each section of the work list shows this many cases; the counts say how many there are.
CASES_PER_SECTION = 100
VISITS_SHOWN = 20
# A refused import shows this many problems on the page; the downloadable report holds more.


def _employer_or_404(request, pk) -> Employer:
    return get_object_or_404(selectors.employers_visible_to(request.user), pk=pk)


def _case_or_404(request, pk) -> ComplianceCase:
    cases = selectors.cases_visible_to(request.user).select_related(
        "opened_by", "closed_by", "employer__regency", "village"
    )
    return get_object_or_404(cases, pk=pk)


def _may_write(user) -> bool:
    return bool(scope.roles_of(user) & set(EMPLOYER_WRITER_ROLES))


def _require_writer(user) -> None:
    if not _may_write(user):
        raise PermissionDenied(_("Only the labour office registers employers and runs compliance cases."))


def _require_case_runner(user, employer: Employer) -> None:
    if not selectors.may_run_cases(user, employer):
        raise PermissionDenied(_("Only the labour office of the employer's regency runs its cases."))


def _n(value) -> str:
    return number_format(value, force_grouping=True)


# --- Employers ------------------------------------------------------------------------------------


@require_GET
def employer_list(request):
    user = request.user
    today = timezone.localdate()
    visible = selectors.employers_visible_to(user)
    filters = EmployerFilterForm(request.GET or None, user=user)
    employers = filters.filter(visible, today=today).order_by("name", "id")
    page = Paginator(employers, EMPLOYERS_PER_PAGE).get_page(request.GET.get("page"))
    rows = list(page)
    # Open and overdue cases of the employers shown: one query for the whole page.
    counts = {
        row["employer_id"]: row
        for row in ComplianceCase.objects.filter(employer_id__in=[e.pk for e in rows], state=CaseState.OPEN)
        .values("employer_id")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_on__lt=today)))
        .order_by()
    }
    for employer in rows:
        employer.open_cases = counts.get(employer.pk, {}).get("open", 0)
        employer.overdue_cases = counts.get(employer.pk, {}).get("overdue", 0)
    summary = selectors.compliance_summary(employers=visible, cases=selectors.cases_visible_to(user), today=today)
    current = filters.cleaned_data.get("status", "") if filters.is_bound and filters.is_valid() else ""
    chips = [
        ("", _("All"), summary["employers"]),
        ("compliant", _("compliant"), summary["compliant"]),
        (Finding.PDS_WORKERS, _("PDS workers"), summary["pds_workers"]),
        (Finding.PDS_WAGES, _("PDS wages"), summary["pds_wages"]),
        (Finding.PDS_PROGRAMME, _("PDS programme"), summary["pds_programme"]),
        (Finding.PWBD, _("PWBD"), summary["pwbd"]),
        ("unassessed", _("not assessed"), summary["unassessed"]),
    ]
    return render(
        request,
        "enrollment/employer_list.html",
        {
            "filters": filters,
            "page": page,
            "employers": rows,
            "chips": chips,
            "current_status": current,
            "summary": summary,
            "may_write": _may_write(user),
        },
    )


def _figure_sides(employer: Employer) -> list[dict]:
    return [
        {
            "title": _("Reported to the labour office"),
            "subtitle": _("WLKP, keyed by NIB"),
            "workers": employer.reported_workers,
            "wages": employer.reported_wages,
            "programmes": None,
            "source": employer.reported_source,
            "as_of": employer.reported_as_of,
        },
        {
            "title": _("Registered with BPJS Ketenagakerjaan"),
            "subtitle": _("the branch's list, keyed by NPP"),
            "workers": employer.bpjs_workers,
            "wages": employer.bpjs_wages,
            "programmes": [p.upper() for p in employer.bpjs_programmes or []],
            "source": employer.bpjs_source,
            "as_of": employer.bpjs_as_of,
        },
    ]


def _average(wages, workers):
    return round(wages / workers) if wages is not None and workers else None


@require_GET
def employer_detail(request, pk):
    user = request.user
    employer = _employer_or_404(request, pk)
    assessment = selectors.employer_assess(employer)
    cases = list(selectors.employer_cases(employer))
    open_findings = {case.finding for case in cases if case.state == CaseState.OPEN}
    may_run = selectors.may_run_cases(user, employer)
    findings = []
    for detail in assessment.findings:
        findings.append(
            {
                "detail": detail,
                "open_case": next(
                    (c for c in cases if c.state == CaseState.OPEN and c.finding == detail.finding), None
                ),
                "form": CaseOpenForm(initial={"finding": detail.finding}, auto_id=f"open_{detail.finding}_%s")
                if may_run and detail.finding not in open_findings
                else None,
            }
        )
    visits = (
        employer.visits.select_related("created_by")
        .prefetch_related("officers")
        .order_by("-date", "-id")[:VISITS_SHOWN]
    )
    sides = _figure_sides(employer)
    sides[0]["average"] = _average(employer.reported_wages, employer.reported_workers)
    sides[1]["average"] = _average(employer.bpjs_wages, employer.bpjs_workers)
    return render(
        request,
        "enrollment/employer_detail.html",
        {
            "employer": employer,
            "sides": sides,
            "mandatory": [p.upper() for p in MANDATORY_PROGRAMMES[employer.size]],
            "assessment": assessment,
            "findings": findings,
            "cases": cases,
            "visits": [_visit_row(event) for event in visits],
            "may_run": may_run,
            "tolerance": settings.UCJ_PDS_WAGE_TOLERANCE,
        },
    )


def _visit_row(event) -> dict:
    officers = {event.created_by, *event.officers.all()}
    return {
        "event": event,
        "officers": sorted((u.get_full_name() or u.get_username() for u in officers), key=str.lower),
    }


@require_http_methods(["GET", "POST"])
def employer_create(request):
    user = request.user
    _require_writer(user)
    form = EmployerForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            employer = services.employer_create(actor=user, data=form.data_for_service())
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s registered.") % {"name": employer.name})
            return redirect(employer)
    return render(request, "enrollment/employer_form.html", {"form": form, "employer": None})


@require_http_methods(["GET", "POST"])
def employer_edit(request, pk):
    user = request.user
    employer = _employer_or_404(request, pk)
    _require_case_runner(user, employer)
    form = EmployerForm(request.POST or None, user=user, employer=employer)
    if request.method == "POST" and form.is_valid():
        try:
            services.employer_update(actor=user, employer_id=employer.pk, changes=form.data_for_service())
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The employer was saved."))
            return redirect(employer)
    return render(request, "enrollment/employer_form.html", {"form": form, "employer": employer})


def _import_regency(user, code: str) -> Region | None:
    """The regency an import goes to, when the user runs the labour office's work there."""
    region = Region.objects.filter(code=code, level=Region.Level.REGENCY).first()
    if region is None:
        return None
    if not any(scope.has_role(user, role, region.code) for role in EMPLOYER_WRITER_ROLES):
        return None
    return region


@require_http_methods(["GET", "POST"])
def employer_import(request):
    user = request.user
    _require_writer(user)
    form = EmployerImportForm(request.POST or None, request.FILES or None, user=user)
    report, errors = None, []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        regency = _import_regency(user, data["regency"])
        if regency is None:
            form.add_error("regency", _("Choose a regency where you work for the labour office."))
        else:
            filename, content = form.content()
            try:
                report = employers_import(
                    actor=user,
                    regency_code=regency.code,
                    kind=data["kind"],
                    content=content,
                    filename=filename,
                    source=data["source"].strip(),
                    as_of=data["as_of"],
                )
            except ValidationFailed as exc:
                if isinstance(exc.details, list):
                    form.add_error(None, exc.message)
                    errors = exc.details
                else:
                    add_service_errors(form, exc)
            except ApplicationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _(
                        "%(name)s: %(rows)s rows read, %(created)s employers new, %(updated)s changed, "
                        "%(unmatched)s not matched."
                    )
                    % {
                        "name": filename,
                        "rows": _n(report.rows),
                        "created": _n(report.created),
                        "updated": _n(report.updated),
                        "unmatched": _n(len(report.unmatched)),
                    },
                )
    return render(
        request,
        "enrollment/employer_import.html",
        {
            "form": form,
            "report": report,
            "matched_by": _matched_by(report) if report else [],
            **sheets.errors_for_page(errors),
        },
    )


def _matched_by(report) -> list[tuple[str, int]]:
    labels = {"npp": _("Matched by NPP"), "nib": _("Matched by NIB"), "name": _("Matched by name and village")}
    return [(labels.get(key, key), n) for key, n in (report.matched_by or {}).items()]


# --- Cases ----------------------------------------------------------------------------------------


@require_POST
def case_open(request, pk):
    user = request.user
    employer = _employer_or_404(request, pk)
    _require_case_runner(user, employer)
    form = CaseOpenForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(employer)
    data = form.cleaned_data
    try:
        case = services.case_open(
            actor=user,
            employer_id=employer.pk,
            finding=data["finding"],
            opened_on=data["opened_on"],
            notes=data["notes"],
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(employer)
    messages.success(
        request,
        _("Case #%(id)s opened: its first step is due by %(date)s.")
        % {"id": case.pk, "date": date_format(case.due_on, "d/m/Y")},
    )
    return redirect(case)


def _track_rows(case: ComplianceCase, steps: list, *, actions: list[str], forms: dict, today) -> list[dict]:
    """Each track in its order, with who acts at each step: the steps taken, the next one (with
    its form when the user may record it now, or the employer's deadline it waits for), those
    that may follow. A step missing before one taken (data from before these steps) is "skipped"."""
    taken = {step.kind: step for step in steps}
    tracks = []
    for track_state in selectors.case_tracks(case, today=today):
        order = TRACK_STEPS[Track(track_state.track)]
        last_index = max((i for i, kind in enumerate(order) if kind.value in taken), default=-1)
        rows = []
        for index, kind in enumerate(order):
            step = taken.get(kind.value)
            if step is not None:
                state = "done"
            elif kind.value == track_state.next_step:
                state = "next"
            elif index < last_index:
                state = "skipped"
            else:
                state = "later"
            rows.append(
                {
                    "kind": kind,
                    "label": kind.label,
                    "actor": STEP_ACTOR[kind].label,
                    "legal_basis": STEP_LEGAL_BASIS[kind],
                    "step": step,
                    "state": state,
                }
            )
        next_step = track_state.next_step
        form = None
        if next_step in actions:
            form = forms.get(next_step) or CaseStepForm(kind=next_step)
        tracks.append({"state": track_state, "rows": rows, "form": form})
    return tracks


def _history_label(action: str) -> str:
    return action_label(action)  # every action's words are in ucj.audit


def _case_page(request, case: ComplianceCase, *, step_form=None, close_form=None, status=200):
    user = request.user
    today = timezone.localdate()
    actions = selectors.case_actions_for(user=user, case=case, today=today)
    if "close" in actions and close_form is None:
        close_form = CaseCloseForm()
    steps = list(selectors.case_steps(case))
    days = WorkingCalendar([case.due_on], today, case.regency_id)
    # Overdue by the date, as the work list and the API; the working days late are only told.
    overdue = case.state == CaseState.OPEN and case.due_on is not None and case.due_on < today
    history = [
        {"event": event, "label": _history_label(event.action), "data": event.data or {}}
        for event in selectors.case_history(case)
    ]
    forms = {step_form.kind: step_form} if step_form is not None else {}
    tracks = _track_rows(case, steps, actions=actions, forms=forms, today=today)
    fine = next((step for step in steps if step.kind == StepKind.FINE), None)
    return render(
        request,
        "enrollment/case_detail.html",
        {
            "case": case,
            "employer": case.employer,
            "tracks": tracks,
            "step_forms": any(track["form"] for track in tracks),
            "fine": fine,
            "step_form": step_form,
            "close_form": close_form if "close" in actions else None,
            "overdue": overdue,
            "overdue_days": days.late(case.due_on) if overdue else 0,
            "history": history,
            "workers_finding": case.finding in selectors.WORKERS_FINDINGS,
            "workers_gap": selectors.workers_unregistered(case.employer),
            "programmes_added": [EmployerProgramme(p).label for p in case.programmes_added or []],
        },
        status=status,
    )


@require_GET
def case_detail(request, pk):
    return _case_page(request, _case_or_404(request, pk))


@require_POST
def case_step(request, pk):
    user = request.user
    case = _case_or_404(request, pk)
    _require_case_runner(user, case.employer)
    kind = request.POST.get("kind", "")
    form = CaseStepForm(request.POST, kind=kind if kind in StepKind.values else "")
    if form.is_valid():
        try:
            step = services.case_step_record(actor=user, case_id=case.pk, **form.data_for_service())
        except ApplicationError as exc:
            add_service_errors(form, exc)
            messages.error(request, exc.message)
        else:
            message = _("%(step)s recorded.") % {"step": step.get_kind_display().capitalize()}
            if step.fine_amount is not None:
                message += " " + _("Fine: Rp%(amount)s.") % {"amount": _n(step.fine_amount)}
            if step.due_on:
                message += " " + _("The employer has until %(date)s.") % {"date": date_format(step.due_on, "d/m/Y")}
            messages.success(request, message)
            return redirect(case)
    return _case_page(request, case, step_form=form)


@require_POST
def case_close(request, pk):
    user = request.user
    case = _case_or_404(request, pk)
    _require_case_runner(user, case.employer)
    form = CaseCloseForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.case_close(
                actor=user,
                case_id=case.pk,
                outcome=data["outcome"],
                workers_added=data["workers_added"],
                wages_added=data["wages_added"],
                programmes_added=data["programmes_added"],
                closed_on=data["closed_on"],
                notes=data["notes"],
            )
        except ApplicationError as exc:
            add_service_errors(form, exc)
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Case #%(id)s closed.") % {"id": case.pk})
            return redirect(case)
    return _case_page(request, case, close_form=form)


# --- The labour office's work list ----------------------------------------------------------------


@require_GET
def compliance_list(request):
    """Open cases of the user's regions: overdue first (longest first), then those due in the next
    few working days, then the rest."""
    user = request.user
    today = timezone.localdate()
    cases = selectors.cases_visible_to(user)
    overdue = selectors.cases_overdue(cases, today=today)
    due = selectors.cases_due(cases, today=today)
    horizon = add_working_days(today, selectors.DUE_SOON_WORKING_DAYS, require_loaded=False)
    others = (
        cases.filter(state=CaseState.OPEN)
        .filter(Q(due_on__isnull=True) | Q(due_on__gt=horizon))
        .order_by("due_on", "opened_on", "id")
    )
    sections = []
    for key, title, queryset in (
        ("overdue", _("Overdue"), overdue),
        ("due", _("Due in the next few working days"), due),
        ("open", _("Other open cases"), others),
    ):
        rows = list(queryset[:CASES_PER_SECTION])
        count = len(rows) if len(rows) < CASES_PER_SECTION else queryset.count()
        sections.append({"key": key, "title": title, "cases": rows, "count": count})
    shown = [c for s in sections for c in s["cases"]]
    # One query for the holidays of every regency shown (each case counts its own).
    days = WorkingCalendar([c.due_on for c in shown], today, regions={c.regency_id for c in shown})
    for section in sections:
        for case in section["cases"]:
            # Overdue is decided by the date (as `cases_overdue`): a deadline of Friday is overdue on
            # Saturday although no working day has passed; the working days late are only told.
            case.overdue = case.due_on is not None and case.due_on < today
            case.due_today = case.due_on == today
            case.days_late = days.late(case.due_on, case.regency_id)
            case.days_left = days.left(case.due_on, case.regency_id)
            case.tracks = selectors.case_tracks(case, today=today)
    return render(
        request,
        "enrollment/compliance_list.html",
        {"sections": sections, "today": today},
    )


__all__ = [
    "case_close",
    "case_detail",
    "case_open",
    "case_step",
    "compliance_list",
    "employer_create",
    "employer_detail",
    "employer_edit",
    "employer_import",
    "employer_list",
]
