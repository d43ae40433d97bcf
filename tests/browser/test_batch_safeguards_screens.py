"""The batch safeguards of issue 25 point 3 on the demo, in headless Chromium at a 360-pixel phone
and a 1366-pixel office screen: the new batch form (its default period and the area's search),
the approval's confirmation with its figures, and the leads' choice of a batch with a new draft.
Screenshots in tests/artifacts/safeguards-<page>-<screen>.png."""

from django.core.management import call_command

from enrollment.models import BatchState, EnrollmentBatch
from tests.browser.test_mobile_event import ARTIFACTS, PHONE, chromium_page
from tests.browser.test_todo_home import OFFICE, log_in, log_out

SCREENS = {
    "360": {"viewport": PHONE, "has_touch": True, "is_mobile": True, "device_scale_factor": 1},
    "1366": {"viewport": OFFICE},
}


def fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_safeguards_on_a_phone_and_an_office_screen(committed_db, live_server, monkeypatch):
    call_command("seed_demo")
    verified = EnrollmentBatch.objects.filter(state=BatchState.VERIFIED).order_by("id").first()
    assert verified is not None, "the demo has a verified batch for kadis"
    for screen, options in SCREENS.items():
        width = options["viewport"]["width"]
        for page in chromium_page(monkeypatch, **options):
            log_in(page, live_server.url, "officer")
            page.goto(f"{live_server.url}/batches/new/")
            area = page.locator("#id_area")
            assert area.get_attribute("list") == "area-options"
            assert page.locator("#area-options option").count() > 10
            assert page.input_value("#id_period_start").endswith("-01")
            area.fill("35.26.02.2001")
            fits(page, width)
            page.screenshot(path=str(ARTIFACTS / f"safeguards-batch-form-{screen}.png"), full_page=True)

            page.goto(f"{live_server.url}/leads/?tab=all")
            select = page.locator("#batch")
            assert select.locator("option[value=new]").count() == 1
            box = select.bounding_box()
            assert box["x"] + box["width"] <= width
            fits(page, width)
            page.screenshot(path=str(ARTIFACTS / f"safeguards-leads-{screen}.png"), full_page=True)
            log_out(page)

            log_in(page, live_server.url, "kadis")
            page.goto(f"{live_server.url}/batches/{verified.pk}/")
            assert not page.locator("form[action$='/approve/'] button").is_visible()  # asks first
            page.click("details.approve-confirm > summary")
            figures = page.locator("#approve-figures")
            figures.wait_for()
            assert "Rp" in figures.inner_text()
            assert page.locator("form[action$='/approve/'] button").is_visible()
            fits(page, width)
            page.screenshot(path=str(ARTIFACTS / f"safeguards-approve-{screen}.png"), full_page=True)
            log_out(page)
