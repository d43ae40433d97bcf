"""Reads of the progress pages: a region's headline, its trend, its children ranked, and what moves
its coverage (outreach, the enrollment pipeline, the budget, employer compliance).

Figures come from the coverage snapshots as the engine stored them and from enrollment's and
outreach's tables, aggregated in the database: every function costs a bounded number of queries
whatever the number of child regions, villages, events or batches. Children are grouped by the
start of a code (`Substr(code, 1, length of a child's code)`): region codes are hierarchical, so
"35.26.02.2001"[:5] is its regency. Callers have fetched `region` through `ucj.scope`; every child
of a visible region is visible.

Nothing here formats: pages and exports format what these return, and exports are written from
`progress_export`, built from the same dataclasses the page shows.
"""

import calendar
import dataclasses
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.core.cache import cache
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Substr
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from enrollment import selectors as enrollment_selectors
from enrollment.models import (
    BatchMember,
    BatchState,
    ComplianceCase,
    Employer,
    EnrollmentBatch,
    FundingAllocation,
    FundingSource,
    MemberState,
)
from outreach.models import ATTENDANCE_GROUPS, VISIT_KINDS, EventVillage, OutreachEvent
from ucj import scope
from ucj import selectors as core_selectors
from ucj.coverage.selectors import SEGMENT_LABELS, CoverageCard, coverage_band_label, coverage_card
from ucj.models import CoverageSnapshot, OccupationFigure, OccupationGroup, Region

TREND_MONTHS = 24
# A village not reached by a visit for this many days is "not visited" (as outreach's village
# visit coverage counts it: visited when the last visit is fewer than 90 days before the day).
VISIT_DAYS = 90
# Length of the codes of each level: "35", "35.26", "35.26.02", "35.26.02.2001".
CODE_LENGTH = {
    Region.Level.PROVINCE: 2,
    Region.Level.REGENCY: 5,
    Region.Level.DISTRICT: 8,
    Region.Level.VILLAGE: 13,
}
SORT_KEYS = (
    "name",
    "percent",
    "gap_points",
    "gap_people",
    "change_points",
    "events_month",
    "villages_visited",
    "pipeline_people",
)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")


# --- Helpers --------------------------------------------------------------------------------------


def _today(day: dt.date | None) -> dt.date:
    return day or timezone.localdate()


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _months_back(day: dt.date, months: int) -> dt.date:
    """The same day `months` months earlier, or the last day of that month (31 March → 29 Feb)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _percent(part: int | None, whole: int | None) -> Decimal | None:
    """As the engine rounds UCJ %: two decimals, half up; None without a whole."""
    if part is None or not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(CENT, ROUND_HALF_UP)


def _below(region: Region, field: str) -> Q:
    """Rows whose region code (in `field`) lies in the region's subtree, itself included."""
    return scope.subtree_q([region.code], field)


def _by_regency(region: Region) -> bool:
    """Whether rows that carry their regency (events, batches, employers, cases) can be filtered
    on it: for the country, a province or a regency, everything in the regency is in the region."""
    return region.level <= Region.Level.REGENCY


def _attendance():
    total = F(ATTENDANCE_GROUPS[0])
    for group in ATTENDANCE_GROUPS[1:]:
        total = total + F(group)
    return Sum(total)


def _events(region: Region, since: dt.date, until: dt.date) -> QuerySet[OutreachEvent]:
    """Events from `since` to `until` that reached a village of the region, each once."""
    events = OutreachEvent.objects.filter(date__gte=since, date__lte=until)
    if _by_regency(region):
        return events.filter(_below(region, "regency__code"))
    reached = EventVillage.objects.filter(_below(region, "village__code"), event_id=OuterRef("pk"))
    return events.filter(Exists(reached))


def _visits(region: Region, day: dt.date) -> QuerySet[EventVillage]:
    """Visits of the last VISIT_DAYS days (up to `day`) to villages of the region."""
    return EventVillage.objects.filter(
        _below(region, "village__code"),
        kind__in=VISIT_KINDS,
        date__gt=day - dt.timedelta(days=VISIT_DAYS),
        date__lte=day,
    )


