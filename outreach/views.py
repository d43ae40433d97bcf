"""Pages of outreach: the mobile event form, the event list and calendar, leads and their
follow-ups (and adding them to a draft batch), and village visit coverage.

Thin by design: objects are fetched through the scoped selectors (an outsider gets 404), every
change is a service call, and a refusal comes back on the form or as a message."""

import calendar
import datetime as dt
import uuid
from collections import defaultdict

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from enrollment import selectors as enrollment_selectors
from enrollment import services as enrollment_services
from enrollment.models import BatchKind, BatchState, mask_birth_date, mask_nik, mask_phone
from outreach import selectors, services
from outreach.forms import (
    EVENT_ERROR_ALIASES,
    KIND_FIELDS,
    LEAD_ERROR_ALIASES,
    LEAD_TABS,
    NEW_BATCH,
    DistrictChoiceForm,
    EventFilterForm,
    EventForm,
    FollowUpForm,
    LeadFilterForm,
    LeadForm,
    LeadsToBatchForm,
    VisitFilterForm,
    add_service_errors,
    month_start,
    shift_month,
)
from outreach.models import ATTENDANCE_GROUPS, EventKind, EventVillage, Lead, OutreachEvent
from ucj import scope
from ucj.errors import ApplicationError, Conflict
from ucj.models import Region, Role, regency_code
from ucj.services import personal_data_viewed

EVENTS_PER_PAGE = 30
LEADS_PER_PAGE = 50
# A month calendar shows at most this many events (a regency's busiest month stays far below).
CALENDAR_MAX_EVENTS = 1000
DRAFT_BATCHES_OFFERED = 100
# Who logs events and leads (as `selectors.loggable_villages` decides where), and changes leads
# (as `services.lead_update` decides: one of these roles over the lead's village).
LOGGER_ROLES = (Role.FIELD_OFFICER, Role.LABOUR_OFFICE, Role.ADMIN)


def _page(request, items, per_page):
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def _may_log(user) -> bool:
    return bool(scope.roles_of(user) & set(LOGGER_ROLES))


def _event_or_404(request, pk) -> OutreachEvent:
    return get_object_or_404(selectors.events_visible_to(request.user).select_related("regency", "created_by"), pk=pk)


def _with_villages(events):
    return events.select_related("created_by").prefetch_related(
        Prefetch("villages", queryset=Region.objects.only("code", "name", "parent_id").order_by("name"))
    )


# --- Events ---------------------------------------------------------------------------------------


def _filtered_events(user, filters: EventFilterForm, *, with_month: bool = True):
    events = selectors.events_visible_to(user)
    kind = filters.value("kind")
    if kind:
        events = events.filter(kind=kind)
    month = month_start(filters.value("month") or "") if with_month else None
    if month:
        events = events.filter(date__year=month.year, date__month=month.month)
    region = filters.value("region")
    if region:
        # A subquery, not a join: an event with three villages in the region is listed once.
        events = events.filter(
            pk__in=EventVillage.objects.filter(scope.subtree_q([region], "village__code")).values("event_id")
        )
    if filters.value("mine"):
        events = events.filter(
            Q(created_by=user)
            | Q(pk__in=OutreachEvent.officers.through.objects.filter(user=user).values("outreachevent_id"))
        )
    return events


