"""Boundary files read within bounds, turned into plain GeoJSON geometries and simplified to what
a phone draws quickly. Pure functions: nothing here touches the database.

Simplification is Douglas-Peucker, written here (about 60 lines) rather than taken from a package:
shapely brings GEOS and numpy (tens of MB) for one function, and the small simplifiers on PyPI
(`simplification`, `rdp`, `visvalingamwyatt`) all need numpy, which the project does not install.
Shared borders stay shared: a point that several rings hold, where the set of rings holding it
changes, is a junction that every ring keeps, so two neighbours simplify the same run of points
between the same two junctions and no slivers or gaps open between them (the idea of TopoJSON's
arcs, without building the topology).
"""

import dataclasses
import itertools
import json
import math
import re

# A boundary file is read whole: these keep a hostile or mistaken file from exhausting memory.
# The file's size bounds the text; the count of brackets (taken on the bytes before decoding)
# bounds the lists and objects json would build, and a hook on every number bounds the numbers.
MAX_FILE_BYTES = 40 * 1024 * 1024
MAX_CONTAINERS = 2_000_000
MAX_NUMBERS = 6_000_000

# How finely each level is kept (degrees; 0.001° is about 110 m at the equator): the tolerance
# of Douglas-Peucker and the decimals the coordinates are rounded to. A regency's districts come
# under 100 KB of GeoJSON with these (tests/ucj/test_boundaries.py measures it).
TOLERANCE = {1: 0.01, 2: 0.004, 3: 0.0015, 4: 0.0004}
DECIMALS = {1: 3, 2: 3, 3: 4, 4: 4}
# Kemendagri code: 2 digits of province, 2 of regency, 2 of district, 4 of village.
CODE_WIDTHS = (2, 2, 2, 4)


class BoundaryFileError(ValueError):
    """The file cannot be read as a boundary file; the message says why, for the command line."""


@dataclasses.dataclass
class Feature:
    properties: dict
    polygons: list  # [[ring, ...], ...]: each ring a list of (x, y), exterior first


# --- Reading --------------------------------------------------------------------------------------


def read_json(path, *, max_bytes: int | None = None) -> dict:
    """The file's JSON, refused with a clear message when it is too big, holds too many lists or
    numbers, or is not JSON at all."""
    max_bytes = max_bytes or MAX_FILE_BYTES
    with open(path, "rb") as handle:
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise BoundaryFileError(
            f"The file is larger than {max_bytes / (1024 * 1024):.3g} MB: split it (one province at a time) "
            "or simplify it before importing."
        )
    return decode_json(data)


def decode_json(data: bytes) -> dict:
    containers = data.count(b"[") + data.count(b"{")
    if containers > MAX_CONTAINERS:
        raise BoundaryFileError(
            f"The file holds {containers:,} lists and objects, more than {MAX_CONTAINERS:,}: split it or simplify it."
        )
    numbers = 0

    def counted(kind):
        def parse(text):
            nonlocal numbers
            numbers += 1
            if numbers > MAX_NUMBERS:
                raise BoundaryFileError(f"The file holds more than {MAX_NUMBERS:,} numbers: split it or simplify it.")
            return kind(text)

        return parse

    try:
        decoded = json.loads(data, parse_float=counted(float), parse_int=counted(int))
    except RecursionError:
        raise BoundaryFileError("The file nests lists too deeply to be a boundary file.") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BoundaryFileError(f"The file is not JSON: {exc}.") from None
    if not isinstance(decoded, dict):
        raise BoundaryFileError("The file is not GeoJSON or TopoJSON (its top level is not an object).")
    return decoded


def features_of(document: dict) -> list[Feature]:
    """The polygon features of a GeoJSON FeatureCollection (or single Feature) or of a TopoJSON
    Topology (every object's geometries). Other geometry types are left out."""
    kind = document.get("type")
    if kind == "Topology":
        return _topology_features(document)
    if kind == "FeatureCollection":
        items = document.get("features")
        if not isinstance(items, list):
            raise BoundaryFileError("The FeatureCollection has no list of features.")
    elif kind == "Feature":
        items = [document]
    else:
        raise BoundaryFileError(
            f"Unknown file type {kind!r}: expected a GeoJSON FeatureCollection or a TopoJSON Topology."
        )
    out = []
    for item in items:
        if not isinstance(item, dict):
            continue
        polygons = _geojson_polygons(item.get("geometry"))
        if polygons:
            out.append(Feature(properties=item.get("properties") or {}, polygons=polygons))
    return out


