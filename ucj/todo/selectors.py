"""What waits for a user: one section per role they hold, each a list of items (what to do, how
many, the first few oldest or most urgent, each linking to the page where it is done).

Reads go through each app's public selectors and `ucj.scope`, always narrowed to the regions of
the role the item belongs to (a labour-office clerk of one regency who is a field officer in
another sees batches to verify only in the first). Every item costs one or two queries whatever
the number of rows behind it; the whole queue stays well under 40 (tests/todo/test_home.py).

Texts are built here in the language of the request (dates and numbers through Django's
localisation), so the template only lays them out. Counts for the navigation badge are kept per
user for COUNT_SECONDS (`todo_count`), never the items themselves.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Count, Exists, Min, OuterRef, Subquery
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from enrollment import selectors as enrollment_selectors
from enrollment.models import (
    BatchMember,
    BatchState,
    CaseState,
    EnrollmentBatch,
    FundingSource,
    ImportJob,
    ImportState,
    MemberState,
)
from outreach import selectors as outreach_selectors
from outreach.models import VISIT_KINDS, EventVillage
from ucj import scope
from ucj.models import ROOT_CODE, CoverageSnapshot, Region, Role, StaleRegion, WorkerHeartbeat
from ucj.workdays import add_working_days

User = get_user_model()

ROWS = 5  # rows shown per item; the count says how many there are
VISIT_DAYS = 90  # a village not visited for this many days waits for a visit (as outreach counts it)
CASE_DUE_WORKING_DAYS = 5  # compliance deadlines this close are "due"
ALLOCATION_LOW_PERCENT = 10  # an allocation with less left than this is running out
RENEWAL_DAYS = 60  # protection ending this soon without a renewal batch
STILL_DAYS = 30  # a region below its target whose UCJ % has not risen for this long
FIGURE_DAYS = 90  # BPJS or BPS figures older than this are stale
MOVERS = 3  # biggest movers shown each way
HEARTBEAT_LATE = dt.timedelta(minutes=5)  # the beat sends one every minute
STALE_MARK_LATE = dt.timedelta(hours=1)  # a recalculation runs within seconds of a mark
COUNT_SECONDS = 120  # how long the badge may lag behind the queue
# Batches an import still matters for: until the batch is active, rejected rows can be fixed.
OPEN_BATCH_STATES = [BatchState.DRAFT, BatchState.SUBMITTED, BatchState.VERIFIED, BatchState.APPROVED]


@dataclass
class Row:
    text: str
    url: str
    detail: str = ""
    urgent: bool = False  # overdue, missing: shown in red


@dataclass
class Item:
    key: str  # stable: the element's id is todo-<key>
    title: str
    count: int
    url: str  # the page listing all of them
    rows: list[Row] = field(default_factory=list)
    counted: bool = True  # part of the badge (the month's movers are news, not work)
    urgent: bool = False
    tasks: int | None = None  # what it adds to the badge when not `count` (batches to renew, not people)

    @property
    def more(self) -> int:
        return max((self.count if self.tasks is None else self.tasks) - len(self.rows), 0)


@dataclass
class Section:
    role: str
    title: str
    items: list[Item]


@dataclass
class Todo:
    sections: list[Section]

    @property
    def count(self) -> int:
        return sum(
            item.count if item.tasks is None else item.tasks
            for section in self.sections
            for item in section.items
            if item.counted
        )

    @property
    def empty(self) -> bool:
        return not any(section.items for section in self.sections)


# --- Formatting -----------------------------------------------------------------------------------


def _date(value: dt.date | None) -> str:
    return formats.date_format(value, "j M Y") if value else ""


def _n(value) -> str:
    return formats.number_format(value, force_grouping=True)


def _rp(value: int) -> str:
    return "Rp" + _n(int(value))


def _points(value, signed: bool = False) -> str:
    text = formats.number_format(abs(value) if signed else value, 2, force_grouping=True)
    if signed:
        text = ("+" if value > 0 else "\u2212") + text  # a minus sign, not a hyphen
    return text


def _kept(items: list[Item]) -> list[Item]:
    return [item for item in items if item.count]


# --- The queue ------------------------------------------------------------------------------------


def todo_for(*, user, today: dt.date | None = None) -> Todo:
    """The user's queue, a section per role they hold (field officer, labour office, supervisor,
    administrator), leaving out items with nothing in them. Nothing outside the role's regions."""
    today = today or timezone.localdate()
    roles = scope.roles_of(user)
    sections = []
    builders = [
        (Role.FIELD_OFFICER, _("Field work"), _field_officer),
        (Role.LABOUR_OFFICE, _("Labour office"), _labour_office),
        (Role.SUPERVISOR, _("Monitoring"), _supervisor),
        (Role.ADMIN, _("Administration"), _administrator),
    ]
    for role, title, build in builders:
        if role in roles:
            items = _kept(build(user, scope.root_codes(user, [role]), today))
            if items:
                sections.append(Section(role=role, title=title, items=items))
    todo = Todo(sections=sections)
    remember_count(user, todo.count)
    return todo


