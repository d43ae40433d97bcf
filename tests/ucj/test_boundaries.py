"""Region boundaries (issue 26): the shipped 38 provinces match the region tree (the 2022 Papua
provinces by name), load through `load_regions` and `seed_demo`, and `import_boundaries` reads
GeoJSON and TopoJSON keyed by the Kemendagri code, reports unknown codes and regions left without
a shape, simplifies a regency's districts to under 100 KB with shared borders kept, and refuses a
file too large to read safely."""

import copy
import io
import itertools
import json
import re
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from lokal import wilayah

from tests.boundary_files import district_grid, geojson, topojson_two_cells
from ucj.boundaries import geometry
from ucj.boundaries.geometry import BoundaryFileError
from ucj.boundaries.services import (
    SHIPPED_LICENCE,
    SHIPPED_PROVINCES,
    boundaries_import,
    boundaries_load_provinces,
    shipped_province_codes,
)
from ucj.models import ROOT_CODE, Region, RegionBoundary
from ucj.services import regions_load

BANGKALAN = "35.26"
DISTRICTS = [f"35.26.{n:02d}" for n in range(1, 19)]  # Bangkalan's 18 districts


def tree_provinces() -> set[str]:
    return {w.code for w in wilayah.list_wilayah()}


def shipped_features():
    return geometry.features_of(geometry.read_json(SHIPPED_PROVINCES))


def add_every_province():
    """The 36 provinces the test database lacks, as bare province rows (their subtrees are not
    needed here, and loading the whole tree costs seconds)."""
    have = set(Region.objects.filter(level=Region.Level.PROVINCE).values_list("code", flat=True))
    Region.objects.bulk_create(
        Region(code=w.code, name=w.name, level=Region.Level.PROVINCE, kind=w.type, parent_id=ROOT_CODE)
        for w in wilayah.list_wilayah()
        if w.code not in have
    )


# --- The shipped provinces ------------------------------------------------------------------------


def test_the_38_shipped_shapes_match_the_38_provinces_of_the_tree_papua_2022_by_name():
    features = shipped_features()
    codes = shipped_province_codes(features)
    assert len(codes) == len(set(codes)) == 38
    assert set(codes) == tree_provinces()
    by_name = {feature.properties["PROVINSI"]: code for feature, code in zip(features, codes, strict=True)}
    # The source's defect: these carry 91 or 92; the 2025 decree gives them 93-96.
    assert by_name["Papua Selatan"] == "93"
    assert by_name["Papua Tengah"] == "94"
    assert by_name["Papua Pegunungan"] == "95"
    assert by_name["Papua Barat Daya"] == "96"
    assert (by_name["Papua"], by_name["Papua Barat"], by_name["DKI Jakarta"]) == ("91", "92", "31")


def test_a_province_file_that_misses_or_repeats_a_province_is_refused_loudly(tmp_path):
    document = json.loads(SHIPPED_PROVINCES.read_bytes())
    geometries = document["objects"]["indonesia-38-prov-topo"]["geometries"]
    renamed = copy.deepcopy(document)
    for item in renamed["objects"]["indonesia-38-prov-topo"]["geometries"]:
        if item["properties"]["PROVINSI"] == "Papua Tengah":
            item["properties"]["PROVINSI"] = "Papua Tengah (lama)"
    path = tmp_path / "provinces.topo.json"
    path.write_text(json.dumps(renamed))
    with pytest.raises(BoundaryFileError, match=r"Papua \(91\) has 2 shapes.*Papua Tengah \(94\) has no shape"):
        shipped_province_codes(geometry.features_of(geometry.read_json(path)))

    short = copy.deepcopy(document)
    short["objects"]["indonesia-38-prov-topo"]["geometries"] = geometries[1:]
    path.write_text(json.dumps(short))
    with pytest.raises(BoundaryFileError, match="37 shapes instead of 38"):
        shipped_province_codes(geometry.features_of(geometry.read_json(path)))


@pytest.mark.django_db
def test_all_38_provinces_load_with_38_distinct_codes_equal_to_the_trees_provinces():
    add_every_province()
    first = boundaries_load_provinces()
    assert (first.written, first.unchanged, first.not_in_database) == (38, 0, [])
    stored = set(RegionBoundary.objects.values_list("region_id", flat=True))
    assert stored == set(Region.objects.filter(level=Region.Level.PROVINCE).values_list("code", flat=True))
    assert stored == tree_provinces()
    shape = RegionBoundary.objects.get(region_id="94")  # Papua Tengah, "91" in the source
    assert shape.licence == SHIPPED_LICENCE and "TopoJSON" in shape.changes
    parsed = json.loads(shape.geometry)
    assert parsed["type"] in ("Polygon", "MultiPolygon")
    # Rounded to 3 decimals, and the whole country is small enough for a phone.
    assert max(len(decimals) for decimals in re.findall(r"\.(\d+)", shape.geometry)) <= 3
    assert sum(len(text) for text in RegionBoundary.objects.values_list("geometry", flat=True)) < 60_000

    again = boundaries_load_provinces()
    assert (again.written, again.unchanged) == (0, 38)


