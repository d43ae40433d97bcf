"""The coverage recalculation (DESIGN §3 "Coverage recalculation").

A region's coverage on a day is derived from facts only, never incremented:
- working population: the region's own estimate (latest year up to the day's), else the sum of its
  children's when every child has one;
- active participants: BPJS's latest count for the region (up to the day) plus how UCJ moved the
  region since that count (people who began counting after it, minus people who stopped, plus the
  workers employers registered when a compliance case closed after it, as PU), else the
  sum of its children's when every child has one; per segment likewise;
- UCJ % = active ÷ working population, target (latest year up to the day's), gap in points and in
  people. Where a figure is missing the snapshot says so in `missing` instead of inventing it.

Regions are computed level by level, villages first, so that a parent sums its children's fresh
snapshots: recalculating after a one-village batch costs the village and its four ancestors, not
the country. UCJ's people counting on the day are counted from the members for a village and
summed from the children above it, per segment (`ucj_segments`) and per occupation; a region's
change since BPJS's count is that count minus UCJ's people counting on BPJS's day, which cannot
change once past and is kept (CoverageBaseline): no ancestor scans the members.

One recalculation runs at a time (a PostgreSQL advisory lock); it consumes exactly the stale marks
it read, so a mark made meanwhile waits for the next run.
"""

import dataclasses
import datetime as dt
import json
import operator
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from django.db import connection, transaction
from django.db.models import BigIntegerField, Count, FilteredRelation, Max, Min, Q, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from enrollment import selectors as enrollment_selectors
from ucj.models import (
    ROOT_CODE,
    CoverageBaseline,
    CoverageSnapshot,
    CoverageTarget,
    MembershipCount,
    OccupationGroup,
    Region,
    StaleRegion,
    WorkforceEstimate,
)

SEGMENTS = ("pu", "bpu", "jakon", "pmi")
OCCUPATIONS = tuple(OccupationGroup.values)
LEVELS_UP = (4, 3, 2, 1, 0)
CHUNK = 2_000  # codes per IN list, well under SQLite's variable limit
# pg_advisory_xact_lock key: "UCJ" + 1. Serialises recalculations across workers.
LOCK_KEY = 0x55434A01
HUNDRED = Decimal(100)
CENT = Decimal("0.01")

COMPUTED_FIELDS = [
    "computed_at",
    "is_current",
    "workforce",
    "workforce_year",
    "active",
    *SEGMENTS,
    "bpjs_as_of",
    "ucj_active",
    "ucj_change",
    "occupations",
    "ucj_segments",
    "percent",
    "target_percent",
    "target_year",
    "gap_points",
    "gap_people",
    "sources",
    "missing",
]


@dataclasses.dataclass
class Result:
    regions: int = 0  # snapshots written
    stale: int = 0  # stale marks consumed
    levels: dict = dataclasses.field(default_factory=dict)  # level → snapshots written


def level_of(code: str) -> int:
    return 0 if code == ROOT_CODE else code.count(".") + 1


def ancestors_of(code: str) -> list[str]:
    if code == ROOT_CODE:
        return []
    parts = code.split(".")
    return [ROOT_CODE] + [".".join(parts[:i]) for i in range(1, len(parts))]


def _chunks(codes):
    codes = sorted(codes)
    for i in range(0, len(codes), CHUNK):
        yield codes[i : i + CHUNK]


