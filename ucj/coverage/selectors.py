"""Reads of computed coverage: a region's current snapshot, its children's, its history, and the
readable sentences pages show beside the figures (sources, missing figures, the gap).

Figures come from the snapshots as the engine stored them; nothing here recomputes them. Callers
have already fetched `region` through `ucj.scope`, and every child of a visible region is visible.
"""

import dataclasses
import datetime as dt
from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ucj.models import CoverageBand, CoverageSnapshot, Region

# What the API says of a region the engine has never computed.
NEVER_COMPUTED = [{"figure": "snapshot"}]

# The children of a region of each level, in the plural, for "3 of 18 districts have none".
CHILDREN_NOUN = {
    Region.Level.NATIONAL: gettext_lazy("provinces"),
    Region.Level.PROVINCE: gettext_lazy("regencies and cities"),
    Region.Level.REGENCY: gettext_lazy("districts"),
    Region.Level.DISTRICT: gettext_lazy("villages"),
}

MISSING = {
    "workforce": gettext_lazy("No working-population estimate."),
    "bpjs": gettext_lazy("No BPJS figure."),
    "target": gettext_lazy("No target."),
}
MISSING_IN_CHILDREN = {
    "workforce": gettext_lazy("No working-population estimate: %(without)s of %(children)s %(noun)s have none."),
    "bpjs": gettext_lazy("No BPJS figure: %(without)s of %(children)s %(noun)s have none."),
}

SEGMENT_LABELS = {
    "pu": ("PU", gettext_lazy("wage earners")),
    "bpu": ("BPU", gettext_lazy("non-wage earners (informal)")),
    "jakon": ("Jakon", gettext_lazy("construction")),
    "pmi": ("PMI", gettext_lazy("migrant workers")),
}


def coverage_current(*, region: Region) -> CoverageSnapshot | None:
    """The region's present snapshot; None when the engine has never computed it."""
    snapshot = CoverageSnapshot.objects.filter(region=region, is_current=True).first()
    if snapshot is not None:
        snapshot.region = region
    return snapshot


def coverage_children(*, region: Region) -> list[tuple[Region, CoverageSnapshot | None]]:
    """Every child of the region by code, each with its current snapshot (None if never computed).
    Two queries whatever the number of children."""
    children = list(Region.objects.filter(parent=region).order_by("code"))
    current = {
        snapshot.region_id: snapshot
        for snapshot in CoverageSnapshot.objects.filter(region__parent=region, is_current=True).order_by()
    }
    out = []
    for child in children:
        snapshot = current.get(child.code)
        if snapshot is not None:
            snapshot.region = child
        out.append((child, snapshot))
    return out


def coverage_history(*, region: Region, since: dt.date | None = None) -> list[CoverageSnapshot]:
    """The region's snapshots from `since` (inclusive) on, oldest first: at most one per day (the
    engine keeps one row per region and day), the last being the current one."""
    snapshots = CoverageSnapshot.objects.filter(region=region)
    if since is not None:
        snapshots = snapshots.filter(date__gte=since)
    return list(snapshots.order_by("date"))


# --- What pages show beside the figures -------------------------------------------------------


@dataclasses.dataclass
class CoverageCard:
    """A region's current coverage prepared for a page: the snapshot's figures plus the sentences
    around them. `snapshot` is None when the region has never been computed."""

    snapshot: CoverageSnapshot | None
    band_label: str = ""
    segments: list[tuple[str, str, int]] = dataclasses.field(default_factory=list)  # (abbr, label, n)
    ucj_change: str = ""  # signed: "+35", "-2", "0"
    gap: dict | None = None  # {"state": behind|reached|ahead, "points": Decimal ≥ 0, "people": int ≥ 0}
    sources: list[dict] = dataclasses.field(default_factory=list)  # {"figure", "label", "value", "text"}
    missing: list[str] = dataclasses.field(default_factory=list)


def coverage_card(*, region: Region) -> CoverageCard:
    snapshot = coverage_current(region=region)
    if snapshot is None:
        return CoverageCard(snapshot=None)
    return CoverageCard(
        snapshot=snapshot,
        band_label=coverage_band_label(snapshot.band),
        segments=[
            (abbr, str(label), value)
            for key, (abbr, label) in SEGMENT_LABELS.items()
            if (value := snapshot.segments[key]) is not None
        ],
        ucj_change="" if snapshot.ucj_change is None else _signed(snapshot.ucj_change),
        gap=coverage_gap(snapshot),
        sources=coverage_sources_text(snapshot),
        missing=coverage_missing_text(snapshot, region=region),
    )