@pytest.mark.national
@pytest.mark.django_db
def test_the_national_tree_gets_a_shape_for_every_province():
    regions_load()
    result = boundaries_load_provinces()
    assert result.not_in_database == []
    provinces = set(Region.objects.filter(level=Region.Level.PROVINCE).values_list("code", flat=True))
    assert len(provinces) == 38
    assert set(RegionBoundary.objects.values_list("region_id", flat=True)) == provinces


@pytest.mark.django_db
def test_load_regions_brings_the_shapes_of_the_provinces_it_loaded():
    out = io.StringIO()
    call_command("load_regions", "--province", "35", stdout=out)
    # The test database holds Jawa Timur and Bali: only those two get shapes; the rest wait.
    assert set(RegionBoundary.objects.values_list("region_id", flat=True)) == {"35", "51"}
    assert "Province boundaries: 2 written, 0 unchanged, 36 of provinces not loaded here." in out.getvalue()


# --- Codes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "level", "code"),
    [
        ("3526", 2, "35.26"),
        ("35.26", 2, "35.26"),
        ("ID3526", 2, "35.26"),
        (3526, 2, "35.26"),
        (3526.0, 2, "35.26"),
        ("35.26.02", 3, "35.26.02"),
        ("352602", 3, "35.26.02"),
        ("3526022001", 4, "35.26.02.2001"),
        ("35.26.02.2001", 4, "35.26.02.2001"),
        (" 35 ", 1, "35"),
        ("35.26", 3, None),  # a regency is not a district
        ("35.2", 2, None),
        ("Bangkalan", 2, None),
        (None, 2, None),
        (True, 1, None),
        (35.5, 1, None),
    ],
)
def test_codes_are_read_written_with_or_without_dots(value, level, code):
    assert geometry.region_code(value, level) == code


# --- Imports --------------------------------------------------------------------------------------


def districts_file(tmp_path, codes, *, extra=(), name="kecamatan.geojson", key="KDCPUM"):
    rings = district_grid(list(codes) + [code for code, _label in extra])
    labels = dict(extra)
    features = [
        ({key: code.replace(".", ""), "WADMKC": labels.get(code, f"Kec {code}")}, rings[code]) for code in rings
    ]
    path = tmp_path / name
    path.write_bytes(geojson(features))
    return path


@pytest.mark.django_db
def test_an_import_reports_unknown_codes_and_regions_left_without_a_shape_and_writes_only_the_known(tmp_path):
    # Every district of Bangkalan but Tanjung Bumi (35.26.17), plus two codes the tree does not have.
    present = [code for code in DISTRICTS if code != "35.26.17"]
    path = districts_file(tmp_path, present, extra=[("35.26.99", "Kecamatan Hilang"), ("99.01.01", "Entah")])
    result = boundaries_import(path=path, level=Region.Level.DISTRICT, source="BIG", licence="terbuka")

    assert result.code_property == "KDCPUM"
    assert [(u.index, u.value, u.name) for u in result.unknown] == [
        (18, "352699", "Kecamatan Hilang"),
        (19, "990101", "Entah"),
    ]
    assert result.without_shape == ["35.26.17"]
    assert result.written == 17
    stored = dict(RegionBoundary.objects.values_list("region_id", "source"))
    assert stored == dict.fromkeys(present, "BIG")
    assert not Region.objects.filter(code__in=["35.26.99", "99.01.01"]).exists()
    # A regency's districts stay under 100 KB, simplified from about 1.4 MB.
    assert result.bytes_by_parent[BANGKALAN] < 100 * 1024
    assert path.stat().st_size > 1_000_000


@pytest.mark.django_db
def test_an_import_keeps_the_borders_neighbours_share(tmp_path):
    boundaries_import(path=districts_file(tmp_path, DISTRICTS), level=Region.Level.DISTRICT)
    shapes = {
        code: {tuple(point) for point in json.loads(text)["coordinates"][0]}
        for code, text in RegionBoundary.objects.values_list("region_id", "geometry")
    }
    # 35.26.01 and 35.26.02 are side by side in the grid: both keep the same points on their border.
    shared = shapes["35.26.01"] & shapes["35.26.02"]
    assert len(shared) >= 2
    west_edge_of_02 = {p for p in shapes["35.26.02"] if p[0] < 112.7 + 0.011 and -7.25 < p[1] < -7.15}
    east_edge_of_01 = {p for p in shapes["35.26.01"] if p[0] > 112.7 - 0.011 and -7.25 < p[1] < -7.15}
    assert west_edge_of_02 == east_edge_of_01 == {p for p in shared if -7.25 < p[1] < -7.15}
    assert len(west_edge_of_02) >= 2


