"""The progress map in a real browser (issue 26): a national supervisor sees the 38 provinces
shaded by band on a 360-px phone and on a 1366-px office screen, taps or hovers a province for its
figures, opens it, and sees the province outlined with the regencies that have shapes. Headless
Debian Chromium through Playwright against a live server, as tests/browser/test_mobile_event.py;
screenshots in tests/artifacts/progress-map-*.png. The fixtures fail the test if the
Content-Security-Policy refused anything (the map's script is a static file, its data a JSON read)."""

from decimal import Decimal

import pytest
from django.utils import timezone

from tests.boundary_files import district_grid, geojson
from tests.browser.test_journeys import log_in
from tests.browser.test_mobile_event import ARTIFACTS, PHONE, chromium_page
from tests.factories import user_with
from tests.ucj.test_boundaries import add_every_province
from ucj.boundaries.services import boundaries_import, boundaries_load_provinces
from ucj.models import ROOT_CODE, CoverageSnapshot, Region, Role

OFFICE = {"width": 1366, "height": 900}
MADURA = ["35.26", "35.27", "35.28", "35.29"]


@pytest.fixture(params=["phone", "office"])
def screen(request, monkeypatch):
    if request.param == "phone":
        options = {"viewport": PHONE, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}
    else:
        options = {"viewport": OFFICE}
    for page in chromium_page(monkeypatch, **options):
        yield request.param, page


@pytest.fixture
def national(tmp_path):
    """Every province with the shipped shape and a figure (all four bands and one without), and
    made-up shapes of Madura's four regencies."""
    add_every_province()
    boundaries_load_provinces()
    rings = district_grid(MADURA, columns=4, west=112.75, south=-7.2, size=0.3, points=120)
    path = tmp_path / "kabupaten.geojson"
    path.write_bytes(geojson([({"KDPKAB": code}, ring) for code, ring in rings.items()]))
    boundaries_import(path=path, level=Region.Level.REGENCY, source="made-up shapes for the test")
    now, today = timezone.now(), timezone.localdate()
    codes = list(Region.objects.filter(level=Region.Level.PROVINCE).order_by("code").values_list("code", flat=True))
    rows = []
    for i, code in enumerate(codes + MADURA):
        if code == "94":
            continue  # Papua Tengah: no figure yet
        percent = Decimal((i * 37) % 75 + 5) + Decimal("0.68")
        rows.append(
            CoverageSnapshot(
                region_id=code, date=today, computed_at=now, is_current=True, percent=percent,
                target_percent=Decimal("52.15"), gap_points=Decimal("52.15") - percent, workforce=1_000_000,
                active=int(percent * 10_000),
            )
        )  # fmt: skip
    CoverageSnapshot.objects.bulk_create(rows)
    return user_with(Role.SUPERVISOR, ROOT_CODE, username="pemantau")


# A point inside a region's shape, in page coordinates: the middle of its bounding box may lie in
# the sea (Jawa Timur is Java's east end and Madura).
INSIDE = """code => {
  const path = document.querySelector(`#coverage-map a.region[data-code="${code}"] path`);
  path.scrollIntoView({block: "center", behavior: "instant"});
  const box = path.getBBox(), matrix = path.getScreenCTM(), point = path.ownerSVGElement.createSVGPoint();
  const inside = [];
  for (let i = 1; i < 40; i++) for (let j = 1; j < 40; j++) {
    point.x = box.x + box.width * i / 40; point.y = box.y + box.height * j / 40;
    if (path.isPointInFill(point)) inside.push(point.matrixTransform(matrix));
  }
  // The inside point with the most inside neighbours: away from the borders.
  const near = p => inside.filter(q => Math.abs(q.x - p.x) < 12 && Math.abs(q.y - p.y) < 12).length;
  const best = inside.reduce((a, b) => (near(b) > near(a) ? b : a));
  return [best.x, best.y];
}"""


def touch_or_point(page, kind: str, code: str) -> None:
    x, y = page.evaluate(INSIDE, code)
    if kind == "phone":
        page.touchscreen.tap(x, y)
    else:
        page.mouse.move(x, y)


def shot(page, name: str) -> None:
    """The whole page, and the map section alone (the whole page is long on a phone)."""
    page.screenshot(path=str(ARTIFACTS / f"progress-map-{name}.png"), full_page=True)
    page.locator("#map").screenshot(path=str(ARTIFACTS / f"progress-map-{name}-section.png"))


def test_a_supervisor_reads_the_national_and_a_province_map(committed_db, live_server, national, screen):
    kind, page = screen
    log_in(page, live_server.url, "pemantau")
    page.goto(f"{live_server.url}/progress/{ROOT_CODE}/")
    page.wait_for_selector("#coverage-map svg")
    assert page.locator("#coverage-map a.region").count() == 38
    assert page.locator("#coverage-map path.band-none").count() == 1  # Papua Tengah
    for band in ("sangat_rendah", "rendah", "sedang", "tinggi"):
        assert page.locator(f"#coverage-map path.band-{band}").count() > 0
    if kind == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert "CC BY 4.0" in page.inner_text(".map-credits")
    page.locator("#map").scroll_into_view_if_needed()
    shot(page, f"national-{kind}")

    # On a phone the first tap shows the figures and the second opens the province; on the
    # office screen pointing shows them and a click opens it.
    touch_or_point(page, kind, "35")
    assert page.url.endswith(f"/progress/{ROOT_CODE}/")
    info = page.inner_text("#coverage-map-info")
    assert "Jawa Timur" in info and "%" in info
    shot(page, f"national-{kind}-jawa-timur")
    with page.expect_navigation():
        touch_or_point(page, kind, "35")
        if kind != "phone":
            page.mouse.down()
            page.mouse.up()
    assert page.url.endswith("/progress/35/")

    page.wait_for_selector("#coverage-map svg path.outline")
    assert page.locator("#coverage-map a.region").count() == len(MADURA)
    assert "34" in page.inner_text("#coverage-map-missing")
    if kind == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.locator("#map").scroll_into_view_if_needed()
    shot(page, f"province-{kind}")
    # Today's figures, formatted as the page's language writes them (Indonesian: a decimal comma).
    touch_or_point(page, kind, "35.26")
    assert "," in page.inner_text("#coverage-map-info")
