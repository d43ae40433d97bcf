"""Enrollment pages: batches and their life cycle, uploads with their progress, exports,
allocations and participants — who sees what, and that refusals come back as messages."""

import csv
import io

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from enrollment import selectors, services
from enrollment.models import BatchMember, BatchState, EnrollmentBatch, FundingAllocation, ImportJob, mask_nik
from tests.enrollment.conftest import (
    EN_HEADERS,
    OTHER_VILLAGE,
    VILLAGE,
    YEAR,
    make_nik,
    member_row,
    new_batch,
    rows_csv,
)
from ucj.models import AuditEvent

pytestmark = pytest.mark.django_db

# Three members for seven months (June to December) at Rp16,800: Rp352,800.
THREE_MEMBERS_COST = "352.800"


def detail_url(batch):
    return reverse("enrollment:batch-detail", args=[batch.pk])


def transition_url(batch, action):
    return reverse("enrollment:batch-transition", kwargs={"pk": batch.pk, "action": action})


def export_url(batch, fmt):
    return reverse("enrollment:batch-export", kwargs={"pk": batch.pk, "fmt": fmt})


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="text/csv")


def state_of(batch) -> str:
    return EnrollmentBatch.objects.values_list("state", flat=True).get(pk=batch.pk)


# --- Every page renders for the people it is for --------------------------------------------------