@pytest.mark.django_db
@pytest.mark.parametrize("quantized", [True, False])
def test_a_topojson_import_decodes_arcs_shared_and_reversed(tmp_path, quantized):
    path = tmp_path / "kecamatan.topo.json"
    path.write_bytes(topojson_two_cells(quantized=quantized))
    result = boundaries_import(path=path, level=Region.Level.DISTRICT, source="BIG")
    assert (result.written, result.unknown, result.code_property) == (2, [], "KDCPUM")
    west = json.loads(RegionBoundary.objects.get(region_id="35.26.01").geometry)
    east = json.loads(RegionBoundary.objects.get(region_id="35.26.02").geometry)
    assert [112.71, -7.15] in west["coordinates"][0] and [112.71, -7.15] in east["coordinates"][0]
    assert min(x for x, _y in west["coordinates"][0]) == 112.6
    assert max(x for x, _y in east["coordinates"][0]) == 112.8
    # Exterior rings counterclockwise (RFC 7946), whatever the arcs' direction.
    for shape in (west, east):
        ring = shape["coordinates"][0]
        assert sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in itertools.pairwise(ring)) > 0
    assert result.without_shape == DISTRICTS[2:]


@pytest.mark.django_db
def test_the_command_prints_every_unknown_feature_and_every_region_without_a_shape(tmp_path):
    path = districts_file(tmp_path, DISTRICTS[:16], extra=[("35.26.99", "Kecamatan Hilang")])
    out = io.StringIO()
    call_command("import_boundaries", str(path), "--level", "district", "--source", "BIG 2023", stdout=out)
    text = out.getvalue()
    assert "17 features (codes in 'KDCPUM'): 16 shapes written" in text
    assert "feature 17: KDCPUM='352699' Kecamatan Hilang" in text
    assert "  35.26.17\n  35.26.18\n" in text
    assert "KB of geometry" in text


@pytest.mark.django_db
def test_a_file_without_a_code_property_names_the_properties_it_has(tmp_path):
    path = districts_file(tmp_path, DISTRICTS[:2], key="nomor")
    with pytest.raises(BoundaryFileError, match=r"--code-property.*WADMKC, nomor"):
        boundaries_import(path=path, level=Region.Level.DISTRICT)
    result = boundaries_import(path=path, level=Region.Level.DISTRICT, code_property="nomor")
    assert result.written == 2


@pytest.mark.django_db
def test_files_too_large_to_read_safely_are_refused_clearly(tmp_path, monkeypatch):
    big = districts_file(tmp_path, DISTRICTS)  # 1.4 MB
    monkeypatch.setattr(geometry, "MAX_FILE_BYTES", 1024 * 1024)
    with pytest.raises(CommandError, match="larger than 1 MB: split it"):
        call_command("import_boundaries", str(big), "--level", "district")

    small = districts_file(tmp_path, DISTRICTS[:2], name="small.geojson")
    monkeypatch.setattr(geometry, "MAX_NUMBERS", 1000)
    with pytest.raises(BoundaryFileError, match="more than 1,000 numbers"):
        geometry.read_json(small)
    monkeypatch.setattr(geometry, "MAX_CONTAINERS", 100)
    with pytest.raises(BoundaryFileError, match="more than 100"):
        geometry.decode_json(b"[" * 60 + b"]" * 60 + b"{" * 50)
    assert RegionBoundary.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "top level is not an object"),
        (b'{"type": "Topology", "arcs": 5, "objects": {}}', "TopoJSON is malformed"),
        (b'{"type": "GeometryCollection"}', "Unknown file type"),
        (b"[" * 100_000 + b"]" * 100_000, None),
    ],
)
def test_files_that_are_not_boundaries_are_refused_with_a_reason(tmp_path, content, message):
    path = tmp_path / "x.json"
    path.write_bytes(content)
    with pytest.raises(BoundaryFileError, match=message or "nests lists too deeply|not an object"):
        geometry.features_of(geometry.read_json(path))


@pytest.mark.django_db
def test_coordinates_that_are_not_longitude_and_latitude_are_refused(tmp_path):
    ring = [(600000, 9200000), (610000, 9200000), (610000, 9210000), (600000, 9200000)]
    path = tmp_path / "utm.geojson"
    path.write_bytes(geojson([({"KDCPUM": "352601"}, ring)]))
    with pytest.raises(BoundaryFileError, match="WGS 84"):
        boundaries_import(path=path, level=Region.Level.DISTRICT)


def test_every_shipped_province_keeps_its_islands():
    features = shipped_features()
    polygons = Counter(len(feature.polygons) for feature in features)
    text, points = geometry.geometry_json(features[0].polygons, decimals=3)
    assert points > 10 and text.startswith('{"type":')
    assert sum(polygons.values()) == 38
