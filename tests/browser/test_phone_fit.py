"""Every page fits a 360-pixel phone (issue 25 point 2): each demo user walks every page of the
app in headless Chromium at 360 pixels, and no page may be wider than the screen
(`document.documentElement.scrollWidth` above the viewport's width means the page pans
sideways). Wide tables scroll inside their own box, with the first column pinned and a shadow
at the edge that scrolls. At 1366 pixels (an office screen) the budget table of the progress
page shows its last column. Screenshots in tests/artifacts/fit-<user>-<page>.png."""

import re

from django.core.management import call_command

from enrollment.models import (
    BatchState,
    ComplianceCase,
    Employer,
    EnrollmentBatch,
    FundingAllocation,
    ImportJob,
    Participant,
)
from outreach.models import Lead, OutreachEvent
from tests.browser.test_mobile_event import ARTIFACTS, PHONE, chromium_page
from tests.browser.test_todo_home import DEMO_USERS, OFFICE, log_in, log_out

BANGKALAN = "35.26"
SHOTS = {"/leads/", "/progress/35.26/", "/progress/35.26.01/", "/outreach/visits/35.26/", "batch-active"}


def pages() -> dict[str, str]:
    """Every page a person opens (forms that only answer a POST aside), with demo objects."""
    district = f"{BANGKALAN}.01"
    listed = {
        "home": "/",
        "regions": "/regions/",
        "region": f"/regions/{BANGKALAN}/",
        "progress": "/progress/",
        "progress-province": "/progress/35/",
        "progress-regency": f"/progress/{BANGKALAN}/",
        "progress-district": f"/progress/{district}/",
        "events": "/events/",
        "events-calendar": "/events/?view=calendar",
        "event-new": "/events/new/",
        "leads": "/leads/",
        "leads-all": "/leads/?tab=all",
        "visits": "/outreach/visits/",
        "visits-regency": f"/outreach/visits/{BANGKALAN}/",
        "visits-district": f"/outreach/visits/{district}/",
        "batches": "/batches/",
        "batch-new": "/batches/new/",
        "allocations": "/allocations/",
        "participants": "/participants/",
        "employers": "/employers/",
        "employer-new": "/employers/new/",
        "employers-import": "/employers/import/",
        "compliance": "/compliance/",
        "coverage-facts": "/coverage/facts/",
        "password": "/accounts/password/",
    }
    event = OutreachEvent.objects.order_by("-date", "-id").first()
    if event:
        listed |= {
            "event": f"/events/{event.pk}/",
            "event-edit": f"/events/{event.pk}/edit/",
            "lead-new": f"/events/{event.pk}/leads/new/",
        }
    lead = Lead.objects.order_by("id").first()
    if lead:
        listed |= {"lead": f"/leads/{lead.pk}/", "lead-edit": f"/leads/{lead.pk}/edit/"}
    for state in BatchState.values:
        batch = EnrollmentBatch.objects.filter(state=state).order_by("id").first()
        if batch:
            listed[f"batch-{state}"] = f"/batches/{batch.pk}/"
    draft = EnrollmentBatch.objects.filter(state=BatchState.DRAFT).order_by("id").first()
    if draft:
        listed["batch-edit"] = f"/batches/{draft.pk}/edit/"
    job = ImportJob.objects.order_by("id").first()
    if job:
        listed["import"] = f"/imports/{job.pk}/"
    allocation = FundingAllocation.objects.order_by("id").first()
    if allocation:
        listed["allocation-edit"] = f"/allocations/{allocation.pk}/edit/"
    participant = Participant.objects.order_by("id").first()
    if participant:
        listed["participant-edit"] = f"/participants/{participant.pk}/edit/"
    employer = Employer.objects.order_by("id").first()
    if employer:
        listed |= {
            "employer": f"/employers/{employer.pk}/",
            "employer-edit": f"/employers/{employer.pk}/edit/",
        }
    case = ComplianceCase.objects.order_by("id").first()
    if case:
        listed["case"] = f"/compliance/cases/{case.pk}/"
    return listed