def _calendar(request, filters: EventFilterForm) -> dict:
    """A month grid (weeks of days, each with its events) and the same days as a list for phones.
    No month, or an invalid one (the filter form shows why): this month."""
    today = timezone.localdate()
    month = month_start(filters.value("month") or "") or today.replace(day=1)
    events = _with_villages(_filtered_events(request.user, filters, with_month=False)).filter(
        date__year=month.year, date__month=month.month
    )
    events = list(events.order_by("date", "time", "id")[:CALENDAR_MAX_EVENTS])
    by_day = defaultdict(list)
    for event in events:
        by_day[event.date].append(event)
    weeks = [
        [{"date": day, "in_month": day.month == month.month, "events": by_day.get(day, [])} for day in week]
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(month.year, month.month)
    ]
    previous, following = shift_month(month, -1), shift_month(month, 1)
    return {
        "month": month,
        "weeks": weeks,
        "days": [(day, by_day[day]) for day in sorted(by_day)],
        "previous_month": f"{previous:%Y-%m}" if previous else None,
        "next_month": f"{following:%Y-%m}" if following else None,
        "today": today,
        "truncated": len(events) == CALENDAR_MAX_EVENTS,
        "event_count": len(events),
    }


@require_GET
def event_list(request):
    user = request.user
    filters = EventFilterForm(request.GET or None, user=user)
    context = {"filters": filters, "may_log": _may_log(user), "kinds": EventKind}
    if request.GET.get("view") == "calendar":
        context.update(_calendar(request, filters))
        return render(request, "outreach/event_calendar.html", context)
    events = _with_villages(_filtered_events(user, filters)).order_by("-date", "-time", "-id")
    context["page"] = _page(request, events, EVENTS_PER_PAGE)
    return render(request, "outreach/event_list.html", context)


def _event_form_context(form, event=None, chooser=None) -> dict:
    return {
        "form": form,
        "event": event,
        "chooser": chooser if chooser is not None and chooser.wide else None,
        "kind_fields": {name: " ".join(kinds) for name, kinds in KIND_FIELDS.items()},
    }


@require_http_methods(["GET", "POST"])
def event_new(request):
    user = request.user
    if not _may_log(user):
        raise PermissionDenied(_("Only field officers and the labour office log outreach events."))
    # A user of more villages than a form can list chooses a district first (`?district=`, kept in
    # the form's address when it is sent).
    chooser = DistrictChoiceForm(request.GET, user=user)
    district = chooser.chosen_district
    if chooser.wide and district is None:
        return render(request, "outreach/event_district.html", {"chooser": chooser, "event": None})
    form = EventForm(request.POST or None, user=user, districts=[district] if district else None)
    if not form.has_villages:
        raise PermissionDenied(_("You have no villages to log events in. Ask an administrator for an assignment."))
    if request.method == "POST" and form.is_valid():
        try:
            event, created = services.event_log(
                actor=user, client_id=form.cleaned_data["client_id"], data=form.data_for_service()
            )
        except Conflict:
            # The id is taken: by someone else's event, or by this user's event with other data (the
            # form sent again after going back and changing it). Nothing is lost: the form keeps what
            # was typed and gets a fresh id, and saving again logs a new event.
            form.data = form.data.copy()
            form.data["client_id"] = str(uuid.uuid4())
            form.add_error(
                None, _("This form was already saved as another event; check it and save again to log a new one.")
            )
        except ApplicationError as exc:
            add_service_errors(form, exc, EVENT_ERROR_ALIASES)
        else:
            if created:
                messages.success(request, _("Event saved: %(event)s.") % {"event": _event_label(event)})
            else:
                messages.info(request, _("This event was already saved; nothing was added twice."))
            return redirect(event)
    return render(request, "outreach/event_form.html", _event_form_context(form, chooser=chooser))


def _event_label(event: OutreachEvent) -> str:
    return f"{event.get_kind_display()}, {event.date:%d/%m/%Y}"


def _edit_refusal(event: OutreachEvent) -> str:
    """Why the edit link is missing, for someone who opens the edit page anyway (the service
    gives the same reasons when a change is sent)."""
    if timezone.now() - event.created_at > dt.timedelta(hours=settings.OUTREACH_EDIT_HOURS):
        return _("This event was logged more than %(hours)s hours ago; only a supervisor can change it now.") % {
            "hours": settings.OUTREACH_EDIT_HOURS
        }
    return _("Your role does not allow changing this event.")