def _serialise() -> None:
    """Wait for any other recalculation to finish (PostgreSQL; SQLite serialises writers itself)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


# --- Entry points ---------------------------------------------------------------------------------


def recalculate_stale(*, day: dt.date | None = None) -> Result:
    """Recompute the regions marked stale and their ancestors, and consume the marks read."""
    with transaction.atomic():
        _serialise()
        day = day or timezone.localdate()  # after the lock: a run waiting past midnight counts the new day
        marks = list(StaleRegion.objects.values_list("region_id", "marked_at"))
        if not marks:
            return Result()
        result = _recalculate(_with_ancestors({code for code, _at in marks}), day)
        _consume(marks)
        result.stale = len(marks)
    return result


def _consume(marks: list[tuple[str, dt.datetime]]) -> None:
    """Delete exactly the marks that were read: a region marked again meanwhile (a newer time)
    stays marked for the next run."""
    for start in range(0, len(marks), 200):
        seen = Q()
        for code, at in marks[start : start + 200]:
            seen |= Q(region_id=code, marked_at=at)
        StaleRegion.objects.filter(seen).delete()


def recalculate_regions(codes, *, day: dt.date | None = None, subtree: bool = False) -> Result:
    """Recompute the given regions (with `subtree`, every region below them too) and their
    ancestors, from the facts."""
    codes = set(codes)
    if subtree:
        below = Q()
        for code in codes:
            below |= Q(code__startswith=code + ".") if code != ROOT_CODE else Q(level__gt=0)
        codes |= set(Region.objects.filter(below).values_list("code", flat=True))
    with transaction.atomic():
        _serialise()
        return _recalculate(_with_ancestors(codes), day or timezone.localdate())


def recalculate_all(*, day: dt.date | None = None) -> Result:
    """Rebuild every region's snapshot of the day from the facts; clears every stale mark."""
    with transaction.atomic():
        _serialise()
        day = day or timezone.localdate()
        # Marks made while the rebuild runs are not in what it reads: only those seen now go.
        marks = list(StaleRegion.objects.values_list("region_id", "marked_at"))
        result = Result()
        CoverageBaseline.objects.all().delete()  # counted afresh: whatever edited the past shows
        villages_on: dict = {}  # each past day's count of every village, once for all levels
        for level in LEVELS_UP:
            written = _compute_level(level, None, day, villages_on=villages_on)
            result.levels[level] = written
            result.regions += written
        _consume(marks)
        result.stale = len(marks)
    return result


def _with_ancestors(codes: set[str]) -> set[str]:
    out = set(codes)
    for code in codes:
        out.update(ancestors_of(code))
    return out


def _recalculate(codes: set[str], day: dt.date) -> Result:
    by_level: dict[int, list[str]] = {}
    for code in codes:
        by_level.setdefault(level_of(code), []).append(code)
    # A region with a stale mark below it that this run leaves alone (recalculate_regions without
    # its subtree) cannot trust its children's counts: it counts its members instead.
    unsure: set[str] = set()
    for code in StaleRegion.objects.exclude(region_id__in=codes).values_list("region_id", flat=True):
        unsure.update(ancestors_of(code))
    result = Result()
    for level in LEVELS_UP:
        if by_level.get(level):
            written = _compute_level(level, by_level[level], day, unsure=unsure)
            result.levels[level] = written
            result.regions += written
    return result


# --- One level ------------------------------------------------------------------------------------


