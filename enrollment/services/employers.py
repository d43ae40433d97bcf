"""Employers and compliance cases (DESIGN §1 "employer compliance", §3 `Employer`,
`ComplianceCase`).

Figures are written here only, and every write re-derives the employer's findings in the same
transaction. Cases follow two tracks side by side, each in its order, enforced here under the
case's row lock: BPJS Ketenagakerjaan's written warnings I and II (each giving the employer
`UCJ_CASE_STEP_WORKING_DAYS` working days, PP 86/2013 art. 7(1)), its fine (0.1 % a month of the
premiums owed, art. 7(3)) and the government's denial of certain public services on BPJS's request
(art. 8-9); and the labour inspectors' inspection notes I and II (each with the deadline the note
gives) and referral for investigation. Deadlines count the working days of the employer's
regency (its province's and regency's own holidays too) and are refused past the loaded years.
Closing a case with workers added (PWBD and PDS workers cases only, at most the employer's gap)
raises the employer's BPJS figures, keeps the employer's village on the case and marks it stale,
so coverage counts the new wage earners (PU) there.

No date lies before `EARLIEST_DATE` (2013, PP 86/2013) or after today.

Errors: `ValidationFailed` with `details={field: message}`; `Conflict` for a step out of order in
its track (naming the step that comes next), a step taken twice, a closed case, a second open case
for the same finding, a deadline in a year whose holidays are not loaded.
"""

import datetime as dt
import re

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from enrollment.models import (
    EARLIEST_DATE,
    MANDATORY_PROGRAMMES,
    MAX_FINE_MONTHS,
    NOTE_STEPS,
    STEP_TRACK,
    STEPS_WITH_DEADLINE,
    TRACK_STEPS,
    CaseOutcome,
    CaseState,
    CaseStep,
    ComplianceCase,
    Employer,
    EmployerProgramme,
    EmployerSize,
    Finding,
    Sector,
    StepKind,
    Track,
)
from enrollment.selectors.employers import (
    WORKERS_FINDINGS,
    employer_assess,
    fine_for,
    may_run_cases,
    workers_unregistered,
)
from ucj import scope
from ucj.errors import Conflict, ValidationFailed
from ucj.models import Region, Role, regency_code
from ucj.services import audit_record, coverage_mark_stale
from ucj.workdays import add_working_days

# Figures of each side, with the source and date that go with them.
REPORTED_FIGURES = ("reported_workers", "reported_wages")
BPJS_FIGURES = ("bpjs_workers", "bpjs_wages", "bpjs_programmes")
IDENTITY_FIELDS = ("npp", "nib", "name", "village", "address", "sector", "size")
EDITABLE_FIELDS = (
    *IDENTITY_FIELDS,
    *REPORTED_FIGURES,
    "reported_source",
    "reported_as_of",
    *BPJS_FIGURES,
    "bpjs_source",
    "bpjs_as_of",
)
DERIVED_FIELDS = ["status", "pds_workers", "pds_wages", "pds_programme", "pwbd", "gap_workers", "gap_wages"]
# Absurd figures are typing errors: the largest Indonesian employers have some 300,000 workers.
MAX_WORKERS = 1_000_000
MAX_WAGES = 10**15
# Employers re-derived per transaction by `employers_reassess`.
REASSESS_CHUNK = 2_000
# Outcomes after which the employer registers nothing: the figures were wrong, or the business is gone.
OUTCOMES_ADDING_NOTHING = (CaseOutcome.NOT_OBLIGED, CaseOutcome.CLOSED_BUSINESS)

_LEGAL_FORMS = re.compile(r"\b(PT|CV|UD|PD|TBK|KOPERASI|KOP|FA|PERSERO|PERUM|YAYASAN)\b")
_NOT_WORD = re.compile(r"[^0-9A-Z ]+")


