"""The enrollment REST API (DESIGN §4): scope (outsiders 404), roles (403), states (409), bad input
(400 with the field), uploads inline (200) and queued (202), masking of personal data."""

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from enrollment import services
from enrollment.models import BatchMember, BatchState, FundingSource, ImportJob, MemberState
from tests.enrollment.conftest import (
    FOREIGN_VILLAGE,
    OTHER_VILLAGE,
    PREMIUM,
    VILLAGE,
    YEAR,
    make_nik,
    member_row,
    new_batch,
    rows_csv,
    rows_xlsx,
)
from tests.factories import user_with
from ucj.models import Role

pytestmark = pytest.mark.django_db

BATCHES = "/api/v1/batches/"
ALLOCATIONS = "/api/v1/allocations/"
PARTICIPANTS = "/api/v1/participants/"

CONTRACT_BATCH = {
    "kind": "vulnerable_workers",
    "regency": "35.26",
    "funding_source": "dbhcht",
    "year": YEAR,
    "period_start": f"{YEAR}-06-01",
    "period_end": f"{YEAR}-12-31",
    "decree_number": "188/123/KPTS/433.013/2026",
}


def as_user(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def _named(content: bytes, name: str):
    f = io.BytesIO(content)
    f.name = name
    return f


def confirmation_csv(niks_kpj: list[tuple[str, str]]) -> bytes:
    return ("nik,kpj\r\n" + "".join(f"{n},{k}\r\n" for n, k in niks_kpj)).encode()


# --- Batches: create and read ---------------------------------------------------------------------


def test_officer_creates_a_batch_with_the_contract_fields(api_client, officer):
    response = as_user(api_client, officer).post(BATCHES, CONTRACT_BATCH, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    for field in ("id", "state", "member_count", "monthly_premium", "total_cost", "months", "allowed_actions"):
        assert field in body
    assert body["state"] == "draft" and body["member_count"] == 0 and body["total_cost"] == 0
    assert body["monthly_premium"] == PREMIUM and body["months"] == 7
    assert body["declared_income"] == 1_000_000 and body["programmes"] == ["jkk", "jkm"]
    assert body["regency"] == "35.26" and body["area"] == "35.26"  # two districts: the regency
    assert body["created_by"] == "officer" and body["allocation"] is None
    assert body["allowed_actions"] == ["submit"]
    assert response["Location"].endswith(f"/api/v1/batches/{body['id']}/")


def test_batch_create_with_jht_and_an_area(api_client, clerk):
    body = {**CONTRACT_BATCH, "programmes": ["jht", "jkm", "jkk"], "area": "35.26.02", "title": "Petani Socah"}
    response = as_user(api_client, clerk).post(BATCHES, body, format="json")
    assert response.status_code == 201
    assert response.json()["programmes"] == ["jkk", "jkm", "jht"]
    assert response.json()["monthly_premium"] == PREMIUM + 20_000
    assert response.json()["area"] == "35.26.02" and response.json()["title"] == "Petani Socah"


def test_batch_create_without_required_fields_is_400_per_field(api_client, officer):
    response = as_user(api_client, officer).post(BATCHES, {"kind": "astronauts"}, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert response.json()["detail"]
    assert {"kind", "regency", "funding_source", "year", "period_start", "period_end"} <= set(errors)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"period_start": f"{YEAR - 1}-06-01"}, "period_start"),
        ({"period_end": f"{YEAR}-01-01"}, "period_end"),
        ({"programmes": ["jkk"]}, "programmes"),
        ({"programmes": ["jp"]}, "programmes"),
        ({"regency": "35.26.02"}, "regency"),
        ({"regency": "not-a-code"}, "regency"),
        ({"area": "35.28.01"}, "area"),
        ({"funding_source": "dana_desa"}, "area"),  # a village budget: its one village
        ({"funding_source": "dana_desa", "area": "35.26.01.1001"}, "area"),  # Mlajah is a kelurahan
        ({"kind": "village_officials", "area": "35.26.01.1001"}, "area"),
        ({"declared_income": 0}, "declared_income"),
        ({"year": 99999}, "year"),
        ({"decree_number": "x" * 121}, "decree_number"),
    ],
)
def test_batch_create_with_bad_terms_is_400_naming_the_field(api_client, officer, change, field):
    response = as_user(api_client, officer).post(BATCHES, {**CONTRACT_BATCH, **change}, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]


def test_batch_create_in_a_foreign_regency_is_403(api_client, outsider):
    response = as_user(api_client, outsider).post(BATCHES, CONTRACT_BATCH, format="json")
    assert response.status_code == 403
    assert response.json()["detail"]


