"""The progress map (issue 26): `GET /api/v1/coverage/{code}/map/` gives the children's shapes
with the children table's figures and bands, `missing` for children without a shape, the
region's outline and the shapes' credits; 404 outside the user's regions; compressed under 60 KB
for the country; and the page's map section (legend, credits, what to import when there are no
shapes), left out of the print view."""

import gzip
import json

import pytest

from tests.boundary_files import district_grid, geojson
from tests.progress.test_views import BALI, BANGKALAN, JAWA_TIMUR, PAMEKASAN, SAMPANG, SUMENEP, get, snap
from ucj.boundaries.services import boundaries_import, boundaries_load_provinces
from ucj.models import ROOT_CODE, Region
from ucj.progress import maps, selectors

pytestmark = pytest.mark.django_db

MAP = "/api/v1/coverage/{}/map/"
SHAPED_REGENCIES = [BANGKALAN, SAMPANG, PAMEKASAN, SUMENEP]  # Madura


@pytest.fixture
def provinces():
    """The shipped shapes of the test database's provinces (Jawa Timur and Bali)."""
    boundaries_load_provinces()


@pytest.fixture
def madura(tmp_path):
    """Made-up shapes of Madura's four regencies, imported as BIG's would be."""
    rings = district_grid(SHAPED_REGENCIES, columns=4, west=112.7, south=-7.2, size=0.3, points=200)
    path = tmp_path / "kabupaten.geojson"
    path.write_bytes(geojson([({"KDPKAB": code}, ring) for code, ring in rings.items()]))
    boundaries_import(path=path, level=Region.Level.REGENCY, source="BIG (test)", licence="terbuka")


@pytest.fixture
def figures():
    snap(JAWA_TIMUR, "21.35")
    snap(BALI, "49.90", target="67.28")
    snap(BANGKALAN, "14.30")
    snap(SAMPANG, "45.00", target="40")
    snap(SUMENEP, "61.25")
    # Pamekasan has no figure.


def read(client, user, code):
    response = get(client, user, MAP.format(code))
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/geo+json"
    return json.loads(response.content)


def test_the_map_read_has_the_children_tables_figures_and_bands(client, supervisor, provinces, madura, figures):
    data = read(client, supervisor, JAWA_TIMUR)
    assert data["type"] == "FeatureCollection" and data["code"] == JAWA_TIMUR
    rows = {row.region.code: row for row in selectors.progress_children(region=Region.objects.get(code=JAWA_TIMUR))}
    assert [feature["properties"]["code"] for feature in data["features"]] == sorted(SHAPED_REGENCIES)
    for feature in data["features"]:
        props, row = feature["properties"], rows[feature["properties"]["code"]]
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert props["name"] == row.region.name
        assert props["band"] == row.band
        assert props["band_label"] == row.band_label
        for key in ("percent", "target_percent", "gap_points"):
            expected = getattr(row, key)
            assert props[key] == (None if expected is None else float(expected)), key
        assert props["url"] == f"/progress/{props['code']}/"
    bands = {f["properties"]["code"]: f["properties"]["band"] for f in data["features"]}
    assert bands == {BANGKALAN: "sangat_rendah", SAMPANG: "sedang", PAMEKASAN: None, SUMENEP: "tinggi"}
    # The other 34 regencies and cities of Jawa Timur have no shape: listed, not drawn.
    assert len(data["missing"]) == 34 and {"code": "35.78", "name": "Kota Surabaya"} in data["missing"]
    # The province is outlined with its own (shipped) shape; both sources are credited.
    assert data["outline"]["type"] in ("Polygon", "MultiPolygon")
    assert {(c["source"], c["licence"]) for c in data["credits"]} >= {("BIG (test)", "terbuka")}
    assert any(c["licence"] == "CC BY 4.0" for c in data["credits"])


def test_the_national_map_shades_the_provinces_and_has_no_outline(client, admin_user, provinces, figures):
    data = read(client, admin_user, ROOT_CODE)
    props = {f["properties"]["code"]: f["properties"] for f in data["features"]}
    assert set(props) == {JAWA_TIMUR, BALI}
    assert (props[JAWA_TIMUR]["percent"], props[JAWA_TIMUR]["band"]) == (21.35, "rendah")
    assert (props[BALI]["percent"], props[BALI]["target_percent"], props[BALI]["band"]) == (49.9, 67.28, "sedang")
    assert props[BALI]["gap_points"] == pytest.approx(17.38)
    assert data["missing"] == [] and data["outline"] is None
    assert data["credits"][0]["licence"] == "CC BY 4.0"