def _count_key(user) -> str:
    return f"ucj:todo:count:{user.pk}"


def remember_count(user, count: int) -> None:
    cache.set(_count_key(user), count, COUNT_SECONDS)


def cached_count(user) -> int | None:
    """The badge's count if the queue was computed in the last COUNT_SECONDS, else None: pages
    never compute the queue themselves (the badge then asks /todo/count/)."""
    return cache.get(_count_key(user))


def todo_count(*, user) -> int:
    count = cached_count(user)
    if count is None:
        count = todo_for(user=user).count
    return count


# --- Field officer --------------------------------------------------------------------------------


def _field_officer(user, roots: list[str], today: dt.date) -> list[Item]:
    return [_follow_ups(user, today), _villages_not_visited(roots, today), *_drafts(user)]


def _follow_ups(user, today: dt.date) -> Item:
    """Their interested leads whose follow-up is today or overdue, oldest first (outreach's own
    follow-up lists: the officer's own leads in their regions)."""
    due = outreach_selectors.follow_ups(user=user, day=today)
    leads = (due["overdue"] | due["due_today"]).order_by("next_follow_up", "id")
    rows = []
    for lead in leads[:ROWS]:
        overdue = lead.next_follow_up < today
        when = _("overdue since %(date)s") % {"date": _date(lead.next_follow_up)} if overdue else _("due today")
        rows.append(
            Row(
                text=lead.name,
                url=reverse("outreach:lead-detail", args=[lead.pk]),
                detail=f"{lead.village.name} · {when}",
                urgent=overdue,
            )
        )
    count = leads.count() if len(rows) == ROWS else len(rows)
    return Item(
        key="follow-ups",
        title=_("Leads to follow up today or overdue"),
        count=count,
        url=reverse("outreach:lead-list"),
        rows=rows,
        urgent=any(r.urgent for r in rows),
    )


def _villages_not_visited(roots: list[str], today: dt.date) -> Item:
    """Villages of their districts without a visit for VISIT_DAYS days: never visited first, then
    the longest since the last visit. One query over their villages (a few dozen to a few
    hundred), each with its last visit from the (village, date) index."""
    last_visit = (
        EventVillage.objects.filter(village_id=OuterRef("code"), kind__in=VISIT_KINDS, date__lte=today)
        .order_by("-date")
        .values("date")[:1]
    )
    villages = (
        Region.objects.filter(scope.subtree_q(roots, "code"), level=Region.Level.VILLAGE)
        .annotate(last_visit=Subquery(last_visit))
        .values_list("code", "name", "parent__name", "last_visit")
    )
    waiting = [v for v in villages if v[3] is None or (today - v[3]).days >= VISIT_DAYS]
    waiting.sort(key=lambda v: (v[3] is not None, v[3] or dt.date.min, v[0]))
    rows = [
        Row(
            text=name,
            url=reverse("outreach:visits-region", args=[code]),
            detail=f"{district} · "
            + (_("last visit %(date)s") % {"date": _date(last)} if last else _("never visited")),
            urgent=last is None,
        )
        for code, name, district, last in waiting[:ROWS]
    ]
    return Item(
        key="villages",
        title=_("Villages not visited for %(days)s days") % {"days": VISIT_DAYS},
        count=len(waiting),
        url=reverse("outreach:visits"),
        rows=rows,
    )