def _villages(region: Region) -> QuerySet[Region]:
    return Region.objects.filter(_below(region, "code"), level=Region.Level.VILLAGE)


def _pipeline_members(region: Region) -> QuerySet[BatchMember]:
    """Members (not rejected) of batches living in a district or a village: a batch of the whole
    regency has members in many districts. Counted as the batches count theirs (member_count).
    Members live in their batch's area, so only the batches of the region's regency are read."""
    members = BatchMember.objects.filter(_below(region, "participant__village__code"))
    if region.level >= Region.Level.REGENCY:
        members = members.filter(batch__regency_id=".".join(region.code.split(".")[:2]))
    return members.exclude(state=MemberState.REJECTED)


# --- Headline -------------------------------------------------------------------------------------


@dataclasses.dataclass
class SegmentRow:
    code: str  # "pu", "bpu", "jakon", "pmi"
    short: str  # "PU"
    name: str  # "wage earners"
    value: int | None


@dataclasses.dataclass
class OccupationRow:
    """Coverage of one occupation group in a region: an occupation figure (workers and BPJS
    participants on its date) plus how UCJ's vulnerable-workers batches moved it since."""

    group: str  # OccupationGroup
    label: str
    workers: int
    covered: int  # BPJS participants on `as_of`, as the figure says
    percent: Decimal | None  # (covered + ucj_added) ÷ workers
    ucj_added: int  # UCJ's change since `as_of` (members who started, minus those who stopped)
    as_of: dt.date
    source: str
    covered_now: int = 0  # covered + ucj_added


@dataclasses.dataclass
class Headline:
    region: Region
    snapshot: CoverageSnapshot | None  # current
    card: CoverageCard
    previous: CoverageSnapshot | None  # the newest snapshot dated before the 1st of the month
    change_points: Decimal | None  # snapshot.percent - previous.percent
    change_active: int | None  # snapshot.active - previous.active
    segments: list[SegmentRow]
    occupations: list[OccupationRow]  # empty when the region has no occupation figures
    day: dt.date | None = None
    month_start: dt.date | None = None


def progress_headline(*, region: Region, day: dt.date | None = None) -> Headline:
    """The region's current coverage with the sentences around it (ucj.coverage.selectors'
    card), its change since the last figure before this month, its segments and, where figures
    exist, its coverage by occupation. At most 4 queries (one more per extra date of occupation
    figures)."""
    day = _today(day)
    start = month_start(day)
    card = coverage_card(region=region)
    snapshot = card.snapshot
    previous = (
        # Before the month, and before the current snapshot itself when that one predates the
        # month (the 1st before the daily run): never a snapshot compared with itself.
        CoverageSnapshot.objects.filter(region=region, date__lt=min(start, snapshot.date)).order_by("-date").first()
        if snapshot is not None
        else None
    )
    change_points = change_active = None
    if snapshot is not None and previous is not None:
        if snapshot.percent is not None and previous.percent is not None:
            change_points = snapshot.percent - previous.percent
        if snapshot.active is not None and previous.active is not None:
            change_active = snapshot.active - previous.active
    segments = (
        [
            SegmentRow(code=code, short=short, name=str(name), value=snapshot.segments[code])
            for code, (short, name) in SEGMENT_LABELS.items()
        ]
        if snapshot is not None
        else []
    )
    return Headline(
        region=region,
        snapshot=snapshot,
        card=card,
        previous=previous,
        change_points=change_points,
        change_active=change_active,
        segments=segments,
        occupations=progress_occupations(region=region, day=day, snapshot=snapshot),
        day=day,
        month_start=start,
    )


