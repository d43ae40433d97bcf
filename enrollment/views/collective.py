"""Pages of enrollment: batches and their life cycle, member and confirmation uploads with their
progress, exports for the BPJS branch, allocations and participants.

Thin by design: every object is fetched through the scoped selectors (an outsider gets 404),
every change is a service call, and a refused change comes back as a message on the page it
came from (`_run`)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from enrollment import importers, selectors, services, tasks
from enrollment.forms import (
    AllocationAmountForm,
    AllocationForm,
    BatchFilterForm,
    BatchForm,
    MemberRemoveForm,
    ParticipantCorrectionForm,
    ParticipantSearchForm,
    UploadForm,
    add_service_errors,
)
from enrollment.models import (
    BatchKind,
    BatchMember,
    BatchState,
    ImportJob,
    ImportKind,
    ImportState,
    mask_birth_date,
    mask_nik,
    mask_phone,
)
from ucj import scope
from ucj.api_base import nik_lookup_refusal, nik_lookup_wait
from ucj.audit import action_label
from ucj.errors import ApplicationError
from ucj.models import Role, regency_code
from ucj.services import personal_data_looked_up, personal_data_viewed

BATCHES_PER_PAGE = 50
MEMBERS_PER_PAGE = 100
ALLOCATIONS_PER_PAGE = 50
PARTICIPANTS_PER_PAGE = 50
IMPORTS_SHOWN = 5

CREATOR_ROLES = {Role.FIELD_OFFICER, Role.LABOUR_OFFICE}
EXPORT_FORMATS = ("csv", "xlsx")

TRANSITIONS = {
    "submit": services.batch_submit,
    "verify": services.batch_verify,
    "approve": services.batch_approve,
    "return": services.batch_return,
    "reject": services.batch_reject,
    "cancel": services.batch_cancel,
}


def _run(request, fn, **kwargs):
    """Call a service as the signed-in user. A domain refusal becomes an error message on the
    next page and None; PermissionDenied goes on to Django's 403."""
    try:
        return fn(actor=request.user, **kwargs)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return None


def _batch_or_404(request, pk):
    return get_object_or_404(
        selectors.batches_visible_to(request.user).select_related(
            "regency", "area", "created_by", "submitted_by", "verified_by", "approved_by"
        ),
        pk=pk,
    )


def _page(request, items, per_page):
    return Paginator(items, per_page).get_page(request.GET.get("page"))


# --- Batches --------------------------------------------------------------------------------------


@require_GET
def batch_list(request):
    visible = selectors.batches_visible_to(request.user)
    filters = BatchFilterForm(request.GET or None)
    batches = filters.filter(visible).select_related("area", "regency").order_by("-created_at", "-id")
    counts = selectors.batch_state_counts(filters.filter(visible, with_state=False))
    state_counts = [(BatchState(state), n) for state, n in counts.items()]
    return render(
        request,
        "enrollment/batch_list.html",
        {
            "filters": filters,
            "page": _page(request, batches, BATCHES_PER_PAGE),
            "state_counts": state_counts,
            "current_state": filters.cleaned_data.get("state") if filters.is_bound and filters.is_valid() else "",
            "may_create": bool(scope.roles_of(request.user) & CREATOR_ROLES),
        },
    )


def _require_creator(user):
    if not scope.roles_of(user) & CREATOR_ROLES:
        raise PermissionDenied(_("Only field officers and the labour office draft batches."))


@require_http_methods(["GET", "POST"])
def batch_create(request):
    _require_creator(request.user)
    form = BatchForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.batch_create(actor=request.user, terms=form.terms())
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Draft batch #%(id)s created. Now upload its members.") % {"id": batch.pk})
            _warn_months_not_paid(request, batch)
            return redirect(batch)
    clerk = Role.LABOUR_OFFICE in scope.roles_of(request.user)
    context = {"form": form, "batch": None, "clerk": clerk, "late_warning": _form_late_warning(form)}
    return render(request, "enrollment/batch_form.html", context)


@require_http_methods(["GET", "POST"])
def batch_edit(request, pk):
    batch = _batch_or_404(request, pk)
    if not selectors.batch_can_edit(user=request.user, batch=batch):
        if batch.state == BatchState.DRAFT:
            raise PermissionDenied(_("Your role does not allow this action in this region."))
        messages.error(request, _("Only a draft can be changed; this batch is %(state)s.") % _state_label(batch))
        return redirect(batch)
    form = BatchForm(request.POST or None, user=request.user, batch=batch)
    if request.method == "POST" and form.is_valid():
        try:
            services.batch_update(actor=request.user, batch_id=batch.pk, terms=form.terms())
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The batch terms were saved."))
            batch.refresh_from_db()
            _warn_months_not_paid(request, batch)
            return redirect(batch)
    context = {
        "form": form,
        "batch": batch,
        "clerk": _is_clerk(request.user, batch),
        "late_warning": _form_late_warning(form),
    }
    return render(request, "enrollment/batch_form.html", context)