def name_key(name: str) -> str:
    """A name for matching across the two lists: upper case, punctuation and legal forms gone,
    spaces collapsed. "PT. Garam Madura Jaya, Tbk" and "GARAM MADURA JAYA" meet."""
    # "P.T." and "C.V." lose their dots first, so that they are legal forms like "PT" and "CV".
    upper = _NOT_WORD.sub(" ", re.sub(r"\b([A-Z])\.(?=[A-Z]\.?\b)", r"\1", (name or "").upper()).replace(".", " "))
    return " ".join(_LEGAL_FORMS.sub(" ", upper).split())


def normalise_npp(value) -> str:
    return re.sub(r"[\s.\-]", "", str(value or "")).upper()


def normalise_nib(value) -> str:
    return re.sub(r"[\s.\-]", "", str(value or ""))


def _n(value) -> str:
    """A number as the user's language writes it: 1.000.000 in Indonesian."""
    return number_format(value, force_grouping=True)


def _d(day: dt.date) -> str:
    return day.strftime("%d-%m-%Y")


def _date_problem(day: dt.date) -> str | None:
    """Why a date cannot be a day of this domain (None when it can)."""
    if day > timezone.localdate():
        return _("A date in the future.")
    if day < EARLIEST_DATE:
        return _("A date on or after %(date)s.") % {"date": _d(EARLIEST_DATE)}
    return None


# --- Employers ------------------------------------------------------------------------------------


def employer_reassess(employer: Employer) -> bool:
    """Set the derived columns from the figures (no save). True when they changed."""
    assessment = employer_assess(employer)
    values = {
        "status": assessment.status,
        "pds_workers": assessment.finding(Finding.PDS_WORKERS) is not None,
        "pds_wages": assessment.finding(Finding.PDS_WAGES) is not None,
        "pds_programme": assessment.finding(Finding.PDS_PROGRAMME) is not None,
        "pwbd": assessment.finding(Finding.PWBD) is not None,
        "gap_workers": assessment.gap_workers,
        "gap_wages": assessment.gap_wages,
    }
    changed = any(getattr(employer, k) != v for k, v in values.items())
    for key, value in values.items():
        setattr(employer, key, value)
    return changed


def _require_labour_office(actor, region_code: str) -> None:
    scope.require_role(actor, Role.LABOUR_OFFICE, Role.ADMIN, region_code=region_code)


def _clean(data: dict, *, actor, current: Employer | None) -> dict:
    """Check and normalise the given fields; raise ValidationFailed with every problem at once."""
    errors: dict[str, str] = {}
    out: dict = {}
    unknown = sorted(set(data) - set(EDITABLE_FIELDS))
    if unknown:
        raise ValidationFailed(
            _("Unknown fields: %(fields)s.") % {"fields": ", ".join(unknown)},
            details={field: _("Unknown field.") for field in unknown},
        )
    for key, value in data.items():
        if key == "npp":
            out[key] = normalise_npp(value)
            if out[key] and not re.fullmatch(r"[0-9A-Z]{8,20}", out[key]):
                errors[key] = _("An NPP has 8 to 20 letters and digits.")
        elif key == "nib":
            out[key] = normalise_nib(value)
            if out[key] and not re.fullmatch(r"[0-9]{13}", out[key]):
                errors[key] = _("A NIB has 13 digits.")
        elif key == "name":
            out[key] = " ".join(str(value or "").split())
            if not out[key]:
                errors[key] = _("Give the employer's name.")
            elif len(out[key]) > 200:
                errors[key] = _("At most 200 characters.")
        elif key == "village":
            code = value.code if isinstance(value, Region) else str(value or "").strip()
            region = Region.objects.filter(code=code, level=Region.Level.VILLAGE).first() if code else None
            if region is None:
                errors[key] = _("Give the code of a village, such as 35.26.01.2001.")
            elif not scope.can_see_code(actor, code):
                errors[key] = _("This village is outside your regions.")
            else:
                out[key] = region
        elif key == "address":
            out[key] = str(value or "").strip()[:255]
        elif key == "sector":
            if value not in Sector.values:
                errors[key] = _("Choose one of the sectors.")
            out[key] = value
        elif key == "size":
            if value not in EmployerSize.values:
                errors[key] = _("Choose micro, small, medium or large.")
            out[key] = value
        elif key in ("reported_workers", "bpjs_workers", "reported_wages", "bpjs_wages"):
            limit = MAX_WORKERS if key.endswith("workers") else MAX_WAGES
            if value is None or value == "":
                out[key] = None
            elif isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
                errors[key] = _("A whole number from 0 to %(max)s.") % {"max": _n(limit)}
            else:
                out[key] = value
        elif key == "bpjs_programmes":
            programmes = list(value or [])
            bad = [p for p in programmes if p not in EmployerProgramme.values]
            if bad:
                errors[key] = _("Unknown programmes: %(list)s.") % {"list": ", ".join(map(str, bad))}
            out[key] = sorted(set(programmes), key=EmployerProgramme.values.index) if not bad else []
        elif key in ("reported_source", "bpjs_source"):
            out[key] = str(value or "").strip()[:120]
        elif key in ("reported_as_of", "bpjs_as_of"):
            if value in (None, ""):
                out[key] = None
            elif not isinstance(value, dt.date):
                errors[key] = _("A date.")
            elif problem := _date_problem(value):
                errors[key] = problem
            else:
                out[key] = value
    if "village" in out and current is not None and regency_code(out["village"].code) != current.regency_id:
        errors["village"] = _("An employer cannot move to another regency; register it there instead.")
    if errors:
        raise ValidationFailed(_("The employer could not be saved; check the marked fields."), details=errors)
    return out