def coverage_band_label(band: str | None) -> str:
    return str(CoverageBand(band).label) if band else ""


def coverage_gap(snapshot: CoverageSnapshot) -> dict | None:
    """The distance to the target as a page says it: how far behind, or how far ahead (a negative
    gap), in points and in people. None without a target or a percentage."""
    if snapshot.gap_points is None or snapshot.gap_people is None:
        return None
    if snapshot.gap_people > 0:
        state = "behind"
    elif snapshot.gap_people == 0:
        state = "reached"
    else:
        state = "ahead"
    return {"state": state, "points": abs(Decimal(snapshot.gap_points)), "people": abs(snapshot.gap_people)}


def _number(value, decimals=None) -> str:
    return formats.number_format(value, decimal_pos=decimals, force_grouping=True)


def _signed(value: int) -> str:
    return f"+{_number(value)}" if value > 0 else _number(value)


def _date(value) -> str:
    """A stored ISO date (or a date) as pages write it; "" for none."""
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    return formats.date_format(value, "j M Y")


def _span(first, last) -> str:
    """Years as "2025" or "2024-2025" from the first and the last (either may be None)."""
    first, last = first or last, last or first
    if not first:
        return ""
    return str(first) if first == last else f"{first}-{last}"


def _published(source: dict, *, count: bool = False) -> str:
    """A stored source's text and date, as in "BPS Sakernas Agustus 2025, 31 Agu 2025"; a count of
    participants says "as of" its date."""
    text, date = source.get("source") or "", _date(source.get("as_of"))
    if not date:
        return text
    if count:
        return _("%(source)s, as of %(date)s") % {"source": text, "date": date}
    return _("%(source)s, %(date)s") % {"source": text, "date": date}


def _sum_of(n: int, level: int) -> str:
    noun = CHILDREN_NOUN.get(level, gettext_lazy("sub-regions"))
    return _("sum of %(n)s %(children)s") % {"n": _number(n), "children": noun}


def coverage_sources_text(snapshot: CoverageSnapshot) -> list[dict]:
    """Each stored source as a page shows it: {"figure", "label", "value", "text"}, the value
    formatted and the text saying where it comes from and its date, or how many children it sums."""
    level = snapshot.region.level
    out = []
    for source in snapshot.sources:
        figure, value = source.get("figure"), source.get("value")
        if figure == "workforce":
            label = _("Working people")
            if "sum_of" in source:
                text = _sum_of(source["sum_of"], level)
                if years := _span(source.get("year_from"), source.get("year_to")):
                    text = _("%(sum)s (estimates of %(years)s)") % {"sum": text, "years": years}
            else:
                text = _published(source)
        elif figure == "bpjs":
            label = _("BPJS active participants")
            if "sum_of" in source:
                text = _sum_of(source["sum_of"], level)
                first, last = _date(source.get("as_of_from")), _date(source.get("as_of_to"))
                if first and last and first != last:
                    text = _("%(sum)s (figures of %(first)s to %(last)s)") % {"sum": text, "first": first, "last": last}
                elif first or last:
                    text = _("%(sum)s (figures as of %(date)s)") % {"sum": text, "date": first or last}
            else:
                text = _published(source, count=True)
        elif figure == "ucj":
            label = _("UCJ batches")
            text = _("people who started or stopped counting through UCJ since %(date)s") % {
                "date": _date(source.get("since"))
            }
            out.append({"figure": figure, "label": label, "value": _signed(value or 0), "text": text})
            continue
        elif figure == "target":
            label = _("Target")
            text = _published(source)
            out.append({"figure": figure, "label": label, "value": f"{_number(Decimal(value), 2)} %", "text": text})
            continue
        else:
            continue
        out.append({"figure": figure, "label": label, "value": _number(value), "text": text})
    return out


def coverage_missing_text(snapshot: CoverageSnapshot, *, region: Region) -> list[str]:
    """A plain sentence per missing figure: which figure, and how many children lack it."""
    noun = CHILDREN_NOUN.get(region.level, gettext_lazy("sub-regions"))
    out = []
    for missing in snapshot.missing:
        figure = missing.get("figure")
        if figure == "workforce" and missing.get("zero"):
            out.append(_("The working-population estimate is zero, so no percentage can be given."))
        elif missing.get("children") and figure in MISSING_IN_CHILDREN:
            out.append(
                MISSING_IN_CHILDREN[figure]
                % {
                    "without": _number(missing["children_without"]),
                    "children": _number(missing["children"]),
                    "noun": noun,
                }
            )
        elif figure in MISSING:
            out.append(str(MISSING[figure]))
    return out