def _batch_name(batch) -> str:
    return batch.title or batch.decree_number or _("Batch #%(id)s") % {"id": batch.pk}


def _drafts(user) -> list[Item]:
    """Their drafts: the ones the labour office returned (with its reason) and the ones still
    being prepared, oldest first."""
    drafts = list(
        enrollment_selectors.batches_visible_to(user)
        .filter(state=BatchState.DRAFT, created_by=user)
        .only("id", "title", "decree_number", "last_reason", "member_count", "created_at", "state_changed_at")
        .order_by("created_at", "id")
    )
    returned = sorted((b for b in drafts if b.last_reason), key=lambda b: (b.state_changed_at or b.created_at, b.pk))
    fresh = [b for b in drafts if not b.last_reason]
    url = reverse("enrollment:batch-list") + "?state=draft"
    return [
        Item(
            key="returned",
            title=_("Batches returned to you"),
            count=len(returned),
            url=url,
            rows=[
                Row(
                    text=_batch_name(b),
                    url=reverse("enrollment:batch-detail", args=[b.pk]),
                    detail=_("Reason: %(reason)s") % {"reason": b.last_reason},
                    urgent=True,
                )
                for b in returned[:ROWS]
            ],
            urgent=True,
        ),
        Item(
            key="drafts",
            title=_("Your draft batches"),
            count=len(fresh),
            url=url,
            rows=[
                Row(
                    text=_batch_name(b),
                    url=reverse("enrollment:batch-detail", args=[b.pk]),
                    detail=_("%(n)s members · started %(date)s")
                    % {"n": _n(b.member_count), "date": _date(timezone.localdate(b.created_at))},
                )
                for b in fresh[:ROWS]
            ],
        ),
    ]


# --- Labour office --------------------------------------------------------------------------------


def _labour_office(user, roots: list[str], today: dt.date) -> list[Item]:
    return [
        *_batches_waiting(user, roots),
        _imports_with_rejections(user, roots),
        *_cases(user, roots, today),
        *_allocations(user, roots, today),
        _renewals(roots, today),
    ]


def _batches_waiting(user, roots: list[str]) -> list[Item]:
    """Submitted batches to verify and verified ones to approve, oldest first, keeping only those
    the user may act on: the actions the batch pages offer (`batch_actions_for`: role and four
    eyes), so whoever verified a batch does not find it waiting for their approval."""
    waiting = list(
        enrollment_selectors.batches_visible_to(user)
        .filter(scope.subtree_q(roots, "regency__code"), state__in=[BatchState.SUBMITTED, BatchState.VERIFIED])
        .select_related("area")
        .order_by("state_changed_at", "id")
    )
    items = []
    for state, action, key, title in (
        (BatchState.SUBMITTED, "verify", "to-verify", _("Batches to verify")),
        (BatchState.VERIFIED, "approve", "to-approve", _("Batches to approve")),
    ):
        mine = [
            b
            for b in waiting
            if b.state == state and action in enrollment_selectors.batch_actions_for(user=user, batch=b)
        ]
        items.append(
            Item(
                key=key,
                title=title,
                count=len(mine),
                url=reverse("enrollment:batch-list") + f"?state={state}",
                rows=[
                    Row(
                        text=_batch_name(b),
                        url=reverse("enrollment:batch-detail", args=[b.pk]),
                        detail=_("%(area)s · %(n)s members · %(cost)s · waiting since %(date)s")
                        % {
                            "area": b.area.name,
                            "n": _n(b.member_count),
                            "cost": _rp(b.total_cost),
                            "date": _date(timezone.localdate(b.state_changed_at)) if b.state_changed_at else "",
                        },
                    )
                    for b in mine[:ROWS]
                ],
            )
        )
    return items