def _stamp_sides(employer: Employer, changed: set[str], actor) -> None:
    """A figure typed in without a source or date gets today's date and the clerk as its source:
    every figure says where it came from."""
    today = timezone.localdate()
    who = actor.get_username() if actor is not None else ""
    for figures, source, as_of, default in (
        (REPORTED_FIGURES, "reported_source", "reported_as_of", _("entered by the labour office (%(user)s)")),
        (BPJS_FIGURES, "bpjs_source", "bpjs_as_of", _("entered from BPJS's letter (%(user)s)")),
    ):
        if any(getattr(employer, f) not in (None, []) for f in changed & set(figures)):
            if source not in changed or not getattr(employer, source):
                setattr(employer, source, (default % {"user": who})[:120])
            if as_of not in changed or getattr(employer, as_of) is None:
                setattr(employer, as_of, today)


def _check_unique(employer: Employer) -> None:
    errors = {}
    others = Employer.objects.exclude(pk=employer.pk)
    if employer.npp and others.filter(npp=employer.npp).exists():
        errors["npp"] = _("Another employer has this NPP.")
    if employer.nib and others.filter(nib=employer.nib).exists():
        errors["nib"] = _("Another employer has this NIB.")
    if errors:
        raise Conflict(_("The employer could not be saved; check the marked fields."), details=errors)


@transaction.atomic
def employer_create(*, actor, data: dict) -> Employer:
    if not scope.root_codes(actor, [Role.LABOUR_OFFICE, Role.ADMIN]):
        raise PermissionDenied(_("Only the labour office registers employers."))
    missing = {f: _("This field is required.") for f in ("name", "village") if not data.get(f)}
    if missing:
        raise ValidationFailed(_("The employer could not be saved; check the marked fields."), details=missing)
    values = _clean(data, actor=actor, current=None)
    _require_labour_office(actor, values["village"].code)
    employer = Employer(**values)
    employer.regency_id = regency_code(employer.village_id)
    employer.name_key = name_key(employer.name)
    _stamp_sides(employer, set(values), actor)
    employer_reassess(employer)
    _check_unique(employer)
    try:
        with transaction.atomic():
            employer.save()
    except IntegrityError as exc:  # a concurrent save took the NPP or NIB
        raise Conflict(_("Another employer has this NPP or NIB.")) from exc
    audit_record(actor=actor, action="employer.create", target=employer, region_code=employer.village_id)
    return employer


