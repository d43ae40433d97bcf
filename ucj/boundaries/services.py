"""Writes of region boundaries: the shipped province shapes and imports of official files. Both
run from management commands, never in a request (a file of districts takes seconds to simplify)."""

import dataclasses
import datetime as dt
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from lokal import wilayah

from ucj.boundaries import geometry
from ucj.boundaries.geometry import BoundaryFileError, Feature
from ucj.models import Region, RegionBoundary

SHIPPED_PROVINCES = Path(__file__).resolve().parents[1] / "data" / "boundaries" / "indonesia-38-provinces.topo.json"
SHIPPED_SOURCE = (
    "Indonesia GeoJSON & TopoJSON Maps (38 Provinces), denyherianto/"
    "indonesia-geojson-topojson-maps-with-38-provinces (commit 80aa4a9)"
)
SHIPPED_LICENCE = "CC BY 4.0"
# The day the file was copied into the project: the source itself gives no date.
SHIPPED_AS_OF = dt.date(2026, 12, 8)
SHIPPED_CHANGES = "converted from TopoJSON to GeoJSON by UCJ, coordinates rounded to 0.001°"
PROVINCE_COUNT = 38

# Properties that commonly hold a region's code or name in BIG's and BPS/OCHA's files, and in the
# shipped one; tried in this order when the command is not told which.
CODE_PROPERTIES = {
    1: ["KODE_PROV", "KDPPUM", "ADM1_PCODE", "kode", "code", "KODE", "CODE", "id"],
    2: ["KODE_KAB", "KDPKAB", "ADM2_PCODE", "kode", "code", "KODE", "CODE", "id"],
    3: ["KODE_KEC", "KDCPUM", "ADM3_PCODE", "kode", "code", "KODE", "CODE", "id"],
    4: ["KODE_DESA", "KDEPUM", "ADM4_PCODE", "kode", "code", "KODE", "CODE", "id"],
}
NAME_PROPERTIES = ["PROVINSI", "NAMOBJ", "WADMKD", "WADMKC", "WADMKK", "WADMPR", "name", "nama", "NAME", "NAMA"]
NAME_PROPERTIES += [f"ADM{n}_EN" for n in (4, 3, 2, 1)]


@dataclasses.dataclass
class UnknownFeature:
    index: int  # 1-based position in the file
    value: object  # what its code property held
    name: str


@dataclasses.dataclass
class BoundaryLoadResult:
    level: int
    features: int = 0
    written: int = 0
    unchanged: int = 0
    not_in_database: list[str] = dataclasses.field(default_factory=list)  # matched, region not loaded here
    unknown: list[UnknownFeature] = dataclasses.field(default_factory=list)
    merged: list[str] = dataclasses.field(default_factory=list)  # codes several features shared
    without_shape: list[str] = dataclasses.field(default_factory=list)  # beside the imported ones
    without_shape_total: int = 0  # regions of the level anywhere without a shape
    bytes_by_parent: dict[str, int] = dataclasses.field(default_factory=dict)
    points: int = 0
    code_property: str = ""


# --- The shipped provinces ------------------------------------------------------------------------


def shipped_province_codes(features: list[Feature]) -> list[str]:
    """The province code of each shipped feature, in order. The source gives the four provinces of
    2022 their parent's code (Papua Selatan, Papua Tengah, Papua Pegunungan: 91; Papua Barat Daya:
    92): a feature is matched by its name first, by its code only when no province of the tree
    has its name (DKI Jakarta is "Daerah Khusus Ibukota Jakarta"). Raises BoundaryFileError unless
    the features land on every province of the tree exactly once."""
    provinces = {w.code: w.name for w in wilayah.list_wilayah()}
    by_name = {geometry.normalized_name(name): code for code, name in provinces.items()}
    codes, problems = [], []
    for feature in features:
        name = feature.properties.get("PROVINSI")
        code = by_name.get(geometry.normalized_name(name))
        if code is None:
            code = geometry.region_code(feature.properties.get("KODE_PROV"), Region.Level.PROVINCE)
            if code not in provinces:
                problems.append(f"{name!r} (code {feature.properties.get('KODE_PROV')!r}) matches no province")
        codes.append(code)
    seen: dict[str, int] = {}
    for code in codes:
        seen[code] = seen.get(code, 0) + 1
    problems += [f"{provinces.get(code, code)} ({code}) has {n} shapes" for code, n in seen.items() if code and n > 1]
    problems += [f"{name} ({code}) has no shape" for code, name in provinces.items() if code not in seen]
    if len(features) != PROVINCE_COUNT:
        problems.insert(0, f"{len(features)} shapes instead of {PROVINCE_COUNT}")
    if problems:
        raise BoundaryFileError("The province boundaries do not match the region tree: " + "; ".join(problems) + ".")
    return codes