def _imports_with_rejections(user, roots: list[str]) -> Item:
    """Finished imports that refused rows, of batches not yet active (their rows can still be
    fixed and sent again), oldest first."""
    batches = enrollment_selectors.batches_visible_to(user).filter(
        scope.subtree_q(roots, "regency__code"), state__in=OPEN_BATCH_STATES
    )
    imports = (
        ImportJob.objects.filter(batch__in=batches.values("pk"), state=ImportState.DONE, rejected__gt=0)
        .select_related("batch")
        .only("id", "filename", "rejected", "accepted", "finished_at", "kind", "batch__id", "batch__title")
        .order_by("finished_at", "id")
    )
    rows = [
        Row(
            text=f"{job.filename} → {_batch_name(job.batch)}",
            url=reverse("enrollment:batch-detail", args=[job.batch_id]),
            detail=_("%(rejected)s rows rejected, %(accepted)s accepted · %(date)s")
            % {
                "rejected": _n(job.rejected),
                "accepted": _n(job.accepted),
                "date": _date(timezone.localdate(job.finished_at)) if job.finished_at else "",
            },
        )
        for job in imports[:ROWS]
    ]
    return Item(
        key="imports",
        title=_("Imports with rejected rows"),
        count=imports.count() if len(rows) == ROWS else len(rows),
        url=reverse("enrollment:batch-list"),
        rows=rows,
    )


def _case_row(case, detail: str, urgent: bool) -> Row:
    return Row(
        text=case.employer.name,
        url=reverse("enrollment:case-detail", args=[case.pk]),
        detail=f"{case.get_finding_display()} · {detail}",
        urgent=urgent,
    )


def _cases(user, roots: list[str], today: dt.date) -> list[Item]:
    """Open compliance cases of the regency whose step is overdue (enrollment's `cases_overdue`),
    and those due within CASE_DUE_WORKING_DAYS working days (the regency's holidays counted)."""
    cases = enrollment_selectors.cases_visible_to(user).filter(scope.subtree_q(roots, "regency__code"))
    overdue = enrollment_selectors.cases_overdue(cases, today=today)
    # A horizon, not a deadline: counted with whatever holidays are loaded.
    horizon = add_working_days(
        today, CASE_DUE_WORKING_DAYS, region=roots[0] if len(roots) == 1 else None, require_loaded=False
    )
    due = cases.filter(state=CaseState.OPEN, due_on__gte=today, due_on__lte=horizon).order_by("due_on", "id")
    url = reverse("enrollment:compliance-list")
    overdue_rows = [_case_row(c, _("overdue since %(date)s") % {"date": _date(c.due_on)}, True) for c in overdue[:ROWS]]
    due_rows = [_case_row(c, _("due %(date)s") % {"date": _date(c.due_on)}, False) for c in due[:ROWS]]
    return [
        Item(
            key="cases-overdue",
            title=_("Compliance cases overdue"),
            count=overdue.count() if len(overdue_rows) == ROWS else len(overdue_rows),
            url=url,
            rows=overdue_rows,
            urgent=True,
        ),
        Item(
            key="cases-due",
            title=_("Compliance cases due within %(days)s working days") % {"days": CASE_DUE_WORKING_DAYS},
            count=due.count() if len(due_rows) == ROWS else len(due_rows),
            url=url,
            rows=due_rows,
        ),
    ]