@require_http_methods(["GET", "POST"])
def event_edit(request, pk):
    event = _event_or_404(request, pk)
    user = request.user
    if request.method == "GET" and not services.event_may_edit(user, event):
        messages.error(request, _edit_refusal(event))
        return redirect(event)
    # A user of more villages than a form can list sees the districts of the event's villages, or
    # the one chosen with `?district=` (the event's own villages stay listed either way).
    chooser = DistrictChoiceForm(request.GET, user=user)
    districts = None
    if chooser.wide:
        districts = (
            [chooser.chosen_district]
            if chooser.chosen_district
            else sorted({v.parent_id for v in event.villages.all()})
        )
    form = EventForm(request.POST or None, user=user, event=event, districts=districts)
    if request.method == "POST" and form.is_valid():
        try:
            services.event_update(actor=user, event_id=event.pk, data=form.data_for_service())
        except PermissionDenied as exc:
            messages.error(request, str(exc) or _edit_refusal(event))
            return redirect(event)
        except ApplicationError as exc:
            add_service_errors(form, exc, EVENT_ERROR_ALIASES)
        else:
            messages.success(request, _("The event was saved."))
            return redirect(event)
    return render(request, "outreach/event_form.html", _event_form_context(form, event, chooser))


def _sees_personal_data(user, lead: Lead) -> bool:
    """NIK, phone and birth date in full: for the officer who met the person (they call them back)
    and for roles that handle personal data; masked for everyone else."""
    return lead.officer_id == user.pk or scope.may_see_personal_data(user, lead.village_id)


def _may_edit_lead(user, lead: Lead) -> bool:
    """As `services.lead_update` decides: a logging role over the lead's village."""
    return any(scope.has_role(user, role, lead.village_id) for role in LOGGER_ROLES)


def _lead_rows(user, leads) -> list[Lead]:
    """Leads with their phone, NIK and birth date as this user may see them (no birth date, not
    even the year, when masked: the NIK's hidden digits are the birth date)."""
    rows = list(leads)
    for lead in rows:
        full = _sees_personal_data(user, lead)
        lead.phone_shown = lead.phone if full else mask_phone(lead.phone)
        lead.nik_shown = lead.nik if full else (mask_nik(lead.nik) if lead.nik else "")
        # None: the template writes the full date.
        lead.birth_year_shown = None if full else mask_birth_date(lead.birth_date)
        lead.phone_callable = full and bool(lead.phone)
    return rows


@require_GET
def event_detail(request, pk):
    user = request.user
    event = get_object_or_404(
        selectors.events_visible_to(user)
        .select_related("regency", "created_by", "employer")
        .prefetch_related(
            Prefetch("villages", queryset=Region.objects.select_related("parent").order_by("code")), "officers"
        ),
        pk=pk,
    )
    villages = list(event.villages.all())
    leads = selectors.leads_visible_to(user).filter(event=event).select_related("village").order_by("name", "id")
    attendance = [(group, getattr(event, group)) for group in ATTENDANCE_GROUPS]
    # The employer's page only for those who may open it (it lies in one of the event's villages,
    # not necessarily in one of the user's).
    employer = event.employer
    employer_url = None
    if employer is not None and enrollment_selectors.employers_visible_to(user).filter(pk=employer.pk).exists():
        employer_url = employer.get_absolute_url()
    context = {
        "event": event,
        "villages": villages,
        "officers": sorted(event.officers.all(), key=lambda u: u.get_username()),
        "attendance": attendance,
        "leads": _lead_rows(user, leads),
        "may_edit": services.event_may_edit(user, event),
        "may_log": _may_log(user),
        "fertiliser": event.kind == EventKind.FERTILISER,
        "employer_visit": event.kind == EventKind.EMPLOYER_VISIT,
        "employer": employer,
        "employer_url": employer_url,
    }
    return render(request, "outreach/event_detail.html", context)