def _compute_level(
    level: int,
    codes: list[str] | None,
    day: dt.date,
    *,
    unsure: set[str] = frozenset(),
    villages_on: dict | None = None,
) -> int:
    """Compute and store the snapshots of the given regions of one level (None: all of them).

    UCJ's people counting on the day (per segment and, for vulnerable workers, per occupation)
    are counted from the members for a village and summed from the children's snapshots above it.
    A region's change since BPJS's count is that count minus the same count on BPJS's day
    (CoverageBaseline), which needs no member scan; where the children's counts are not known
    (a snapshot older than them, or `unsure`), the members are scanned instead (_change)."""
    # Codes given come from stale marks (a foreign key) and their ancestors, or from the tree.
    regions = (
        sorted(codes) if codes is not None else list(Region.objects.filter(level=level).values_list("code", flat=True))
    )
    if not regions:
        return 0
    facts = _own_facts(level, None if codes is None else regions, day)
    children = _children_totals(level, None if codes is None else regions) if level < 4 else {}
    children_ucj = _children_ucj(level, None if codes is None else regions) if level < 4 else {}
    if level < 4 and day < timezone.localdate():
        # A past day (a backfill): a child whose current snapshot is of a later day does not
        # count that day's people, so such a parent counts its members (and stores no sums).
        for parent in _parents_of_newer(level, None if codes is None else regions, day):
            children_ucj[parent] = {"segments": None, "occupations": None}
    village_ucj = {}
    if level == 4 and codes is None and villages_on is not None:
        village_ucj = _every_village_on(day, villages_on)
    elif level == 4:
        village_ucj = _village_counts([day], regions)[day]
    # UCJ's people counting on the day, per segment and per occupation; None: not known.
    ucj_now: dict[str, dict] = {
        code: village_ucj.get(code, {"segments": {}, "occupations": {}})
        if level == 4
        else children_ucj.get(code, {"segments": {}, "occupations": {}})
        for code in regions
    }
    since = {
        code: counts.as_of
        for code in regions
        if (counts := facts["membership"].get(code)) is not None
        and counts.as_of < day
        and ucj_now[code]["segments"] is not None
        and code not in unsure
    }
    baselines = _baselines(since, villages_on={} if villages_on is None else villages_on)
    now = timezone.now()
    snapshots = []
    for code in regions:
        counts = facts["membership"].get(code)
        if counts is None or counts.as_of >= day:
            change = {}
        elif code in baselines:
            current, then = ucj_now[code]["segments"], baselines[code]
            change = {segment: current.get(segment, 0) - then.get(segment, 0) for segment in {*current, *then}}
        else:
            change = _change(code, counts.as_of, day)
        snapshots.append(
            snapshot_compute(
                code=code,
                day=day,
                now=now,
                workforce=facts["workforce"].get(code),
                target=facts["target"].get(code),
                counts=counts,
                change=change,
                children=children.get(code) if level < 4 else None,
                ucj=ucj_now[code]["segments"] if level == 4 else None,
                ucj_segments=ucj_now[code]["segments"],
                occupations=ucj_now[code]["occupations"],
            )
        )
    _store(snapshots, day)
    return len(snapshots)


def _baselines(since: dict[str, dt.date], *, villages_on: dict) -> dict[str, dict[str, int]]:
    """{code: UCJ's people counting on the day of the region's BPJS count, per segment} for
    `since` ({code: that day}), from CoverageBaseline where kept; the others are counted (a
    grouped query per region, or for many regions of one day a grouped query of every village
    rolled up the tree, kept in `villages_on` for the run's other levels) and kept when the day
    is past."""
    out: dict[str, dict[str, int]] = {}
    for chunk in _chunks(since):
        for code, date, segments in CoverageBaseline.objects.filter(region_id__in=chunk).values_list(
            "region_id", "date", "segments"
        ):
            if since[code] == date:
                out[code] = segments
    by_day: dict[dt.date, list[str]] = {}
    for code, date in since.items():
        if code not in out:
            by_day.setdefault(date, []).append(code)
    today, now = timezone.localdate(), timezone.now()
    kept = []
    for date, codes in by_day.items():
        counted = _count_on(date, codes, villages_on)
        out.update(counted)
        if date < today:
            kept += [CoverageBaseline(region_id=c, date=date, segments=counted[c], computed_at=now) for c in codes]
    CoverageBaseline.objects.bulk_create(
        kept,
        batch_size=2_000,
        update_conflicts=True,
        unique_fields=["region", "date"],
        update_fields=["segments", "computed_at"],
    )
    return out


ROLLUP_FROM = 20  # regions of one day from which every village is counted once instead


def _count_on(day: dt.date, codes: list[str], villages_on: dict) -> dict[str, dict[str, int]]:
    """UCJ's people counting on `day` in each region, per segment: members, and workers of
    compliance cases closed by then (PU)."""
    if len(codes) < ROLLUP_FROM and day not in villages_on:
        out = {}
        for code in codes:
            counts = enrollment_selectors.coverage_active_in_region(region_code=code, day=day)
            added = enrollment_selectors.compliance_pu_in_region(region_code=code, day=day)
            if added:
                counts["pu"] = counts.get("pu", 0) + added
            out[code] = counts
        return out
    wanted = set(codes)
    out = {code: {} for code in codes}
    for village, counts in _every_village_on(day, villages_on).items():
        segments = counts["segments"]
        for code in (village, *ancestors_of(village)):
            if code in wanted:
                total = out[code]
                for segment, n in segments.items():
                    total[segment] = total.get(segment, 0) + n
    return out