def _allocations(user, roots: list[str], today: dt.date) -> list[Item]:
    """This year's and next year's allocations of the regency (and its villages' own budgets)
    with less than ALLOCATION_LOW_PERCENT left, and the regency's sources of this year with no
    allocation for next year yet. One query (enrollment's allocations, with what is reserved)."""
    year = today.year
    allocations = list(
        enrollment_selectors.allocations_visible_to(user).filter(
            scope.subtree_q(roots, "region__code"), year__in=[year, year + 1]
        )
    )
    low = []
    for a in allocations:
        remaining = a.amount - a.committed
        if a.amount > 0 and remaining * 100 < a.amount * ALLOCATION_LOW_PERCENT:
            low.append((remaining * 100 / a.amount, a, remaining))
    low.sort(key=lambda t: (t[0], t[1].year, t[1].region_id, t[1].source))
    next_year = {(a.region_id, a.source) for a in allocations if a.year == year + 1}
    missing = sorted(
        {
            (a.region_id, a.source): a
            for a in allocations
            if a.year == year and a.region.level == Region.Level.REGENCY and (a.region_id, a.source) not in next_year
        }.values(),
        key=lambda a: (a.region_id, a.source),
    )
    url = reverse("enrollment:allocation-list")
    return [
        Item(
            key="allocations-low",
            title=_("Allocations with less than %(percent)s %% left") % {"percent": ALLOCATION_LOW_PERCENT},
            count=len(low),
            url=url,
            rows=[
                Row(
                    text=f"{FundingSource(a.source).label} {a.year} · {a.region.name}",
                    url=reverse("enrollment:allocation-edit", args=[a.pk]),
                    detail=_("%(remaining)s left of %(amount)s")
                    % {"remaining": _rp(remaining), "amount": _rp(a.amount)},
                    urgent=remaining <= 0,
                )
                for _share, a, remaining in low[:ROWS]
            ],
        ),
        Item(
            key="allocations-next-year",
            title=_("No allocation yet for %(year)s") % {"year": year + 1},
            count=len(missing),
            url=url,
            rows=[
                Row(
                    text=f"{FundingSource(a.source).label} · {a.region.name}",
                    url=url,
                    detail=_("%(amount)s in %(year)s") % {"amount": _rp(a.amount), "year": year},
                )
                for a in missing[:ROWS]
            ],
        ),
    ]


def _renewals(roots: list[str], today: dt.date) -> Item:
    """Members of active batches of the regency whose protection ends within RENEWAL_DAYS and who
    are in no later batch (what the batch page lists as due for renewal), per batch, the soonest
    first. Two queries: the batches, then their members grouped."""
    later = BatchMember.objects.filter(
        participant=OuterRef("participant"), batch__period_start__gt=OuterRef("covered_until")
    ).exclude(batch__state__in=[BatchState.REJECTED, BatchState.CANCELLED])
    # The regency's active batches first (a few hundred ids): given them, PostgreSQL reads the
    # members through their batch's index instead of every member in the country whose protection
    # ends in the window (70 ms against 30 for the busiest regency of the national data set).
    # A member's protection never outlasts its batch's period.
    batch_ids = list(
        EnrollmentBatch.objects.filter(
            scope.subtree_q(roots, "regency__code"), state=BatchState.ACTIVE, period_end__gte=today
        ).values_list("id", flat=True)
    )
    ending = (
        BatchMember.objects.filter(
            batch_id__in=batch_ids,
            state=MemberState.ACCEPTED,
            covered_until__gte=today,
            covered_until__lte=today + dt.timedelta(days=RENEWAL_DAYS),
        )
        .exclude(Exists(later))
        .values("batch_id", "batch__title", "batch__decree_number")
        .annotate(n=Count("id"), ends=Min("covered_until"))
        .order_by("ends", "batch_id")
    )
    groups = list(ending)
    return Item(
        key="renewals",
        title=_("Protection ending within %(days)s days without a renewal") % {"days": RENEWAL_DAYS},
        count=sum(g["n"] for g in groups),
        tasks=len(groups),
        url=reverse("enrollment:batch-list") + "?state=active",
        rows=[
            Row(
                text=g["batch__title"] or g["batch__decree_number"] or _("Batch #%(id)s") % {"id": g["batch_id"]},
                url=reverse("enrollment:batch-detail", args=[g["batch_id"]]),
                detail=_("%(n)s members · protection ends %(date)s") % {"n": _n(g["n"]), "date": _date(g["ends"])},
            )
            for g in groups[:ROWS]
        ],
    )


# --- Supervisor -----------------------------------------------------------------------------------