# --- Leads ----------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def lead_new(request, pk):
    event = _event_or_404(request, pk)
    user = request.user
    if not _may_log(user):
        raise PermissionDenied(_("Only field officers and the labour office record leads."))
    villages = list(event.villages.order_by("name"))
    form = LeadForm(request.POST or None, villages=villages)
    if request.method == "POST" and form.is_valid():
        try:
            lead = services.lead_create(actor=user, data=form.data_for_service(event_id=event.pk))
        except ApplicationError as exc:
            add_service_errors(form, exc, LEAD_ERROR_ALIASES)
        else:
            messages.success(request, _("%(name)s was added to the leads.") % {"name": lead.name})
            if request.POST.get("then") == "another":
                return redirect("outreach:lead-new", pk=event.pk)
            return redirect(event)
    return render(request, "outreach/lead_form.html", {"form": form, "event": event, "lead": None})


def _lead_or_404(request, pk) -> Lead:
    return get_object_or_404(
        selectors.leads_visible_to(request.user).select_related("village", "event", "officer", "batch"), pk=pk
    )


def _lead_page(request, lead: Lead, follow_up_form: FollowUpForm | None = None):
    _lead_rows(request.user, [lead])
    if _sees_personal_data(request.user, lead):
        _log_lead_shown(request, lead)
    may_edit = _may_edit_lead(request.user, lead)
    if may_edit and follow_up_form is None:
        follow_up_form = FollowUpForm()
    context = {
        "lead": lead,
        "may_edit": may_edit,
        "follow_ups": selectors.lead_follow_ups(lead=lead),
        "follow_up_form": follow_up_form if may_edit else None,
    }
    return render(
        request, "outreach/lead_detail.html", context, status=400 if follow_up_form and follow_up_form.errors else 200
    )


@require_GET
def lead_detail(request, pk):
    return _lead_page(request, _lead_or_404(request, pk))


@require_POST
def lead_follow_up(request, pk):
    """Record a contact with the lead (the form on the lead's page); errors come back on it."""
    lead = _lead_or_404(request, pk)
    user = request.user
    scope.require_role(user, *LOGGER_ROLES, region_code=lead.village_id)
    form = FollowUpForm(request.POST)
    if form.is_valid():
        try:
            services.lead_follow_up_record(lead_id=lead.pk, actor=user, data=form.data_for_service())
        except ApplicationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The follow-up was recorded."))
            return redirect(lead)
    return _lead_page(request, lead, form)


def _log_lead_shown(request, lead: Lead) -> None:
    """The lead's full NIK is on the page (its detail, or its form): the access log."""
    if lead.nik:
        personal_data_viewed(
            actor=request.user,
            where=request.get_full_path(),
            lead_ids=[lead.pk],
            region_code=regency_code(lead.village_id),
            target=lead,
        )


@require_http_methods(["GET", "POST"])
def lead_edit(request, pk):
    lead = _lead_or_404(request, pk)
    user = request.user
    # Before anything is shown: the form holds the person's data.
    scope.require_role(user, *LOGGER_ROLES, region_code=lead.village_id)
    full = _sees_personal_data(user, lead)
    form = LeadForm(request.POST or None, lead=lead, full=full)
    if full and request.method == "GET":
        _log_lead_shown(request, lead)
    if request.method == "POST" and form.is_valid():
        try:
            services.lead_update(actor=user, lead_id=lead.pk, data=form.data_for_service())
        except ApplicationError as exc:
            add_service_errors(form, exc, LEAD_ERROR_ALIASES)
        else:
            messages.success(request, _("The lead was saved."))
            return redirect(lead)
    return render(request, "outreach/lead_form.html", {"form": form, "event": lead.event, "lead": lead})


