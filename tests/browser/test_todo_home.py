"""Each demo user's home, their to-do list, in a real browser at a 360-pixel phone and a 1366-pixel
office screen (issue 22): screenshots in tests/artifacts/todo-home-<user>-<screen>.png. At 1366
pixels the navigation stays on one line; on the phone it folds into its menu, which opens. The
fixtures fail the test if the Content-Security-Policy refused anything (the badge's script
included)."""

import pytest
from django.core.management import call_command

from tests.browser.test_mobile_event import ARTIFACTS, PHONE, chromium_page
from ucj.demo import DEMO_PASSWORD

OFFICE = {"width": 1366, "height": 900}
SCREENS = {
    "phone": {"viewport": PHONE, "has_touch": True, "is_mobile": True, "device_scale_factor": 2},
    "office": {"viewport": OFFICE},
}
DEMO_USERS = ["officer", "disnaker", "kadis", "supervisor", "admin"]


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#todo")


def log_out(page) -> None:
    page.context.clear_cookies()


def top_items_on_one_line(page) -> dict:
    """The navbar's height and the distinct tops of its top-level items: one line means a single
    top and a navbar no taller than one item plus its padding."""
    return page.evaluate(
        """() => {
            const nav = document.getElementById("navbar");
            const items = [...nav.querySelectorAll(".navbar-nav > .nav-item")].filter(e => e.offsetParent);
            const tops = new Set(items.map(e => Math.round(e.getBoundingClientRect().top)));
            const tallest = Math.max(...items.map(e => e.getBoundingClientRect().height));
            return {height: nav.getBoundingClientRect().height, tops: tops.size, item: tallest, count: items.length};
        }"""
    )


def test_every_demo_users_home_is_their_queue_on_a_phone_and_at_1366_px(committed_db, live_server, monkeypatch):
    call_command("seed_demo")
    for screen, options in SCREENS.items():
        for page in chromium_page(monkeypatch, **options):
            for username in DEMO_USERS:
                log_in(page, live_server.url, username)
                items = page.locator("#todo .todo-item")
                assert items.count() >= 1, f"{username}: an empty queue on the demo"
                # Every item links to where it is done.
                for i in range(items.count()):
                    assert items.nth(i).locator("a[href^='/']").count() >= 1
                if screen == "office":
                    line = top_items_on_one_line(page)
                    assert line["tops"] == 1, f"{username}: the navigation wraps: {line}"
                    assert line["height"] <= line["item"] + 20, f"{username}: the navbar is taller than a line: {line}"
                    # The badge of the queue, filled and visible.
                    assert page.locator("#nav-todo [data-todo-badge]").is_visible()
                else:
                    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
                    assert not page.locator("#nav").is_visible()
                    page.click(".navbar-toggler")
                    page.locator("#nav-todo").wait_for(state="visible")
                    page.wait_for_selector("#nav.collapse.show")  # the opening transition is over
                    page.screenshot(path=str(ARTIFACTS / f"todo-home-{username}-{screen}-menu.png"))
                    page.click(".navbar-toggler")
                    page.locator("#nav").wait_for(state="hidden")
                page.screenshot(path=str(ARTIFACTS / f"todo-home-{username}-{screen}.png"), full_page=True)
                log_out(page)


@pytest.mark.parametrize("screen", ["office"])
def test_a_dropdown_of_the_navigation_opens_and_marks_the_current_page(committed_db, live_server, monkeypatch, screen):
    call_command("seed_demo")
    for page in chromium_page(monkeypatch, **SCREENS[screen]):
        log_in(page, live_server.url, "disnaker")
        page.goto(f"{live_server.url}/batches/")
        assert "active" in page.get_attribute("#nav-enrollment", "class")
        page.click("#nav-enrollment")
        current = page.locator(".dropdown-menu.show a[aria-current=page]")
        assert current.get_attribute("href") == "/batches/"
        page.screenshot(path=str(ARTIFACTS / "todo-nav-enrollment-office.png"))