def test_batch_list_is_scoped_and_filtered(api_client, officer, outsider, supervisor, batch_in_state):
    draft, approved = batch_in_state(BatchState.DRAFT), batch_in_state(BatchState.APPROVED, start=10)
    client = as_user(api_client, supervisor)
    assert {b["id"] for b in client.get(BATCHES).json()["results"]} == {draft.pk, approved.pk}
    assert [b["id"] for b in client.get(BATCHES, {"state": "approved"}).json()["results"]] == [approved.pk]
    assert client.get(BATCHES, {"year": YEAR - 1}).json()["count"] == 0
    assert client.get(BATCHES, {"regency": "35.26", "funding_source": "dbhcht"}).json()["count"] == 2
    assert client.get(BATCHES, {"state": "limbo"}).status_code == 400
    assert client.get(BATCHES, {"year": "10" * 20}).status_code == 400

    client = as_user(api_client, outsider)
    assert client.get(BATCHES).json()["count"] == 0
    assert client.get(f"{BATCHES}{draft.pk}/").status_code == 404


def test_batch_list_query_count_is_bounded(api_client, officer, clerk, django_assert_max_num_queries):
    for _ in range(30):
        new_batch(officer)
    client = as_user(api_client, clerk)
    client.get(BATCHES)  # the scope caches the user's assignments; count the steady state
    with django_assert_max_num_queries(3):
        body = client.get(BATCHES).json()
    assert body["count"] == 30
    assert all(b["created_by"] == "officer" and b["regency_name"] for b in body["results"])


@pytest.mark.parametrize("path", ["abc/", "0/", "99999999999999999999/", "-1/"])
def test_unknown_or_malformed_batch_ids_are_404(api_client, clerk, path):
    assert as_user(api_client, clerk).get(BATCHES + path).status_code == 404


def test_batches_cannot_be_deleted_or_replaced(api_client, clerk, draft_batch):
    client = as_user(api_client, clerk)
    assert client.delete(f"{BATCHES}{draft_batch.pk}/").status_code == 405
    assert client.put(f"{BATCHES}{draft_batch.pk}/", CONTRACT_BATCH, format="json").status_code == 405


# --- Batches: editing a draft ---------------------------------------------------------------------