def _draft_batches(user) -> list:
    """Draft batches the user may add people to: the vulnerable workers' batches (a village
    officials' batch refuses leads) they may edit."""
    drafts = (
        enrollment_selectors.batches_visible_to(user)
        .filter(state=BatchState.DRAFT, kind=BatchKind.VULNERABLE_WORKERS)
        .select_related("area")
        .order_by("-created_at", "-id")[:DRAFT_BATCHES_OFFERED]
    )
    return [b for b in drafts if enrollment_services.may_edit(user, b.area_id, b.created_by_id)]


def _region_filter(leads, code):
    return leads.filter(scope.subtree_q([code], "village__code")) if code else leads


@require_GET
def lead_list(request):
    user = request.user
    tab = request.GET.get("tab") if request.GET.get("tab") in LEAD_TABS else "today"
    filters = LeadFilterForm(request.GET or None, user=user)
    region = filters.value("region")
    follow = selectors.follow_ups(user=user, day=timezone.localdate())
    sets = {
        "today": follow["due_today"],
        "overdue": follow["overdue"],
        "upcoming": follow["upcoming"],
        "all": selectors.leads_visible_to(user),
    }
    sets = {name: _region_filter(leads, region) for name, leads in sets.items()}
    status = filters.value("status")
    if status:
        sets["all"] = sets["all"].filter(status=status)
    counts = {name: leads.count() for name, leads in sets.items()}
    leads = sets[tab].select_related("village", "event").order_by("next_follow_up", "name", "id")
    page = _page(request, leads, LEADS_PER_PAGE)
    page.object_list = _lead_rows(user, page.object_list)
    batches = _draft_batches(user) if _may_log(user) else []
    return render(
        request,
        "outreach/lead_list.html",
        {
            "tab": tab,
            "tabs": [(name, counts[name]) for name in LEAD_TABS],
            "filters": filters,
            "page": page,
            "batches": batches,
            "may_log": _may_log(user),
            "today": timezone.localdate(),
        },
    )


@require_POST
def leads_to_batch(request):
    user = request.user
    batches = _draft_batches(user)
    form = LeadsToBatchForm(request.POST, batches=batches)
    back = reverse("outreach:lead-list") + ("?" + request.POST["query"] if request.POST.get("query") else "")
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    chosen, lead_ids = form.cleaned_data["batch"], form.cleaned_data["lead"]
    try:
        if chosen == NEW_BATCH:
            created = services.leads_add_to_new_batch(actor=user, lead_ids=lead_ids)
            batch, result = created.batch, created.result
        else:
            result = services.leads_add_to_batch(actor=user, lead_ids=lead_ids, batch_id=int(chosen))
            batch = next(b for b in batches if b.pk == int(chosen))
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    if chosen == NEW_BATCH and batch is not None:
        messages.info(
            request,
            _("New draft batch #%(id)s created for them: check its terms (funding source, period) before submitting.")
            % {"id": batch.pk},
        )
    if result.added:
        messages.success(request, _("%(n)s leads added to batch #%(id)s.") % {"n": len(result.added), "id": batch.pk})
    if result.refused:
        messages.warning(request, _("%(n)s leads were not added; see why below.") % {"n": len(result.refused)})
    # The import's warnings about accepted rows (e.g. an age near the limit), per lead.
    warnings = list(getattr(result, "warnings", None) or [])
    return render(
        request,
        "outreach/leads_to_batch.html",
        {"batch": batch, "added": result.added, "refused": result.refused, "warnings": warnings},
    )


# --- Village visit coverage -----------------------------------------------------------------------

# A province or the country chooses one of its regions first: its villages are too many for a page.
VISIT_LEVELS = (Region.Level.REGENCY, Region.Level.DISTRICT, Region.Level.VILLAGE)
VISIT_SORTS = {
    "district": lambda v: (v.district_name, v.name),
    "name": lambda v: (v.name, v.code),
    "last": lambda v: (v.last_visit is not None, v.last_visit or dt.date.min, v.name),
    "visits": lambda v: (-v.visits, v.name),
    "days": lambda v: (v.days_since is not None, -(v.days_since or 0), v.name),
}