def _village_counts(days: list[dt.date], codes: list[str] | None) -> dict:
    """{day: {village: {"segments": {...}, "occupations": {...}}}}: UCJ's people counting on each
    day in the given villages (None: every village), from the members in one scan, and the
    workers of compliance cases closed by then, who count as wage earners (PU)."""
    out = enrollment_selectors.coverage_active_by_village(days=days, village_codes=codes)
    for day, villages in out.items():
        for code, workers in enrollment_selectors.compliance_pu_by_village(day=day, village_codes=codes).items():
            segments = villages.setdefault(code, {"segments": {}, "occupations": {}})["segments"]
            segments["pu"] = segments.get("pu", 0) + workers
    return out


def _every_village_on(day: dt.date, villages_on: dict) -> dict:
    """_village_counts of every village on `day`, kept in `villages_on` for the run's other
    levels; the first call of a full rebuild also counts the BPJS days that its levels will roll
    up (_rollup_days), in the same scan of the members."""
    if day not in villages_on:
        days = [day]
        if not villages_on:  # the run's first count: BPJS's days too, in the same scan
            days += sorted(_rollup_days(day) - {day})
        villages_on.update(_village_counts(days, None))
    return villages_on[day]


def _rollup_days(day: dt.date) -> set[dt.date]:
    """The BPJS days before `day` that a full rebuild counts every village on (_count_on): those
    of the newest count of at least ROLLUP_FROM regions of one level."""
    newest = (
        MembershipCount.objects.filter(as_of__lte=day)
        .values_list("region_id", "region__level")
        .annotate(as_of=Max("as_of"))
        .order_by()
    )
    regions: dict[tuple[int, dt.date], int] = {}
    for _code, level, as_of in newest:
        if as_of < day:
            regions[level, as_of] = regions.get((level, as_of), 0) + 1
    return {as_of for (_level, as_of), n in regions.items() if n >= ROLLUP_FROM}


def _change(code: str, since: dt.date, day: dt.date) -> dict[str, int]:
    """How UCJ moved a region since BPJS's count, from its members: enrollment per segment, plus
    the workers of compliance cases closed since (PU). What a baseline spares (_baselines)."""
    change = enrollment_selectors.coverage_change(region_code=code, since=since, day=day)
    added = enrollment_selectors.compliance_pu_change(region_code=code, since=since, day=day)
    if added:
        change["pu"] = change.get("pu", 0) + added
    return change


def _latest_per_region(queryset, order: str) -> dict:
    """The newest row per region of a fact table (rows ordered region, newest first)."""
    out = {}
    for row in queryset.order_by("region_id", f"-{order}"):
        out.setdefault(row.region_id, row)
    return out


def _own_facts(level: int, codes: list[str] | None, day: dt.date) -> dict[str, dict]:
    def latest(model, order, **upto):
        if codes is None:
            return _latest_per_region(model.objects.filter(region__level=level, **upto), order)
        out = {}
        for chunk in _chunks(codes):
            out.update(_latest_per_region(model.objects.filter(region_id__in=chunk, **upto), order))
        return out

    return {
        "workforce": latest(WorkforceEstimate, "year", year__lte=day.year),
        "target": latest(CoverageTarget, "year", year__lte=day.year),
        "membership": latest(MembershipCount, "as_of", as_of__lte=day),
    }


