"""The lead page with its follow-up form and log, and the village visits pages (one district,
and the officer's overview across their districts), in a real browser at a 360-pixel phone and a
1366-pixel office screen (issue 25 points 5 and 6): screenshots in
tests/artifacts/lead-follow-ups-<screen>.png, visits-district-<screen>.png and
visits-overview-<screen>.png. Nothing is wider than the screen, and a follow-up recorded from the
phone lands in the log."""

from django.core.management import call_command

from outreach.models import Lead, LeadFollowUp
from tests.browser.test_mobile_event import ARTIFACTS, chromium_page
from tests.browser.test_todo_home import SCREENS, log_in


def no_sideways_scroll(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_lead_page_and_visits_pages_fit_a_phone_and_an_office_screen(committed_db, live_server, monkeypatch):
    call_command("seed_demo")
    lead = Lead.objects.filter(officer__username="officer", follow_ups__isnull=False).order_by("pk").first()
    for screen, options in SCREENS.items():
        for page in chromium_page(monkeypatch, **options):
            log_in(page, live_server.url, "officer")
            page.goto(f"{live_server.url}/leads/{lead.pk}/")
            page.wait_for_selector("#follow-up-form")
            assert page.locator("#follow-up-log li").count() >= 1
            if screen == "phone":
                before = LeadFollowUp.objects.filter(lead=lead).count()
                page.click("label[for=channel-whatsapp]")
                page.select_option("#id_outcome", "reached")
                page.fill("#id_notes", "Sudah dijelaskan lewat WhatsApp.")
                page.click("#follow-up-form button[type=submit]")
                page.wait_for_selector(".alert-success")
                assert LeadFollowUp.objects.filter(lead=lead).count() == before + 1
                assert "Sudah dijelaskan lewat WhatsApp." in page.locator("#follow-up-log").inner_text()
            assert no_sideways_scroll(page), f"lead page wider than the {screen} screen"
            page.screenshot(path=str(ARTIFACTS / f"lead-follow-ups-{screen}.png"), full_page=True)

            page.goto(f"{live_server.url}/outreach/visits/35.26.02/")
            page.wait_for_selector("#visited-percent")
            assert page.locator(".visit-windows a").count() == 4
            assert no_sideways_scroll(page), f"visits page wider than the {screen} screen"
            page.screenshot(path=str(ARTIFACTS / f"visits-district-{screen}.png"), full_page=True)

            page.goto(f"{live_server.url}/outreach/visits/")
            page.wait_for_selector("#visit-areas")
            assert page.locator("#visit-areas tbody tr").count() == 3  # the officer's three districts
            assert no_sideways_scroll(page), f"visits overview wider than the {screen} screen"
            page.screenshot(path=str(ARTIFACTS / f"visits-overview-{screen}.png"), full_page=True)