def _default_order(v):
    """Never-visited villages first, then the longest unvisited."""
    return (v.last_visit is not None, v.last_visit or dt.date.min, v.district_name, v.name)


# The windows offered beside the headline ("visited in the last N days"); `?days=` takes any.
VISIT_WINDOWS = (30, 90, 180, 365)
# An overview across the user's regions lists up to this many; more are chosen from a list.
MAX_OVERVIEW_REGIONS = 50


@require_GET
def visits_index(request):
    """The user's widest region; for several regencies, districts or villages (an officer's
    districts) all of them side by side with the villages waiting longest; else a list."""
    code = scope.widest_region_code(request.user)
    if code:
        return visits(request, code)
    roots = list(Region.objects.filter(code__in=scope.root_codes(request.user)).order_by("code"))
    if roots and len(roots) <= MAX_OVERVIEW_REGIONS and all(r.level in VISIT_LEVELS for r in roots):
        filters = VisitFilterForm(request.GET or None)
        values = filters.values()
        overview = selectors.village_visit_overview(regions=roots, until=values["until"], stale_days=values["days"])
        return render(
            request,
            "outreach/visits_overview.html",
            {"overview": overview, "values": values, "windows": VISIT_WINDOWS},
        )
    return render(request, "outreach/visits_choose.html", {"regions": roots, "region": None})


@require_GET
def visits(request, code):
    user = request.user
    region = scope.get_region_or_404(user, code)
    if region.level not in VISIT_LEVELS:
        children = scope.regions_for(user).filter(parent=region).order_by("code")
        return render(request, "outreach/visits_choose.html", {"regions": children, "region": region})
    filters = VisitFilterForm(request.GET or None)
    values = filters.values()
    coverage = selectors.village_visit_coverage(
        region=region, since=values["since"], until=values["until"], stale_days=values["days"]
    )
    rows = list(coverage.stale if values["stale_only"] else coverage.per_village)
    rows.sort(key=VISIT_SORTS.get(values["sort"], _default_order))
    kind_labels = {Region.Kind.DESA: "desa", Region.Kind.DESA_ADAT: "desa adat", Region.Kind.KELURAHAN: "kelurahan"}
    for row in rows:
        row.kind_label = kind_labels.get(row.kind, row.kind)
    return render(
        request,
        "outreach/visits.html",
        {
            "region": region,
            "filters": filters,
            "values": values,
            "coverage": coverage,
            "rows": rows,
            "windows": VISIT_WINDOWS,
            **_months_by_kind(coverage.per_month_kind),
            "breadcrumbs": _visit_breadcrumbs(user, region),
        },
    )


def _months_by_kind(rows) -> dict:
    """A month-by-kind table of events (and attendance), with totals per kind and per month."""
    kinds = [kind for kind in EventKind if any(r.kind == kind for r in rows)]
    cells: dict[tuple, object] = {(r.month, r.kind): r for r in rows}
    months = []
    for month in sorted({r.month for r in rows}):
        found = [cells.get((month, kind)) for kind in kinds]
        months.append(
            {
                "month": month,
                "cells": found,
                "events": sum(c.events for c in found if c),
                "attendance": sum(c.attendance for c in found if c),
            }
        )
    totals = [
        {
            "kind": kind,
            "events": sum(r.events for r in rows if r.kind == kind),
            "attendance": sum(r.attendance for r in rows if r.kind == kind),
        }
        for kind in kinds
    ]
    return {
        "kinds": kinds,
        "months": months,
        "kind_totals": totals,
        "events_total": sum(r.events for r in rows),
        "attendance_total": sum(r.attendance for r in rows),
    }


def _visit_breadcrumbs(user, region) -> list[Region]:
    codes = [c for c in region.ancestor_codes() if scope.can_see_code(user, c)]
    return list(Region.objects.filter(code__in=codes).order_by("level"))