def test_patch_changes_a_drafts_terms_and_keeps_the_rest(api_client, officer, batch_in_state):
    batch = batch_in_state(BatchState.DRAFT)
    url = f"{BATCHES}{batch.pk}/"
    response = as_user(api_client, officer).patch(url, {"declared_income": 2_000_000, "title": "Baru"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["declared_income"] == 2_000_000 and body["title"] == "Baru"
    assert body["monthly_premium"] == 20_000 + 6_800
    assert body["total_cost"] == 3 * 26_800 * 7
    assert body["decree_number"] == batch.decree_number and body["period_start"] == f"{YEAR}-06-01"


def test_patch_cannot_move_the_regency(api_client, officer, draft_batch):
    client = as_user(api_client, officer)
    response = client.patch(f"{BATCHES}{draft_batch.pk}/", {"regency": "35.28"}, format="json")
    assert response.status_code == 400 and "regency" in response.json()["errors"]
    response = client.patch(f"{BATCHES}{draft_batch.pk}/", {"regency": "35.26", "area": "35.26.02"}, format="json")
    assert response.status_code == 200
    assert response.json()["regency"] == "35.26" and response.json()["area"] == "35.26.02"


def test_patch_of_a_submitted_batch_is_409(api_client, officer, batch_in_state):
    batch = batch_in_state(BatchState.SUBMITTED)
    response = as_user(api_client, officer).patch(f"{BATCHES}{batch.pk}/", {"title": "x"}, format="json")
    assert response.status_code == 409


def test_patch_with_bad_terms_is_400(api_client, officer, draft_batch):
    response = as_user(api_client, officer).patch(
        f"{BATCHES}{draft_batch.pk}/", {"period_end": f"{YEAR}-01-01"}, format="json"
    )
    assert response.status_code == 400
    assert "period_end" in response.json()["errors"]


def test_patch_by_the_outsider_is_404(api_client, outsider, draft_batch):
    response = as_user(api_client, outsider).patch(f"{BATCHES}{draft_batch.pk}/", {"title": "x"}, format="json")
    assert response.status_code == 404


# --- Batches: the life cycle ----------------------------------------------------------------------


def test_the_whole_life_cycle_through_the_api(api_client, officer, clerk, kadis, allocation):
    client = as_user(api_client, officer)
    bid = client.post(BATCHES, CONTRACT_BATCH, format="json").json()["id"]
    rows = [member_row(i) for i in range(1, 4)]
    assert client.post(f"{BATCHES}{bid}/members/import/", {"file": _named(rows_csv(rows), "a.csv")}).status_code == 200

    response = client.post(f"{BATCHES}{bid}/submit/")
    assert response.status_code == 200 and response.json()["state"] == "submitted"
    assert response.json()["allowed_actions"] == []

    client = as_user(api_client, clerk)
    assert client.get(f"{BATCHES}{bid}/").json()["allowed_actions"] == ["verify", "return", "reject"]
    verified = client.post(f"{BATCHES}{bid}/verify/", {"reason": "Lengkap"}, format="json").json()
    assert verified["state"] == "verified" and verified["verified_by"] == "clerk"
    assert verified["allowed_actions"] == ["return", "reject"]  # four eyes: another user approves

    client = as_user(api_client, kadis)
    assert client.get(f"{BATCHES}{bid}/").json()["allowed_actions"] == ["approve", "return", "reject"]
    approved = client.post(f"{BATCHES}{bid}/approve/").json()
    assert approved["state"] == "approved" and approved["allocation"] == allocation.pk
    assert (approved["submitted_by"], approved["verified_by"], approved["approved_by"]) == ("officer", "clerk", "kadis")
    assert approved["total_cost"] == 3 * PREMIUM * 7
    assert approved["allowed_actions"] == ["activate", "cancel"]

    client = as_user(api_client, clerk)

    confirmation = confirmation_csv([(make_nik(i), f"2300000000{i}") for i in range(1, 3)])
    response = client.post(f"{BATCHES}{bid}/activate/", {"file": _named(confirmation, "bpjs.csv")})
    assert response.status_code == 200, response.json()
    job = response.json()
    assert job["kind"] == "activation" and job["state"] == "done" and job["accepted"] == 2
    assert len(job["warnings"]) == 1  # the third member BPJS did not confirm
    batch = client.get(f"{BATCHES}{bid}/").json()
    assert batch["state"] == "active" and batch["member_count"] == 2
    accepted = BatchMember.objects.filter(batch_id=bid, state=MemberState.ACCEPTED).select_related("participant")
    assert {m.participant.kpj for m in accepted} == {"23000000001", "23000000002"}

    history = client.get(f"{BATCHES}{bid}/history/").json()
    actions = [e["action"] for e in history["results"]]
    assert {"batch.create", "batch.import", "batch.submit", "batch.verify", "batch.approve", "batch.activate"} <= set(
        actions
    )
    verify = next(e for e in history["results"] if e["action"] == "batch.verify")
    assert verify["actor"] == "clerk" and verify["reason"] == "Lengkap"

    cancelled = client.post(f"{BATCHES}{bid}/cancel/", {"reason": "SK dicabut"}, format="json").json()
    assert cancelled["state"] == "cancelled" and cancelled["last_reason"] == "SK dicabut"


@pytest.mark.parametrize(
    "state, action, who, expected",
    [
        # allowed
        (BatchState.DRAFT, "submit", "officer", 200),
        (BatchState.SUBMITTED, "verify", "clerk", 200),
        (BatchState.VERIFIED, "approve", "kadis", 200),
        (BatchState.APPROVED, "cancel", "clerk", 200),
        # four eyes: the clerk verified it (batch_in_state)
        (BatchState.VERIFIED, "approve", "clerk", 409),
        (BatchState.ACTIVE, "cancel", "clerk", 200),
        # wrong role
        (BatchState.SUBMITTED, "verify", "officer", 403),
        (BatchState.VERIFIED, "approve", "officer", 403),
        (BatchState.SUBMITTED, "reject", "officer", 403),
        (BatchState.APPROVED, "cancel", "supervisor", 403),
        (BatchState.DRAFT, "submit", "supervisor", 403),
        # wrong state
        (BatchState.DRAFT, "approve", "clerk", 409),
        (BatchState.DRAFT, "verify", "clerk", 409),
        (BatchState.SUBMITTED, "submit", "officer", 409),
        (BatchState.SUBMITTED, "approve", "clerk", 409),
        (BatchState.DRAFT, "cancel", "clerk", 409),
        (BatchState.REJECTED, "verify", "clerk", 409),
        (BatchState.CANCELLED, "cancel", "clerk", 409),
        # outside the user's regions
        (BatchState.DRAFT, "submit", "outsider", 404),
        (BatchState.SUBMITTED, "verify", "outsider", 404),
        (BatchState.VERIFIED, "approve", "outsider", 404),
        (BatchState.SUBMITTED, "return", "outsider", 404),
        (BatchState.SUBMITTED, "reject", "outsider", 404),
        (BatchState.APPROVED, "cancel", "outsider", 404),
    ],
)
def test_transition_answers(api_client, request, batch_in_state, state, action, who, expected):
    batch = batch_in_state(state)
    client = as_user(api_client, request.getfixturevalue(who))
    response = client.post(f"{BATCHES}{batch.pk}/{action}/", {"reason": "karena"}, format="json")
    assert response.status_code == expected, response.json()
    assert "detail" in response.json() or expected == 200
    if expected == 200:
        assert response.json()["id"] == batch.pk
    else:
        batch.refresh_from_db()
        assert batch.state == state


@pytest.mark.parametrize("action", ["return", "reject"])
def test_return_and_reject_need_a_reason(api_client, clerk, batch_in_state, action):
    batch = batch_in_state(BatchState.SUBMITTED)
    client = as_user(api_client, clerk)
    for body in ({}, {"reason": "   "}):
        response = client.post(f"{BATCHES}{batch.pk}/{action}/", body, format="json")
        assert response.status_code == 400
        assert "reason" in response.json()["errors"]
    response = client.post(f"{BATCHES}{batch.pk}/{action}/", {"reason": "NIK ganda"}, format="json")
    assert response.status_code == 200
    assert response.json()["state"] == ("draft" if action == "return" else "rejected")
    assert response.json()["last_reason"] == "NIK ganda"


def test_submit_of_an_empty_draft_is_400(api_client, officer, draft_batch):
    response = as_user(api_client, officer).post(f"{BATCHES}{draft_batch.pk}/submit/")
    assert response.status_code == 400
    assert response.json()["detail"]


def test_approve_beyond_the_allocation_is_409(api_client, clerk, kadis, batch_in_state, allocation):
    batch = batch_in_state(BatchState.VERIFIED)
    services.allocation_update(actor=clerk, allocation_id=allocation.pk, amount=PREMIUM)
    response = as_user(api_client, kadis).post(f"{BATCHES}{batch.pk}/approve/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 409
    assert "cannot pay" in response.json()["detail"]


def test_a_reason_that_is_not_text_is_400(api_client, clerk, batch_in_state):
    batch = batch_in_state(BatchState.SUBMITTED)
    client = as_user(api_client, clerk)
    assert client.post(f"{BATCHES}{batch.pk}/return/", {"reason": {"a": 1}}, format="json").status_code == 400
    assert client.post(f"{BATCHES}{batch.pk}/return/", ["x"], format="json").status_code == 400


# --- Batches: uploads -----------------------------------------------------------------------------


def test_member_import_answers_200_with_accepted_and_rejected_rows(api_client, officer, draft_batch):
    rows = [member_row(1), member_row(2, sex="P", birth=dt.date(1991, 2, 2)), member_row(3, nik="12345")]
    response = as_user(api_client, officer).post(
        f"{BATCHES}{draft_batch.pk}/members/import/", {"file": _named(rows_csv(rows, delimiter=";"), "a.csv")}
    )
    assert response.status_code == 200, response.json()
    job = response.json()
    assert job["state"] == "done" and job["finished"] is True
    assert job["accepted"] == 2 and job["rejected"] == 1
    assert job["errors"][0]["row"] == 4 and job["errors"][0]["column"] == "nik" and job["errors"][0]["message"]
    assert job["status_url"].endswith(f"/api/v1/batches/{draft_batch.pk}/imports/{job['id']}/")
    draft_batch.refresh_from_db()
    assert draft_batch.member_count == 2 and draft_batch.total_cost == 2 * PREMIUM * 7


def test_member_import_reads_xlsx(api_client, officer, draft_batch):
    content = rows_xlsx([member_row(1), member_row(2)])
    response = as_user(api_client, officer).post(
        f"{BATCHES}{draft_batch.pk}/members/import/", {"file": _named(content, "anggota.xlsx")}
    )
    assert response.status_code == 200 and response.json()["accepted"] == 2


def test_a_large_member_import_is_queued_with_202_and_a_worker_adds_the_members(
    api_client, officer, draft_batch, django_capture_on_commit_callbacks
):
    rows = [member_row(i, name=f"Warga Desa Socah Nomor {i}") for i in range(1, 2501)]
    content = rows_csv(rows)
    assert len(content) > services.INLINE_MAX_BYTES
    client = as_user(api_client, officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{BATCHES}{draft_batch.pk}/members/import/", {"file": _named(content, "big.csv")})
    assert response.status_code == 202, response.json()
    job = response.json()
    assert job["state"] == "queued" and job["finished"] is False
    assert response["Location"] == job["status_url"]

    status = client.get(f"{BATCHES}{draft_batch.pk}/imports/{job['id']}/").json()
    assert status["state"] == "done" and status["accepted"] == 2500 and status["percent"] == 100
    assert client.get(f"{BATCHES}{draft_batch.pk}/").json()["member_count"] == 2500
    assert client.get(f"{BATCHES}{draft_batch.pk}/imports/").json()["count"] == 1


@pytest.mark.parametrize(
    "content, name",
    [
        (b"", "empty.csv"),
        (b"\x00\x01\x02garbage\xff\xfe", "x.csv"),
        (b"PK\x03\x04not really a zip", "x.xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old", "x.xls"),
        (b"foo,bar\r\n1,2\r\n", "x.csv"),
        (b"nik,name,sex,birth_date,village_code\r\n", "header-only.csv"),
    ],
)
def test_an_unreadable_upload_is_400_with_a_detail(api_client, officer, draft_batch, content, name):
    response = as_user(api_client, officer).post(
        f"{BATCHES}{draft_batch.pk}/members/import/", {"file": _named(content, name)}
    )
    assert response.status_code == 400, response.content
    assert response.json()["detail"]


def test_an_upload_without_a_file_is_400(api_client, officer, draft_batch):
    client = as_user(api_client, officer)
    response = client.post(f"{BATCHES}{draft_batch.pk}/members/import/", {})
    assert response.status_code == 400 and "file" in response.json()["errors"]
    response = client.post(f"{BATCHES}{draft_batch.pk}/members/import/", {"file": "not a file"})
    assert response.status_code == 400
    response = client.post(f"{BATCHES}{draft_batch.pk}/members/import/", {"file": "x"}, format="json")
    assert response.status_code == 415


def test_an_upload_into_a_submitted_batch_is_409_and_by_the_outsider_404(api_client, officer, outsider, batch_in_state):
    batch = batch_in_state(BatchState.SUBMITTED)
    content = rows_csv([member_row(50)])
    response = as_user(api_client, officer).post(
        f"{BATCHES}{batch.pk}/members/import/", {"file": _named(content, "a.csv")}
    )
    assert response.status_code == 409
    response = as_user(api_client, outsider).post(
        f"{BATCHES}{batch.pk}/members/import/", {"file": _named(content, "a.csv")}
    )
    assert response.status_code == 404


def test_activation_by_a_field_officer_is_403_and_of_a_draft_409(api_client, officer, clerk, batch_in_state):
    approved = batch_in_state(BatchState.APPROVED)
    content = confirmation_csv([(make_nik(1), "23000000001")])
    response = as_user(api_client, officer).post(
        f"{BATCHES}{approved.pk}/activate/", {"file": _named(content, "b.csv")}
    )
    assert response.status_code == 403
    draft = batch_in_state(BatchState.DRAFT, start=20)
    response = as_user(api_client, clerk).post(f"{BATCHES}{draft.pk}/activate/", {"file": _named(content, "b.csv")})
    assert response.status_code == 409


def test_an_activation_matching_nobody_fails_with_400_and_the_rows(api_client, clerk, batch_in_state):
    batch = batch_in_state(BatchState.APPROVED)
    content = confirmation_csv([(make_nik(77), "23000000077")])
    response = as_user(api_client, clerk).post(f"{BATCHES}{batch.pk}/activate/", {"file": _named(content, "b.csv")})
    assert response.status_code == 400
    assert response.json()["detail"] and response.json()["errors"][0]["row"] == 2
    batch.refresh_from_db()
    assert batch.state == BatchState.APPROVED
    assert ImportJob.objects.get(batch=batch, kind="activation").state == "failed"


def test_import_status_of_another_batch_is_404(api_client, officer, outsider, batch_in_state):
    first, second = batch_in_state(BatchState.DRAFT), batch_in_state(BatchState.DRAFT, start=10)
    job = ImportJob.objects.filter(batch=first).first()
    client = as_user(api_client, officer)
    assert client.get(f"{BATCHES}{first.pk}/imports/{job.pk}/").status_code == 200
    assert client.get(f"{BATCHES}{second.pk}/imports/{job.pk}/").status_code == 404
    assert as_user(api_client, outsider).get(f"{BATCHES}{first.pk}/imports/{job.pk}/").status_code == 404


# --- Batches: members, history, export ------------------------------------------------------------


def test_members_are_masked_for_the_officer_and_full_for_the_clerk(api_client, officer, clerk, batch_in_state):
    batch = batch_in_state(BatchState.SUBMITTED)
    url = f"{BATCHES}{batch.pk}/members/"
    masked = as_user(api_client, officer).get(url).json()
    assert masked["count"] == 3
    assert masked["results"][0]["nik"] == make_nik(1)[:4] + "*" * 8 + make_nik(1)[12:]
    assert "*" in masked["results"][0]["phone"]
    full = as_user(api_client, clerk).get(url).json()
    assert {m["nik"] for m in full["results"]} == {make_nik(i) for i in (1, 2, 3)}
    assert full["results"][0]["village"] == VILLAGE and full["results"][0]["state"] == "pending"


@pytest.mark.parametrize("suffix", ["", "members/", "history/", "imports/", "export/"])
def test_the_outsider_gets_404_on_every_read_of_a_batch(api_client, outsider, batch_in_state, suffix):
    batch = batch_in_state(BatchState.APPROVED)
    response = as_user(api_client, outsider).get(f"{BATCHES}{batch.pk}/{suffix}")
    assert response.status_code == 404
    assert "detail" in response.json()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_clerk_exports_an_approved_batch(api_client, clerk, batch_in_state, kind):
    batch = batch_in_state(BatchState.APPROVED)
    response = as_user(api_client, clerk).get(f"{BATCHES}{batch.pk}/export/", {"as": kind})
    assert response.status_code == 200
    assert f"batch-{batch.pk}-35.26.{kind}" in response["Content-Disposition"]
    assert response["Cache-Control"] == "no-store"
    history = api_client.get(f"{BATCHES}{batch.pk}/history/").json()["results"]
    assert history[0]["action"] == "batch.export" and history[0]["data"] == {"format": kind}
    if kind == "csv":
        text = response.content.decode("utf-8-sig")
        assert make_nik(1) in text and len(text.strip().splitlines()) == 4
    else:
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet.max_row == 4
        assert make_nik(1) in {row[0] for row in sheet.iter_rows(values_only=True)}


def test_export_is_for_the_labour_office_and_committed_batches(api_client, officer, clerk, batch_in_state):
    approved, draft = batch_in_state(BatchState.APPROVED), batch_in_state(BatchState.DRAFT, start=10)
    assert as_user(api_client, officer).get(f"{BATCHES}{approved.pk}/export/").status_code == 403
    client = as_user(api_client, clerk)
    assert client.get(f"{BATCHES}{draft.pk}/export/").status_code == 409
    assert client.get(f"{BATCHES}{approved.pk}/export/", {"as": "pdf"}).status_code == 400


# --- Participants ---------------------------------------------------------------------------------


def test_participants_are_masked_for_the_officer_and_full_for_the_clerk(api_client, officer, clerk, batch_in_state):
    batch_in_state(BatchState.SUBMITTED)
    masked = as_user(api_client, officer).get(PARTICIPANTS).json()
    assert masked["count"] == 3
    person = masked["results"][0]
    assert person["nik"].count("*") == 8 and person["phone"].count("*") > 0
    for field in (
        "id",
        "name",
        "sex",
        "birth_date",
        "village",
        "village_name",
        "occupation",
        "occupation_group",
        "kpj",
    ):
        assert field in person
    assert person["memberships"][0]["batch_state"] == "submitted"

    full = as_user(api_client, clerk).get(PARTICIPANTS).json()["results"]
    assert {p["nik"] for p in full} == {make_nik(i) for i in (1, 2, 3)}
    assert full[0]["phone"].startswith("+62")


def test_participant_search_and_filters(api_client, clerk, officer, batch_in_state):
    batch = batch_in_state(BatchState.DRAFT)
    services.import_run(
        job_id=services.import_create(
            actor=officer,
            batch_id=batch.pk,
            filename="more.csv",
            content=rows_csv([member_row(9, village=OTHER_VILLAGE, name="Siti Aminah", sex="P")]),
        ).pk
    )
    client = as_user(api_client, clerk)
    assert [p["name"] for p in client.get(PARTICIPANTS, {"q": "aminah"}).json()["results"]] == ["Siti Aminah"]
    assert client.get(PARTICIPANTS, {"q": make_nik(1)}).json()["count"] == 1
    assert client.get(PARTICIPANTS, {"q": "3526 02"}).json()["count"] == 4
    assert client.get(PARTICIPANTS, {"village": VILLAGE}).json()["count"] == 3
    assert client.get(PARTICIPANTS, {"village": OTHER_VILLAGE, "sex": "P"}).json()["count"] == 1
    assert client.get(PARTICIPANTS, {"sex": "X"}).status_code == 400


def test_participants_query_count_is_bounded(api_client, clerk, batch_in_state, django_assert_max_num_queries):
    batch_in_state(BatchState.SUBMITTED, members=20)
    client = as_user(api_client, clerk)
    client.get(PARTICIPANTS)
    with django_assert_max_num_queries(4):  # 3 reads, and the log of the full NIKs shown
        assert client.get(PARTICIPANTS).json()["count"] == 20


def test_the_outsider_sees_no_participant(api_client, outsider, batch_in_state):
    batch_in_state(BatchState.DRAFT)
    client = as_user(api_client, outsider)
    assert client.get(PARTICIPANTS).json()["count"] == 0
    person = BatchMember.objects.first().participant
    assert client.get(f"{PARTICIPANTS}{person.pk}/").status_code == 404


def test_participants_are_read_only(api_client, admin_user):
    client = as_user(api_client, admin_user)
    assert client.post(PARTICIPANTS, {"nik": make_nik(1)}, format="json").status_code == 405


# --- Allocations ----------------------------------------------------------------------------------


def test_clerk_creates_an_allocation_with_committed_and_remaining(api_client, clerk):
    body = {"region": "35.26", "year": YEAR, "source": "other", "amount": 16_800 * 24}
    response = as_user(api_client, clerk).post(ALLOCATIONS, body, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert {k: created[k] for k in body} == body
    assert created["committed"] == 0 and created["remaining"] == body["amount"] and created["note"] == ""


def test_a_second_allocation_for_the_same_source_and_year_is_409(api_client, clerk, allocation):
    body = {"region": "35.26", "year": YEAR, "source": FundingSource.DBHCHT, "amount": 5}
    response = as_user(api_client, clerk).post(ALLOCATIONS, body, format="json")
    assert response.status_code == 409
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"region": "35.26.02"}, "region"),
        ({"region": "nowhere"}, "region"),
        ({"region": "35.99"}, "region"),
        ({"source": "lottery"}, "source"),
        ({"amount": -1}, "amount"),
        ({"amount": "a lot"}, "amount"),
        ({"year": 1}, "year"),
        ({"source": "dana_desa"}, "region"),
    ],
)
def test_allocation_create_with_bad_input_is_400(api_client, clerk, change, field):
    body = {"region": "35.26", "year": YEAR, "source": "apbd", "amount": 1000, **change}
    response = as_user(api_client, clerk).post(ALLOCATIONS, body, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]


def test_a_village_budget_allocation(api_client, clerk):
    body = {"region": VILLAGE, "year": YEAR, "source": "dana_desa", "amount": 50_000_000}
    response = as_user(api_client, clerk).post(ALLOCATIONS, body, format="json")
    assert response.status_code == 201 and response.json()["region"] == VILLAGE


@pytest.mark.parametrize("who, expected", [("officer", 403), ("supervisor", 403), ("outsider", 403)])
def test_only_the_regencys_labour_office_creates_allocations(api_client, request, who, expected):
    body = {"region": "35.26", "year": YEAR, "source": "apbd", "amount": 1000}
    response = as_user(api_client, request.getfixturevalue(who)).post(ALLOCATIONS, body, format="json")
    assert response.status_code == expected


def test_allocation_update_and_not_below_what_is_committed(api_client, clerk, batch_in_state, allocation):
    batch = batch_in_state(BatchState.APPROVED)
    url = f"{ALLOCATIONS}{allocation.pk}/"
    client = as_user(api_client, clerk)
    body = client.get(url).json()
    assert body["committed"] == batch.total_cost and body["remaining"] == allocation.amount - batch.total_cost

    response = client.patch(url, {"amount": batch.total_cost - 1}, format="json")
    assert response.status_code == 409
    response = client.patch(url, {"amount": batch.total_cost, "note": "Perubahan APBD"}, format="json")
    assert response.status_code == 200
    assert response.json()["remaining"] == 0 and response.json()["note"] == "Perubahan APBD"
    response = client.patch(url, {"note": "only the note"}, format="json")
    assert response.status_code == 200 and response.json()["amount"] == batch.total_cost
    response = client.patch(url, {"source": "apbd", "year": YEAR + 1}, format="json")
    assert response.status_code == 400 and {"source", "year"} <= set(response.json()["errors"])
    assert client.put(url, {"amount": 1}, format="json").status_code == 405
    assert client.delete(url).status_code == 405


def test_allocation_update_by_the_supervisor_or_officer_is_403_and_by_the_outsider_404(
    api_client, officer, supervisor, outsider, allocation
):
    url = f"{ALLOCATIONS}{allocation.pk}/"
    assert as_user(api_client, supervisor).get(url).status_code == 200
    assert as_user(api_client, supervisor).patch(url, {"amount": 1}, format="json").status_code == 403
    assert as_user(api_client, outsider).patch(url, {"amount": 1}, format="json").status_code == 404
    # A field officer sees the regency's money their batches draw on, and may not change it.
    assert as_user(api_client, officer).get(url).status_code == 200
    assert as_user(api_client, officer).patch(url, {"amount": 1}, format="json").status_code == 403


def test_allocations_are_scoped_and_filtered(api_client, clerk, outsider, allocation):
    services.allocation_create(actor=clerk, region_code="35.26", year=YEAR + 1, source="apbd", amount=1)
    client = as_user(api_client, clerk)
    assert client.get(ALLOCATIONS).json()["count"] == 2
    assert [a["id"] for a in client.get(ALLOCATIONS, {"year": YEAR}).json()["results"]] == [allocation.pk]
    assert client.get(ALLOCATIONS, {"source": "apbd", "region": "35.26"}).json()["count"] == 1
    assert client.get(ALLOCATIONS, {"source": "nope"}).status_code == 400

    client = as_user(api_client, outsider)
    assert client.get(ALLOCATIONS).json()["count"] == 0
    assert client.get(f"{ALLOCATIONS}{allocation.pk}/").status_code == 404


# --- Token authentication and the schema ----------------------------------------------------------


def test_a_token_works_on_the_enrollment_api(api_client, officer, password):
    token = api_client.post("/api/v1/auth/token/", {"username": "officer", "password": password}, format="json")
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    assert api_client.post(BATCHES, CONTRACT_BATCH, format="json").status_code == 201
    api_client.credentials()
    assert api_client.get(BATCHES).status_code == 401


def test_the_schema_lists_the_enrollment_api(api_client, clerk):
    paths = as_user(api_client, clerk).get("/api/schema/", {"format": "json"}).json()["paths"]
    for path in (
        "/api/v1/participants/",
        "/api/v1/allocations/{id}/",
        "/api/v1/batches/{id}/return/",
        "/api/v1/batches/{id}/members/import/",
        "/api/v1/batches/{id}/imports/{job_id}/",
    ):
        assert path in paths
    upload = paths["/api/v1/batches/{id}/activate/"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload


def test_a_batch_of_another_regency_is_invisible_to_the_clerk(api_client, clerk):
    pamekasan_clerk = user_with(Role.LABOUR_OFFICE, "35.28", username="pamekasan")
    batch = new_batch(pamekasan_clerk, regency_code="35.28", source=FundingSource.APBD)
    client = as_user(api_client, clerk)
    assert client.get(f"{BATCHES}{batch.pk}/").status_code == 404
    assert client.post(f"{BATCHES}{batch.pk}/submit/").status_code == 404


def test_foreign_village_rows_are_rejected_per_row(api_client, officer, draft_batch):
    rows = [member_row(1), member_row(2, village=FOREIGN_VILLAGE)]
    response = as_user(api_client, officer).post(
        f"{BATCHES}{draft_batch.pk}/members/import/", {"file": _named(rows_csv(rows), "a.csv")}
    )
    assert response.status_code == 200
    assert response.json()["accepted"] == 1 and response.json()["rejected"] == 1
    assert response.json()["errors"][0]["row"] == 3


def test_a_masked_nik_cannot_be_rebuilt_from_the_birth_date_or_probed_by_prefix(
    api_client, officer, clerk, batch_in_state, client
):
    batch = batch_in_state(BatchState.ACTIVE)
    nik = make_nik(1)
    officer_view = as_user(api_client, officer).get(PARTICIPANTS, {"q": nik}).json()["results"][0]
    # Not even the birth year: with the village and the sex it left a few hundred candidates.
    assert officer_view["nik"] != nik and officer_view["birth_date"] is None and officer_view["birth_year"] is None
    member = as_user(api_client, officer).get(f"{BATCHES}{batch.pk}/members/").json()["results"][0]
    assert member["birth_date"] is None and member["birth_year"] is None
    # A prefix search would reveal the hidden digits one by one; a masked role gets exact matches only.
    assert as_user(api_client, officer).get(PARTICIPANTS, {"q": nik[:12]}).json()["count"] == 0
    assert as_user(api_client, clerk).get(PARTICIPANTS, {"q": nik[:12]}).json()["count"] == 3
    assert as_user(api_client, clerk).get(PARTICIPANTS, {"q": nik}).json()["results"][0]["birth_date"] == "1990-01-01"
    client.force_login(officer)
    page = client.get(f"/batches/{batch.pk}/").content.decode()
    assert "01/01/1990" not in page and nik not in page