def test_without_shapes_the_map_is_empty_and_lists_every_child_as_missing(client, clerk):
    data = read(client, clerk, BANGKALAN)
    assert data["features"] == [] and data["outline"] is None and data["credits"] == []
    assert len(data["missing"]) == 18 and data["missing"][0] == {"code": "35.26.01", "name": "Bangkalan"}


def test_outsiders_get_404_and_anonymous_callers_401(client, api_client, outsider, supervisor, provinces):
    for code in (BANGKALAN, JAWA_TIMUR, ROOT_CODE, "35.99"):
        assert get(client, outsider, MAP.format(code)).status_code == 404
    assert get(client, supervisor, MAP.format(BALI)).status_code == 404
    assert get(client, outsider, MAP.format("51.03")).status_code == 200  # their own regency
    assert api_client.get(MAP.format(JAWA_TIMUR)).status_code == 401


def test_the_national_map_is_compressed_under_60_kb(client, admin_user, provinces, figures):
    """Every province shaped, as on a national installation."""
    from tests.ucj.test_boundaries import add_every_province

    add_every_province()
    boundaries_load_provinces()
    client.force_login(admin_user)
    response = client.get(MAP.format(ROOT_CODE), HTTP_ACCEPT_ENCODING="gzip")
    assert response["Content-Encoding"] == "gzip"
    assert len(response.content) < 60 * 1024
    data = json.loads(gzip.decompress(response.content))
    assert len(data["features"]) == 38


def test_the_map_read_costs_three_queries_whatever_the_children(django_assert_num_queries, provinces, madura):
    region = Region.objects.get(code=JAWA_TIMUR)
    with django_assert_num_queries(3):
        maps.coverage_map(region=region)


# --- The page -------------------------------------------------------------------------------------


def test_the_page_draws_the_map_with_its_legend_and_credits(client, admin_user, provinces, figures):
    html = get(client, admin_user, f"/progress/{ROOT_CODE}/").content.decode()
    section = html[html.index('id="map"') : html.index("</section>", html.index('id="map"'))]
    assert f'data-url="{MAP.format(ROOT_CODE)}"' in section
    assert 'id="coverage-map-labels" type="application/json"' in section
    for band in ("sangat_rendah", "rendah", "sedang", "tinggi", "none"):
        assert f"map-swatch band-{band}" in section
    assert "CC BY 4.0" in section and "denyherianto" in section
    assert "d3-geo.min.js" in html and "progress/map.js" in html
    # The map comes before the table it summarises.
    assert html.index('id="map"') < html.index('id="children"')


def test_a_page_without_shapes_says_which_boundaries_to_import_and_from_where(client, supervisor, provinces):
    html = get(client, supervisor, f"/progress/{BANGKALAN}/").content.decode()
    assert 'id="coverage-map-none"' in html
    assert "import_boundaries FILE --level district" in html
    assert "Badan Informasi Geospasial" in html
    assert "d3-geo.min.js" not in html


def test_a_province_page_counts_the_children_it_cannot_draw(client, supervisor, provinces, madura):
    html = get(client, supervisor, f"/progress/{JAWA_TIMUR}/").content.decode()
    assert 'id="coverage-map"' in html and 'id="coverage-map-missing"' in html
    assert "34 subwilayah" in html or "34 sub-regions" in html


def test_the_print_view_and_the_export_have_no_map(client, supervisor, provinces, madura, figures):
    printed = get(client, supervisor, f"/progress/{JAWA_TIMUR}/", print="1").content.decode()
    assert 'id="map"' not in printed and "map.js" not in printed
    response = get(client, supervisor, f"/progress/{JAWA_TIMUR}/export/", what="children", **{"as": "csv"})
    assert response.status_code == 200 and b"geometry" not in response.content


def test_a_province_without_its_childrens_shapes_is_drawn_as_its_outline_with_what_to_import(
    client, supervisor, provinces
):
    html = get(client, supervisor, f"/progress/{JAWA_TIMUR}/").content.decode()
    assert 'id="coverage-map"' in html and 'id="coverage-map-none"' in html
    assert "import_boundaries FILE --level regency" in html
    assert "d3-geo.min.js" in html


def test_a_client_may_ask_for_geojson_or_json(client, supervisor, provinces):
    client.force_login(supervisor)
    for accept in ("application/geo+json", "application/json", "*/*"):
        response = client.get(MAP.format(JAWA_TIMUR), HTTP_ACCEPT=accept)
        assert response.status_code == 200, accept
        assert json.loads(response.content)["type"] == "FeatureCollection"
