"""Hostile and Excel-formatted spreadsheets through the HTTP API (issue 19).

Each file of tests/hostile_xlsx.py goes to a live server over HTTP as a member list: it must be
refused with a 400 that names the problem, or accepted, within 5 s, while the process's peak
memory grows by less than 300 MB; a refused file writes nothing. The time and memory of each are
written to tests/artifacts/hostile-uploads.md and printed (.ci/run shows them). A sheet that a
clerk formatted to column XFD and row 1,048,576 imports its 50 members normally.

The other uploads that read spreadsheets (BPJS's confirmation, the employer lists, the coverage
figures) get the malformed files too, in-process: a 400 with the reason, never a 500."""

import io
import json
import threading
import time
from pathlib import Path

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token

from enrollment.models import BatchMember, Employer, EnrollmentBatch
from tests import hostile_xlsx
from tests.enrollment.conftest import EN_HEADERS, member_row, new_batch
from ucj.models import WorkforceEstimate

SECONDS = 5
GROWTH_MB = 300
ARTIFACT = Path(__file__).resolve().parent.parent / "artifacts" / "hostile-uploads.md"
MALFORMED = {
    "DOCTYPE with entities": (hostile_xlsx.doctype_entities, "DOCTYPE"),
    "truncated zip": (hostile_xlsx.truncated, "XLSX"),
    "a row numbered 200,000,000": (hostile_xlsx.far_row, "200"),
    "one shared string of 1 GB": (hostile_xlsx.huge_shared_string, "sharedStrings"),
}


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


class PeakMemory:
    """The process's peak resident memory during a block, above what it held before, in MB: the
    kernel's high-water mark reset at the start (/proc/self/clear_refs), or where that is not
    allowed, the highest of samples taken every 2 ms."""

    def __enter__(self):
        self.before = _status_kb("VmRSS")
        try:
            Path("/proc/self/clear_refs").write_text("5")
            self.sampler = None
        except OSError:
            self.highest = self.before
            self.running = True
            self.sampler = threading.Thread(target=self._sample, daemon=True)
            self.sampler.start()
        return self

    def _sample(self):
        while self.running:
            self.highest = max(self.highest, _status_kb("VmRSS"))
            time.sleep(0.002)

    def __exit__(self, *exc):
        if self.sampler is None:
            peak = _status_kb("VmHWM")
        else:
            self.running = False
            self.sampler.join()
            peak = self.highest
        self.growth_mb = max(0, peak - self.before) / 1024


_results: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def _record():
    yield
    if _results:
        ARTIFACT.parent.mkdir(exist_ok=True)
        table = ["| file | size | answer | seconds | memory growth (MB) |", "|---|---:|---|---:|---:|", *_results]
        ARTIFACT.write_text(
            "# Hostile uploads through HTTP (tests/enrollment/test_hostile_uploads.py)\n\n" + "\n".join(table) + "\n"
        )


@pytest.fixture
def upload_url(committed_db, live_server, clerk):
    """The member-import address of a draft batch on a live server, and a token to send with it."""
    batch = new_batch(clerk)
    token = Token.objects.create(user=clerk)
    return (
        batch,
        f"{live_server.url}/api/v1/batches/{batch.pk}/members/import/",
        {"Authorization": f"Token {token.key}"},
    )


def post(url, headers, content: bytes, name: str = "anggota.xlsx"):
    with PeakMemory() as memory:
        started = time.monotonic()
        response = requests.post(url, headers=headers, files={"file": (name, io.BytesIO(content))}, timeout=60)
        elapsed = time.monotonic() - started
    return response, elapsed, memory.growth_mb


@pytest.mark.parametrize("name", list(hostile_xlsx.HOSTILE))
def test_a_hostile_member_list_is_answered_in_bounded_time_and_memory(upload_url, name, capsys):
    batch, url, headers = upload_url
    content = hostile_xlsx.HOSTILE[name]()
    response, elapsed, growth = post(url, headers, content)
    body = response.json()
    if response.status_code == 202:  # a large file runs in a worker (eager here): read its job
        job = requests.get(body["status_url"], headers=headers, timeout=30).json()
        answer = f"{job['state']}: {job['message']}"
        assert job["state"] in ("failed", "done"), job
    else:
        assert response.status_code in (200, 400), body
        answer = f"{response.status_code}: {body.get('detail', '')}"
    _results.append(f"| {name} | {len(content):,} B | {answer[:110]} | {elapsed:.2f} | {growth:.0f} |")
    with capsys.disabled():
        print(f"\nhostile upload: {name}: {answer[:90]} in {elapsed:.2f} s, memory +{growth:.0f} MB")
    assert elapsed < SECONDS
    assert growth < GROWTH_MB
    if not answer.startswith(("200", "done")):
        assert not BatchMember.objects.filter(batch=batch).exists()


def test_a_sheet_formatted_to_xfd_and_the_last_row_imports_its_50_members(upload_url):
    batch, url, headers = upload_url
    table = [EN_HEADERS] + [[member_row(i)[key] for key in EN_HEADERS] for i in range(1, 51)]
    content = hostile_xlsx.formatted_to_the_edge(table)
    response, elapsed, growth = post(url, headers, content)
    assert response.status_code == 200, response.content
    assert response.json()["accepted"] == 50
    assert BatchMember.objects.filter(batch=batch).count() == 50
    name = "formatted to XFD1048576, 50 members"
    _results.append(f"| {name} | {len(content):,} B | 200: 50 accepted | {elapsed:.2f} | {growth:.0f} |")
    assert elapsed < SECONDS and growth < GROWTH_MB


# --- The other uploads, in-process ----------------------------------------------------------------


@pytest.mark.parametrize("name", list(MALFORMED))
def test_bpjs_confirmation_refuses_a_malformed_xlsx_with_its_reason(
    api_client, clerk, batch_in_state, name, django_capture_on_commit_callbacks
):
    make, word = MALFORMED[name]
    batch = batch_in_state("approved")
    api_client.force_authenticate(clerk)
    file = SimpleUploadedFile("bpjs.xlsx", make())
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(f"/api/v1/batches/{batch.pk}/activate/", {"file": file})
    if response.status_code == 202:  # a file over 150 kB is read by a worker: its job says why
        job = api_client.get(response.json()["status_url"]).json()
        assert job["state"] == "failed", job
        assert word in json.dumps(job, ensure_ascii=False)
    else:
        assert response.status_code == 400, response.content
        assert word in response.json()["detail"]
    assert EnrollmentBatch.objects.get(pk=batch.pk).state == "approved"


@pytest.mark.parametrize("name", list(MALFORMED))
def test_employer_lists_refuse_a_malformed_xlsx_with_its_reason(api_client, clerk, name):
    make, word = MALFORMED[name]
    api_client.force_authenticate(clerk)
    file = SimpleUploadedFile("wlkp.xlsx", make())
    response = api_client.post("/api/v1/employers/import/", {"file": file, "kind": "labour_office", "regency": "35.26"})
    assert response.status_code == 400, response.content
    assert word in response.json()["detail"]
    assert not Employer.objects.exists()


@pytest.mark.parametrize("name", list(MALFORMED))
def test_coverage_figures_refuse_a_malformed_xlsx_with_its_reason(client, clerk, name):
    make, word = MALFORMED[name]
    client.force_login(clerk)
    client.cookies["ucj_language"] = "en"
    file = SimpleUploadedFile("angka.xlsx", make())
    response = client.post("/coverage/facts/", {"kind": "workforce", "file": file})
    assert response.status_code == 200, response.status_code  # the form again, with the reason
    assert word in response.content.decode()
    assert not WorkforceEstimate.objects.exists()
