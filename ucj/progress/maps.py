"""The progress pages' map: a region's children as a GeoJSON FeatureCollection shaded by coverage
band (DESIGN §4: `GET /api/v1/coverage/{code}/map/`), from the same current snapshots as the
children table (`selectors.progress_children`), so the map and the table cannot disagree.

Geometries are stored as GeoJSON text (ucj.boundaries) and joined into the answer as they are;
only the properties are encoded. Three queries whatever the number of children. Callers have
fetched `region` through `ucj.scope`; every child of a visible region is visible.
"""

import dataclasses
import json
from decimal import Decimal

from django.conf import settings
from django.urls import reverse

from ucj.boundaries import selectors as boundaries
from ucj.coverage.selectors import coverage_band_label
from ucj.models import CoverageBand, CoverageSnapshot, Region, coverage_band


@dataclasses.dataclass
class CoverageMap:
    region: Region
    features: list[tuple[dict, str]]  # (properties, GeoJSON geometry text), in code order
    missing: list[dict]  # children without a shape: {"code", "name"}
    outline: str | None  # the region's own shape
    credits: list[dict]  # {"source", "licence", "as_of", "changes"}, one per distinct source


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def coverage_map(*, region: Region) -> CoverageMap:
    children = list(Region.objects.filter(parent=region).order_by("code").values_list("code", "name"))
    codes = [code for code, _name in children]
    current = {
        row[0]: row[1:]
        for row in CoverageSnapshot.objects.filter(region_id__in=codes, is_current=True)
        .order_by()
        .values_list("region_id", "percent", "target_percent", "gap_points")
    }
    shapes, own = boundaries.map_shapes(region=region)
    features, missing, credits = [], [], {}
    for code, name in children:
        shape = shapes.get(code)
        if shape is None:
            missing.append({"code": code, "name": name})
            continue
        text, credit = shape
        credits.setdefault(credit, None)
        percent, target, gap = current.get(code, (None, None, None))
        band = coverage_band(percent)
        features.append(
            (
                {
                    "code": code,
                    "name": name,
                    "percent": _number(percent),
                    "band": band,
                    "band_label": coverage_band_label(band),
                    "target_percent": _number(target),
                    "gap_points": _number(gap),
                    "url": reverse("progress-region", args=[code]),
                },
                text,
            )
        )
    if own is not None:
        credits.setdefault(own[1], None)
    return CoverageMap(
        region=region,
        features=features,
        missing=missing,
        outline=own[0] if own else None,
        credits=[
            {"source": c.source, "licence": c.licence, "as_of": c.as_of.isoformat(), "changes": c.changes}
            for c in credits
        ],
    )


def coverage_map_geojson(data: CoverageMap) -> str:
    """The map as GeoJSON text: a FeatureCollection of the children that have a shape, with
    foreign members `code` and `name` (the region), `missing` (children without a shape),
    `outline` (the region's own geometry or null) and `credits`."""
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    features = ",".join(
        '{"type":"Feature","id":' + dumps(props["code"]) + ',"properties":' + dumps(props) + ',"geometry":' + text + "}"
        for props, text in data.features
    )
    head = {
        "type": "FeatureCollection",
        "code": data.region.code,
        "name": data.region.name,
        "missing": data.missing,
        "credits": data.credits,
    }
    return dumps(head)[:-1] + ',"outline":' + (data.outline or "null") + ',"features":[' + features + "]}"


def band_legend() -> list[dict]:
    """The legend: every band with its label and the range of UCJ % it holds (the cut-offs are
    configuration: settings.UCJ_COVERAGE_BANDS, lower bounds of rendah, sedang and tinggi)."""
    bounds = [None, *settings.UCJ_COVERAGE_BANDS, None]
    return [
        {"band": band.value, "label": coverage_band_label(band.value), "low": bounds[i], "high": bounds[i + 1]}
        for i, band in enumerate(CoverageBand)
    ]