def _form_late_warning(form) -> str:
    months = form.months_not_paid()
    return months_not_paid_message(months) if months else ""


def _is_clerk(user, batch) -> bool:
    """The labour office drafts and submits to its own verification, not "to the labour office"."""
    return scope.has_role(user, Role.LABOUR_OFFICE, batch.regency_id)


def _months_not_paid(batch) -> list:
    return selectors.months_not_paid(period_start=batch.period_start, period_end=batch.period_end)


def _warn_months_not_paid(request, batch) -> None:
    months = _months_not_paid(batch)
    if months:
        messages.warning(request, months_not_paid_message(months))


def months_not_paid_message(months) -> str:
    """BPJS does not backdate protection (DESIGN §3): the months already begun are neither covered
    nor paid, whatever the period says."""
    names = ", ".join(date_format(month, "F Y") for month in months)
    return ngettext(
        "The period has already begun: BPJS does not backdate protection, so %(n)s month will not be "
        "covered or paid for (%(months)s). The batch is paid from the month it is activated.",
        "The period has already begun: BPJS does not backdate protection, so %(n)s months will not be "
        "covered or paid for (%(months)s). The batch is paid from the month it is activated.",
        len(months),
    ) % {"n": len(months), "months": names}


def _state_label(batch) -> dict:
    return {"state": BatchState(batch.state).label}


def _masked(show: bool, value: str, mask) -> str:
    return value if show else mask(value)


def _birth(show: bool, birth_date) -> str:
    return date_format(birth_date, "d/m/Y") if show else mask_birth_date(birth_date)


@require_GET
def batch_detail(request, pk):
    batch = _batch_or_404(request, pk)
    user = request.user
    personal = scope.may_see_personal_data(user, batch.regency_id)
    members = _page(request, selectors.batch_members(batch=batch), MEMBERS_PER_PAGE)
    for member in members:
        member.nik_shown = _masked(personal, member.participant.nik, mask_nik)
        member.phone_shown = _masked(personal, member.participant.phone, mask_phone)
        member.birth_shown = _birth(personal, member.participant.birth_date)
    if personal:
        personal_data_viewed(
            actor=user,
            where=request.get_full_path(),
            participant_ids=[m.participant_id for m in members],
            region_code=batch.regency_id,
            target=batch,
        )
    actions = selectors.batch_actions_for(user=user, batch=batch)
    can_edit = selectors.batch_can_edit(user=user, batch=batch)
    imports = list(selectors.batch_imports(batch=batch)[:IMPORTS_SHOWN])
    _issues_shown(user, imports, regency_code=batch.regency_id)
    closed = batch.state in (BatchState.REJECTED, BatchState.CANCELLED)
    may_export = batch.state in services.EXPORT_STATES and scope.may_see_personal_data(user, batch.regency_id)
    context = {
        "batch": batch,
        "personal": personal,
        "members": members,
        "officials": batch.kind == BatchKind.VILLAGE_OFFICIALS,
        "actions": actions,
        "transitions": [a for a in actions if a in TRANSITIONS],
        "can_activate": "activate" in actions,
        "can_edit": can_edit,
        "same_person": _same_person_notes(batch),
        "budget": None if closed else selectors.batch_budget_effect(batch=batch),
        "villages": selectors.batch_village_summary(batch=batch),
        "history": [_history_row(event) for event in selectors.batch_history(batch=batch)],
        "imports": imports,
        "renewals": selectors.renewals_due(batch=batch) if batch.state == BatchState.ACTIVE else None,
        "may_export": may_export,
        "upload_form": UploadForm() if can_edit else None,
        "activate_form": UploadForm() if "activate" in actions else None,
        # The verify step lists what the verifier must check against the KTPs and acknowledge.
        "pending_warnings": services.batch_unacknowledged_warnings(batch) if "verify" in actions else [],
        "clerk": _is_clerk(user, batch),
        "months_not_paid": _late_warning(batch),
    }
    return render(request, "enrollment/batch_detail.html", context)