@transaction.atomic
def employer_update(*, actor, employer_id: int, changes: dict) -> Employer:
    employer = Employer.objects.select_for_update().get(pk=employer_id)
    _require_labour_office(actor, employer.village_id)
    values = _clean(changes, actor=actor, current=employer)
    changed = {k for k, v in values.items() if getattr(employer, k) != v}
    if not changed:
        return employer
    before = {k: _plain(getattr(employer, k)) for k in changed}
    for key in changed:
        setattr(employer, key, values[key])
    employer.name_key = name_key(employer.name)
    _stamp_sides(employer, changed, actor)
    employer_reassess(employer)
    _check_unique(employer)
    try:
        with transaction.atomic():
            employer.save()
    except IntegrityError as exc:
        raise Conflict(_("Another employer has this NPP or NIB.")) from exc
    audit_record(
        actor=actor,
        action="employer.update",
        target=employer,
        region_code=employer.village_id,
        data={"before": before, "after": {k: _plain(getattr(employer, k)) for k in changed}},
    )
    return employer


def _plain(value):
    if isinstance(value, Region):
        return value.code
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def employers_reassess(*, queryset=None) -> int:
    """Re-derive every employer's findings (after the wage tolerance changed). Returns how many
    changed.

    Chunk by chunk, each read under row locks and written in the same transaction: an
    `employer_update` or a case closing running meanwhile either finishes first (and its figures
    are read) or waits, so the derived columns never come from figures older than the row's."""
    ids = (queryset if queryset is not None else Employer.objects.all()).order_by("pk").values_list("pk", flat=True)
    count, last = 0, 0
    while chunk := list(ids.filter(pk__gt=last)[:REASSESS_CHUNK]):
        last = chunk[-1]
        with transaction.atomic():
            employers = Employer.objects.select_for_update().filter(pk__in=chunk).order_by("pk")
            changed = [employer for employer in employers if employer_reassess(employer)]
            Employer.objects.bulk_update(changed, DERIVED_FIELDS)
        count += len(changed)
    return count


# --- Cases ----------------------------------------------------------------------------------------


def _lock_case(case_id: int) -> ComplianceCase:
    return ComplianceCase.objects.select_for_update().select_related("employer").get(pk=case_id)


def _require_case_runner(actor, employer: Employer) -> None:
    if not may_run_cases(actor, employer):
        scope.require_role(actor, Role.LABOUR_OFFICE, Role.ADMIN, region_code=employer.village_id)


def _check_day(day: dt.date | None, field: str) -> dt.date:
    if day is None:
        return timezone.localdate()
    if problem := _date_problem(day):
        raise ValidationFailed(problem, details={field: problem})
    return day


@transaction.atomic
def case_open(
    *, actor, employer_id: int, finding: str, opened_on: dt.date | None = None, notes: str = ""
) -> ComplianceCase:
    """Open a case for one of the employer's current findings. Its first step (BPJS's written
    warning I, or the inspectors' note I) is due `UCJ_CASE_STEP_WORKING_DAYS` working days later,
    counted with the holidays of the employer's regency."""
    employer = Employer.objects.select_for_update().get(pk=employer_id)
    _require_case_runner(actor, employer)
    if finding not in Finding.values:
        raise ValidationFailed(_("Choose one of the findings."), details={"finding": _("Choose one of the findings.")})
    detail = employer_assess(employer).finding(finding)
    if detail is None:
        message = _("This employer has no such finding now: %(finding)s.") % {"finding": Finding(finding).label}
        raise Conflict(message, details={"finding": message})
    if ComplianceCase.objects.filter(employer=employer, finding=finding, state=CaseState.OPEN).exists():
        message = _("A case for this finding is already open.")
        raise Conflict(message, details={"finding": message})
    opened_on = _check_day(opened_on, "opened_on")
    case = ComplianceCase(
        employer=employer,
        regency_id=employer.regency_id,
        finding=finding,
        gap_workers=detail.gap_workers,
        gap_wages=detail.gap_wages,
        opened_on=opened_on,
        opened_by=actor,
        due_on=add_working_days(opened_on, settings.UCJ_CASE_STEP_WORKING_DAYS, region=employer.regency_id),
        notes=(notes or "").strip(),
    )
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError as exc:  # the partial unique index: opened at the same moment elsewhere
        raise Conflict(_("A case for this finding is already open.")) from exc
    audit_record(
        actor=actor, action="case.open", target=case, region_code=employer.village_id, data={"finding": finding}
    )
    return case


