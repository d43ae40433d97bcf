"""PostgreSQL restarted under load (issue 9), against a running UCJ server (.ci/run calls it
after the contract check and schemathesis, on the live server and database of that step).

    .venv/bin/python tests/faults/postgres_restart.py http://127.0.0.1:8765 --user officer --password …

Four clients read coverage and log events (as the field officers' phones do: an event that got
no answer is sent again, with the same client_id, until it gets one) while PostgreSQL restarts.
It passes when:
- every answer is a success or a clean 503 with Retry-After and a JSON `detail` (no 500, no
  traceback, no dropped connection);
- the server answers again within 20 s of the database being back, without being restarted;
- every event ends logged exactly once: every answer for one client_id names the same event,
  and the database (--database-url, default DATABASE_URL) holds each event sent exactly once.

Exit status 0 or 1; prints what it saw. Restarting PostgreSQL drops every connection to it: run
nothing else against the cluster meanwhile."""

import argparse
import collections
import datetime as dt
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

CLIENTS = 4
BEFORE_S, AFTER_S, RECOVERY_LIMIT_S = 3.0, 5.0, 20.0


def call(base: str, method: str, path: str, token: str | None = None, body: dict | None = None):
    """(status, headers, text) of one request; status 0 when no HTTP answer came at all."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Token {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode()
    except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
        return 0, {}, repr(exc)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base")
    parser.add_argument("--user", default="officer")
    parser.add_argument("--password", required=True)
    parser.add_argument("--village", default="35.26.02.2001")
    parser.add_argument("--region", default="35.26.02")
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL", ""), help="the server's database, to count events"
    )
    args = parser.parse_args()
    base = args.base.rstrip("/")

    status, _headers, text = call(
        base, "POST", "/api/v1/auth/token/", body={"username": args.user, "password": args.password}
    )
    if status != 200:
        print(f"FAIL: no token ({status} {text[:200]})")
        return 1
    token = json.loads(text)["token"]

    answers: list[tuple[float, str, int, dict, str]] = []  # (time, what, status, headers, text)
    events: dict[str, list[int]] = collections.defaultdict(list)  # client_id → event ids answered
    pending: list[dict] = []  # events not answered yet, sent again later
    lock = threading.Lock()
    stop = threading.Event()

    def event_body(i: int) -> dict:
        return {
            "client_id": str(uuid.uuid4()), "kind": "socialisation", "date": dt.date.today().isoformat(),
            "villages": [args.village], "attendance": {"farmers": 5 + i % 20}, "notes": "postgres_restart.py",
        }  # fmt: skip

    sent: set[str] = set()

    def send_event(body: dict) -> bool:
        status, headers, text = call(base, "POST", "/api/v1/events/", token, body)
        with lock:
            sent.add(body["client_id"])
            answers.append((time.monotonic(), "POST event", status, headers, text))
            if status in (200, 201):
                events[body["client_id"]].append(json.loads(text)["id"])
                return True
        return False

    def client(n: int) -> None:
        i = 0
        while not stop.is_set():
            i += 1
            status, headers, text = call(base, "GET", f"/api/v1/coverage/{args.region}/", token)
            with lock:
                answers.append((time.monotonic(), "GET coverage", status, headers, text))
            body = event_body(n * 10_000 + i)
            if not send_event(body):
                with lock:
                    pending.append(body)
            time.sleep(0.05)

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    time.sleep(BEFORE_S)
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    restart_began = time.monotonic()
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True)
    back = time.monotonic()
    recovered = None
    while time.monotonic() - back < RECOVERY_LIMIT_S:
        status, _h, _t = call(base, "GET", f"/api/v1/coverage/{args.region}/", token)
        if status == 200:
            recovered = time.monotonic()
            break
        time.sleep(0.2)
    time.sleep(AFTER_S)
    stop.set()
    for t in threads:
        t.join(60)

    # The phones send what got no answer again, until it is logged.
    deadline = time.monotonic() + 60
    while pending and time.monotonic() < deadline:
        pending = [body for body in pending if not send_event(body)]

    problems = []
    statuses = collections.Counter(status for _t, _what, status, _h, _text in answers)
    for _t, what, status, headers, text in answers:
        if status in (200, 201):
            continue
        if status != 503:
            problems.append(f"{what}: {status} {text[:300]}")
        elif "Retry-After" not in headers or "Traceback" in text or '"detail"' not in text:
            problems.append(f"{what}: a 503 without Retry-After or a JSON detail: {text[:300]}")
    if recovered is None:
        problems.append(f"no successful answer within {RECOVERY_LIMIT_S:.0f} s of the database being back")
    if pending:
        problems.append(f"{len(pending)} events still not logged after a minute of retries")
    twice = {cid: ids for cid, ids in events.items() if len(set(ids)) != 1}
    if twice:
        problems.append(f"client_ids answered with different events: {list(twice.items())[:5]}")
    # What the database holds: every event sent, answered or not, once.
    if args.database_url:
        import psycopg

        with psycopg.connect(args.database_url.replace("postgres://", "postgresql://", 1)) as conn:
            stored = dict(
                conn.execute(
                    "SELECT client_id::text, count(*) FROM outreach_outreachevent WHERE client_id = ANY(%s::uuid[]) "
                    "GROUP BY client_id",
                    [sorted(sent)],
                ).fetchall()
            )
        wrong = {cid: stored.get(cid, 0) for cid in sent if stored.get(cid, 0) != 1}
        if wrong:
            problems.append(f"events stored other than once: {list(wrong.items())[:5]}")

    failed = sum(n for s, n in statuses.items() if s not in (200, 201))
    print(
        f"postgres_restart: {len(answers)} requests by {CLIENTS} clients; answers {dict(sorted(statuses.items()))}; "
        f"restart took {back - restart_began:.1f} s; first success {((recovered or back) - back):.1f} s after it; "
        f"{failed} refused cleanly; {len(events)} events, each logged once"
        if not problems
        else f"postgres_restart: {len(answers)} requests; answers {dict(sorted(statuses.items()))}"
    )
    for problem in problems[:20]:
        print("FAIL:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