def progress_occupations(
    *, region: Region, day: dt.date | None = None, snapshot: CoverageSnapshot | None = None
) -> list[OccupationRow]:
    """Coverage by occupation of the region's own figures: the latest figure of each occupation
    dated on or before `day`, plus UCJ's change since its date. Only the region's own: figures by
    occupation are rare, and children's figures of different dates and sources are not summed into
    a figure nobody published. Ordered as OccupationGroup.

    UCJ's change is its vulnerable workers counting now minus those counting on the figure's date.
    "Now" is the region's current snapshot (`snapshot`, as the rest of the headline) when it holds
    the count by occupation, else a count on `day`; the count on the figure's date is
    occupation_count_on."""
    day = _today(day)
    latest: dict[str, OccupationFigure] = {}
    for figure in OccupationFigure.objects.filter(region=region, as_of__lte=day).order_by("occupation", "-as_of"):
        latest.setdefault(figure.occupation, figure)
    if not latest:
        return []
    if snapshot is not None and snapshot.occupations is not None:
        now, now_day = snapshot.occupations, snapshot.date
    else:
        now, now_day = enrollment_selectors.coverage_active_by_occupation(region_code=region.code, day=day), day
    changes: dict[dt.date, dict[str, int]] = {}
    for as_of in sorted({figure.as_of for figure in latest.values()}):
        if as_of >= now_day:
            changes[as_of] = {}
            continue
        then = occupation_count_on(region=region, day=as_of)
        changes[as_of] = {group: now.get(group, 0) - then.get(group, 0) for group in {*now, *then}}
    rows = []
    for group in OccupationGroup:
        figure = latest.get(group.value)
        if figure is None:
            continue
        added = changes[figure.as_of].get(group.value, 0)
        # Never below nobody nor above everybody: UCJ's members and BPJS's count can overlap (a
        # member who joined on their own after the figure's date counts in both).
        covered_now = min(max(figure.covered + added, 0), figure.workers)
        rows.append(
            OccupationRow(
                group=group.value,
                label=str(group.label),
                workers=figure.workers,
                covered=figure.covered,
                percent=_percent(covered_now, figure.workers),
                ucj_added=added,
                as_of=figure.as_of,
                source=figure.source,
                covered_now=covered_now,
            )
        )
    return rows


OCCUPATION_CACHE_SECONDS = 6 * 3600


def occupation_count_on(*, region: Region, day: dt.date) -> dict[str, int]:
    """UCJ's vulnerable workers counting on a past `day` in the region by occupation
    (enrollment.selectors.coverage_active_by_occupation), kept in the cache: a past day's count
    does not change (protection starts today at the earliest, and a cancellation ends it
    yesterday at the earliest), and counting it costs a scan of the members. Today's and later
    days are counted afresh."""
    if day >= timezone.localdate():
        return enrollment_selectors.coverage_active_by_occupation(region_code=region.code, day=day)
    key = f"ucj:progress:occupations:{region.code}:{day.isoformat()}"
    found = cache.get(key)
    if found is None:
        found = enrollment_selectors.coverage_active_by_occupation(region_code=region.code, day=day)
        cache.set(key, found, OCCUPATION_CACHE_SECONDS)
    return found


# --- Trend ----------------------------------------------------------------------------------------


@dataclasses.dataclass
class TrendPoint:
    date: dt.date
    percent: Decimal | None
    target_percent: Decimal | None
    active: int | None
    workforce: int | None


def progress_trend(*, region: Region, since: dt.date | None = None, day: dt.date | None = None) -> list[TrendPoint]:
    """The region's snapshots from `since` (default: TREND_MONTHS months before `day`) to `day`,
    oldest first, one per day (the engine keeps one row per region and day). One query."""
    day = _today(day)
    since = since or _months_back(day, TREND_MONTHS)
    rows = (
        CoverageSnapshot.objects.filter(region=region, date__gte=since, date__lte=day)
        .order_by("date")
        .values_list("date", "percent", "target_percent", "active", "workforce")
    )
    return [TrendPoint(*row) for row in rows]


# --- Children -------------------------------------------------------------------------------------