def _track_name(track: str) -> str:
    return str(Track(track).label)


def _fine_facts(premiums_owed, fine_months) -> tuple[int, int]:
    """The premiums owed and the months of a fine, checked (ValidationFailed naming each field)."""
    errors = {}
    if isinstance(premiums_owed, bool) or not isinstance(premiums_owed, int) or not 0 < premiums_owed <= MAX_WAGES:
        errors["premiums_owed"] = _("The premiums owed, in rupiah: a whole number from 1 to %(max)s.") % {
            "max": _n(MAX_WAGES)
        }
    if isinstance(fine_months, bool) or not isinstance(fine_months, int) or not 0 < fine_months <= MAX_FINE_MONTHS:
        errors["fine_months"] = _("The months since the second written warning ended: from 1 to %(max)s.") % {
            "max": MAX_FINE_MONTHS
        }
    if errors:
        raise ValidationFailed(_("The fine needs the premiums owed and the months."), details=errors)
    return premiums_owed, fine_months


def _step_deadline(case: ComplianceCase, kind: str, taken_on: dt.date, due_on: dt.date | None) -> dt.date | None:
    """The employer's deadline a step gives: a written warning `UCJ_CASE_STEP_WORKING_DAYS`
    working days of the employer's regency (PP 86/2013 art. 7(1)); an inspection note the date it
    gives, or as long as a warning when none is typed; the other steps none."""
    if kind in NOTE_STEPS and due_on is not None:
        if not taken_on < due_on <= taken_on + dt.timedelta(days=366):
            message = _("The note's deadline lies after the day it was given and within a year.")
            raise ValidationFailed(message, details={"due_on": message})
        return due_on
    if due_on is not None:
        message = _("Only an inspection note gives its own deadline.")
        raise ValidationFailed(message, details={"due_on": message})
    if kind in STEPS_WITH_DEADLINE:
        return add_working_days(taken_on, settings.UCJ_CASE_STEP_WORKING_DAYS, region=case.regency_id)
    return None


