"""`ucj.middleware.AtomicWrites`: a write request commits whole or, answered with a 5xx, not at
all; reads run outside any transaction. The views here exist only for these tests (their own
URLconf), so that the guarantee is checked for any view, not for the ones that happen to exist."""

import pytest
from django.contrib.auth.decorators import login_not_required
from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from django.urls import path

from ucj.models import WorkerHeartbeat

HOSTNAME = "written-by-the-request"
sent_after_commit: list[str] = []


def _write(request):
    WorkerHeartbeat.objects.create(hostname=HOSTNAME, last_seen="2026-01-01T00:00Z")
    # As a service enqueues a Celery task: only once the write is committed.
    transaction.on_commit(lambda: sent_after_commit.append(request.path))


@login_not_required
def write_then_raise(request):
    _write(request)
    raise RuntimeError("a bug after the write")


@login_not_required
def write_then_answer(request, status):
    _write(request)
    return HttpResponse(status=status)


@login_not_required
def transaction_depth(request):
    return JsonResponse({"depth": len(connection.atomic_blocks)})


urlpatterns = [
    path("raise/", write_then_raise),
    path("answer/<int:status>/", write_then_answer),
    path("depth/", transaction_depth),
]
handler500 = "ucj.views.server_error"

pytestmark = [pytest.mark.urls(__name__), pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _nothing_sent_yet():
    sent_after_commit.clear()


@pytest.fixture
def client(client):
    client.raise_request_exception = False  # answer with the 500 page, as in production
    return client


def test_a_write_request_that_raises_leaves_nothing_and_sends_nothing(client, committed_db):
    response = client.post("/raise/")
    assert response.status_code == 500
    assert not WorkerHeartbeat.objects.filter(hostname=HOSTNAME).exists()
    assert sent_after_commit == []


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_a_write_request_answered_with_a_5xx_leaves_nothing(client, method):
    response = getattr(client, method)("/answer/503/")
    assert response.status_code == 503
    assert not WorkerHeartbeat.objects.filter(hostname=HOSTNAME).exists()


def test_a_successful_write_commits_and_sends_its_work_after_the_commit(client, committed_db):
    assert client.post("/answer/201/").status_code == 201
    assert WorkerHeartbeat.objects.filter(hostname=HOSTNAME).exists()
    assert sent_after_commit == ["/answer/201/"]


def test_a_refusal_keeps_what_it_wrote_as_axes_counts_failed_logins(client):
    assert client.post("/answer/429/").status_code == 429
    assert WorkerHeartbeat.objects.filter(hostname=HOSTNAME).exists()


def test_reads_run_outside_any_transaction_and_writes_inside_one(client):
    read = client.get("/depth/").json()["depth"]
    assert client.post("/depth/").json()["depth"] == read + 1
    assert client.head("/depth/").status_code == 200