@dataclasses.dataclass
class ChildRow:
    region: Region
    snapshot: CoverageSnapshot | None
    percent: Decimal | None
    target_percent: Decimal | None
    gap_points: Decimal | None  # negative: ahead of the target
    gap_people: int | None
    active: int | None
    workforce: int | None
    band: str | None
    band_label: str
    change_points: Decimal | None  # against the child's last snapshot before the 1st of the month
    events_month: int  # events this month that reached a village of the child
    villages: int  # villages below the child (1 for a village)
    villages_visited: int  # of them, visited in the last VISIT_DAYS days
    pipeline_people: int  # members of approved, not yet active batches living in the child
    best: bool = False  # highest UCJ % among the children that have one (ties: all)
    worst: bool = False  # lowest
    previous_percent: Decimal | None = None

    @property
    def villages_not_visited(self) -> int:
        return self.villages - self.villages_visited


def _grouped(queryset: QuerySet, field: str, length: int, value) -> dict[str, int]:
    """{code of a child: value} from rows grouped by the first `length` characters of `field`."""
    rows = queryset.annotate(prefix=Substr(field, 1, length)).values("prefix").annotate(n=value).order_by()
    return {row["prefix"]: row["n"] or 0 for row in rows}


def progress_children(
    *, region: Region, day: dt.date | None = None, sort: str = "percent", descending: bool = True
) -> list[ChildRow]:
    """Every child of the region with its coverage, change since last month, outreach and
    pipeline, sorted by `sort` (one of SORT_KEYS; ValueError otherwise). Missing values sort last
    in either direction; ties keep the code order. Six queries whatever the number of children,
    villages, events and batches; five once the villages per child are cached
    (ucj.selectors.villages_per_child)."""
    if sort not in SORT_KEYS:
        raise ValueError(f"Unknown sort key {sort!r}; choose one of {', '.join(SORT_KEYS)}.")
    day = _today(day)
    start = month_start(day)
    # Each child with the percentage of its newest snapshot before the month: one backward step
    # on the (region, date) index per child.
    before_month = (
        CoverageSnapshot.objects.filter(region_id=OuterRef("code"), date__lt=start, is_current=False)
        .order_by("-date")
        .values("percent")[:1]
    )
    children = list(
        Region.objects.filter(parent=region).annotate(previous_percent=Subquery(before_month)).order_by("code")
    )
    if not children:
        return []
    codes = [child.code for child in children]
    child_level = region.level + 1
    length = CODE_LENGTH[child_level]

    current = {
        snapshot.region_id: snapshot
        for snapshot in CoverageSnapshot.objects.filter(region_id__in=codes, is_current=True).order_by()
    }

    if child_level <= Region.Level.REGENCY:
        # An event and a batch lie in one regency: group them by its code.
        events = _grouped(_events(region, start, day), "regency_id", length, Count("id"))
        batches = EnrollmentBatch.objects.filter(_below(region, "regency__code"), state=BatchState.APPROVED)
        pipeline = _grouped(batches, "regency_id", length, Sum("member_count"))
    else:
        # An event reaches several villages, possibly of several districts: each counts it once.
        reached = EventVillage.objects.filter(_below(region, "village__code"), date__gte=start, date__lte=day)
        events = _grouped(reached, "village_id", length, Count("event_id", distinct=True))
        members = _pipeline_members(region).filter(batch__state=BatchState.APPROVED)
        pipeline = _grouped(members, "participant__village_id", length, Count("id"))
    if child_level == Region.Level.VILLAGE:
        villages = dict.fromkeys(codes, 1)
    else:
        villages = core_selectors.villages_per_child(region=region)
    visited = _grouped(_visits(region, day), "village_id", length, Count("village_id", distinct=True))

    rows = []
    for child in children:
        snapshot = current.get(child.code)
        if snapshot is not None:
            snapshot.region = child
        percent = snapshot.percent if snapshot is not None else None
        before = child.previous_percent
        band = snapshot.band if snapshot is not None else None
        rows.append(
            ChildRow(
                region=child,
                snapshot=snapshot,
                percent=percent,
                target_percent=snapshot.target_percent if snapshot is not None else None,
                gap_points=snapshot.gap_points if snapshot is not None else None,
                gap_people=snapshot.gap_people if snapshot is not None else None,
                active=snapshot.active if snapshot is not None else None,
                workforce=snapshot.workforce if snapshot is not None else None,
                band=band,
                band_label=coverage_band_label(band),
                change_points=percent - before if percent is not None and before is not None else None,
                events_month=events.get(child.code, 0),
                villages=villages.get(child.code, 0),
                villages_visited=visited.get(child.code, 0),
                pipeline_people=pipeline.get(child.code, 0),
                previous_percent=before,
            )
        )
    _mark_best_and_worst(rows)
    return _sorted(rows, sort, descending)