def _geojson_polygons(geometry) -> list:
    if not isinstance(geometry, dict):
        return []
    coordinates = geometry.get("coordinates")
    try:
        if geometry.get("type") == "Polygon":
            return [_rings(coordinates)]
        if geometry.get("type") == "MultiPolygon":
            return [_rings(polygon) for polygon in coordinates]
        if geometry.get("type") == "GeometryCollection":
            return [p for g in geometry.get("geometries") or [] for p in _geojson_polygons(g)]
    except (TypeError, ValueError, IndexError):
        raise BoundaryFileError("A geometry's coordinates are not a list of rings of [longitude, latitude].") from None
    return []


def _rings(polygon) -> list:
    return [[(float(point[0]), float(point[1])) for point in ring] for ring in polygon]


def _topology_features(topology: dict) -> list[Feature]:
    """TopoJSON (https://github.com/topojson/topojson-specification): arcs delta-encoded when
    the topology is quantized, each geometry's rings made of arc indexes (~i: arc i reversed)."""
    try:
        transform = topology.get("transform")
        if transform:
            (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
        arcs = []
        for arc in topology["arcs"]:
            points, x, y = [], 0, 0
            for position in arc:
                if transform:
                    x, y = x + position[0], y + position[1]
                    points.append((x * sx + tx, y * sy + ty))
                else:
                    points.append((float(position[0]), float(position[1])))
            arcs.append(points)

        def ring(indexes):
            points = []
            for index in indexes:
                arc = arcs[index] if index >= 0 else arcs[~index][::-1]
                # Consecutive arcs share their joining point.
                points.extend(arc if not points else arc[1:])
            return points

        out = []
        for name, obj in topology["objects"].items():
            geometries = obj.get("geometries") if obj.get("type") == "GeometryCollection" else [obj]
            for geometry in geometries:
                if geometry.get("type") == "Polygon":
                    polygons = [[ring(r) for r in geometry["arcs"]]]
                elif geometry.get("type") == "MultiPolygon":
                    polygons = [[ring(r) for r in polygon] for polygon in geometry["arcs"]]
                else:
                    continue
                properties = {"_object": name, **(geometry.get("properties") or {})}
                out.append(Feature(properties=properties, polygons=polygons))
        return out
    except (KeyError, TypeError, ValueError, IndexError):
        raise BoundaryFileError("The TopoJSON is malformed (its arcs, transform or objects cannot be read).") from None


# --- Codes ----------------------------------------------------------------------------------------


def region_code(value, level: int) -> str | None:
    """The Kemendagri code of a region of `level` (1 province … 4 village) written any common
    way: `3526`, `35.26`, `35 26`, BPS/OCHA's `ID3526`, or a number (3526). None when it is not
    a code of that level."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not value.is_integer():
            return None
        value = int(value)
    text = str(value).strip().upper().removeprefix("ID")
    if not re.fullmatch(r"[0-9][0-9 ._-]*", text):
        return None
    digits = re.sub(r"[^0-9]", "", text)
    widths = CODE_WIDTHS[:level]
    if len(digits) != sum(widths):
        return None
    parts, start = [], 0
    for width in widths:
        parts.append(digits[start : start + width])
        start += width
    return ".".join(parts)


def normalized_name(name) -> str:
    return " ".join(str(name or "").casefold().replace("-", " ").split())


# --- Simplifying ----------------------------------------------------------------------------------


def simplify_features(features: list[Feature], *, tolerance: float) -> None:
    """Douglas-Peucker on every ring, in place, keeping the junctions of shared borders (see the
    module's docstring). A ring that simplifies to fewer than 4 points (a tiny island) is dropped,
    and so is a polygon whose exterior is dropped."""
    holders: dict[tuple, set] = {}
    rings = [ring for feature in features for polygon in feature.polygons for ring in polygon]
    for index, ring in enumerate(rings):
        for point in ring:
            holders.setdefault(point, set()).add(index)
    for feature in features:
        kept_polygons = []
        for polygon in feature.polygons:
            simplified = [_simplify_ring(ring, holders, tolerance) for ring in polygon]
            if len(simplified[0]) < 4:
                continue
            kept_polygons.append([simplified[0], *(r for r in simplified[1:] if len(r) >= 4)])
        feature.polygons = kept_polygons


def _simplify_ring(ring: list, holders: dict, tolerance: float) -> list:
    if len(ring) < 4:
        return ring
    closed = ring[0] == ring[-1]
    points = ring[:-1] if closed else ring
    n = len(points)
    held = [holders[point] for point in points]
    fixed = [i for i in range(n) if held[i] != held[i - 1] or held[i] != held[(i + 1) % n]]
    if not fixed:
        # A ring nobody shares: start from its first point and the point farthest from it.
        far = max(range(n), key=lambda i: (points[i][0] - points[0][0]) ** 2 + (points[i][1] - points[0][1]) ** 2)
        fixed = [0, far] if far else [0]
    out = []
    for k, start in enumerate(fixed):
        end = fixed[(k + 1) % len(fixed)]
        span = points[start : end + 1] if end > start else points[start:] + points[: end + 1]
        out.extend(_douglas_peucker(span, tolerance)[:-1])
    out.append(out[0])
    return out


def _douglas_peucker(points: list, tolerance: float) -> list:
    """The points to keep of an open line, its two ends always kept. Iterative: a ring of a
    hundred thousand points must not hit the recursion limit."""
    n = len(points)
    if n < 3:
        return list(points)
    keep = [False] * n
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    squared = tolerance * tolerance
    while stack:
        first, last = stack.pop()
        (ax, ay), (bx, by) = points[first], points[last]
        dx, dy = bx - ax, by - ay
        length = dx * dx + dy * dy
        worst, worst_index = -1.0, -1
        for i in range(first + 1, last):
            px, py = points[i]
            if length == 0:
                distance = (px - ax) ** 2 + (py - ay) ** 2
            else:
                t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length))
                distance = (px - ax - t * dx) ** 2 + (py - ay - t * dy) ** 2
            if distance > worst:
                worst, worst_index = distance, i
        if worst > squared:
            keep[worst_index] = True
            stack.append((first, worst_index))
            stack.append((worst_index, last))
    return [point for point, kept in zip(points, keep, strict=True) if kept]


# --- Writing --------------------------------------------------------------------------------------


def geometry_json(polygons: list, *, decimals: int) -> tuple[str, int]:
    """The polygons as a compact GeoJSON geometry (a Polygon, or a MultiPolygon for several) with
    coordinates rounded to `decimals`, exteriors counterclockwise and holes clockwise (RFC 7946),
    repeated points after rounding removed; and how many points it holds."""
    out_polygons, count = [], 0
    for polygon in polygons:
        rings = []
        for index, ring in enumerate(polygon):
            rounded = []
            for x, y in ring:
                point = (round(x, decimals), round(y, decimals))
                if not rounded or rounded[-1] != point:
                    rounded.append(point)
            if rounded[0] != rounded[-1]:
                rounded.append(rounded[0])
            if len(rounded) < 4:
                if index == 0:
                    break
                continue
            if (_signed_area(rounded) > 0) != (index == 0):
                rounded.reverse()
            rings.append(rounded)
            count += len(rounded)
        if rings:
            out_polygons.append(rings)
    if not out_polygons:
        return "", 0
    number = "{:." + str(decimals) + "f}"

    def ring_text(ring):
        return "[" + ",".join(f"[{_trim(number.format(x))},{_trim(number.format(y))}]" for x, y in ring) + "]"

    def polygon_text(rings):
        return "[" + ",".join(ring_text(r) for r in rings) + "]"

    if len(out_polygons) == 1:
        text = '{"type":"Polygon","coordinates":' + polygon_text(out_polygons[0]) + "}"
    else:
        text = '{"type":"MultiPolygon","coordinates":[' + ",".join(polygon_text(p) for p in out_polygons) + "]}"
    return text, count


def _trim(text: str) -> str:
    """112.500 → 112.5, -7.000 → -7: fewer bytes, the same number."""
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _signed_area(ring: list) -> float:
    """Twice the ring's area, positive when counterclockwise (x east, y north)."""
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in itertools.pairwise(ring))


def bbox_of(polygons: list) -> list[float]:
    xs = [x for polygon in polygons for ring in polygon for x, _y in ring]
    ys = [y for polygon in polygons for ring in polygon for _x, y in ring]
    return [min(xs), min(ys), max(xs), max(ys)] if xs else []


def is_finite(features: list[Feature]) -> bool:
    return all(
        math.isfinite(x) and math.isfinite(y)
        for feature in features
        for polygon in feature.polygons
        for ring in polygon
        for x, y in ring
    )