@transaction.atomic
def boundaries_load_provinces(*, path: Path = SHIPPED_PROVINCES) -> BoundaryLoadResult:
    """The shipped shapes of the 38 provinces, for the provinces loaded in the database (the
    others are reported in `not_in_database`; a later `load_regions` brings them). Refuses the
    whole file unless its 38 shapes match the 38 provinces of the tree (shipped_province_codes).
    Running it again changes nothing."""
    features = geometry.features_of(geometry.read_json(path))
    codes = shipped_province_codes(features)
    result = BoundaryLoadResult(level=Region.Level.PROVINCE, features=len(features), code_property="KODE_PROV")
    shapes = {}
    for code, feature in zip(codes, features, strict=True):
        text, points = geometry.geometry_json(feature.polygons, decimals=geometry.DECIMALS[Region.Level.PROVINCE])
        shapes[code] = (text, points)
    loaded = set(Region.objects.filter(code__in=codes).values_list("code", flat=True))
    result.not_in_database = sorted(set(codes) - loaded)
    kept = {code: shape for code, shape in shapes.items() if code in loaded}
    _write(
        kept,
        result,
        source=SHIPPED_SOURCE,
        licence=SHIPPED_LICENCE,
        as_of=SHIPPED_AS_OF,
        changes=SHIPPED_CHANGES,
    )
    return result


# --- Imports --------------------------------------------------------------------------------------


def boundaries_import(
    *,
    path,
    level: int,
    code_property: str | None = None,
    source: str = "",
    licence: str = "",
    as_of: dt.date | None = None,
) -> BoundaryLoadResult:
    """Shapes of one level from a GeoJSON or TopoJSON file (Badan Informasi Geospasial, BPS/OCHA),
    keyed by the Kemendagri code in `code_property` (written `3526`, `35.26` or `ID3526`), simplified
    (Douglas-Peucker, shared borders kept) and rounded for the level. A feature whose code is not
    a region of that level in the database is reported in `unknown` and nothing is written for it;
    several features of one code are merged. Also reports the regions of the level left without a
    shape beside the imported ones (same parents) and in all. The file is read within bounds
    (ucj.boundaries.geometry.read_json). Raises BoundaryFileError for a file it cannot use."""
    level = Region.Level(level)
    if level == Region.Level.NATIONAL:
        raise BoundaryFileError("Boundaries are imported for provinces, regencies, districts or villages.")
    features = geometry.features_of(geometry.read_json(path))
    if not features:
        raise BoundaryFileError("The file holds no Polygon or MultiPolygon features.")
    if not geometry.is_finite(features):
        raise BoundaryFileError("The file holds coordinates that are not finite numbers.")
    west, south, east, north = geometry.bbox_of([p for f in features for p in f.polygons])
    if west < -180 or east > 180 or south < -90 or north > 90:
        raise BoundaryFileError(
            "The coordinates are not longitude and latitude (WGS 84, EPSG:4326): reproject the file first."
        )
    code_property = code_property or _guess_code_property(features, level)
    result = BoundaryLoadResult(level=level, features=len(features), code_property=code_property)

    wanted: dict[str, list[Feature]] = {}
    candidates: dict[int, str] = {}
    for index, feature in enumerate(features, start=1):
        code = geometry.region_code(feature.properties.get(code_property), level)
        if code is not None:
            candidates[index] = code
    known = set(Region.objects.filter(code__in=set(candidates.values()), level=level).values_list("code", flat=True))
    for index, feature in enumerate(features, start=1):
        code = candidates.get(index)
        if code not in known:
            result.unknown.append(
                UnknownFeature(index=index, value=feature.properties.get(code_property), name=_name_of(feature))
            )
            continue
        wanted.setdefault(code, []).append(feature)
    result.merged = sorted(code for code, parts in wanted.items() if len(parts) > 1)

    # Simplified together, so that neighbours keep their shared borders.
    merged = [
        Feature(properties={"code": code}, polygons=[polygon for part in parts for polygon in part.polygons])
        for code, parts in wanted.items()
    ]
    geometry.simplify_features(merged, tolerance=geometry.TOLERANCE[level])
    shapes = {}
    for feature in merged:
        text, points = geometry.geometry_json(feature.polygons, decimals=geometry.DECIMALS[level])
        if text:
            shapes[feature.properties["code"]] = (text, points)
    changes = (
        f"simplified by UCJ (Douglas-Peucker, {geometry.TOLERANCE[level]}°), "
        f"coordinates rounded to {geometry.DECIMALS[level]} decimals"
    )
    with transaction.atomic():
        _write(
            shapes,
            result,
            source=source or Path(path).name,
            licence=licence,
            as_of=as_of or dt.date.today(),
            changes=changes,
        )
    parents = {code.rsplit(".", 1)[0] if level > Region.Level.PROVINCE else None for code in shapes}
    beside = Region.objects.filter(level=level, boundary__isnull=True)
    if level > Region.Level.PROVINCE:
        beside = beside.filter(parent_id__in=parents)
    result.without_shape = list(beside.order_by("code").values_list("code", flat=True))
    result.without_shape_total = Region.objects.filter(level=level, boundary__isnull=True).count()
    return result