def _children_totals(level: int, codes: list[str] | None) -> dict[str, dict]:
    """Per parent: how many children it has, and the sums and counts of their current snapshots'
    figures (a count below the number of children means some child lacks the figure)."""
    aggregates = {
        "children": Count("code"),
        "workforce": Sum("cur__workforce"),
        "workforce_n": Count("cur__workforce"),
        "workforce_year_min": Min("cur__workforce_year"),
        "workforce_year_max": Max("cur__workforce_year"),
        "active": Sum("cur__active"),
        "active_n": Count("cur__active"),
        "bpjs_from": Min("cur__bpjs_as_of"),
        "bpjs_to": Max("cur__bpjs_as_of"),
        "ucj_active": Sum("cur__ucj_active"),
        "ucj_change": Sum("cur__ucj_change"),
    }
    for segment in SEGMENTS:
        aggregates[segment] = Sum(f"cur__{segment}")
        aggregates[f"{segment}_n"] = Count(f"cur__{segment}")
    base = Region.objects.alias(
        cur=FilteredRelation("coverage_snapshots", condition=Q(coverage_snapshots__is_current=True))
    )
    querysets = (
        [base.filter(level=level + 1)]
        if codes is None
        else [base.filter(parent_id__in=chunk) for chunk in _chunks(codes)]
    )
    out = {}
    for qs in querysets:
        for row in qs.values("parent_id").annotate(**aggregates).order_by():
            out[row.pop("parent_id")] = row
    return out


def _parents_of_newer(level: int, codes: list[str] | None, day: dt.date) -> set[str]:
    """Parents (of the given codes, or of the whole level) with a child whose current snapshot is
    of a day after `day`."""
    base = CoverageSnapshot.objects.filter(is_current=True, date__gt=day)
    querysets = (
        [base.filter(region__level=level + 1)]
        if codes is None
        else [base.filter(region__parent_id__in=chunk) for chunk in _chunks(codes)]
    )
    return {parent for qs in querysets for parent in qs.values_list("region__parent_id", flat=True).distinct()}


def _children_ucj(level: int, codes: list[str] | None) -> dict[str, dict]:
    """Per parent: the sums of its children's current UCJ counts, {"segments": {...},
    "occupations": {...}}, each None when a child's snapshot predates that count (NULL: unknown,
    not zero). Parents whose children count nobody are left out. Summed in the database, key by
    key: the segments and the occupation groups, the only keys snapshots are given (another key
    would not be summed). One query per 2,000 parents."""
    base = CoverageSnapshot.objects.filter(is_current=True).filter(
        Q(ucj_active__gt=0) | Q(ucj_segments__isnull=True) | Q(occupations__isnull=True)
    )
    querysets = (
        [base.filter(region__level=level + 1)]
        if codes is None
        else [base.filter(region__parent_id__in=chunk) for chunk in _chunks(codes)]
    )
    sums = {
        (name, key): Sum(Cast(KT(f"{field}__{key}"), BigIntegerField()))
        for name, field, keys in (("segments", "ucj_segments", SEGMENTS), ("occupations", "occupations", OCCUPATIONS))
        for key in keys
    }
    aliases = {f"{name}_{key}": aggregate for (name, key), aggregate in sums.items()}
    out: dict[str, dict] = {}
    for qs in querysets:
        rows = (
            qs.values("region__parent_id")
            .order_by()
            .annotate(
                segments_unknown=Count("pk", filter=Q(ucj_segments__isnull=True)),
                occupations_unknown=Count("pk", filter=Q(occupations__isnull=True)),
                **aliases,
            )
        )
        for row in rows:
            total = out[row["region__parent_id"]] = {"segments": {}, "occupations": {}}
            for name, key in sums:
                if (n := row[f"{name}_{key}"]) is not None:
                    total[name][key] = n
            for name in ("segments", "occupations"):
                if row[f"{name}_unknown"]:
                    total[name] = None
    return out


COPY_FROM = 500  # snapshots from which PostgreSQL gets them through COPY (a full rebuild's levels)


def _store(snapshots: list["SnapshotValues"], day: dt.date) -> None:
    """Today's row replaces today's earlier one; older rows stay as history, no longer current."""
    if connection.vendor == "postgresql" and len(snapshots) >= COPY_FROM:
        _store_copy(snapshots, day)
        return
    codes = [s.region_id for s in snapshots]
    newer: set[str] = set()
    for chunk in _chunks(codes):
        CoverageSnapshot.objects.filter(region_id__in=chunk, is_current=True, date__lt=day).update(is_current=False)
        if day < timezone.localdate():  # a past day (a backfill, a test): a newer row stays current
            later = CoverageSnapshot.objects.filter(region_id__in=chunk, date__gt=day)
            newer |= set(later.values_list("region_id", flat=True))
    rows = []
    for snapshot in snapshots:
        snapshot.is_current = snapshot.region_id not in newer
        rows.append(CoverageSnapshot(**vars(snapshot)))
    CoverageSnapshot.objects.bulk_create(
        rows,
        batch_size=2_000,
        update_conflicts=True,
        unique_fields=["region", "date"],
        update_fields=COMPUTED_FIELDS,
    )


