"""A field officer on a phone, in a real browser: logs a village visit through the mobile form,
and (issue 9's first journey) logs a socialisation session, adds two people met there as leads
and puts both into a draft batch. Headless Chromium (Debian's package, driven by Playwright) at
a 360-pixel-wide phone viewport against a live server. Screenshots of each step land in
tests/artifacts/.

Without /usr/bin/chromium the test skips with a message, except in CI (UCJ_REQUIRE_SERVICES=1),
where a missing browser is a failure."""

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import sync_playwright

from enrollment import services as enrollment
from enrollment.models import BatchMember
from outreach.models import EventKind, EventVillage, Lead, OutreachEvent
from tests.conftest import services_required
from tests.enrollment.conftest import make_nik
from tests.factories import PASSWORD, user_with
from ucj.models import Role

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 360, "height": 740}
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
VILLAGE = "35.26.02.2001"  # Socah, in the officer's district
TIMEOUT_MS = 15_000


def _require_browser():
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} not found: install Debian's chromium package (apt-get install -y chromium)."
    if services_required():
        pytest.fail(message)
    pytest.skip(message)


def chromium_page(monkeypatch, **context_options):
    """A page in headless Chromium, in Indonesian and Jakarta's time, with `context_options`
    (the viewport...), for a fixture to yield. Fails the test if the Content-Security-Policy
    refused anything meanwhile."""
    _require_browser()
    # Playwright's sync API runs an event loop in this thread; Django's ORM (used by the test,
    # not by the live server's own thread) would otherwise refuse to run.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        context = browser.new_context(locale="id-ID", timezone_id="Asia/Jakarta", **context_options)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        refused = watch_csp(page)
        try:
            yield page
            assert not refused, f"the Content-Security-Policy refused: {refused}"
        finally:
            context.close()
            browser.close()


@pytest.fixture
def browser_page(monkeypatch):
    """A phone-sized page in headless Chromium."""
    yield from chromium_page(monkeypatch, viewport=PHONE, has_touch=True, is_mobile=True, device_scale_factor=2)


def watch_csp(page) -> list[str]:
    """What the browser refuses under the Content-Security-Policy while the test runs (a script
    or style the policy does not allow): the fixtures fail the test if anything was."""
    refused = []
    page.on(
        "console",
        lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return refused


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"mobile-event-{name}.png"), full_page=True)


def fits_the_phone(page) -> bool:
    """Nothing sticks out sideways: a 360-px screen scrolls down, never across."""
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_field_officer_logs_a_village_visit_on_a_phone(committed_db, live_server, browser_page):
    officer = user_with(Role.FIELD_OFFICER, "35.26.01", "35.26.02", username="petugas")
    page = browser_page

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "petugas")
    page.fill("#id_password", PASSWORD)
    shot(page, "1-login")
    page.click("button[type=submit]")
    page.wait_for_selector("#log-event")
    shot(page, "2-home")

    page.click("#log-event")
    page.wait_for_url("**/events/new/")
    assert fits_the_phone(page)
    shot(page, "3-form")

    page.click("label[for=kind-village_visit]")
    assert page.is_checked("#kind-village_visit")
    # The fertiliser fields belong to another kind and stay out of the way.
    assert not page.is_visible("#id_planting_season")
    page.fill("#village-filter", "soca")
    assert not page.is_visible('input[value="35.26.01.2008"]')  # Sembilangan does not match
    page.check(f'input[value="{VILLAGE}"]')
    page.fill("#id_farmers", "18")
    page.fill("#id_village_officials", "4")
    assert "22" in page.inner_text("#attendance-total")
    page.fill("#id_notes", "Sosialisasi di balai desa")
    shot(page, "4-filled")

    page.click("#save-event")
    page.wait_for_url("**/events/*/")
    assert fits_the_phone(page)
    shot(page, "5-event")
    assert page.inner_text("#attendance-total").strip() == "22"
    assert "Socah" in page.inner_text("#event-villages")
    assert page.is_visible("#log-another")

    event = OutreachEvent.objects.get()
    assert page.url.endswith(event.get_absolute_url())
    assert (event.kind, event.farmers, event.village_officials, event.created_by_id) == (
        EventKind.VILLAGE_VISIT,
        18,
        4,
        officer.pk,
    )
    assert event.notes == "Sosialisasi di balai desa"
    assert list(EventVillage.objects.filter(event=event).values_list("village_id", flat=True)) == [VILLAGE]


def test_a_missing_browser_skips_locally_and_fails_in_ci(monkeypatch):
    monkeypatch.setitem(globals(), "CHROMIUM", Path("/nonexistent/chromium"))
    monkeypatch.delenv("UCJ_REQUIRE_SERVICES", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not found"):
        _require_browser()
    monkeypatch.setenv("UCJ_REQUIRE_SERVICES", "1")
    with pytest.raises(pytest.fail.Exception, match="not found"):
        _require_browser()


def test_field_officer_logs_a_socialisation_and_puts_two_leads_into_a_draft_batch(
    committed_db, live_server, browser_page
):
    """Issue 9's first journey: a socialisation session logged on a phone, two people met there
    added as leads, and both put into the officer's draft batch from the lead list."""
    officer = user_with(Role.FIELD_OFFICER, "35.26.02", username="petugas")
    today = timezone.localdate()
    batch = enrollment.batch_create(
        actor=officer,
        terms=enrollment.BatchTerms(
            kind="vulnerable_workers", regency_code="35.26", funding_source="dbhcht", year=today.year,
            period_start=today.replace(day=1), period_end=dt.date(today.year, 12, 31),
        ),
    )  # fmt: skip
    page = browser_page
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "petugas")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#log-event")

    page.click("#log-event")
    page.wait_for_url("**/events/new/")
    page.click("label[for=kind-socialisation]")
    page.check(f'input[value="{VILLAGE}"]')
    page.fill("#id_farmers", "30")
    page.fill("#id_notes", "Sosialisasi BPJS Ketenagakerjaan bersama kelompok tani")
    page.click("#save-event")
    page.wait_for_url("**/events/*/")
    shot(page, "leads-1-event")

    people = [("Siti Aminah", make_nik(1, sex="P"), "081234500001"), ("Abdul Rozak", make_nik(2), "081234500002")]
    page.click("#add-lead")
    for i, (name, nik, phone) in enumerate(people):
        page.wait_for_selector("#id_name")
        assert fits_the_phone(page)
        page.fill("#id_name", name)
        page.fill("#id_nik", nik)
        page.fill("#id_phone", phone)
        page.fill("#id_occupation", "petani tembakau")
        if i == 0:
            shot(page, "leads-2-lead-form")
        with page.expect_navigation():
            page.click(f"button[name=then][value={'another' if i == 0 else 'done'}]")
    assert Lead.objects.count() == 2

    page.goto(f"{live_server.url}/leads/?tab=all")
    for lead in Lead.objects.all():
        page.check(f"#lead-{lead.pk}")
    page.select_option("#batch", str(batch.pk))
    assert fits_the_phone(page)
    shot(page, "leads-3-ticked")
    with page.expect_navigation():
        page.click("#to-batch button[type=submit], button[form=to-batch]")
    shot(page, "leads-4-added")
    assert page.inner_text("#added-title .badge").strip() == "2"
    assert sorted(BatchMember.objects.filter(batch=batch).values_list("participant__nik", flat=True)) == sorted(
        nik for _name, nik, _phone in people
    )