def _mark_best_and_worst(rows: list[ChildRow]) -> None:
    """Best and worst UCJ % among the children that have one, every child of a tie marked. When
    they all have the same percentage (or only one has one) nothing stands out: none is marked."""
    percents = [row.percent for row in rows if row.percent is not None]
    if len(set(percents)) < 2:
        return
    best, worst = max(percents), min(percents)
    for row in rows:
        row.best = row.percent == best
        row.worst = row.percent == worst


def _sorted(rows: list[ChildRow], key: str, descending: bool) -> list[ChildRow]:
    def value(row: ChildRow):
        return row.region.name.casefold() if key == "name" else getattr(row, key)

    known = [row for row in rows if value(row) is not None]
    unknown = [row for row in rows if value(row) is None]
    # Rows come in code order and sorting is stable (also reversed): ties stay in code order.
    known.sort(key=value, reverse=descending)
    return known + unknown


# --- What moves it --------------------------------------------------------------------------------


@dataclasses.dataclass
class BudgetRow:
    source: str  # FundingSource
    label: str
    allocated: int
    committed: int  # reserved by approved and active batches
    remaining: int
    people_covered: int | None  # more people the remaining money protects for the months left; None: no rate
    allocations: int = 0


@dataclasses.dataclass
class Drivers:
    month_start: dt.date
    # events_month, attendance_month, villages, villages_visited_90, villages_not_visited_90
    outreach: dict
    # states: {state: {"batches", "members"}} for every BatchState; rows: the same as a list of
    # {"code", "label", "batches", "members"} in the life cycle's order; approved_people
    pipeline: dict
    budget: list[BudgetRow]  # per funding source with an allocation this year
    compliance: dict  # enrollment.selectors.compliance_summary
    year: int = 0
    cover_months: int = enrollment_selectors.COVER_MONTHS
    cover_income: int = enrollment_selectors.COVER_DECLARED_INCOME


def progress_drivers(*, region: Region, day: dt.date | None = None, children: list[ChildRow] | None = None) -> Drivers:
    """What moves the region's coverage: outreach this month and in the last 90 days, batches per
    state and what approved ones will add, the year's budget per funding source, and employer
    compliance. About a dozen queries whatever the size of the region; two fewer given the
    region's `children` rows of the same day (progress_outreach)."""
    day = _today(day)
    start = month_start(day)
    return Drivers(
        month_start=start,
        outreach=progress_outreach(region=region, day=day, children=children),
        pipeline=progress_pipeline(region=region, day=day),
        budget=progress_budget(region=region, year=day.year, day=day),
        compliance=progress_compliance(region=region, day=day),
        year=day.year,
        cover_months=enrollment_selectors.cover_months(day.year, day),
    )


def progress_outreach(*, region: Region, day: dt.date | None = None, children: list[ChildRow] | None = None) -> dict:
    """Events and their attendance this month; villages, those visited in the last 90 days and
    those not. Three queries; one given the region's `children` rows of the same day
    (progress_children), whose villages and villages visited add up to the region's: every
    village lies below exactly one child."""
    day = _today(day)
    month = _events(region, month_start(day), day).aggregate(n=Count("id"), people=_attendance())
    if children:
        villages = sum(child.villages for child in children)
        visited = sum(child.villages_visited for child in children)
    else:
        villages = 1 if region.is_village else _villages(region).count()
        visited = _visits(region, day).aggregate(n=Count("village_id", distinct=True))["n"] or 0
    return {
        "events_month": month["n"],
        "attendance_month": month["people"] or 0,
        "villages": villages,
        "villages_visited_90": visited,
        "villages_not_visited_90": villages - visited,
    }