STORED_FIELDS = ["region_id", "date", *COMPUTED_FIELDS]
JSON_FIELDS = {"sources", "missing", "occupations", "ucj_segments"}


def _store_copy(snapshots: list["SnapshotValues"], day: dt.date) -> None:
    """_store for many snapshots on PostgreSQL: COPY into a temporary table, then one UPDATE
    retiring their current rows of earlier days and one INSERT … ON CONFLICT. Django's
    bulk_create spent most of a full rebuild turning 91,600 rows into parameters."""
    table = CoverageSnapshot._meta.db_table
    columns = [CoverageSnapshot._meta.get_field(name.removesuffix("_id")).column for name in STORED_FIELDS]
    listed = ", ".join(columns)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS pg_temp.snapshot_stage")
        cursor.execute(f"CREATE TEMPORARY TABLE snapshot_stage AS SELECT {listed} FROM {table} WITH NO DATA")
        stored = operator.itemgetter(*STORED_FIELDS)
        json_at = [i for i, name in enumerate(STORED_FIELDS) if name in JSON_FIELDS]
        with cursor.cursor.copy(f"COPY snapshot_stage ({listed}) FROM STDIN") as copy:
            for snapshot in snapshots:
                row = list(stored(vars(snapshot)))
                for i in json_at:
                    row[i] = _json_text(row[i])
                copy.write_row(row)
        cursor.execute(
            f"UPDATE {table} s SET is_current = false FROM snapshot_stage t "
            "WHERE s.region_id = t.region_id AND s.is_current AND s.date < %s",
            [day],
        )
        if day < timezone.localdate():  # a past day (a backfill, a test): a newer row stays current
            cursor.execute(
                f"UPDATE snapshot_stage t SET is_current = false FROM {table} s "
                "WHERE s.region_id = t.region_id AND s.date > %s",
                [day],
            )
        updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in columns[2:])
        cursor.execute(
            f"INSERT INTO {table} ({listed}) SELECT {listed} FROM snapshot_stage "
            f"ON CONFLICT (region_id, date) DO UPDATE SET {updates}"
        )
        cursor.execute("DROP TABLE pg_temp.snapshot_stage")


def _json_text(value) -> str | None:
    """A snapshot's JSON figure as text for COPY: most villages' are empty."""
    if value is None:
        return None
    if not value:
        return "{}" if type(value) is dict else "[]"
    return _encode(value)


_encode = json.JSONEncoder(check_circular=False).encode  # json.dumps without its per-call setup


# --- The arithmetic -------------------------------------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat() if value else None


class SnapshotValues:
    """A snapshot's values as computed, before they are stored (_store): attributes named as
    CoverageSnapshot's fields. Cheaper than a model instance, of which a full rebuild would make
    91,600."""

    def __init__(self, *, region_id: str, date: dt.date, computed_at):
        self.region_id, self.date, self.computed_at, self.is_current = region_id, date, computed_at, True
        self.__dict__.update(_BLANK)
        self.sources, self.missing = [], []


_BLANK = {**dict.fromkeys(COMPUTED_FIELDS[2:]), "ucj_active": 0}


