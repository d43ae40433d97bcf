"""Server time and queries of the home page, the user's to-do list (issue 22), on the national data
set: a national supervisor, and the labour office and a field officer of the busiest regency
(the one with the most batches waiting, open compliance cases and active members).

    .venv/bin/python bench/todo_home.py [--scale 1.0] [--seed 7] [--db ucj_bench_progress] [--keep]

It makes (or, with --keep, reuses) the data set with bench/generate.py exactly as
bench/progress.py does, so the two can share a database; runs alone, not part of `make bench`'s
list unless added there. Each home is rendered `--warmup` times uncounted, then `--rounds` times
with the cached badge count cleared before each, so every round computes the whole queue. Server
time is the wall time of the whole request in this process (Django's test Client, `force_login`).
Budget (issue 22): under 150 ms and under 40 queries per home.
"""

import argparse
import importlib.util
import sys
import time
from pathlib import Path

BUDGET_MS = 150
BUDGET_QUERIES = 40
SUPERVISOR = "bench-supervisor"

_spec = importlib.util.spec_from_file_location("bench_generate", Path(__file__).with_name("generate.py"))
generate = sys.modules["bench_generate"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(generate)
bench_coverage = generate.bench_coverage
log, median, p95 = bench_coverage.log, bench_coverage.median, bench_coverage.p95


def busiest_regency() -> str:
    """The regency whose labour office has the most waiting: batches submitted or verified, open
    compliance cases, members of active batches (one query each, summed per regency)."""
    from django.db.models import Count

    from enrollment.models import BatchMember, BatchState, ComplianceCase, EnrollmentBatch

    score: dict[str, int] = {}
    waiting = EnrollmentBatch.objects.filter(state__in=[BatchState.SUBMITTED, BatchState.VERIFIED])
    for row in waiting.values("regency_id").annotate(n=Count("id")).order_by():
        score[row["regency_id"]] = score.get(row["regency_id"], 0) + 100 * row["n"]
    for row in ComplianceCase.objects.filter(state="open").values("regency_id").annotate(n=Count("id")).order_by():
        score[row["regency_id"]] = score.get(row["regency_id"], 0) + 10 * row["n"]
    active = BatchMember.objects.filter(batch__state=BatchState.ACTIVE)
    for row in active.values("batch__regency_id").annotate(n=Count("id")).order_by():
        score[row["batch__regency_id"]] = score.get(row["batch__regency_id"], 0) + row["n"] // 100
    return max(score, key=lambda code: (score[code], code))


def measure(args) -> list[dict]:
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    from ucj.models import ROOT_CODE, Role
    from ucj.services import user_assign

    User = get_user_model()
    user_assign(username=SUPERVISOR, role=Role.SUPERVISOR, region_codes=[ROOT_CODE], password=None)
    regency = busiest_regency()
    officer = User.objects.filter(username__startswith=f"petugas-{regency}-").order_by("username").first()
    who = [
        ("national supervisor", User.objects.get(username=SUPERVISOR)),
        (f"labour office of {regency}", User.objects.get(username=f"disnaker-{regency}")),
    ]
    if officer is not None:
        who.append((f"field officer of {regency}", officer))
    results = []
    with override_settings(ALLOWED_HOSTS=["*"]):
        for label, user in who:
            client = Client()
            client.force_login(user)
            times, queries = [], []
            for i in range(args.warmup + args.rounds):
                cache.clear()
                counted = []

                def count(execute, sql, params, many, context, counted=counted):
                    counted.append(sql)
                    return execute(sql, params, many, context)

                with connection.execute_wrapper(count):
                    started = time.perf_counter()
                    response = client.get("/")
                    elapsed = time.perf_counter() - started
                assert response.status_code == 200, response.status_code
                if i >= args.warmup:
                    times.append(elapsed * 1000)
                    queries.append(len(counted))
            from ucj.todo.selectors import todo_for

            items = todo_for(user=user)  # the page's context is not kept outside the test runner
            results.append(
                {
                    "who": label,
                    "median_ms": median(times),
                    "p95_ms": p95(times),
                    "queries": max(queries),
                    "items": sum(len(s.items) for s in items.sections),
                    "badge": items.count,
                }
            )
            log(f"{label}: {results[-1]}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    generate.add_dataset_arguments(parser)
    parser.add_argument("--keep", action="store_true", help="reuse the database if it holds this data set; keep it")
    parser.add_argument("--rounds", type=int, default=20, help="counted renderings of each home (default 20)")
    parser.add_argument("--warmup", type=int, default=3, help="uncounted renderings first (default 3)")
    args = parser.parse_args()
    data = generate.generate(args.db, scale=args.scale, seed=args.seed, keep_existing=args.keep)
    from django.db import connection

    try:
        results = measure(args)
    finally:
        connection.close()
        if not args.keep:
            generate.database_drop(args.db)
    sizes = data.get("sizes", {})
    print(f"\nbench/todo_home.py {' '.join(sys.argv[1:])} — scale {args.scale:g}, seed {args.seed}; sizes: {sizes}\n")
    print("| home | median | p95 | queries | items | badge | budget (150 ms, 40 queries) |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for r in results:
        met = r["median_ms"] < BUDGET_MS and r["queries"] < BUDGET_QUERIES
        print(
            f"| {r['who']} | {r['median_ms']:.1f} ms | {r['p95_ms']:.1f} ms | {r['queries']} | {r['items']} "
            f"| {r['badge']} | {'met' if met else 'NOT met'} |"
        )


if __name__ == "__main__":
    main()
