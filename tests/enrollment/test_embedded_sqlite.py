"""The embedded mode (SQLite, no DATABASE_URL) under two writers at once: a real `runserver`
process with the project's own settings, on a fresh SQLite file this test builds, so that it runs
in every environment, CI's PostgreSQL one included.

Two labour-office clerks approve the same verified batch at the same moment: one is approved
(200) and the other is told the batch is no longer verified (409). Before the transactions took
SQLite's write lock as they began, the second got "database is locked" at once, answered as
"the database cannot be reached" (503)."""

import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import OperationalError
from django.test import RequestFactory

from ucj.views import server_error

ROOT = Path(__file__).resolve().parents[2]
SETUP_TIMEOUT = 180


def prepare() -> None:
    """Run in a process of its own against the fresh file: the schema, Bangkalan's regions, four
    users with API tokens, and a batch of two members submitted by the officer and verified by a
    third clerk (so that either approver may approve it whatever the four-eyes rule says)."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from enrollment import services
    from tests.enrollment.conftest import YEAR, import_rows, member_row, new_batch
    from ucj.models import Assignment, Role
    from ucj.services import regions_load

    regions_load(provinces=["35"])

    def user(username, role, *codes):
        person = get_user_model().objects.create_user(username)  # no password: tokens only
        for code in codes:
            Assignment.objects.create(user=person, role=role, region_id=code)
        return person

    officer = user("officer", Role.FIELD_OFFICER, "35.26.01", "35.26.02")
    first, second, verifier = (user(name, Role.LABOUR_OFFICE, "35.26") for name in ("first", "second", "verifier"))
    services.allocation_create(actor=first, region_code="35.26", year=YEAR, source="dbhcht", amount=100_000_000)
    batch = new_batch(officer)
    import_rows(officer, batch, [member_row(1), member_row(2)])
    services.batch_submit(actor=officer, batch_id=batch.pk)
    services.batch_verify(actor=verifier, batch_id=batch.pk)
    tokens = [Token.objects.create(user=u).key for u in (first, second)]
    print(json.dumps({"batch": batch.pk, "tokens": tokens}))


def _embedded_env(database: Path) -> dict:
    """The project's settings in the embedded mode, on the given file: no PostgreSQL, no Redis."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CACHE_URL", "DEBUG"}}
    env.update(DATABASE_URL=f"sqlite:///{database}", DJANGO_SETTINGS_MODULE="ucj.settings", PYTHONPATH=str(ROOT))
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(url: str, token: str) -> int:
    request = urllib.request.Request(
        url, data=b"{}", method="POST", headers={"Authorization": f"Token {token}", "Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _wait_until_serving(server, base: str, log) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            log.seek(0)
            pytest.fail(f"the server stopped:\n{log.read()}")
        try:
            urllib.request.urlopen(f"{base}/accounts/login/", timeout=2).close()
            return
        except OSError:
            time.sleep(0.1)
    pytest.fail("the server did not answer within 60 s")


def test_two_approvals_at_once_in_the_embedded_mode_give_one_200_and_one_409(tmp_path):
    database = tmp_path / "embedded.sqlite3"
    env = _embedded_env(database)
    setup = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from tests.enrollment.test_embedded_sqlite import "
         "prepare; prepare()"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=SETUP_TIMEOUT,
    )  # fmt: skip
    assert setup.returncode == 0, setup.stderr
    prepared = json.loads(setup.stdout.strip().splitlines()[-1])
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with (tmp_path / "server.log").open("w+") as log:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--skip-checks"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            _wait_until_serving(server, base, log)
            url = f"{base}/api/v1/batches/{prepared['batch']}/approve/"
            statuses = [None, None]
            # Hold the write lock while both requests arrive, so that both are inside the server,
            # waiting on the database, when it is let go: a real race, not two requests in turn.
            holder = sqlite3.connect(database, isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")
            threads = [
                threading.Thread(target=lambda i=i, token=token: statuses.__setitem__(i, _post(url, token)))
                for i, token in enumerate(prepared["tokens"])
            ]
            for thread in threads:
                thread.start()
            time.sleep(1.0)  # both requests reach the database well within this on a loaded machine
            holder.execute("ROLLBACK")
            holder.close()
            for thread in threads:
                thread.join(90)
                assert not thread.is_alive(), "an approval never got an answer"
        finally:
            server.terminate()
            server.wait(timeout=20)
        log.seek(0)
        assert sorted(statuses) == [200, 409], (statuses, log.read()[-3000:])

    with sqlite3.connect(database) as check:
        state, approved_by = check.execute(
            "SELECT state, approved_by_id FROM enrollment_enrollmentbatch WHERE id = ?", [prepared["batch"]]
        ).fetchone()
        approvals = check.execute(
            "SELECT count(*) FROM ucj_auditevent WHERE action = 'batch.approve' AND target_id = ?",
            [str(prepared["batch"])],
        ).fetchone()[0]
    assert state == "approved" and approved_by is not None and approvals == 1


def test_a_write_that_waited_out_its_lock_is_a_500_not_database_unreachable(tmp_path):
    """SQLite's "database is locked" once waiting has timed out is the request's failure (as a
    lock timeout on PostgreSQL), not a database that is down: no 503 asking to try again."""
    path = tmp_path / "locked.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    waiter = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        waiter.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as locked:
        try:
            raise OperationalError(str(locked)) from locked  # as Django wraps it
        except OperationalError:
            response = server_error(RequestFactory().post("/api/v1/batches/1/approve/"))
    finally:
        holder.close()
        waiter.close()
    assert response.status_code == 500 and "Retry-After" not in response