def progress_activated(*, region: Region, day: dt.date | None = None) -> int:
    """People whose protection through UCJ's batches began this month (up to `day`): members
    BPJS confirmed (not those it already had), living in the region. One query."""
    day = _today(day)
    members = BatchMember.objects.filter(
        _below(region, "participant__village__code"),
        state=MemberState.ACCEPTED,
        already_registered=False,
        covered_from__gte=month_start(day),
        covered_from__lte=day,
    )
    if region.level >= Region.Level.REGENCY:
        members = members.filter(batch__regency_id=".".join(region.code.split(".")[:2]))
    return members.count()


def progress_pipeline(*, region: Region, day: dt.date | None = None) -> dict:
    """Batches and members per state, and the people approved (not yet active) batches will add
    once BPJS confirms them: their members, as batches count them (pending or accepted; members
    of a batch become accepted at activation), and the people protected from this month
    (progress_activated). The country, a province or a regency counts the batches of its
    regencies; a district or a village the batches reaching it, with the members living in it.
    Two queries."""
    if _by_regency(region):
        states = enrollment_selectors.batch_state_counts(
            EnrollmentBatch.objects.filter(_below(region, "regency__code"))
        )
    else:
        rows = (
            _pipeline_members(region)
            .values("batch__state")
            .annotate(batches=Count("batch_id", distinct=True), members=Count("id"))
            .order_by()
        )
        found = {row["batch__state"]: {"batches": row["batches"], "members": row["members"]} for row in rows}
        states = {state: found.get(state, {"batches": 0, "members": 0}) for state in BatchState.values}
    return {
        "states": states,
        "rows": [{"code": state.value, "label": str(state.label), **states[state.value]} for state in BatchState],
        "approved_people": states[BatchState.APPROVED]["members"],
        "activated_month": progress_activated(region=region, day=day),
    }


def progress_budget(*, region: Region, year: int, day: dt.date | None = None) -> list[BudgetRow]:
    """Per funding source, the year's allocations of the region's subtree (a regency's APBD and
    DBHCHT, its villages' APBDes): allocated, committed, remaining, and how many more people the
    remaining money protects, summed over the allocations as the allocations page computes each
    (enrollment.selectors.allocations_people_covered). Money of one regency cannot pay for another's
    people, so the people are summed per allocation, not computed from the summed money. Three
    queries (the allocations, the premium rates of the year)."""
    allocations = list(
        enrollment_selectors.with_committed(
            FundingAllocation.objects.filter(_below(region, "region__code"), year=year).only(
                "id", "source", "amount", "year"
            )
        ).order_by()
    )
    # For the months left in the year on `day` (today by default), as the allocations page counts.
    enrollment_selectors.allocations_people_covered(allocations, day)
    rows: dict[str, BudgetRow] = {}
    for allocation in allocations:
        row = rows.get(allocation.source)
        if row is None:
            label = str(FundingSource(allocation.source).label)
            row = rows[allocation.source] = BudgetRow(allocation.source, label, 0, 0, 0, 0)
        row.allocated += allocation.amount
        row.committed += allocation.committed
        row.remaining += allocation.remaining
        row.allocations += 1
        if allocation.people_covered is None or row.people_covered is None:
            row.people_covered = None
        else:
            row.people_covered += allocation.people_covered
    return [rows[source] for source in FundingSource.values if source in rows]


def progress_compliance(*, region: Region, day: dt.date | None = None) -> dict:
    """enrollment.selectors.compliance_summary for the employers of the region and their cases.
    Two queries."""
    if _by_regency(region):
        employers = Employer.objects.filter(_below(region, "regency__code"))
        cases = ComplianceCase.objects.filter(_below(region, "regency__code"))
    else:
        employers = Employer.objects.filter(_below(region, "village__code"))
        cases = ComplianceCase.objects.filter(_below(region, "employer__village__code"))
    return enrollment_selectors.compliance_summary(employers=employers, cases=cases, today=_today(day))


# --- Exports --------------------------------------------------------------------------------------


def _date_text(value: dt.date | None) -> str:
    return formats.date_format(value, "j M Y") if value else ""