def _late_warning(batch) -> str:
    """Before it is active, a batch whose period has begun says which months it will not pay."""
    if batch.state not in (BatchState.DRAFT, BatchState.SUBMITTED, BatchState.VERIFIED, BatchState.APPROVED):
        return ""
    months = _months_not_paid(batch)
    return months_not_paid_message(months) if months else ""


def _same_person_notes(batch) -> list[str]:
    """Steps that four eyes keep apart but one person took (only while UCJ_SEPARATE_DUTIES is
    off, or before the rule existed): the page says so plainly."""
    notes = []
    if batch.submitted_by_id and batch.submitted_by_id == batch.verified_by_id:
        notes.append(_("Submitted and verified by the same person (separation of duties switched off)."))
    if batch.verified_by_id and batch.verified_by_id == batch.approved_by_id:
        notes.append(_("Verified and approved by the same person (separation of duties switched off)."))
    return notes


def _history_row(event) -> dict:
    data = event.data or {}
    action = action_label(event.action)
    if event.action == "batch.import" and "leads" in data:
        # Leads an officer put on the batch: no file anyone uploaded.
        action = _("members added from leads")
    return {
        "at": event.at,
        "actor": event.actor,
        "action": action,
        "origin": _import_origin(data),
        "from": _state_name(data.get("from")),
        "to": _state_name(data.get("to")),
        "reason": event.reason,
        "data": data,
    }


def _state_name(value) -> str:
    return BatchState(value).label if value in BatchState.values else ""


def _import_origin(data: dict) -> str:
    """What an import's rows were: the file's name, or how many leads (ImportJob.origin)."""
    if "leads" in data:
        n = data["leads"]
        return ngettext("from %(n)s lead", "from %(n)s leads", n) % {"n": n}
    return data.get("file", "")


TRANSITION_DONE = {
    "submit": gettext_lazy("Batch #%(id)s submitted to the labour office."),
    "verify": gettext_lazy("Batch #%(id)s verified."),
    "approve": gettext_lazy("Batch #%(id)s approved; its cost is reserved from the allocation."),
    "return": gettext_lazy("Batch #%(id)s returned to draft."),
    "reject": gettext_lazy("Batch #%(id)s rejected."),
    "cancel": gettext_lazy("Batch #%(id)s cancelled; the money for the months not yet covered is released."),
}


SUBMITTED_FOR_VERIFICATION = gettext_lazy("Batch #%(id)s submitted for verification.")


@require_POST
def batch_transition(request, pk, action):
    batch = _batch_or_404(request, pk)
    extra = {"acknowledge_warnings": request.POST.get("acknowledge_warnings") == "1"} if action == "verify" else {}
    done = _run(request, TRANSITIONS[action], batch_id=batch.pk, reason=request.POST.get("reason", ""), **extra)
    if done is not None:
        done_message = TRANSITION_DONE[action]
        if action == "submit" and _is_clerk(request.user, batch):
            done_message = SUBMITTED_FOR_VERIFICATION
        messages.success(request, str(done_message) % {"id": batch.pk})
    return redirect(batch)


def _upload(request, pk, kind):
    batch = _batch_or_404(request, pk)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(batch)
    filename, content = form.content()
    job = _run(request, tasks.import_submit, batch_id=batch.pk, filename=filename, content=content, kind=kind)
    if job is not None:
        _import_message(request, job)
    return redirect(reverse("enrollment:batch-detail", args=[batch.pk]) + "#imports")


def _import_message(request, job: ImportJob) -> None:
    values = {"name": job.origin, "accepted": job.accepted, "rejected": job.rejected, "skipped": job.skipped}
    # Rows of people already on the batch (a corrected file uploaded again) are no refusal.
    skipped = " " + _("%(skipped)s already there, skipped") % values + "." if job.skipped else ""
    if not job.finished:
        messages.info(request, _("%(name)s is being checked; its progress is shown below.") % values)
    elif job.state == ImportState.FAILED:
        messages.error(request, job.message or _("The import failed."))
    elif job.kind == ImportKind.ACTIVATION:
        messages.success(request, _("BPJS confirmation recorded: %(accepted)s members active.") % values)
    elif job.rejected:
        messages.warning(
            request,
            _("%(name)s: %(accepted)s members added, %(rejected)s rows refused (see below).") % values + skipped,
        )
    else:
        messages.success(request, _("%(name)s: %(accepted)s members added.") % values + skipped)


@require_POST
def batch_import(request, pk):
    return _upload(request, pk, ImportKind.MEMBERS)


@require_POST
def batch_activate(request, pk):
    return _upload(request, pk, ImportKind.ACTIVATION)