def snapshot_compute(
    *,
    code: str,
    day: dt.date,
    now,
    workforce: WorkforceEstimate | None,
    target: CoverageTarget | None,
    counts: MembershipCount | None,
    change: dict[str, int],
    children: dict | None,
    ucj: dict[str, int] | None,
    ucj_segments: dict[str, int] | None = None,
    occupations: dict[str, int] | None = None,
) -> SnapshotValues:
    """One region's snapshot from its own facts and its children's totals (None for a village,
    which has UCJ counts `ucj` instead); `occupations`: UCJ's vulnerable workers counting on the
    day by occupation (the village's own, a parent's summed from its children; None: unknown).
    Pure: no queries."""
    snap = SnapshotValues(region_id=code, date=day, computed_at=now)
    snap.occupations = None if occupations is None else dict(sorted(occupations.items()))
    snap.ucj_segments = None if ucj_segments is None else dict(sorted(ucj_segments.items()))
    sources: list[dict] = []
    missing: list[dict] = []
    n_children = children["children"] if children else 0

    # Working population.
    if workforce is not None:
        snap.workforce, snap.workforce_year = workforce.workers, workforce.year
        sources.append(
            {
                "figure": "workforce",
                "value": workforce.workers,
                "year": workforce.year,
                "source": workforce.source,
                "as_of": _iso(workforce.as_of),
            }
        )
    elif n_children and children["workforce_n"] == n_children:
        snap.workforce, snap.workforce_year = children["workforce"], children["workforce_year_max"]
        sources.append(
            {
                "figure": "workforce",
                "value": snap.workforce,
                "sum_of": n_children,
                "year_from": children["workforce_year_min"],
                "year_to": children["workforce_year_max"],
            }
        )
    else:
        missing.append(_missing("workforce", children, "workforce_n"))

    # UCJ's own participants.
    if children is not None:
        snap.ucj_active = children["ucj_active"] or 0
    else:
        snap.ucj_active = sum((ucj or {}).values())

    # Active participants.
    if counts is not None:
        snap.bpjs_as_of = counts.as_of
        snap.ucj_change = sum(change.values())
        snap.active = max(counts.total + snap.ucj_change, 0)
        for segment in SEGMENTS:
            base = getattr(counts, segment)
            setattr(snap, segment, None if base is None else max(base + change.get(segment, 0), 0))
        sources.append(
            {
                "figure": "bpjs",
                "value": counts.total,
                "as_of": _iso(counts.as_of),
                "source": counts.source,
                **{segment: getattr(counts, segment) for segment in SEGMENTS},
            }
        )
        sources.append({"figure": "ucj", "value": snap.ucj_change, "since": _iso(counts.as_of)})
    elif n_children and children["active_n"] == n_children:
        snap.active = children["active"]
        snap.ucj_change = children["ucj_change"]  # every child has a BPJS-based count
        for segment in SEGMENTS:
            known = children[f"{segment}_n"] == n_children
            setattr(snap, segment, children[segment] if known else None)
        sources.append(
            {
                "figure": "bpjs",
                "value": snap.active,
                "sum_of": n_children,
                "as_of_from": _iso(children["bpjs_from"]),
                "as_of_to": _iso(children["bpjs_to"]),
            }
        )
    else:
        snap.ucj_change = None  # nothing to move: there is no BPJS figure
        missing.append(_missing("bpjs", children, "active_n"))

    # Target.
    if target is not None:
        snap.target_percent, snap.target_year = target.percent, target.year
        sources.append(
            {
                "figure": "target",
                "value": str(target.percent),
                "year": target.year,
                "source": target.source,
                "as_of": _iso(target.as_of),
            }
        )
    else:
        missing.append({"figure": "target"})

    # UCJ %, gap.
    if snap.workforce and snap.active is not None:
        snap.percent = (Decimal(snap.active) * HUNDRED / Decimal(snap.workforce)).quantize(CENT, ROUND_HALF_UP)
        if snap.target_percent is not None:
            snap.gap_points = Decimal(snap.target_percent) - snap.percent
            needed = (Decimal(snap.workforce) * Decimal(snap.target_percent) / HUNDRED).to_integral_value(ROUND_CEILING)
            snap.gap_people = int(needed) - snap.active
    elif snap.workforce == 0:
        missing.append({"figure": "workforce", "zero": True})
    snap.sources, snap.missing = sources, missing
    return snap


def _missing(figure: str, children: dict | None, counted: str) -> dict:
    if not children or not children["children"]:
        return {"figure": figure}
    return {
        "figure": figure,
        "children": children["children"],
        "children_without": children["children"] - children[counted],
    }