@pytest.mark.parametrize("who", ["officer", "clerk", "supervisor", "admin_user"])
def test_every_page_renders_for_the_roles_of_bangkalan(client, request, who, batch_in_state):
    batch = batch_in_state(BatchState.APPROVED)
    job = batch.imports.get()
    client.force_login(request.getfixturevalue(who))
    for url in [
        reverse("enrollment:batch-list"),
        detail_url(batch),
        reverse("enrollment:import-status", args=[job.pk]),
        reverse("enrollment:allocation-list"),
        reverse("enrollment:participant-list") + "?q=Warga",
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Language"] == "id"


def test_nav_links_to_the_enrollment_pages(client, officer):
    client.force_login(officer)
    page = client.get("/").content.decode()
    for name in ("batch-list", "allocation-list", "participant-list"):
        assert f'href="{reverse("enrollment:" + name)}"' in page


def test_anonymous_is_sent_to_login(client, draft_batch):
    for url in ["/batches/", detail_url(draft_batch), "/allocations/", "/participants/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- Outsiders see nothing ------------------------------------------------------------------------


def test_outsider_gets_404_on_every_route_of_a_bangkalan_batch(client, outsider, batch_in_state):
    batch = batch_in_state(BatchState.APPROVED)
    job = batch.imports.get()
    client.force_login(outsider)
    gets = [
        detail_url(batch),
        reverse("enrollment:batch-edit", args=[batch.pk]),
        export_url(batch, "csv"),
        export_url(batch, "xlsx"),
        reverse("enrollment:import-status", args=[job.pk]),
        reverse("enrollment:import-errors", args=[job.pk]),
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    posts = [transition_url(batch, a) for a in ("submit", "verify", "approve", "return", "reject", "cancel")]
    posts += [reverse("enrollment:batch-members-remove", args=[batch.pk])]
    for url in posts:
        assert client.post(url, {"reason": "x", "member": [1]}).status_code == 404, url
    for name in ("batch-import", "batch-activate"):
        url = reverse(f"enrollment:{name}", args=[batch.pk])
        response = client.post(url, {"file": upload("a.csv", b"nik,kpj\r\n1,2\r\n")})
        assert response.status_code == 404, url
    assert state_of(batch) == BatchState.APPROVED
    assert ImportJob.objects.filter(batch=batch).count() == 1


def test_outsider_lists_no_bangkalan_batch_allocation_or_person(client, outsider, batch_in_state):
    batch = batch_in_state(BatchState.APPROVED)
    client.force_login(outsider)
    assert client.get("/batches/").context["page"].paginator.count == 0
    assert client.get("/allocations/").context["page"].paginator.count == 0
    response = client.get("/participants/", {"q": make_nik(1)})
    assert response.context["page"].paginator.count == 0
    assert batch.decree_number not in client.get("/batches/").content.decode()
    edit = reverse("enrollment:allocation-edit", args=[batch.allocation_id])
    assert client.get(edit).status_code == 404


# --- Supervisor: reads, no actions ----------------------------------------------------------------


def test_supervisor_sees_the_batch_without_actions_and_cannot_post_one(client, supervisor, batch_in_state):
    batch = batch_in_state(BatchState.SUBMITTED)
    client.force_login(supervisor)
    response = client.get(detail_url(batch))
    page = response.content.decode()
    assert response.status_code == 200
    assert response.context["actions"] == []
    assert "batch-actions" not in page and "/verify/" not in page and "/return/" not in page
    assert "export." not in page
    assert client.post(transition_url(batch, "verify")).status_code == 403
    assert client.post(transition_url(batch, "return"), {"reason": "no"}).status_code == 403
    assert state_of(batch) == BatchState.SUBMITTED


def test_supervisor_and_admin_may_not_draft(client, supervisor, admin_user):
    for user in (supervisor, admin_user):
        client.force_login(user)
        assert client.get(reverse("enrollment:batch-create")).status_code == 403
        assert "/batches/new/" not in client.get("/batches/").content.decode()


# --- The life cycle through the pages -------------------------------------------------------------


def test_officer_creates_a_draft_through_the_form(client, officer):
    client.force_login(officer)
    form = client.get(reverse("enrollment:batch-create"))
    assert form.context["form"]["regency"].value() == "35.26"
    response = client.post(
        reverse("enrollment:batch-create"),
        {
            "kind": "vulnerable_workers",
            "regency": "35.26",
            "area": "35.26.02",
            "funding_source": "dbhcht",
            "year": YEAR,
            "period_start": f"{YEAR}-06-01",
            "period_end": f"{YEAR}-12-31",
            "declared_income": "1.000.000",
            "programmes": ["jkk", "jkm"],
            "decree_number": "188/45/KPTS/2026",
            "title": "Petani tembakau Socah",
        },
    )
    batch = EnrollmentBatch.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(batch)
    assert (batch.state, batch.area_id, batch.declared_income, batch.monthly_premium) == (
        "draft",
        "35.26.02",
        10**6,
        16_800,
    )
    assert batch.created_by == officer and batch.title == "Petani tembakau Socah"


def test_service_refusals_land_on_the_form_fields(client, officer):
    client.force_login(officer)
    response = client.post(
        reverse("enrollment:batch-create"),
        {
            "kind": "vulnerable_workers",
            "regency": "35.26",
            "funding_source": "dbhcht",
            "year": YEAR,
            "period_start": f"{YEAR - 1}-06-01",
            "period_end": f"{YEAR}-12-31",
            "declared_income": "1000000",
            "programmes": ["jkk"],
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"programmes", "period_start"} <= set(errors)
    assert "is-invalid" in response.content.decode()
    assert not EnrollmentBatch.objects.exists()


def test_officer_edits_a_draft_and_not_a_submitted_batch(client, officer, batch_in_state):
    draft = batch_in_state(BatchState.DRAFT)
    client.force_login(officer)
    url = reverse("enrollment:batch-edit", args=[draft.pk])
    assert client.get(url).context["form"]["declared_income"].value() == 1_000_000
    data = {
        "kind": draft.kind,
        "funding_source": draft.funding_source,
        "year": YEAR,
        "period_start": f"{YEAR}-07-01",
        "period_end": f"{YEAR}-12-31",
        "declared_income": "2.000.000",
        "programmes": ["jkk", "jkm", "jht"],
        "decree_number": draft.decree_number,
        "title": "",
        "area": "",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    draft.refresh_from_db()
    # JKK 1 % of 2,000,000 + JKM 6,800 + JHT 2 %: 20,000 + 6,800 + 40,000.
    assert (draft.months, draft.monthly_premium, draft.total_cost) == (6, 66_800, 3 * 66_800 * 6)
    submitted = batch_in_state(BatchState.SUBMITTED, start=10)
    response = client.get(reverse("enrollment:batch-edit", args=[submitted.pk]))
    assert response.status_code == 302 and response["Location"] == detail_url(submitted)
    assert messages_of(response)


def test_officer_submits_through_the_page(client, officer, batch_in_state):
    batch = batch_in_state(BatchState.DRAFT)
    client.force_login(officer)
    page = client.get(detail_url(batch))
    assert page.context["transitions"] == ["submit"]
    response = client.post(transition_url(batch, "submit"), follow=True)
    assert response.redirect_chain[-1][0] == detail_url(batch)
    assert state_of(batch) == BatchState.SUBMITTED
    assert any(f"#{batch.pk}" in m for m in messages_of(response))
    assert client.get(transition_url(batch, "submit")).status_code == 405


def test_submitting_an_empty_draft_says_why(client, officer, draft_batch):
    client.force_login(officer)
    response = client.post(transition_url(draft_batch, "submit"), follow=True)
    assert state_of(draft_batch) == BatchState.DRAFT
    assert "alert-danger" in response.content.decode()
    assert len(messages_of(response)) == 1


def test_clerk_verifies_and_the_head_of_office_approves_through_the_pages(client, clerk, kadis, batch_in_state):
    batch = batch_in_state(BatchState.SUBMITTED)
    client.force_login(clerk)
    assert set(client.get(detail_url(batch)).context["transitions"]) == {"verify", "return", "reject"}
    client.post(transition_url(batch, "verify"))
    assert state_of(batch) == BatchState.VERIFIED
    # Four eyes: the clerk who verified is not offered the approval.
    page = client.get(detail_url(batch))
    assert set(page.context["transitions"]) == {"return", "reject"}
    client.force_login(kadis)
    page = client.get(detail_url(batch))
    assert set(page.context["transitions"]) == {"approve", "return", "reject"}
    assert page.context["budget"].fits
    client.post(transition_url(batch, "approve"))
    batch.refresh_from_db()
    assert batch.state == BatchState.APPROVED and batch.allocation is not None
    assert (batch.verified_by, batch.approved_by) == (clerk, kadis)
    page = client.get(detail_url(batch))
    assert page.context["can_activate"] and page.context["may_export"]
    assert not page.context["same_person"]


def test_approval_over_budget_warns_on_the_page_and_is_refused(client, kadis, batch_in_state):
    batch = batch_in_state(BatchState.VERIFIED)
    FundingAllocation.objects.filter(pk=services.allocation_for(batch).get().pk).update(amount=100_000)
    client.force_login(kadis)
    page = client.get(detail_url(batch))
    assert not page.context["budget"].fits
    assert "border-danger" in page.content.decode()
    response = client.post(transition_url(batch, "approve"), follow=True)
    assert state_of(batch) == BatchState.VERIFIED
    assert "alert-danger" in response.content.decode()
    assert any("cannot pay" in m or "tidak cukup" in m for m in messages_of(response)), messages_of(response)


def test_return_needs_a_reason(client, clerk, batch_in_state):
    batch = batch_in_state(BatchState.SUBMITTED)
    client.force_login(clerk)
    response = client.post(transition_url(batch, "return"), {"reason": "  "}, follow=True)
    assert state_of(batch) == BatchState.SUBMITTED
    assert len(messages_of(response)) == 1 and "alert-danger" in response.content.decode()

    client.post(transition_url(batch, "return"), {"reason": "NIK warga 3 salah"})
    assert state_of(batch) == BatchState.DRAFT
    page = client.get(detail_url(batch)).content.decode()
    assert "NIK warga 3 salah" in page


def test_reject_needs_a_reason_and_is_final(client, clerk, batch_in_state):
    batch = batch_in_state(BatchState.VERIFIED)
    client.force_login(clerk)
    client.post(transition_url(batch, "reject"), {"reason": ""})
    assert state_of(batch) == BatchState.VERIFIED
    client.post(transition_url(batch, "reject"), {"reason": "SK belum ada"})
    assert state_of(batch) == BatchState.REJECTED
    page = client.get(detail_url(batch))
    assert page.context["actions"] == [] and page.context["budget"] is None


def test_transition_from_the_wrong_state_is_a_message_not_an_error(client, clerk, batch_in_state):
    batch = batch_in_state(BatchState.SUBMITTED)
    client.force_login(clerk)
    response = client.post(transition_url(batch, "approve"))
    assert response.status_code == 302
    assert state_of(batch) == BatchState.SUBMITTED
    assert messages_of(response)


def test_clerk_cancels_an_approved_batch(client, clerk, batch_in_state):
    batch = batch_in_state(BatchState.APPROVED)
    client.force_login(clerk)
    client.post(transition_url(batch, "cancel"), {"reason": "SK dicabut"})
    assert state_of(batch) == BatchState.CANCELLED


def test_history_shows_who_moved_the_batch_and_why(client, clerk, batch_in_state):
    batch = batch_in_state(BatchState.REJECTED)
    client.force_login(clerk)
    with translation.override("en"):
        client.cookies["ucj_language"] = "en"
        history = client.get(detail_url(batch)).context["history"]
    actions = [row["action"] for row in history]
    assert actions[0] == "rejected" and "submitted" in actions and "created" in actions
    assert history[0]["reason"] == "Daftar tidak lengkap"
    assert history[0]["actor"] == clerk


# --- Uploads --------------------------------------------------------------------------------------


def test_upload_through_the_page_adds_members_and_the_status_shows_the_counts(client, officer, draft_batch):
    client.force_login(officer)
    rows = [member_row(1), member_row(2), member_row(3, village=OTHER_VILLAGE), member_row(4, nik="123")]
    response = client.post(
        reverse("enrollment:batch-import", args=[draft_batch.pk]), {"file": upload("anggota.csv", rows_csv(rows))}
    )
    assert response.status_code == 302 and response["Location"].endswith("#imports")
    draft_batch.refresh_from_db()
    assert draft_batch.member_count == 3
    job = ImportJob.objects.get(batch=draft_batch)
    assert (job.accepted, job.rejected) == (3, 1)

    status = client.get(reverse("enrollment:import-status", args=[job.pk]), headers={"HX-Request": "true"})
    body = status.content.decode()
    assert status.status_code == 200 and "<html" not in body
    assert "hx-trigger" not in body  # finished: it stops polling
    assert "3 accepted, 1 rejected" in body or "3 diterima, 1 ditolak" in body
    assert reverse("enrollment:import-errors", args=[job.pk]) in body

    # The refused row itself, in the file's columns, with its reason: to correct and upload again.
    report = client.get(reverse("enrollment:import-errors", args=[job.pk]))
    assert report["Content-Disposition"] in (
        f'attachment; filename="import-{job.pk}-ditolak.csv"',
        f'attachment; filename="import-{job.pk}-rejected.csv"',
    )
    lines = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig")), delimiter=";"))
    assert lines[0][:7] == EN_HEADERS and lines[0][7] in ("alasan", "reason")
    assert len(lines) == 2 and lines[1][:2] == ["123", "Warga 4"] and lines[1][7].startswith("nik: ")

    page = client.get(detail_url(draft_batch)).content.decode()
    assert "Warga 1" in page and f'id="import-{job.pk}"' in page
    assert "import-errors" in page  # the refused row is explained on the batch page too


def test_an_unfinished_import_polls_every_second(client, officer, draft_batch):
    job = services.import_create(
        actor=officer, batch_id=draft_batch.pk, filename="big.csv", content=rows_csv([member_row(1)])
    )
    client.force_login(officer)
    partial = client.get(reverse("enrollment:import-status", args=[job.pk]), headers={"HX-Request": "true"})
    body = partial.content.decode()
    assert 'hx-trigger="every 1s"' in body and 'hx-swap="outerHTML"' in body
    assert f'hx-get="{reverse("enrollment:import-status", args=[job.pk])}"' in body
    assert 'role="progressbar"' in body and "HX-Refresh" not in partial.headers
    full = client.get(reverse("enrollment:import-status", args=[job.pk]))
    assert "<html" in full.content.decode() and "htmx.min.js" in full.content.decode()

    services.import_run(job_id=job.pk)
    done = client.get(reverse("enrollment:import-status", args=[job.pk]), headers={"HX-Request": "true"})
    assert "hx-trigger" not in done.content.decode()
    assert done["HX-Refresh"] == "true"  # the batch page reloads to show the new members


def test_a_large_upload_goes_to_a_worker_and_the_batch_page_polls_it(
    client, officer, draft_batch, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("enrollment.services.imports.INLINE_MAX_BYTES", 10)
    client.force_login(officer)
    url = reverse("enrollment:batch-import", args=[draft_batch.pk])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url, {"file": upload("besar.csv", rows_csv([member_row(1), member_row(2)]))})
    assert response.status_code == 302 and len(callbacks) == 1
    job = ImportJob.objects.get(batch=draft_batch)
    assert job.state == "queued" and any("besar.csv" in m for m in messages_of(response))
    page = client.get(detail_url(draft_batch)).content.decode()
    assert f'hx-get="{reverse("enrollment:import-status", args=[job.pk])}"' in page and "htmx.min.js" in page
    callbacks[0]()  # the worker (eager Celery) runs it
    job.refresh_from_db()
    assert (job.state, job.accepted) == ("done", 2)
    assert "hx-trigger" not in client.get(detail_url(draft_batch)).content.decode()


def test_an_upload_refused_by_the_service_is_a_message(client, officer, batch_in_state):
    batch = batch_in_state(BatchState.SUBMITTED)
    client.force_login(officer)
    response = client.post(
        reverse("enrollment:batch-import", args=[batch.pk]), {"file": upload("a.csv", rows_csv([member_row(9)]))}
    )
    assert response.status_code == 302 and messages_of(response)
    assert ImportJob.objects.filter(batch=batch).count() == 1  # only the fixture's


def test_upload_without_a_file_is_a_message(client, officer, draft_batch):
    client.force_login(officer)
    response = client.post(reverse("enrollment:batch-import", args=[draft_batch.pk]), {})
    assert response.status_code == 302 and messages_of(response)


def test_officer_removes_ticked_members(client, officer, batch_in_state):
    batch = batch_in_state(BatchState.DRAFT)
    client.force_login(officer)
    page = client.get(detail_url(batch)).content.decode()
    assert 'form="remove-members"' in page
    first, second, _third = BatchMember.objects.filter(batch=batch).order_by("id")
    client.post(reverse("enrollment:batch-members-remove", args=[batch.pk]), {"member": [first.pk, second.pk]})
    batch.refresh_from_db()
    assert batch.member_count == 1
    response = client.post(reverse("enrollment:batch-members-remove", args=[batch.pk]), {})
    assert messages_of(response)


def test_clerk_activates_with_the_bpj_confirmation(client, clerk, batch_in_state):
    batch = batch_in_state(BatchState.APPROVED)
    client.force_login(clerk)
    confirmation = f"nik,kpj\r\n{make_nik(1)},23000000001\r\n{make_nik(2)},23000000002\r\n".encode()
    response = client.post(
        reverse("enrollment:batch-activate", args=[batch.pk]), {"file": upload("bpjs.csv", confirmation)}
    )
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.state == BatchState.ACTIVE and batch.member_count == 2
    assert client.get(detail_url(batch)).context["renewals"] == 2


def test_only_the_labour_office_activates(client, officer, batch_in_state):
    batch = batch_in_state(BatchState.APPROVED)
    client.force_login(officer)
    confirmation = f"nik,kpj\r\n{make_nik(1)},23000000001\r\n".encode()
    response = client.post(
        reverse("enrollment:batch-activate", args=[batch.pk]), {"file": upload("bpjs.csv", confirmation)}
    )
    assert response.status_code == 403
    assert state_of(batch) == BatchState.APPROVED


def test_village_officials_batch_shows_positions_and_officials_protected(client, officer, clerk, allocation):
    batch = new_batch(officer, kind="village_officials", area=VILLAGE)
    rows = [
        member_row(1, position="Kepala Desa", wage="2.000.000"),
        member_row(2, position="Sekdes", wage="Rp 1.500.000"),
    ]
    client.force_login(officer)
    client.post(reverse("enrollment:batch-import", args=[batch.pk]), {"file": upload("perangkat.csv", rows_csv(rows))})
    response = client.get(detail_url(batch))
    page = response.content.decode()
    assert response.context["officials"]
    assert "kepala desa" in page.lower() and "sekretaris desa" in page.lower()
    assert response.context["villages"] == [{"code": VILLAGE, "name": "Socah", "members": 2, "officials_protected": 0}]
    # Each official's siltap and premium (PU: 0.54 % of it for JKK+JKM), and the batch's sum of them.
    assert "2.000.000" in page and "10.800" in page and "1.500.000" in page and "8.100" in page
    assert "Rp18.900" in page and "Rp132.300" in page  # 7 months


def test_batch_page_runs_a_bounded_number_of_queries(client, clerk, batch_in_state, django_assert_max_num_queries):
    batch = batch_in_state(BatchState.ACTIVE, members=40)
    client.force_login(clerk)
    with django_assert_max_num_queries(15):
        response = client.get(detail_url(batch))
    assert len(response.context["members"]) == 40


# --- Exports and personal data --------------------------------------------------------------------


def test_clerk_exports_full_niks_and_the_officer_gets_403(client, clerk, officer, batch_in_state):
    batch = batch_in_state(BatchState.APPROVED)
    client.force_login(clerk)
    response = client.get(export_url(batch, "csv"))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="batch-{batch.pk}-35.26.csv"'
    text = response.content.decode("utf-8-sig")
    assert all(make_nik(i) in text for i in (1, 2, 3))

    response = client.get(export_url(batch, "xlsx"))
    assert response["Content-Disposition"] == f'attachment; filename="batch-{batch.pk}-35.26.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)} == {make_nik(i) for i in (1, 2, 3)}
    # Full NIKs left the system: that is on the record.
    assert AuditEvent.objects.filter(action="batch.export", target_id=str(batch.pk), actor=clerk).count() == 2

    client.force_login(officer)
    assert client.get(export_url(batch, "csv")).status_code == 403
    assert "export." not in client.get(detail_url(batch)).content.decode()


def test_an_administrator_exports_too_but_not_the_supervisor(client, admin_user, supervisor, batch_in_state):
    batch = batch_in_state(BatchState.ACTIVE)
    client.force_login(admin_user)
    assert make_nik(1) in client.get(export_url(batch, "csv")).content.decode("utf-8-sig")
    client.force_login(supervisor)
    assert client.get(export_url(batch, "xlsx")).status_code == 403


def test_export_of_a_batch_not_yet_approved_is_refused_with_a_message(client, clerk, batch_in_state):
    batch = batch_in_state(BatchState.VERIFIED)
    client.force_login(clerk)
    response = client.get(export_url(batch, "csv"))
    assert response.status_code == 302 and response["Location"] == detail_url(batch)
    assert messages_of(response)


def test_officer_sees_masked_niks_and_the_clerk_full_ones(client, officer, clerk, batch_in_state):
    batch = batch_in_state(BatchState.SUBMITTED)
    nik = make_nik(1)
    client.force_login(officer)
    page = client.get(detail_url(batch)).content.decode()
    assert nik not in page and mask_nik(nik) in page
    assert "+6281200000001" not in page
    client.force_login(clerk)
    page = client.get(detail_url(batch)).content.decode()
    assert nik in page and "+6281200000001" in page


# --- Lists: bounded queries and Indonesian numbers ------------------------------------------------


def test_batch_list_runs_a_bounded_number_of_queries(client, clerk, officer, django_assert_max_num_queries):
    areas = [None, "35.26.01", "35.26.02", VILLAGE, OTHER_VILLAGE]
    for i in range(30):
        new_batch(officer, area=areas[i % len(areas)], title=f"Daftar {i}")
    client.force_login(clerk)
    with django_assert_max_num_queries(10):
        response = client.get("/batches/")
    assert response.status_code == 200
    assert len(response.context["page"]) == 30
    assert {s.value: n["batches"] for s, n in response.context["state_counts"]}["draft"] == 30


def test_batch_list_filters_and_counts_per_state(client, clerk, batch_in_state):
    draft = batch_in_state(BatchState.DRAFT)
    submitted = batch_in_state(BatchState.SUBMITTED, start=10)
    client.force_login(clerk)
    response = client.get("/batches/", {"state": "submitted"})
    assert [b.pk for b in response.context["page"]] == [submitted.pk]
    counts = {s.value: n["batches"] for s, n in response.context["state_counts"]}
    assert counts["draft"] == 1 and counts["submitted"] == 1
    # A village's batches include those covering the whole regency.
    response = client.get("/batches/", {"area": VILLAGE, "year": YEAR, "funding_source": "dbhcht"})
    assert {b.pk for b in response.context["page"]} == {draft.pk, submitted.pk}
    district = new_batch(clerk, area="35.26.01")
    response = client.get("/batches/", {"area": VILLAGE})  # in 35.26.02
    assert district.pk not in {b.pk for b in response.context["page"]}
    response = client.get("/batches/", {"area": "35.26.01"})
    assert {b.pk for b in response.context["page"]} == {draft.pk, submitted.pk, district.pk}
    assert client.get("/batches/", {"area": "35.26.01.1001"}).context["page"].paginator.count == 3
    assert client.get("/batches/", {"area": "51.03"}).context["page"].paginator.count == 0
    assert client.get("/batches/", {"kind": "village_officials"}).context["page"].paginator.count == 0
    assert client.get("/batches/", {"area": "nonsense"}).status_code == 200


def test_money_is_shown_in_the_indonesian_format(client, clerk, batch_in_state):
    batch = batch_in_state(BatchState.APPROVED)
    client.force_login(clerk)
    listing = client.get("/batches/").content.decode()
    assert THREE_MEMBERS_COST in listing
    page = client.get(detail_url(batch)).content.decode()
    assert f"Rp{THREE_MEMBERS_COST}" in page and "Rp16.800" in page
    assert "Rp999.647.200" in page  # the allocation's remaining money
    assert "2.026" not in page and ">2026<" in page  # years and ids are not numbers to format
    client.cookies["ucj_language"] = "en"
    assert "352,800" in client.get(detail_url(batch)).content.decode()


# --- Allocations ----------------------------------------------------------------------------------


def test_allocations_show_remaining_money_and_people_it_covers(client, clerk, batch_in_state):
    batch_in_state(BatchState.APPROVED)
    client.force_login(clerk)
    response = client.get("/allocations/")
    allocation = response.context["page"][0]
    assert allocation.committed == 352_800 and allocation.remaining == 1_000_000_000 - 352_800
    # For the months left in its budget year (BPJS does not backdate): December alone in December.
    months = selectors.cover_months(YEAR)
    assert allocation.cover_months == months
    assert allocation.people_covered == ((1_000_000_000 - 352_800) // (16_800 * months) if months else 0)
    assert "999.647.200" in response.content.decode()


def test_clerk_records_and_changes_an_allocation(client, clerk, batch_in_state):
    batch_in_state(BatchState.APPROVED)
    client.force_login(clerk)
    response = client.post(
        "/allocations/", {"region": "35.26", "year": YEAR, "source": "apbd", "amount": "500.000.000", "note": "APBD"}
    )
    assert response.status_code == 302
    apbd = FundingAllocation.objects.get(source="apbd")
    assert apbd.amount == 500_000_000
    # The same allocation twice: the service's message on the form.
    again = client.post("/allocations/", {"region": "35.26", "year": YEAR, "source": "apbd", "amount": "1"})
    assert again.status_code == 200 and again.context["form"].non_field_errors()
    # Dana Desa belongs to a village: the service's per-field message.
    village = client.post("/allocations/", {"region": "35.26", "year": YEAR, "source": "dana_desa", "amount": "1"})
    assert village.context["form"].errors["region"]

    dbhcht = FundingAllocation.objects.get(source="dbhcht")
    edit = reverse("enrollment:allocation-edit", args=[dbhcht.pk])
    below = client.post(edit, {"amount": "100.000"})
    assert below.status_code == 200 and below.context["form"].non_field_errors()
    assert client.post(edit, {"amount": "2.000.000.000", "reason": "APBD-P"}).status_code == 302
    dbhcht.refresh_from_db()
    assert dbhcht.amount == 2_000_000_000


def test_only_the_labour_office_records_allocations(client, officer, supervisor, allocation):
    for user in (officer, supervisor):
        client.force_login(user)
        response = client.get("/allocations/")
        assert response.context["form"] is None
        post = client.post("/allocations/", {"region": "35.26", "year": YEAR, "source": "apbd", "amount": "1"})
        assert post.status_code == 403
    # The supervisor and the officer (whose batches draw on the regency's money) see the
    # allocation but may not change it.
    edit = reverse("enrollment:allocation-edit", args=[allocation.pk])
    for user in (supervisor, officer):
        client.force_login(user)
        assert client.get(edit).status_code == 403
        assert client.post(edit, {"amount": "1"}).status_code == 403
        assert allocation.pk in [a.pk for a in client.get("/allocations/").context["page"]]


# --- Participants ---------------------------------------------------------------------------------


def test_participant_search_masks_for_the_officer_and_lists_memberships(
    client, officer, clerk, batch_in_state, django_assert_max_num_queries
):
    batch_in_state(BatchState.ACTIVE, members=3)
    client.force_login(officer)
    response = client.get("/participants/", {"q": "Warga"})
    page = response.content.decode()
    assert response.context["page"].paginator.count == 3
    assert make_nik(1) not in page and mask_nik(make_nik(1)) in page
    with django_assert_max_num_queries(10):
        client.get("/participants/", {"q": "Warga"})
    client.force_login(clerk)
    response = client.get("/participants/", {"q": make_nik(2)})
    assert [p.nik for p in response.context["page"]] == [make_nik(2)]
    person = response.context["page"][0]
    assert person.nik_shown == make_nik(2)
    assert [(m.batch.state, openable) for m, openable in person.membership_rows] == [(BatchState.ACTIVE, True)]


def test_participant_search_needs_three_characters(client, clerk):
    client.force_login(clerk)
    response = client.get("/participants/", {"q": "ab"})
    assert response.context["page"] is None and response.context["form"].errors