@require_POST
def batch_members_remove(request, pk):
    batch = _batch_or_404(request, pk)
    form = MemberRemoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["member"][0])
        return redirect(batch)
    removed = _run(request, services.batch_members_remove, batch_id=batch.pk, member_ids=form.cleaned_data["member"])
    if removed is not None:
        messages.success(request, _("%(n)s members removed.") % {"n": removed})
    return redirect(batch)


@require_GET
def batch_export(request, pk, fmt):
    """The member list with full NIKs, for the BPJS branch (services.batch_export decides who and
    when, and records it)."""
    batch = _batch_or_404(request, pk)
    try:
        export = services.batch_export(actor=request.user, batch_id=batch.pk, fmt=fmt)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(batch)
    response = HttpResponse(export.content, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response["Cache-Control"] = "no-store"
    return response


# --- Imports --------------------------------------------------------------------------------------


def _job_or_404(request, pk):
    jobs = ImportJob.objects.defer("content").select_related("batch", "created_by")
    return get_object_or_404(jobs.filter(batch__in=selectors.batches_visible_to(request.user)), pk=pk)


@require_GET
def import_status(request, pk):
    """The progress of an upload: an htmx partial that polls itself until the job finishes (a
    full page when opened directly)."""
    job = _job_or_404(request, pk)
    _issues_shown(request.user, [job], regency_code=job.batch.regency_id)
    context = {"job": job}
    if request.headers.get("HX-Request"):
        response = render(request, "enrollment/_import_status.html", context)
        if job.finished:
            # Only unfinished jobs poll, so this is the moment it ended: reload the page around it
            # to show the new members, totals and budget.
            response["HX-Refresh"] = "true"
        return response
    return render(request, "enrollment/import_status.html", context)


# Refused rows shown on an import's card; the rejected-rows file has them all.
ERRORS_ON_PAGE = 20


def _issues_shown(user, jobs, *, regency_code: str) -> None:
    """Each job's first errors as `user` may see them (importers.rows_in_full), for its card."""
    for job in jobs:
        full = importers.rows_in_full(user, job, regency_code=regency_code)
        job.errors_shown = importers.issues_shown((job.errors or [])[:ERRORS_ON_PAGE], full=full)


@require_GET
def import_errors(request, pk):
    """The refused rows themselves, in the file's own columns with a column of reasons, to be
    corrected and uploaded again (importers.rejected_rows_file; masked for whoever sees NIKs
    masked, unless they uploaded the file). A file refused whole has no rows to give back: then
    the list of its problems."""
    job = _job_or_404(request, pk)
    full = importers.rows_in_full(request.user, job, regency_code=job.batch.regency_id)
    rejected = importers.rejected_rows_file(job, full=full)
    if rejected is None:
        content, content_type, extension = importers.error_report_csv(job.errors), "text/csv; charset=utf-8", "csv"
        name = f"import-{job.pk}-errors"
    else:
        content, content_type, extension = rejected
        name = f"import-{job.pk}-{slugify(_('rejected'))}"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'
    response["Cache-Control"] = "no-store"
    return response


# --- Allocations ----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def allocation_list(request):
    user = request.user
    may_create = Role.LABOUR_OFFICE in scope.roles_of(user)
    form = AllocationForm(request.POST or None, user=user) if may_create else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(_("Only the labour office manages allocations."))
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.allocation_create(
                    actor=user,
                    region_code=data["region"],
                    year=data["year"],
                    source=data["source"],
                    amount=data["amount"],
                    note=data["note"],
                )
            except ApplicationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Allocation saved."))
                return redirect("enrollment:allocation-list")
    page = _page(request, selectors.allocations_visible_to(user), ALLOCATIONS_PER_PAGE)
    # How many more people the remaining money protects: the rule progress pages use too.
    selectors.allocations_people_covered(page)
    for allocation in page:
        allocation.editable = scope.has_role(user, Role.LABOUR_OFFICE, allocation.region_id)
    return render(
        request,
        "enrollment/allocation_list.html",
        {"page": page, "form": form, "cover_months": selectors.COVER_MONTHS},
    )


@require_http_methods(["GET", "POST"])
def allocation_edit(request, pk):
    allocation = get_object_or_404(selectors.allocations_visible_to(request.user), pk=pk)
    scope.require_role(request.user, Role.LABOUR_OFFICE, region_code=regency_code(allocation.region_id))
    initial = {"amount": allocation.amount, "note": allocation.note}
    form = AllocationAmountForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.allocation_update(
                actor=request.user,
                allocation_id=allocation.pk,
                amount=data["amount"],
                note=data["note"],
                reason=data["reason"],
            )
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Allocation saved."))
            return redirect("enrollment:allocation-list")
    allocation.remaining = allocation.amount - allocation.committed
    return render(request, "enrollment/allocation_form.html", {"allocation": allocation, "form": form})


# --- Participants ---------------------------------------------------------------------------------


@require_GET
def participant_list(request):
    user = request.user
    form = ParticipantSearchForm(request.GET or None)
    page = None
    nik = selectors.nik_looked_up(form.cleaned_data["q"]) if form.is_valid() else None
    # A look-up by a whole NIK counts on the API's counter (ucj.api_base.NikLookupThrottle).
    wait = nik_lookup_wait(request, nik) if nik else None
    if wait is not None:
        context = {"form": form, "page": None, "refusal": nik_lookup_refusal(wait)}
        response = render(request, "enrollment/participant_list.html", context, status=429)
        response["Retry-After"] = str(int(wait) + 1)
        return response
    if form.is_valid():
        # Only memberships of batches the user may see: another region's batches stay unknown.
        memberships = (
            BatchMember.objects.filter(batch__in=selectors.batches_visible_to(user))
            .select_related("batch")
            .order_by("-batch__period_start", "-batch_id")
        )
        found = selectors.participant_search(user=user, query=form.cleaned_data["q"]).prefetch_related(
            Prefetch("memberships", queryset=memberships)
        )
        page = _page(request, found, PARTICIPANTS_PER_PAGE)
        batch_ids = {m.batch_id for p in page for m in p.memberships.all()}
        # A membership links to its batch only where the user may open that batch.
        openable = set(selectors.batches_visible_to(user).filter(pk__in=batch_ids).values_list("pk", flat=True))
        shown = []
        for person in page:
            personal = scope.may_see_personal_data(user, person.village_id)
            person.nik_shown = _masked(personal, person.nik, mask_nik)
            person.phone_shown = _masked(personal, person.phone, mask_phone)
            person.birth_shown = _birth(personal, person.birth_date)
            person.membership_rows = [(m, m.batch_id in openable) for m in person.memberships.all()]
            person.correctable = services.may_correct(user, person)
            if personal:
                shown.append(person.pk)
        personal_data_viewed(actor=user, where=request.get_full_path(), participant_ids=shown)
        if nik:
            found = [person.pk for person in page]
            personal_data_looked_up(actor=user, nik=nik, where=request.path, participant_ids=found)
    return render(request, "enrollment/participant_list.html", {"form": form, "page": page})


@require_http_methods(["GET", "POST"])
def participant_edit(request, pk):
    """The labour office of the region the person lives in corrects the record: name, sex, birth
    date, village. Others of the region: 403; outside it: 404."""
    user = request.user
    participant = get_object_or_404(selectors.participants_visible_to(user), pk=pk)
    if not services.may_correct(user, participant):
        raise PermissionDenied(_("Your role does not allow this action in this region."))
    initial = {
        "name": participant.name,
        "sex": participant.sex,
        "birth_date": participant.birth_date,
        "village": participant.village_id,
    }
    form = ParticipantCorrectionForm(request.POST or None, initial=initial, user=user)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in services.CORRECTABLE}
        try:
            services.participant_correct(actor=user, participant_id=participant.pk, changes=changes)
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The record was corrected."))
            return redirect("enrollment:participant-edit", pk=participant.pk)
    # The labour office sees the NIK and birth date in full here: on the access log.
    personal_data_viewed(actor=user, where=request.get_full_path(), participant_ids=[participant.pk])
    history = [(event, _history_lines(event)) for event in selectors.participant_history(participant=participant)[:50]]
    return render(
        request,
        "enrollment/participant_form.html",
        {"form": form, "participant": participant, "history": history},
    )


CORRECTION_LABELS = {
    "name": gettext_lazy("Name"),
    "sex": gettext_lazy("Sex"),
    "birth_date": gettext_lazy("Birth date"),
    "village": gettext_lazy("Village of domicile"),
}


def _history_lines(event) -> list[str]:
    data = event.data or {}
    if event.action == services.PARTICIPANT_MOVE:
        return [
            _("Domicile moved from %(from)s to %(to)s by the enrollment in batch #%(batch)s.")
            % {"from": data.get("village_from", ""), "to": data.get("village_to", ""), "batch": data.get("batch", "")}
        ]
    return [
        _("%(field)s: %(old)s → %(new)s") % {"field": CORRECTION_LABELS.get(name, name), "old": old, "new": new}
        for name, (old, new) in (data.get("changes") or {}).items()
    ]
