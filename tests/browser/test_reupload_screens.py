"""Issue 25 point 1 in a real browser: an officer uploads a member list with three bad rows,
downloads the refused rows, and uploads the corrected whole file again: the page says how many
were added and how many were already there (skipped), not refused. Screenshots at 360 px and
1366 px in tests/artifacts/ (ignored by git)."""

import pytest

from enrollment.models import BatchMember, ImportJob
from tests.browser.test_journeys import click_and_wait, log_in, shot
from tests.browser.test_mobile_event import chromium_page
from tests.enrollment.conftest import ID_HEADERS, member_row, new_batch, rows_csv
from tests.factories import user_with
from ucj.models import Role

BAD = {3: {"sex": "X"}, 5: {"village_code": "35.26.02.9999"}, 7: {"nik": "123"}}


@pytest.mark.parametrize("width", [360, 1366])
def test_the_batch_page_after_the_corrected_file_is_uploaded_again(
    committed_db, live_server, monkeypatch, tmp_path, width
):
    officer = user_with(Role.FIELD_OFFICER, "35.26.02", "35.26.01", username="officer")
    batch = new_batch(officer)
    first = tmp_path / "anggota.csv"
    first.write_bytes(rows_csv([member_row(n, **BAD.get(n, {})) for n in range(1, 9)], headers=ID_HEADERS))
    fixed = tmp_path / "anggota-perbaikan.csv"
    fixed.write_bytes(rows_csv([member_row(n) for n in range(1, 9)], headers=ID_HEADERS))
    phone = width < 400
    options = {"viewport": {"width": width, "height": 800 if phone else 900}}
    if phone:
        options |= {"has_touch": True, "is_mobile": True, "device_scale_factor": 2}
    for page in chromium_page(monkeypatch, **options):
        log_in(page, live_server.url, "officer")
        page.goto(f"{live_server.url}/batches/{batch.pk}/")
        page.set_input_files("#members-file", str(first))
        click_and_wait(page, "form:has(#members-file) button[type=submit]")
        errors = page.locator(".import-errors tbody tr")
        assert errors.count() == 3
        # The file's own column and the person, not `sex` and a row number alone.
        assert "JENIS KELAMIN" in errors.nth(0).inner_text() and "Warga 3" in errors.nth(0).inner_text()
        with page.expect_download() as download:
            page.click(".import-status a[href$='/errors.csv']")
        assert download.value.suggested_filename.endswith(".csv")
        shot(page, f"reupload-{width}", "1-refused-rows")

        page.set_input_files("#members-file", str(fixed))
        click_and_wait(page, "form:has(#members-file) button[type=submit]")
        assert BatchMember.objects.filter(batch=batch).count() == 8
        job = ImportJob.objects.filter(batch=batch).first()
        assert (job.accepted, job.rejected, job.skipped) == (3, 0, 5)
        card = page.locator(f"#import-{job.pk}").inner_text()
        assert "5 sudah ada, dilewati" in card or "5 already there, skipped" in card
        assert page.locator(f"#import-{job.pk} .import-errors").count() == 0
        # Nothing wider than the screen on a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shot(page, f"reupload-{width}", "2-uploaded-again")