def _guess_code_property(features: list[Feature], level: int) -> str:
    for name in CODE_PROPERTIES[level]:
        found = sum(1 for f in features if geometry.region_code(f.properties.get(name), level))
        if found >= max(1, len(features) // 2):
            return name
    keys = sorted({key for feature in features[:50] for key in feature.properties if not key.startswith("_")})
    raise BoundaryFileError(
        "No property holds the regions' Kemendagri codes; name it with --code-property (the features have: "
        + ", ".join(keys)
        + ")."
    )


def _name_of(feature: Feature) -> str:
    for key in NAME_PROPERTIES:
        if feature.properties.get(key):
            return str(feature.properties[key])
    return ""


def _write(shapes: dict, result: BoundaryLoadResult, *, source: str, licence: str, as_of: dt.date, changes: str):
    """Create or update one RegionBoundary per code of `shapes` ({code: (geometry text, points)}),
    leaving unchanged rows alone, and count them into `result`."""
    existing = {
        row[0]: row[1:]
        for row in RegionBoundary.objects.filter(region_id__in=shapes).values_list(
            "region_id", "geometry", "source", "licence", "as_of", "changes"
        )
    }
    to_create, to_update = [], []
    now = timezone.now()
    for code, (text, points) in shapes.items():
        row = RegionBoundary(
            region_id=code,
            geometry=text,
            points=points,
            source=source,
            licence=licence,
            as_of=as_of,
            changes=changes,
            updated_at=now,
        )
        current = existing.get(code)
        if current is None:
            to_create.append(row)
        elif current != (text, source, licence, as_of, changes):
            to_update.append(row)
        result.points += points
        parent = code.rsplit(".", 1)[0] if "." in code else "ID"
        result.bytes_by_parent[parent] = result.bytes_by_parent.get(parent, 0) + len(text)
    RegionBoundary.objects.bulk_create(to_create, batch_size=500)
    RegionBoundary.objects.bulk_update(
        to_update, ["geometry", "points", "source", "licence", "as_of", "changes", "updated_at"], batch_size=500
    )
    result.written = len(to_create) + len(to_update)
    result.unchanged = len(shapes) - result.written
