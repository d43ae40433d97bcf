"""Reads of outreach worth naming. Every list starts from the user's scope (ucj/scope.py)."""

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from outreach.models import ATTENDANCE_GROUPS, VISIT_KINDS, EventVillage, Lead, LeadFollowUp, LeadStatus, OutreachEvent
from ucj import scope
from ucj.models import ROOT_CODE, Region, Role, code_in_subtree

User = get_user_model()

# --- Scoped querysets -----------------------------------------------------------------------------


def _depth(code: str) -> int:
    return 0 if code == ROOT_CODE else code.count(".") + 1


def _ancestors_and_self(code: str) -> list[str]:
    parts = [] if code == ROOT_CODE else code.split(".")
    return [ROOT_CODE] + [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def events_visible_to(user) -> QuerySet[OutreachEvent]:
    """Events that reached any village in the user's regions, and the events the user logged
    while they still log somewhere in the event's regency (a field officer moved to another
    district of it keeps what they logged; one moved away, or without an assignment, does not),
    as `scope.visible_or_own` does for batches. Regions of regency level or wider filter on the
    event's regency (indexed); a district or a village looks the event up through its villages."""
    if user is None or not user.is_authenticated or not user.is_active:
        return OutreachEvent.objects.none()
    roots = scope.root_codes(user)
    wide = [c for c in roots if _depth(c) <= 2]
    narrow = [c for c in roots if _depth(c) > 2]
    q = scope.subtree_q(wide, "regency__code")
    # A logging role inside (or over) a regency: the regency is among the role's region and the
    # regions above it. A role over a wider region already sees the regency through `wide`.
    logging_roots = scope.root_codes(user, [Role.FIELD_OFFICER, Role.LABOUR_OFFICE])
    around = sorted({code for root in logging_roots for code in _ancestors_and_self(root)})
    if around:
        q |= Q(created_by=user, regency__code__in=around)
    if narrow:
        reached = EventVillage.objects.filter(scope.subtree_q(narrow, "village__code"), event_id=OuterRef("pk"))
        q |= Exists(reached)
    return OutreachEvent.objects.filter(q)


def leads_visible_to(user) -> QuerySet[Lead]:
    """Leads whose village lies in the user's regions."""
    return scope.visible(user, Lead.objects.all(), "village__code")


def loggable_villages(user) -> QuerySet[Region]:
    """Villages the user may log events and leads in: a field officer's own, the labour office's
    regency, an administrator's regions. Supervisors log nothing."""
    roots = scope.root_codes(user, [Role.FIELD_OFFICER, Role.LABOUR_OFFICE, Role.ADMIN])
    return Region.objects.filter(scope.subtree_q(roots, "code"), level=Region.Level.VILLAGE).order_by("code")


def follow_ups(*, user, day) -> dict[str, QuerySet[Lead]]:
    """The user's own interested leads with a follow-up date: due on `day`, overdue, upcoming."""
    mine = (
        leads_visible_to(user)
        .filter(officer=user, status=LeadStatus.INTERESTED, next_follow_up__isnull=False)
        .select_related("village", "event")
    )
    return {
        "due_today": mine.filter(next_follow_up=day).order_by("name", "id"),
        "overdue": mine.filter(next_follow_up__lt=day).order_by("next_follow_up", "id"),
        "upcoming": mine.filter(next_follow_up__gt=day).order_by("next_follow_up", "id"),
    }


def lead_follow_ups(*, lead) -> QuerySet[LeadFollowUp]:
    """The lead's follow-up log, newest first, with who made each contact."""
    return LeadFollowUp.objects.filter(lead=lead).select_related("officer").order_by("-date", "-id")


# --- Village visit coverage -----------------------------------------------------------------------


@dataclass
class VillageVisits:
    code: str
    name: str
    kind: str  # Region.Kind: desa, desa_adat or kelurahan
    district_code: str
    district_name: str
    last_visit: datetime.date | None  # the last visit on or before `until`, also before `since`
    visits: int  # visits between since and until
    days_since: int | None  # days from the last visit to `until`; None if never visited

    @property
    def is_kelurahan(self) -> bool:
        return self.kind == Region.Kind.KELURAHAN


@dataclass
class KindCounts:
    villages: int
    visited: int
    percent: float | None  # None without villages


@dataclass
class MonthKindRow:
    month: datetime.date  # first day of the month
    kind: str
    events: int
    attendance: int


@dataclass
class OfficerRow:
    officer_id: int
    username: str
    name: str
    events: int
    attendance: int
    villages: int  # distinct villages of the region reached


@dataclass
class VisitCoverage:
    """Village visit coverage of a region between `since` (None: from the beginning) and `until`.
    A village counts as visited when an event of VISIT_KINDS reached it in the period; desa (with
    desa adat) and kelurahan are counted apart, as the news counts desa. A village is stale when
    its last visit is `stale_days` or more days before `until`, or it was never visited; the
    headline is the share that is not (`recent_percent`): a village visited once in January is not
    "visited" in December."""

    region: Region
    since: datetime.date | None
    until: datetime.date
    stale_days: int
    villages: int
    visited: int
    percent: float | None
    # The headline: villages whose last visit lies within `stale_days` before `until`, their share,
    # and the rest split into never visited and visited longer ago.
    recent: int
    recent_percent: float | None
    never: int
    lapsed: int
    desa: KindCounts
    kelurahan: KindCounts
    per_village: list[VillageVisits] = field(default_factory=list)
    stale: list[VillageVisits] = field(default_factory=list)
    per_month_kind: list[MonthKindRow] = field(default_factory=list)
    per_officer: list[OfficerRow] = field(default_factory=list)


def _percent(part: int, whole: int) -> float | None:
    return round(part * 100 / whole, 1) if whole else None


def _attendance_sum(prefix: str = ""):
    total = F(prefix + ATTENDANCE_GROUPS[0])
    for group in ATTENDANCE_GROUPS[1:]:
        total = total + F(prefix + group)
    return Sum(total)


def _events_of_region(region: Region, since: datetime.date | None, until: datetime.date) -> QuerySet[OutreachEvent]:
    """Events in the period that reached a village of the region, each once. Every village of an
    event lies in its regency, so a regency or wider filters on the event's regency."""
    events = OutreachEvent.objects.filter(date__lte=until)
    if since is not None:
        events = events.filter(date__gte=since)
    if region.level <= Region.Level.REGENCY:
        return events.filter(scope.subtree_q([region.code], "regency__code"))
    reached = EventVillage.objects.filter(scope.subtree_q([region.code], "village__code"), event_id=OuterRef("pk"))
    return events.filter(Exists(reached))


def village_visit_coverage(
    *, region: Region, since: datetime.date | None, until: datetime.date, stale_days: int = 90
) -> VisitCoverage:
    """Counts over the villages below `region` (or the village itself): five queries whatever the
    number of villages and events. The caller has fetched `region` through the scope."""
    if region.level == Region.Level.VILLAGE:
        village_q = Q(code=region.code)
    else:
        village_q = scope.subtree_q([region.code], "code") & Q(level=Region.Level.VILLAGE)
    villages = list(
        Region.objects.filter(village_q)
        .order_by("code")
        .values_list("code", "name", "kind", "parent_id", "parent__name")
    )

    # 1 query: per village, the last visit up to `until` and the number of visits in the period.
    in_region = scope.subtree_q([region.code], "village__code")
    visits = (
        EventVillage.objects.filter(in_region, kind__in=VISIT_KINDS, date__lte=until)
        .values("village_id")
        .annotate(last=Max("date"), n=Count("id", filter=Q(date__gte=since)) if since is not None else Count("id"))
        .order_by()
    )
    by_village = {row["village_id"]: (row["last"], row["n"]) for row in visits}

    per_village: list[VillageVisits] = []
    counts = {"desa": [0, 0], "kelurahan": [0, 0]}
    for code, name, kind, district_code, district_name in villages:
        last, n = by_village.get(code, (None, 0))
        row = VillageVisits(
            code=code,
            name=name,
            kind=kind,
            district_code=district_code or "",
            district_name=district_name or "",
            last_visit=last,
            visits=n,
            days_since=(until - last).days if last else None,
        )
        per_village.append(row)
        bucket = counts["kelurahan" if row.is_kelurahan else "desa"]
        bucket[0] += 1
        bucket[1] += 1 if n else 0
    stale = [v for v in per_village if v.days_since is None or v.days_since >= stale_days]
    total = counts["desa"][0] + counts["kelurahan"][0]
    visited = counts["desa"][1] + counts["kelurahan"][1]

    events = _events_of_region(region, since, until)
    # 1 query: events and attendance per month and kind (an event reaching 3 villages counts once).
    per_month_kind = [
        MonthKindRow(
            month=_as_date(row["month"]), kind=row["kind"], events=row["events"], attendance=row["people"] or 0
        )
        for row in events.annotate(month=TruncMonth("date"))
        .values("month", "kind")
        .annotate(events=Count("id"), people=_attendance_sum())
        .order_by("month", "kind")
    ]

    # 2 queries: per officer, events and attendance, then distinct villages of the region reached.
    through = OutreachEvent.officers.through
    officer_rows = (
        through.objects.filter(outreachevent__in=events.values("pk"))
        .values("user_id", "user__username", "user__first_name", "user__last_name")
        .annotate(events=Count("outreachevent_id"), people=_attendance_sum("outreachevent__"))
        .order_by()
    )
    reached = EventVillage.objects.filter(in_region, event__in=events.values("pk"))
    reached_by = {
        row["event__officers"]: row["n"]
        for row in reached.values("event__officers").annotate(n=Count("village_id", distinct=True)).order_by()
    }
    per_officer = sorted(
        (
            OfficerRow(
                officer_id=row["user_id"],
                username=row["user__username"],
                name=f"{row['user__first_name']} {row['user__last_name']}".strip() or row["user__username"],
                events=row["events"],
                attendance=row["people"] or 0,
                villages=reached_by.get(row["user_id"], 0),
            )
            for row in officer_rows
        ),
        key=lambda r: (-r.events, r.username),
    )

    return VisitCoverage(
        region=region,
        since=since,
        until=until,
        stale_days=stale_days,
        villages=total,
        visited=visited,
        percent=_percent(visited, total),
        recent=total - len(stale),
        recent_percent=_percent(total - len(stale), total),
        never=sum(1 for v in stale if v.last_visit is None),
        lapsed=sum(1 for v in stale if v.last_visit is not None),
        desa=KindCounts(counts["desa"][0], counts["desa"][1], _percent(counts["desa"][1], counts["desa"][0])),
        kelurahan=KindCounts(
            counts["kelurahan"][0], counts["kelurahan"][1], _percent(counts["kelurahan"][1], counts["kelurahan"][0])
        ),
        per_village=per_village,
        stale=stale,
        per_month_kind=per_month_kind,
        per_officer=per_officer,
    )


@dataclass
class RegionVisits:
    """One region of an overview: its villages and how many were visited within the window."""

    region: Region
    villages: int
    recent: int
    never: int
    lapsed: int

    @property
    def percent(self) -> float | None:
        return _percent(self.recent, self.villages)


@dataclass
class VisitOverview:
    until: datetime.date
    stale_days: int
    regions: list[RegionVisits]
    waiting: list[VillageVisits]  # the villages waiting longest: never visited first, then the oldest visit
    waiting_total: int

    @property
    def villages(self) -> int:
        return sum(r.villages for r in self.regions)

    @property
    def recent(self) -> int:
        return sum(r.recent for r in self.regions)

    @property
    def percent(self) -> float | None:
        return _percent(self.recent, self.villages)


def village_visit_overview(
    *, regions: list[Region], until: datetime.date, stale_days: int = 90, waiting: int = 30
) -> VisitOverview:
    """Village visit coverage side by side for several regions (an officer's districts), each as
    the share of its villages visited within `stale_days` before `until`, and the villages across
    all of them waiting longest for a visit. Two queries whatever the number of regions. The
    caller has fetched `regions` through the scope; they do not overlap (a user's root codes)."""
    codes = [r.code for r in regions]
    if not codes:
        return VisitOverview(until=until, stale_days=stale_days, regions=[], waiting=[], waiting_total=0)
    villages = list(
        Region.objects.filter(scope.subtree_q(codes, "code"), level=Region.Level.VILLAGE)
        .order_by("code")
        .values_list("code", "name", "kind", "parent_id", "parent__name")
    )
    last_by_village = dict(
        EventVillage.objects.filter(scope.subtree_q(codes, "village__code"), kind__in=VISIT_KINDS, date__lte=until)
        .values("village_id")
        .annotate(last=Max("date"))
        .order_by()
        .values_list("village_id", "last")
    )
    counts = {code: [0, 0, 0] for code in codes}  # villages, never, lapsed
    stale: list[VillageVisits] = []
    for code, name, kind, district_code, district_name in villages:
        root = next(c for c in codes if code_in_subtree(code, c))
        last = last_by_village.get(code)
        days = (until - last).days if last else None
        counts[root][0] += 1
        if days is None or days >= stale_days:
            counts[root][1 if last is None else 2] += 1
            stale.append(
                VillageVisits(
                    code=code,
                    name=name,
                    kind=kind,
                    district_code=district_code or "",
                    district_name=district_name or "",
                    last_visit=last,
                    visits=0,
                    days_since=days,
                )
            )
    stale.sort(key=lambda v: (v.last_visit is not None, v.last_visit or datetime.date.min, v.name))
    rows = [
        RegionVisits(
            region=r,
            villages=counts[r.code][0],
            recent=counts[r.code][0] - counts[r.code][1] - counts[r.code][2],
            never=counts[r.code][1],
            lapsed=counts[r.code][2],
        )
        for r in regions
    ]
    return VisitOverview(
        until=until, stale_days=stale_days, regions=rows, waiting=stale[:waiting], waiting_total=len(stale)
    )


def _as_date(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value