def headline_rows(headline: Headline) -> list[tuple[str, object]]:
    """The headline as (label, value) rows: numbers, decimals and dates as they are, None where
    a figure is missing."""
    s = headline.snapshot
    region = headline.region
    rows: list[tuple[str, object]] = [
        (_("Region"), str(region)),
        (_("Code"), region.code),
        (_("Coverage as of"), s.date if s else None),
        (_("UCJ %"), s.percent if s else None),
        (_("Active participants"), s.active if s else None),
        (_("Working people"), s.workforce if s else None),
        (_("Working-population year"), str(s.workforce_year) if s and s.workforce_year else None),
        (_("Target %"), s.target_percent if s else None),
        (_("Target year"), str(s.target_year) if s and s.target_year else None),
        (_("Gap (points; negative: ahead of the target)"), s.gap_points if s else None),
        (_("Gap (people; negative: ahead of the target)"), s.gap_people if s else None),
        (_("Band"), headline.card.band_label),
    ]
    since = _date_text(headline.previous.date) if headline.previous else ""
    if since:
        rows += [
            (_("Change in points since %(date)s") % {"date": since}, headline.change_points),
            (_("Change in active participants since %(date)s") % {"date": since}, headline.change_active),
        ]
    else:
        rows += [
            (_("Change in points since last month"), None),
            (_("Change in active participants since last month"), None),
        ]
    for segment in headline.segments:
        rows.append(
            (_("Active participants, %(segment)s") % {"segment": f"{segment.short} ({segment.name})"}, segment.value)
        )
    for occupation in headline.occupations:
        name = capfirst(occupation.label)
        rows += [
            (_("%(occupation)s: workers") % {"occupation": name}, occupation.workers),
            (
                _("%(occupation)s: BPJS participants (%(source)s, %(date)s)")
                % {"occupation": name, "source": occupation.source, "date": _date_text(occupation.as_of)},
                occupation.covered,
            ),
            (
                _("%(occupation)s: change through UCJ since %(date)s")
                % {"occupation": name, "date": _date_text(occupation.as_of)},
                occupation.ucj_added,
            ),
            (_("%(occupation)s: coverage %%") % {"occupation": name}, occupation.percent),
        ]
    for source in headline.card.sources:
        rows.append((_("Source: %(figure)s") % {"figure": source["label"]}, f"{source['value']} · {source['text']}"))
    for sentence in headline.card.missing:
        rows.append((_("Missing"), sentence))
    return rows


def children_table(children: list[ChildRow]) -> dict:
    """The children table as {"columns": [...], "rows": [[...], ...]}, in the given order."""
    columns = [
        _("Code"),
        _("Region"),
        _("UCJ %"),
        _("Band"),
        _("Target %"),
        _("Gap (points)"),
        _("Gap (people)"),
        _("Active participants"),
        _("Working people"),
        _("Change (points)"),
        _("Events this month"),
        _("Villages"),
        _("Villages visited (90 days)"),
        _("Approved, not yet active"),
        _("Mark"),
    ]
    rows = []
    for row in children:
        mark = ", ".join(text for flag, text in ((row.best, _("best")), (row.worst, _("worst"))) if flag)
        rows.append(
            [
                row.region.code,
                row.region.name,
                row.percent,
                row.band_label,
                row.target_percent,
                row.gap_points,
                row.gap_people,
                row.active,
                row.workforce,
                row.change_points,
                row.events_month,
                row.villages,
                row.villages_visited,
                row.pipeline_people,
                mark,
            ]
        )
    return {"columns": columns, "rows": rows}


def progress_export(
    *, region: Region, day: dt.date | None = None, sort: str = "percent", descending: bool = True
) -> dict:
    """What the exports write: {"headline": [(label, value), ...], "children": {"columns",
    "rows"}}, from the same selectors as the page, so that a file and the page cannot disagree."""
    headline = progress_headline(region=region, day=day)
    children = progress_children(region=region, day=day, sort=sort, descending=descending)
    return {"headline": headline_rows(headline), "children": children_table(children)}
