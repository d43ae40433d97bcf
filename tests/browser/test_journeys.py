"""Two more user journeys in a real browser (issue 9), as tests/browser/test_mobile_event.py does
the field officer's: headless Debian Chromium through Playwright against a live server, a
screenshot of every step in tests/artifacts/ (ignored by git).

1. A labour-office clerk uploads a member list with bad rows, reads why each was refused, uploads
   the corrected rows and submits; with four eyes another clerk verifies it, and the head of the
   office (kadis) approves it against its budget and activates it with BPJS's confirmation; the
   one who took the step before is not offered the next.
2. A supervisor opens the progress page of the regency, a batch becomes active meanwhile, and
   the page shows the new count."""

import datetime as dt

import pytest
from django.utils import timezone

from enrollment import services
from enrollment.models import BatchMember, BatchState, EnrollmentBatch, MemberState
from tests.browser.test_mobile_event import ARTIFACTS, chromium_page
from tests.coverage.conftest import BANGKALAN, bangkalan_batch_to_activate
from tests.enrollment.conftest import make_nik, member_row, rows_csv
from tests.factories import PASSWORD, user_with
from ucj.coverage import engine
from ucj.models import Role

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def desk_page(monkeypatch):
    """An office screen in headless Chromium, in Indonesian."""
    yield from chromium_page(monkeypatch, viewport=DESKTOP)


def shot(page, journey: str, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{journey}-{name}.png"), full_page=True)


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def click_and_wait(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_labour_office_fixes_a_member_list_and_takes_the_batch_to_active(
    committed_db, live_server, desk_page, tmp_path
):
    clerk = user_with(Role.LABOUR_OFFICE, BANGKALAN, username="disnaker")
    user_with(Role.LABOUR_OFFICE, BANGKALAN, username="verifikator")
    user_with(Role.LABOUR_OFFICE, BANGKALAN, username="kadis")
    today = timezone.localdate()
    services.allocation_create(actor=clerk, region_code=BANGKALAN, year=today.year, source="dbhcht", amount=50_000_000)
    batch = services.batch_create(
        actor=clerk,
        terms=services.BatchTerms(
            kind="vulnerable_workers", regency_code=BANGKALAN, funding_source="dbhcht", year=today.year,
            period_start=today.replace(day=1), period_end=dt.date(today.year, 12, 31),
            decree_number="188/45/KPTS/433.013/2026",
        ),
    )  # fmt: skip
    page = desk_page
    journey = "labour-office"
    log_in(page, live_server.url, "disnaker")
    page.goto(f"{live_server.url}/batches/{batch.pk}/")
    shot(page, journey, "1-draft")

    # Rows 2-4 are right; row 5's NIK says a woman and the row (her KTP, corrected by Dukcapil)
    # a man: added with a warning the verifier acknowledges; row 6's village does not exist.
    good = [member_row(i) for i in (1, 2, 3)]
    wrong_sex = member_row(4, sex="P") | {"sex": "L"}
    unknown_village = member_row(5, village="35.26.02.9999")
    first = tmp_path / "anggota.csv"
    first.write_bytes(rows_csv([*good, wrong_sex, unknown_village]))
    page.set_input_files("#members-file", str(first))
    click_and_wait(page, "form:has(#members-file) button[type=submit]")
    errors = page.locator(".import-errors tbody tr")
    assert errors.count() == 1
    assert errors.nth(0).locator("td").nth(0).inner_text() == "6"
    assert "35.26.02.9999" in errors.nth(0).inner_text()
    shot(page, journey, "2-refused-rows")

    fixed = tmp_path / "anggota-perbaikan.csv"
    fixed.write_bytes(rows_csv([member_row(5)]))
    page.set_input_files("#members-file", str(fixed))
    click_and_wait(page, "form:has(#members-file) button[type=submit]")
    assert BatchMember.objects.filter(batch=batch).count() == 5
    assert page.locator("#members-title .badge").inner_text().strip() == "5"
    shot(page, journey, "3-fixed")

    click_and_wait(page, "form[action$='/submit/'] button[type=submit]")
    assert page.locator("form[action$='/verify/']").count() == 0  # four eyes: not the submitter
    page.context.clear_cookies()  # signed out: the next person signs in
    log_in(page, live_server.url, "verifikator")
    page.goto(f"{live_server.url}/batches/{batch.pk}/")
    assert page.locator(".pending-warnings li").count() == 1  # row 5's sex, to check on the KTP
    page.check("#acknowledge-warnings")
    click_and_wait(page, "form[action$='/verify/'] button[type=submit]")
    assert page.locator("form[action$='/approve/']").count() == 0  # nor the verifier
    page.context.clear_cookies()
    log_in(page, live_server.url, "kadis")
    page.goto(f"{live_server.url}/batches/{batch.pk}/")
    shot(page, journey, "4-verified-budget")
    # Approving reserves money: it asks first, with the amount and what the allocation keeps.
    page.click("details.approve-confirm > summary")
    assert "Rp" in page.inner_text("#approve-figures")
    click_and_wait(page, "form[action$='/approve/'] button[type=submit]")
    batch.refresh_from_db()
    assert batch.state == BatchState.APPROVED
    shot(page, journey, "5-approved")

    confirmation = tmp_path / "konfirmasi-bpjs.csv"
    niks = [row["nik"] for row in (*good, member_row(4, sex="P"), member_row(5))]
    confirmation.write_text("nik,kpj\r\n" + "".join(f"{nik},2300000000{i}\r\n" for i, nik in enumerate(niks)))
    page.click("details:has(#activate-file) > summary")  # "Activate with BPJS confirmation"
    page.set_input_files("#activate-file", str(confirmation))
    click_and_wait(page, "form:has(#activate-file) button[type=submit]")
    shot(page, journey, "6-active")
    batch.refresh_from_db()
    assert batch.state == BatchState.ACTIVE
    assert BatchMember.objects.filter(batch=batch, state=MemberState.ACCEPTED, covered_from=today).count() == 5


def test_a_supervisor_sees_the_coverage_move_on_the_progress_page(committed_db, live_server, desk_page):
    user_with(Role.SUPERVISOR, "35", username="pengawas")
    batch, _officer, clerk = bangkalan_batch_to_activate(3)
    engine.recalculate_all()

    page = desk_page
    journey = "supervisor"
    log_in(page, live_server.url, "pengawas")
    page.goto(f"{live_server.url}/progress/{BANGKALAN}/")
    before = page.inner_text("#headline-denominator")
    assert "71.500" in before, before
    shot(page, journey, "1-before")

    # The labour office activates the batch; the recalculation follows its commit.
    confirmations = {make_nik(i): (i + 1, f"2300000000{i}") for i in range(1, 4)}
    services.batch_activate(actor=clerk, batch_id=batch.pk, confirmations=confirmations)
    assert EnrollmentBatch.objects.get(pk=batch.pk).state == BatchState.ACTIVE

    page.reload()
    after = page.inner_text("#headline-denominator")
    assert "71.503" in after, after
    shot(page, journey, "2-after")