@transaction.atomic
def case_step_record(
    *,
    actor,
    case_id: int,
    kind: str,
    taken_on: dt.date | None = None,
    document_number: str = "",
    notes: str = "",
    due_on: dt.date | None = None,
    premiums_owed: int | None = None,
    fine_months: int | None = None,
) -> CaseStep:
    """Record the next step of one of the case's two tracks. In each track steps come in their
    order, each once: BPJS's written warning I, II, its fine, the denial of certain public
    services; the inspectors' note I, II, the referral. A step after one that gave the employer a
    deadline waits for that deadline to pass (PP 86/2013 art. 7(2): the fine comes after warning
    II has run out). Every step carries its letter's or note's number. A fine records the
    premiums owed and the months since warning II ended, and the fine they give (0.1 % a month).
    An inspection note may give its own deadline (`due_on`)."""
    case = _lock_case(case_id)
    _require_case_runner(actor, case.employer)
    if kind not in StepKind.values:
        raise ValidationFailed(_("Choose one of the steps."), details={"kind": _("Choose one of the steps.")})
    if case.state != CaseState.OPEN:
        raise Conflict(_("This case is closed."))
    if case.steps.filter(kind=kind).exists():
        raise Conflict(_("This step has been taken already: %(step)s.") % {"step": StepKind(kind).label})
    track = STEP_TRACK[kind]
    expected = case.next_step_in(track)
    if kind != expected:
        if expected is None:
            message = _("%(step)s cannot come now: %(track)s has no step left.")
        else:
            message = _("%(step)s cannot come now: the next step of %(track)s is %(next)s.")
        raise Conflict(
            message
            % {
                "step": StepKind(kind).label,
                "track": _track_name(track),
                "next": StepKind(expected).label if expected else "",
            }
        )
    taken_on = _check_day(taken_on, "taken_on")
    previous = case.steps.filter(kind__in=TRACK_STEPS[track]).order_by("-taken_on", "-id").first()
    floor = previous.taken_on if previous else case.opened_on
    if taken_on < floor:
        message = _("The step cannot be dated before %(date)s.") % {"date": _d(floor)}
        raise ValidationFailed(message, details={"taken_on": message})
    if previous is not None and previous.due_on is not None and taken_on <= previous.due_on:
        message = _("The employer has until %(date)s to answer the %(step)s; the next step can follow after that.") % {
            "date": _d(previous.due_on),
            "step": previous.get_kind_display(),
        }
        raise Conflict(message, details={"taken_on": message})
    document_number = (document_number or "").strip()
    if not document_number:
        message = _("A step needs the number of its letter or note.")
        raise ValidationFailed(message, details={"document_number": message})
    fine = None
    if kind == StepKind.FINE:
        premiums_owed, fine_months = _fine_facts(premiums_owed, fine_months)
        fine = fine_for(premiums_owed=premiums_owed, months=fine_months)
    elif premiums_owed is not None or fine_months is not None:
        message = _("Only a fine records premiums owed and months.")
        raise ValidationFailed(message, details={"premiums_owed": message})
    step_due = _step_deadline(case, kind, taken_on, due_on)
    step = CaseStep.objects.create(
        case=case,
        kind=kind,
        taken_on=taken_on,
        due_on=step_due,
        document_number=document_number[:100],
        notes=(notes or "").strip(),
        premiums_owed=premiums_owed if fine is not None else None,
        fine_months=fine_months if fine is not None else None,
        fine_amount=fine,
        recorded_by=actor,
    )
    # The track's deadline runs until its next step; a complete track has none. The case's is the
    # earliest that runs.
    running = step_due if kind != TRACK_STEPS[track][-1] else None
    if track == Track.BPJS:
        case.bpjs_step, case.bpjs_due_on = kind, running
    else:
        case.inspection_step, case.inspection_due_on = kind, running
    deadlines = [day for day in (case.bpjs_due_on, case.inspection_due_on) if day is not None]
    case.last_step, case.due_on = kind, min(deadlines) if deadlines else None
    fields = ["last_step", "bpjs_step", "bpjs_due_on", "inspection_step", "inspection_due_on", "due_on", "updated_at"]
    if fine is not None:
        case.fine_amount = fine
        fields.append("fine_amount")
    case.save(update_fields=fields)
    data = {"taken_on": taken_on.isoformat(), "document_number": step.document_number}
    if fine is not None:
        data.update(premiums_owed=premiums_owed, fine_months=fine_months, fine_amount=fine)
    audit_record(actor=actor, action=f"case.step.{kind}", target=case, region_code=case.employer.village_id, data=data)
    return step


def _programme_names(codes) -> str:
    return ", ".join(str(EmployerProgramme(code).label) for code in codes)