def widest(page) -> str:
    """The element that sticks out furthest to the right, for the failure message."""
    return page.evaluate(
        """() => {
            let worst = null, right = window.innerWidth;
            for (const el of document.body.querySelectorAll("*")) {
                const r = el.getBoundingClientRect();
                if (r.right > right + 0.5 && el.offsetParent !== null) {
                    let inScroller = false;
                    for (let p = el.parentElement; p; p = p.parentElement) {
                        const ox = getComputedStyle(p).overflowX;
                        if (ox === "auto" || ox === "scroll" || ox === "hidden") { inScroller = true; break; }
                    }
                    if (!inScroller) { worst = el; right = r.right; }
                }
            }
            if (!worst) return "";
            const id = worst.id ? "#" + worst.id : "";
            const name = typeof worst.className === "string" ? worst.className.trim() : "";
            const cls = name ? "." + name.split(/\\s+/).join(".") : "";
            return `${worst.tagName.toLowerCase()}${id}${cls} ends at ${Math.round(right)} px`;
        }"""
    )


def page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_every_page_of_every_demo_user_fits_a_360_px_phone(committed_db, live_server, monkeypatch):
    call_command("seed_demo")
    listed = pages()
    too_wide = []
    options = {"viewport": PHONE, "has_touch": True, "is_mobile": True, "device_scale_factor": 1}
    for page in chromium_page(monkeypatch, **options):
        for username in DEMO_USERS:
            log_in(page, live_server.url, username)
            for name, path in listed.items():
                page.goto(live_server.url + path)  # waits for the load event
                if path.startswith("/progress/"):
                    # The map draws after its JSON arrives; the other pages are whole at load.
                    # (networkidle's half-second wait on every page took 100 of this test's 150 s.)
                    page.wait_for_load_state("networkidle")
                width = page_width(page)
                if width > PHONE["width"]:
                    too_wide.append(f"{username} {path} ({name}): {width} px, {widest(page)}")
                if name in SHOTS or path in SHOTS:
                    slug = re.sub(r"[^a-z0-9]+", "-", name)
                    page.screenshot(path=str(ARTIFACTS / f"fit-{username}-{slug}-360.png"), full_page=True)
            log_out(page)
    assert not too_wide, "pages wider than a 360-pixel phone:\n" + "\n".join(too_wide)


def test_a_wide_table_scrolls_in_its_box_with_its_first_column_pinned(committed_db, live_server, monkeypatch):
    call_command("seed_demo")
    options = {"viewport": PHONE, "has_touch": True, "is_mobile": True, "device_scale_factor": 1}
    for page in chromium_page(monkeypatch, **options):
        log_in(page, live_server.url, "supervisor")
        page.goto(f"{live_server.url}/progress/{BANGKALAN}/")
        box = page.locator("#children .table-responsive").first
        box.wait_for()
        sizes = box.evaluate("el => ({scroll: el.scrollWidth, client: el.clientWidth})")
        assert sizes["scroll"] > sizes["client"], f"the districts' table is not wider than its box: {sizes}"
        # The cue: the box says it scrolls (a shadow at its right edge) until scrolled to the end.
        assert box.evaluate("el => getComputedStyle(el).backgroundImage").startswith("linear-gradient")
        first = page.locator("#children .table-responsive tbody tr").first.locator("th, td").first
        before = first.bounding_box()["x"]
        box.evaluate("el => el.scrollBy(200, 0)")
        page.wait_for_timeout(50)
        assert abs(first.bounding_box()["x"] - before) < 1, "the first column moved: it is not pinned"
        page.screenshot(path=str(ARTIFACTS / "fit-progress-regency-scrolled-360.png"), full_page=True)


def test_the_budget_table_shows_its_last_column_at_1366_px(committed_db, live_server, monkeypatch):
    call_command("seed_demo")
    for page in chromium_page(monkeypatch, viewport=OFFICE):
        log_in(page, live_server.url, "supervisor")
        for path in (f"/progress/{BANGKALAN}/", "/progress/35/"):
            page.goto(live_server.url + path)
            table = page.locator(".driver-budget table").first
            table.wait_for()
            last = table.locator("thead th").last
            visible = last.evaluate(
                """th => {
                    const r = th.getBoundingClientRect();
                    let box = th.closest(".table-responsive") || document.documentElement;
                    const b = box.getBoundingClientRect();
                    return {right: r.right, boxRight: b.right, scroll: box.scrollWidth, client: box.clientWidth};
                }"""
            )
            assert visible["right"] <= visible["boxRight"] + 1, (
                f"{path}: the budget's last column is clipped: {visible}"
            )
            assert visible["scroll"] <= visible["client"], f"{path}: the budget table scrolls at 1366 px: {visible}"
            assert page_width(page) <= OFFICE["width"]
            slug = path.strip("/").replace("/", "-").replace(".", "-")
            page.screenshot(path=str(ARTIFACTS / f"fit-{slug}-1366.png"), full_page=True)
        log_out(page)
