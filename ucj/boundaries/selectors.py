"""Reads of region boundaries for the map: the shapes of a region's children and its own, with
the credits each carries. Geometries come back as the GeoJSON text they are stored as."""

import dataclasses

from django.db.models import Count, Q

from ucj.models import Region, RegionBoundary


@dataclasses.dataclass(frozen=True)
class Credit:
    source: str
    licence: str
    as_of: object  # date
    changes: str


def map_shapes(*, region: Region) -> tuple[dict[str, tuple[str, Credit]], tuple[str, Credit] | None]:
    """The shapes a map of `region` draws: {child code: (GeoJSON geometry text, credit)} for its
    children that have one, and its own (the map outlines it) or None. One query."""
    rows = RegionBoundary.objects.filter(Q(region__parent=region) | Q(region=region)).values_list(
        "region_id", "geometry", "source", "licence", "as_of", "changes"
    )
    children, own = {}, None
    for code, text, *credit in rows.order_by():
        if code == region.code:
            own = (text, Credit(*credit))
        else:
            children[code] = (text, Credit(*credit))
    return children, own


def shape_credits(*, region: Region) -> list[dict]:
    """The sources of the shapes a map of `region` draws (its children's and its own outline),
    each with how many of the children it shapes (`children`) and whether it shapes the region
    itself (`own`). One query."""
    below, itself = Q(region__parent=region), Q(region=region)
    rows = (
        RegionBoundary.objects.filter(below | itself)
        .values("source", "licence", "as_of", "changes")
        .annotate(children=Count("region", filter=below), own=Count("region", filter=itself))
        .order_by("-children", "source")
    )
    return [{**row, "own": bool(row["own"])} for row in rows]