def _figure_dates(snapshot: CoverageSnapshot | None) -> tuple[dt.date | None, dt.date | None]:
    """(BPJS's count, BPS's working population) dates behind a snapshot; None: missing. A sum of
    the children's figures is as old as its oldest part (a BPS sum knows only its years: the end
    of the oldest year)."""
    if snapshot is None:
        return None, None
    bpjs = bps = None
    for source in snapshot.sources or []:
        figure = source.get("figure")
        if figure == "bpjs":
            value = source.get("as_of") or source.get("as_of_from")
            bpjs = dt.date.fromisoformat(value) if value else None
        elif figure == "workforce":
            if source.get("as_of"):
                bps = dt.date.fromisoformat(source["as_of"])
            elif source.get("year_from"):
                bps = dt.date(int(source["year_from"]), 12, 31)
    return bpjs, bps


def _supervisor(user, roots: list[str], today: dt.date) -> list[Item]:
    """Over the children of each region the supervisor follows (the provinces for a national
    supervisor, the regencies for a province): who is below target and not moving, the month's
    biggest movers, and whose figures are old or missing. Two queries."""
    children = list(Region.objects.filter(parent_id__in=roots).order_by("code").values_list("code", "name"))
    codes = [code for code, _name in children]
    before_month = (
        CoverageSnapshot.objects.filter(region_id=OuterRef("region_id"), date__lt=today.replace(day=1))
        .exclude(is_current=True)
        .order_by("-date")
        .values("percent")[:1]
    )
    before_still = (
        CoverageSnapshot.objects.filter(
            region_id=OuterRef("region_id"), date__lte=today - dt.timedelta(days=STILL_DAYS)
        )
        .exclude(is_current=True)
        .order_by("-date")
        .values("percent")[:1]
    )
    snapshots = {
        s.region_id: s
        for s in CoverageSnapshot.objects.filter(region_id__in=codes, is_current=True)
        .only("region_id", "percent", "target_percent", "gap_points", "sources", "date")
        .annotate(before_month=Subquery(before_month), before_still=Subquery(before_still))
    }
    stuck, moves, figures = [], [], []
    for code, name in children:
        s = snapshots.get(code)
        url = reverse("progress-region", args=[code])
        if s is not None and s.percent is not None:
            below = s.gap_points is not None and s.gap_points > 0
            if below and s.before_still is not None and s.percent <= s.before_still:
                stuck.append((s.gap_points, code, name, s, url))
            if s.before_month is not None and s.percent != s.before_month:
                moves.append((s.percent - s.before_month, code, name, url))
        bpjs, bps = _figure_dates(s)
        old = today - dt.timedelta(days=FIGURE_DAYS)
        problems = []
        for label, day in ((_("BPJS"), bpjs), (_("BPS"), bps)):
            if day is None:
                problems.append(_("%(figure)s figure missing") % {"figure": label})
            elif day < old:
                problems.append(_("%(figure)s figure of %(date)s") % {"figure": label, "date": _date(day)})
        if problems:
            oldest = min((d for d in (bpjs, bps) if d is not None), default=None)
            figures.append((oldest is not None, oldest or dt.date.min, code, name, " · ".join(problems), url))
    stuck.sort(key=lambda t: (-t[0], t[1]))
    ups = sorted((m for m in moves if m[0] > 0), key=lambda m: (-m[0], m[1]))[:MOVERS]
    downs = sorted((m for m in moves if m[0] < 0), key=lambda m: (m[0], m[1]))[:MOVERS]
    figures.sort(key=lambda t: (t[0], t[1], t[2]))
    index = reverse("progress-index")
    return [
        Item(
            key="stuck",
            title=_("Below target and not moving for %(days)s days") % {"days": STILL_DAYS},
            count=len(stuck),
            url=index,
            rows=[
                Row(
                    text=name,
                    url=url,
                    detail=_("%(percent)s %% against a target of %(target)s %%")
                    % {"percent": _points(s.percent), "target": _points(s.target_percent)},
                    urgent=True,
                )
                for _gap, code, name, s, url in stuck[:ROWS]
            ],
        ),
        Item(
            key="movers",
            title=_("This month's biggest movers"),
            count=len(ups) + len(downs),
            url=index,
            rows=[
                Row(
                    text=name,
                    url=url,
                    detail=_("%(change)s points since the month began") % {"change": _points(change, signed=True)},
                    urgent=change < 0,
                )
                for change, code, name, url in ups + downs
            ],
            counted=False,
        ),
        Item(
            key="figures",
            title=_("BPJS or BPS figures older than %(days)s days or missing") % {"days": FIGURE_DAYS},
            count=len(figures),
            url=index,
            rows=[
                Row(text=name, url=url, detail=detail, urgent=not known)
                for known, _day, code, name, detail, url in figures[:ROWS]
            ],
        ),
    ]


