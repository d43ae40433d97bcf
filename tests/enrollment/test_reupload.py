"""Issue 25 point 1: the fix-and-upload-again loop. Rows of people already on the batch are
skipped (counted apart), never refused; each error names the file's own column and the row's
person; the download of an import's errors is the refused rows themselves, in the file's own
columns with a column of reasons, ready to correct and upload again, masked for whoever sees NIKs
masked unless they uploaded the file."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from enrollment import importers, services
from enrollment.models import ImportJob, ImportSource, ImportState, mask_nik
from tests.enrollment.conftest import (
    EN_HEADERS,
    ID_HEADERS,
    VILLAGE,
    make_nik,
    member_row,
    rows_csv,
    rows_xlsx,
)
from tests.enrollment.test_api import BATCHES, _named, as_user
from tests.factories import user_with
from ucj.models import Role

pytestmark = pytest.mark.django_db

FORMATS = ["csv", "xlsx"]
BAD = {3: {"sex": "X"}, 5: {"village_code": "35.26.02.9999"}, 7: {"nik": "123"}}


def clerks_file(fmt: str, *, fixed: bool = False) -> bytes:
    """Eight people with Indonesian headers; serials 3, 5 and 7 are bad unless `fixed`."""
    rows = [member_row(n, **({} if fixed else BAD.get(n, {}))) for n in range(1, 9)]
    return rows_csv(rows, headers=ID_HEADERS, delimiter=";") if fmt == "csv" else rows_xlsx(rows, headers=ID_HEADERS)


def upload(client, batch, content: bytes, fmt: str):
    kind = "text/csv" if fmt == "csv" else "application/octet-stream"
    file = SimpleUploadedFile(f"anggota.{fmt}", content, content_type=kind)
    return client.post(reverse("enrollment:batch-import", args=[batch.pk]), {"file": file}, follow=True)


def run(actor, batch, content: bytes, fmt: str) -> ImportJob:
    job = services.import_create(actor=actor, batch_id=batch.pk, filename=f"anggota.{fmt}", content=content)
    return services.import_run(job_id=job.pk)


def table_of(content: bytes, fmt: str) -> list[list[str]]:
    if fmt == "csv":
        return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    sheet = load_workbook(io.BytesIO(content)).active
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_corrected_file_uploaded_again_adds_the_fixed_rows_and_skips_the_others(client, officer, draft_batch, fmt):
    client.force_login(officer)
    upload(client, draft_batch, clerks_file(fmt), fmt)
    first = ImportJob.objects.get(batch=draft_batch)
    assert (first.accepted, first.rejected, first.skipped) == (5, 3, 0)

    page = upload(client, draft_batch, clerks_file(fmt, fixed=True), fmt).content.decode()
    again = ImportJob.objects.filter(batch=draft_batch).first()
    assert (again.state, again.accepted, again.rejected, again.skipped) == (ImportState.DONE, 3, 0, 5)
    assert again.errors == []
    assert "Sudah menjadi peserta daftar ini" not in page and "Already a member" not in page
    # On the import's card and in the message after the upload (Indonesian once the .mo has it).
    assert page.count("5 sudah ada, dilewati") >= 2 or page.count("5 already there, skipped") >= 2
    assert f"anggota.{fmt}: 3 peserta ditambahkan. 5 " in page
    draft_batch.refresh_from_db()
    assert draft_batch.member_count == 8


def test_a_row_of_a_member_is_skipped_even_with_other_faults(officer, draft_batch):
    run(officer, draft_batch, rows_csv([member_row(1)]), "csv")
    # The same person again, with a phone number that cannot be read, and twice in the file.
    job = run(officer, draft_batch, rows_csv([member_row(1, phone="0"), member_row(1), member_row(2)]), "csv")
    assert (job.accepted, job.rejected, job.skipped) == (1, 0, 2)
    assert job.errors == []


def test_a_member_added_by_another_upload_during_the_check_is_skipped(officer, draft_batch, monkeypatch):
    check = importers.check_member_rows

    def check_then_another_upload_adds_row_1(rows, batch, **kw):
        registered = check(rows, batch, **kw)
        monkeypatch.setattr(importers, "check_member_rows", check)  # the other upload checks as usual
        services.import_run(
            job_id=services.import_create(
                actor=officer, batch_id=batch.pk, filename="b.csv", content=rows_csv([member_row(1)])
            ).pk
        )
        return registered

    monkeypatch.setattr(importers, "check_member_rows", check_then_another_upload_adds_row_1)
    job = run(officer, draft_batch, rows_csv([member_row(1), member_row(2)]), "csv")
    assert (job.accepted, job.rejected, job.skipped) == (1, 0, 1)


@pytest.mark.parametrize("fmt", FORMATS)
def test_errors_name_the_files_own_column_and_the_rows_person(officer, draft_batch, fmt):
    job = run(officer, draft_batch, clerks_file(fmt), fmt)
    assert [(e["row"], e["column"], e["field"], e["name"], e["nik"]) for e in job.errors] == [
        (4, "JENIS KELAMIN", "sex", "Warga 3", make_nik(3)),
        (6, "KODE DESA", "village_code", "Warga 5", make_nik(5)),
        (8, "NIK", "nik", "Warga 7", "123"),
    ]


def test_the_api_reports_skipped_rows_and_the_errors_columns_and_people(api_client, officer, draft_batch):
    client = as_user(api_client, officer)
    url = f"{BATCHES}{draft_batch.pk}/members/import/"
    client.post(url, {"file": _named(clerks_file("csv"), "anggota.csv")})
    job = client.post(url, {"file": _named(clerks_file("csv", fixed=True), "anggota.csv")}).json()
    assert (job["accepted"], job["rejected"], job["skipped"]) == (3, 0, 5)
    first = client.get(f"{BATCHES}{draft_batch.pk}/imports/").json()["results"][-1]
    assert (first["accepted"], first["rejected"], first["skipped"]) == (5, 3, 0)
    # The uploader typed these NIKs: theirs in full.
    assert first["errors"][0] == {
        "row": 4,
        "column": "JENIS KELAMIN",
        "field": "sex",
        "name": "Warga 3",
        "nik": make_nik(3),
        "message": first["errors"][0]["message"],
    }


def test_the_api_masks_the_nik_of_errors_for_another_officer(api_client, officer, draft_batch):
    job = run(officer, draft_batch, clerks_file("csv"), "csv")
    colleague = user_with(Role.FIELD_OFFICER, "35.26", username="colleague")
    answer = as_user(api_client, colleague).get(f"{BATCHES}{draft_batch.pk}/imports/{job.pk}/").json()
    assert [e["nik"] for e in answer["errors"]] == [mask_nik(make_nik(3)), mask_nik(make_nik(5)), mask_nik("123")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_rejected_rows_download_is_the_files_rows_with_a_reason_and_uploads_again(
    client, officer, draft_batch, fmt
):
    job = run(officer, draft_batch, clerks_file(fmt), fmt)
    client.force_login(officer)
    response = client.get(reverse("enrollment:import-errors", args=[job.pk]))
    assert response["Content-Disposition"] == f'attachment; filename="import-{job.pk}-ditolak.{fmt}"'
    table = table_of(response.content, fmt)
    assert table[0] == [*ID_HEADERS, "alasan"]  # the file's own header row, the reason in the user's language
    assert [row[:2] for row in table[1:]] == [[make_nik(3), "Warga 3"], [make_nik(5), "Warga 5"], ["123", "Warga 7"]]
    assert table[1][2] == "X" and table[1][7].startswith("JENIS KELAMIN: ")
    assert table[2][7].startswith("KODE DESA: ") and table[3][7].startswith("NIK: ")

    # Corrected where the reasons say, and uploaded as it is (the reason column is ignored).
    fixed = {3: "sex", 5: "village_code", 7: "nik"}
    for row, serial in zip(table[1:], fixed, strict=True):
        row[EN_HEADERS.index(fixed[serial])] = member_row(serial)[fixed[serial]]
    if fmt == "csv":
        content = rows_csv([dict(zip(EN_HEADERS, row[:7], strict=True)) for row in table[1:]], headers=ID_HEADERS)
    else:
        content = rows_xlsx([dict(zip(EN_HEADERS, row[:7], strict=True)) for row in table[1:]], headers=ID_HEADERS)
    again = run(officer, draft_batch, content, fmt)
    assert (again.accepted, again.rejected, again.skipped) == (3, 0, 0), again.errors


def test_a_reason_column_from_an_earlier_round_is_refilled_not_added_again(officer, draft_batch):
    rows = [member_row(1, sex="X", alasan="JENIS KELAMIN: old")]
    job = run(officer, draft_batch, rows_csv(rows, headers=[*EN_HEADERS, "alasan"]), "csv")
    content, _type, _ext = importers.rejected_rows_file(job, full=True)
    table = table_of(content, "csv")
    assert table[0] == [*EN_HEADERS, "alasan"]
    assert table[1][7].startswith("sex: ") and "old" not in table[1][7]


def test_the_reason_header_is_in_the_users_language(client, officer, draft_batch):
    job = run(officer, draft_batch, clerks_file("csv"), "csv")
    client.force_login(officer)
    client.post(reverse("set_language"), {"language": "en"})
    response = client.get(reverse("enrollment:import-errors", args=[job.pk]))
    assert table_of(response.content, "csv")[0][-1] == "reason"


def test_whoever_sees_niks_masked_gets_the_rejected_rows_masked_unless_they_uploaded_them(
    client, officer, clerk, supervisor, draft_batch
):
    job = run(officer, draft_batch, clerks_file("csv"), "csv")
    url = reverse("enrollment:import-errors", args=[job.pk])
    colleague = user_with(Role.FIELD_OFFICER, "35.26", username="colleague")
    for user, full in ((officer, True), (clerk, True), (colleague, False), (supervisor, False)):
        client.force_login(user)
        table = table_of(client.get(url).content, "csv")
        niks, phones, births = [r[0] for r in table[1:]], [r[6] for r in table[1:]], [r[3] for r in table[1:]]
        if full:
            assert niks == [make_nik(3), make_nik(5), "123"] and all(births), user
        else:
            assert niks == [mask_nik(make_nik(3)), mask_nik(make_nik(5)), mask_nik("123")], user
            assert not any(births) and all("***" in phone for phone in phones), user
        # The batch page's list of refused rows names the person the same way.
        page = client.get(reverse("enrollment:batch-detail", args=[draft_batch.pk])).content.decode()
        assert "Warga 3" in page
        assert (make_nik(3) in page) is full
        if not full:
            assert mask_nik(make_nik(3)) in page


def test_leads_put_on_a_batch_are_no_file_of_the_officer(officer, draft_batch):
    job = services.import_create(
        actor=officer,
        batch_id=draft_batch.pk,
        filename="leads.csv",
        content=rows_csv([member_row(1, sex="X")]),
        source=ImportSource.LEADS,
    )
    job = services.import_run(job_id=job.pk)
    # Other officers' leads may be among them: the officer sees their NIKs masked like anyone's.
    assert not importers.rows_in_full(officer, job, regency_code="35.26")
    content, _type, _ext = importers.rejected_rows_file(job, full=False)
    assert table_of(content, "csv")[1][0] == mask_nik(make_nik(1))


def test_a_file_refused_whole_downloads_its_list_of_problems(client, officer, draft_batch):
    content = b"nik;name\r\n" + make_nik(1).encode() + b";Warga 1\r\n"
    job = run(officer, draft_batch, content, "csv")
    assert job.state == ImportState.FAILED
    client.force_login(officer)
    response = client.get(reverse("enrollment:import-errors", args=[job.pk]))
    assert response["Content-Disposition"] == f'attachment; filename="import-{job.pk}-errors.csv"'
    assert VILLAGE not in response.content.decode("utf-8-sig")
