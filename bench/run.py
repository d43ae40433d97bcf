"""Every benchmark in one run, one after another on the same machine (issue 8): `make bench`.

    .venv/bin/python bench/run.py [--no-doc] [--only coverage progress api import]

1. bench/coverage.py --compare --profile: the coverage recalculation at 1/100 and at full scale
   (one village, full rebuild, activation to national snapshot through Redis and a real worker,
   the worker's peak memory), each scale in a database of its own, dropped after;
2. bench/progress.py --keep --profile: the progress pages over the national data set of
   bench/generate.py (1,000,000 participants), kept in `ucj_bench_progress` and reused;
3. bench/api.py: requests/s of the API under wrk on the same data set, next to a trivial DRF
   endpoint;
4. bench/import_members.py: a 100,000-row member import, phase by phase, with the process's peak
   memory, in a database of its own (`ucj_bench_import`);
5. bench/import_national.py: the same import against the 1,000,000 participants of the national
   data set, next to PostgreSQL COPY of the same rows and django-import-export.

Each writes its block of docs/performance.md unless --no-doc (bench/import_members.py prints its
table only). It needs PostgreSQL at 127.0.0.1:5432 (user postgres), Redis at 127.0.0.1:6379, wrk
and the benchmark-only packages of bench/requirements.txt (`make bench` installs both).
A step that fails is reported and the others still run; the exit status says whether all passed.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
IMPORT_DB = "ucj_bench_import"
STEPS = ("coverage", "progress", "api", "import", "import-national")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-doc", action="store_true", help="do not update docs/performance.md")
    parser.add_argument("--only", nargs="+", choices=STEPS, default=list(STEPS), help="run only these steps")
    args = parser.parse_args()
    doc = [] if args.no_doc else ["--write-doc"]
    commands = {
        "coverage": ["bench/coverage.py", "--compare", "--profile", *doc],
        "progress": ["bench/progress.py", "--keep", "--profile", *doc],
        "api": ["bench/api.py", *doc],
        "import": ["bench/import_members.py", "--rows", "100000"],
        "import-national": ["bench/import_national.py", "--rows", "100000", *doc],
    }
    started = time.perf_counter()
    outcome = {}
    for step in args.only:
        env = dict(os.environ)
        if step == "import":
            _create_database(IMPORT_DB)
            env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{IMPORT_DB}"
            for name in ("REDIS_URL", "CACHE_URL"):
                env.pop(name, None)
        print(f"\n=== {step}: {' '.join(commands[step])}", flush=True)
        t = time.perf_counter()
        code = subprocess.run([sys.executable, *commands[step]], cwd=ROOT, env=env).returncode
        outcome[step] = (code, time.perf_counter() - t)
    print("\n=== summary")
    for step, (code, seconds) in outcome.items():
        print(f"{step:10} {'ok' if code == 0 else f'FAILED ({code})':12} {seconds / 60:5.1f} min")
    print(f"{'total':10} {'':12} {(time.perf_counter() - started) / 60:5.1f} min")
    sys.exit(0 if all(code == 0 for code, _s in outcome.values()) else 1)


def _create_database(name: str) -> None:
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as connection:
        if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    main()