# --- Administrator --------------------------------------------------------------------------------


def _administrator(user, roots: list[str], today: dt.date) -> list[Item]:
    """Accounts nobody assigned, background work that failed or stopped, coverage that did not
    get recomputed. Accounts and workers belong to no region: only national administrators see
    them; failed imports and stale marks are narrowed to the administrator's regions."""
    now = timezone.now()
    national = ROOT_CODE in roots
    items = []
    if national:
        users = User.objects.filter(is_active=True, is_superuser=False, assignments__isnull=True).order_by(
            "date_joined", "id"
        )
        rows = [
            Row(
                text=u.get_full_name() or u.get_username(),
                url=reverse("admin:auth_user_change", args=[u.pk]),
                detail=_("account since %(date)s") % {"date": _date(timezone.localdate(u.date_joined))},
            )
            for u in users[:ROWS]
        ]
        items.append(
            Item(
                key="users",
                title=_("Users without a region"),
                count=users.count() if len(rows) == ROWS else len(rows),
                url=reverse("admin:auth_user_changelist"),
                rows=rows,
            )
        )
    failed = (
        ImportJob.objects.filter(
            scope.subtree_q(roots, "batch__area__code"), state=ImportState.FAILED, batch__state__in=OPEN_BATCH_STATES
        )
        .select_related("batch")
        .only("id", "filename", "message", "created_at", "batch__id", "batch__title", "batch__decree_number")
        .order_by("created_at", "id")
    )
    rows = [
        Row(
            text=f"{job.filename} → {_batch_name(job.batch)}",
            url=reverse("enrollment:batch-detail", args=[job.batch_id]),
            detail=job.message[:120] or _date(timezone.localdate(job.created_at)),
            urgent=True,
        )
        for job in failed[:ROWS]
    ]
    items.append(
        Item(
            key="failed-imports",
            title=_("Failed imports"),
            count=failed.count() if len(rows) == ROWS else len(rows),
            url=reverse("enrollment:batch-list"),
            rows=rows,
            urgent=True,
        )
    )
    if national:
        late = list(WorkerHeartbeat.objects.filter(last_seen__lt=now - HEARTBEAT_LATE).order_by("last_seen"))
        items.append(
            Item(
                key="workers",
                title=_("Background workers not heard from for %(minutes)s minutes")
                % {"minutes": int(HEARTBEAT_LATE.total_seconds() // 60)},
                count=len(late),
                url=reverse("admin:ucj_workerheartbeat_changelist"),
                rows=[
                    Row(
                        text=hb.hostname,
                        url=reverse("admin:ucj_workerheartbeat_changelist"),
                        detail=_("last seen %(when)s")
                        % {"when": formats.date_format(timezone.localtime(hb.last_seen), "j M Y H:i")},
                        urgent=True,
                    )
                    for hb in late[:ROWS]
                ],
                urgent=True,
            )
        )
    marks = (
        StaleRegion.objects.filter(scope.subtree_q(roots, "region__code"), marked_at__lt=now - STALE_MARK_LATE)
        .select_related("region")
        .order_by("marked_at", "region_id")
    )
    rows = [
        Row(
            text=mark.region.name,
            url=reverse("progress-region", args=[mark.region_id]),
            detail=_("waiting since %(when)s")
            % {"when": formats.date_format(timezone.localtime(mark.marked_at), "j M Y H:i")},
            urgent=True,
        )
        for mark in marks[:ROWS]
    ]
    items.append(
        Item(
            key="stale-coverage",
            title=_("Coverage waiting for a recalculation for over an hour"),
            count=marks.count() if len(rows) == ROWS else len(rows),
            url=reverse("admin:ucj_workerheartbeat_changelist"),
            rows=rows,
            urgent=True,
        )
    )
    return items
