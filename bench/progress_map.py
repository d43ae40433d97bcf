"""Server time and compressed size of the progress map's read (issue 26), on the national region
tree in PostgreSQL: `GET /api/v1/coverage/ID/map/` (the 38 shipped provinces) and, once a
province's regencies are imported, `GET /api/v1/coverage/35/map/` (Jawa Timur's 38 regencies and
cities, made-up shapes as detailed as a real import after simplification: about 1,000 points
each before it).

    .venv/bin/python bench/progress_map.py [--db ucj_bench_map] [--rounds 50] [--keep]

Makes its own small database (migrations, the national tree, the province shapes, a current
snapshot for every province and regency), much lighter than bench/generate.py's data set: the
map read touches only the children, their current snapshots and their shapes. bench/progress.py
measures the same read on the full data set (`map_reads`). Budget: under 50 ms server time and
under 60 KB gzipped.
"""

import argparse
import gzip
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bench_coverage", Path(__file__).with_name("coverage.py"))
bench_coverage = sys.modules["bench_coverage"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_coverage)

BUDGET_MS, BUDGET_KB = 50, 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="ucj_bench_map")
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    reused = bench_coverage.database_prepare(args.db, keep=args.keep, scale=0)
    bench_coverage.django_setup(args.db)
    sys.path.insert(0, str(ROOT))
    from django.core.management import call_command

    if not reused:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command("load_regions", verbosity=0)
        prepare()
        print(f"prepared in {time.perf_counter() - started:.0f} s")
    from django.test import Client

    from ucj.models import ROOT_CODE, Role
    from ucj.services import user_assign

    client = Client()
    client.force_login(user_assign(username="bench-map", role=Role.SUPERVISOR, region_codes=[ROOT_CODE]))
    print("| read | features | server time ms (median / p95 / least) | body KB | gzip KB | budget |")
    print("|---|---:|---:|---:|---:|---|")
    for code in ("ID", "35"):
        print(measure(client, code, args.rounds))
    if not args.keep:
        from django.db import connection

        connection.close()
        bench_coverage.database_drop(args.db)


def prepare() -> None:
    import datetime as dt
    import json
    from decimal import Decimal

    from django.utils import timezone

    from tests.boundary_files import district_grid, geojson
    from ucj.boundaries.services import boundaries_import
    from ucj.models import CoverageSnapshot, Region

    now, today = timezone.now(), dt.date.today()
    codes = list(Region.objects.filter(level__in=[1, 2]).values_list("code", flat=True))
    CoverageSnapshot.objects.bulk_create(
        CoverageSnapshot(
            region_id=code, date=today, computed_at=now, is_current=True, percent=Decimal(10 + i % 70),
            target_percent=Decimal("52.15"), gap_points=Decimal("42.15") - i % 70,
        )
        for i, code in enumerate(codes)
    )  # fmt: skip
    regencies = list(Region.objects.filter(parent_id="35").order_by("code").values_list("code", flat=True))
    rings = district_grid(regencies, columns=8, west=111.0, south=-8.5, size=0.35, points=250, amplitude=0.02)
    with tempfile.NamedTemporaryFile(suffix=".geojson") as handle:
        handle.write(geojson([({"KDPKAB": code}, ring) for code, ring in rings.items()]))
        handle.flush()
        result = boundaries_import(path=handle.name, level=2, source="made-up shapes (bench)")
    print(json.dumps({"regency shapes": result.written, "points": result.points}))


def measure(client, code: str, rounds: int) -> str:
    url = f"/api/v1/coverage/{code}/map/"
    for _ in range(3):
        client.get(url)
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    body = response.content
    import json

    features = len(json.loads(body)["features"])
    zipped = len(gzip.compress(body))
    times.sort()
    median, p95 = statistics.median(times), times[int(len(times) * 0.95) - 1]
    met = median < BUDGET_MS and p95 < BUDGET_MS and zipped < BUDGET_KB * 1024
    return (
        f"| `{url}` | {features} | {median:.1f} / {p95:.1f} / {times[0]:.1f} | {len(body) / 1024:.1f} "
        f"| {zipped / 1024:.1f} | {'met' if met else 'not met'} (< {BUDGET_MS} ms, < {BUDGET_KB} KB) |"
    )


if __name__ == "__main__":
    main()