def _close_errors(
    case: ComplianceCase, employer: Employer, *, outcome, workers_added, wages_added, programmes_added
) -> tuple[dict, list[str]]:
    """What is wrong with a closing (field → message), and the programmes added in their order."""
    errors: dict[str, str] = {}
    if outcome not in CaseOutcome.values:
        errors["outcome"] = _("Choose an outcome.")
    for key, value, limit in (("workers_added", workers_added, MAX_WORKERS), ("wages_added", wages_added, MAX_WAGES)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
            errors[key] = _("A whole number from 0 to %(max)s.") % {"max": _n(limit)}
    programmes: list[str] = []
    if not isinstance(programmes_added, list | tuple) or not all(isinstance(p, str) for p in programmes_added):
        errors["programmes_added"] = _("A list of programme codes: jkk, jkm, jht, jp.")
    else:
        bad = [p for p in programmes_added if p not in EmployerProgramme.values]
        if bad:
            errors["programmes_added"] = _("Unknown programmes: %(list)s.") % {"list": ", ".join(bad)}
        programmes = sorted(set(programmes_added) - set(bad), key=EmployerProgramme.values.index)
    if errors:
        return errors, programmes

    adds_nothing = outcome in OUTCOMES_ADDING_NOTHING
    nothing = _("Nothing is registered when the employer was not obliged or closed its business.")
    if workers_added:
        gap = workers_unregistered(employer)  # read under the employer's lock
        if case.finding not in WORKERS_FINDINGS:
            errors["workers_added"] = _("Workers are added only by closing a PWBD or PDS workers case.")
        elif adds_nothing:
            errors["workers_added"] = nothing
        elif workers_added > gap:
            errors["workers_added"] = _(
                "At most %(max)s: the workers reported to the labour office and not registered with BPJS."
            ) % {"max": _n(gap)}
        elif employer.reported_wages and not wages_added:
            # Workers registered on no wage would make the registered wages look short (PDS wages).
            errors["wages_added"] = _("Give the monthly wages of the workers added (the employer reports its wages).")
    if adds_nothing and wages_added:
        errors["wages_added"] = nothing
    if adds_nothing and programmes:
        errors["programmes_added"] = nothing
    if outcome == CaseOutcome.COMPLIED:
        if case.finding in WORKERS_FINDINGS and not workers_added:
            errors["workers_added"] = _("Complying in full means registering workers: how many were added?")
        elif case.finding == Finding.PDS_WAGES and not wages_added:
            errors["wages_added"] = _("Complying in full means registering the real wages: how much was added a month?")
        elif case.finding == Finding.PDS_PROGRAMME:
            registered = set(employer.bpjs_programmes or []) | set(programmes)
            missing = [p for p in MANDATORY_PROGRAMMES[employer.size] if p not in registered]
            if missing:
                errors["programmes_added"] = _(
                    "Complying in full means registering the missing programmes: %(list)s."
                ) % {"list": _programme_names(missing)}
    return errors, programmes


@transaction.atomic
def case_close(
    *,
    actor,
    case_id: int,
    outcome: str,
    workers_added: int = 0,
    wages_added: int = 0,
    programmes_added=(),
    closed_on: dt.date | None = None,
    notes: str = "",
) -> ComplianceCase:
    """Close a case with its outcome. What the employer registered is added to its BPJS figures
    (so its findings are re-derived): workers (PWBD and PDS workers cases only, at most the
    employer's gap, with their wages when the employer reports wages), wages, programmes. The
    employer's village is kept on the case and, when workers were added, marked stale: coverage
    counts them there as wage earners (PU) from the closing day.

    Complying in full means: workers added (PWBD, PDS workers), wages added (PDS wages), every
    missing mandatory programme added (PDS programme). An employer not obliged or closed
    registers nothing. The closing day lies between the case's last step (or its opening) and today."""
    case = _lock_case(case_id)
    employer = Employer.objects.select_for_update().get(pk=case.employer_id)
    _require_case_runner(actor, employer)
    if case.state != CaseState.OPEN:
        raise Conflict(_("This case is closed already."))
    errors, programmes = _close_errors(
        case,
        employer,
        outcome=outcome,
        workers_added=workers_added,
        wages_added=wages_added,
        programmes_added=list(programmes_added) if isinstance(programmes_added, list | tuple) else programmes_added,
    )
    if errors:
        raise ValidationFailed(_("The case could not be closed; check the marked fields."), details=errors)
    closed_on = _check_day(closed_on, "closed_on")
    last_step = case.steps.order_by("-taken_on", "-id").first()
    if last_step is not None and closed_on < last_step.taken_on:
        message = _("The case cannot be closed before its last step (%(date)s).") % {"date": _d(last_step.taken_on)}
        raise ValidationFailed(message, details={"closed_on": message})
    if closed_on < case.opened_on:
        message = _("The case cannot be closed before it was opened (%(date)s).") % {"date": _d(case.opened_on)}
        raise ValidationFailed(message, details={"closed_on": message})

    case.state, case.outcome, case.closed_on, case.closed_by = CaseState.CLOSED, outcome, closed_on, actor
    case.workers_added, case.wages_added, case.programmes_added = workers_added, wages_added, programmes
    case.village_id, case.due_on = employer.village_id, None
    case.bpjs_due_on = case.inspection_due_on = None
    if notes:
        case.notes = (case.notes + "\n\n" + notes.strip()).strip()
    case.save()

    new_programmes = [p for p in programmes if p not in (employer.bpjs_programmes or [])]
    if workers_added or wages_added or new_programmes:
        if workers_added:
            employer.bpjs_workers = (employer.bpjs_workers or 0) + workers_added
        if wages_added:
            employer.bpjs_wages = (employer.bpjs_wages or 0) + wages_added
        if new_programmes:
            merged = {*(employer.bpjs_programmes or []), *new_programmes}
            employer.bpjs_programmes = sorted(merged, key=EmployerProgramme.values.index)
        employer.bpjs_source = (_("compliance case #%(id)s") % {"id": case.pk})[:120]
        employer.bpjs_as_of = closed_on
        employer_reassess(employer)
        employer.save()
    if workers_added:
        # A case closed on an earlier day counts from that day: UCJ's counts kept for days since
        # then (the coverage engine's baselines) no longer hold.
        coverage_mark_stale(
            region_codes=[employer.village_id], reason=f"case {case.pk} closed", changed_since=closed_on
        )
    audit_record(
        actor=actor,
        action="case.close",
        target=case,
        region_code=employer.village_id,
        data={
            "outcome": outcome,
            "workers_added": workers_added,
            "wages_added": wages_added,
            "programmes_added": programmes,
        },
    )
    return case


# --- Employers found in the field -----------------------------------------------------------------


@transaction.atomic
def employer_register_from_visit(*, actor, name: str, village_code: str) -> Employer:
    """An employer a field officer came across (an employer visit), registered by name only: no
    figures and no source, so it stays "not assessed" until the labour office's or BPJS's list
    brings its figures (the importers find it by name and village). An employer of the same name
    (`name_key`) in the village is reused, not doubled. For a field officer, the labour office or
    an administrator of the village. Errors name `name` and `village`."""
    code = str(village_code or "").strip()
    errors = {}
    # Lock the village: two officers registering the same employer at once must not make two.
    village = Region.objects.select_for_update().filter(code=code, level=Region.Level.VILLAGE).first() if code else None
    if village is None:
        errors["village"] = _("Give the code of a village, such as 35.26.01.2001.")
    elif not scope.can_see_code(actor, code):
        errors["village"] = _("This village is outside your regions.")
    clean_name = " ".join(str(name or "").split())
    key = name_key(clean_name)
    if not key:
        errors["name"] = _("Give the employer's name.")
    elif len(clean_name) > Employer._meta.get_field("name").max_length:
        errors["name"] = _("At most 200 characters.")
    if errors:
        raise ValidationFailed(_("The employer could not be saved; check the marked fields."), details=errors)
    scope.require_role(actor, Role.FIELD_OFFICER, Role.LABOUR_OFFICE, Role.ADMIN, region_code=code)
    existing = Employer.objects.filter(village=village, name_key=key).order_by("id").first()
    if existing is not None:
        return existing
    employer = Employer(name=clean_name, name_key=key, village=village, regency_id=regency_code(code))
    employer_reassess(employer)
    employer.save()
    audit_record(actor=actor, action="employer.discover", target=employer, region_code=code, data={"name": clean_name})
    return employer
