"""Time a member import of N rows (default 100,000) into a draft batch, end to end and per phase.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ucj_bench .venv/bin/python bench/import_members.py [--rows N]

It migrates the database named by DATABASE_URL, loads Jawa Timur, creates an officer and a draft
batch in Bangkalan, builds a CSV of N valid people spread over Bangkalan's villages, and runs
the import as the worker would (`services.import_run`). Then it repeats the phases one by one on a
fresh batch to show where the time goes. Prints a Markdown table."""

import argparse
import cProfile
import datetime as dt
import os
import pstats
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ucj.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from enrollment import importers, services  # noqa: E402
from enrollment.models import BatchMember, EnrollmentBatch, ImportJob, Participant  # noqa: E402
from enrollment.services import BatchTerms  # noqa: E402
from enrollment.services.imports import _terms_of, _write_members  # noqa: E402
from ucj import sheets  # noqa: E402
from ucj.models import Region, Role  # noqa: E402
from ucj.services import user_assign  # noqa: E402


def build_csv(n: int, villages: list[str]) -> bytes:
    lines = ["NIK;NAMA;JENIS KELAMIN;TANGGAL LAHIR;KODE DESA;PEKERJAAN;NO HP"]
    births = [dt.date(1970 + (i % 30), 1 + (i % 12), 1 + (i % 28)) for i in range(360)]
    for i in range(n):
        village = villages[i % len(villages)]
        birth = births[i % len(births)]
        sex = "L" if i % 2 else "P"
        day = birth.day + (40 if sex == "P" else 0)
        serial = 1 + i // len(births)
        nik = f"{village[:8].replace('.', '')}{day:02d}{birth:%m}{birth.year % 100:02d}{serial:04d}"
        lines.append(f"{nik};Warga {i};{sex};{birth:%d/%m/%Y};{village};Petani;0812{i:08d}")
    return ("\r\n".join(lines) + "\r\n").encode()


def fresh_batch(officer) -> EnrollmentBatch:
    return services.batch_create(
        actor=officer,
        terms=BatchTerms(
            kind="vulnerable_workers", regency_code="35.26", funding_source="other", year=2026,
            period_start=dt.date(2026, 6, 1), period_end=dt.date(2026, 12, 31),
        ),
    )  # fmt: skip


def reset():
    BatchMember.objects.all().delete()
    ImportJob.objects.all().delete()
    Participant.objects.all().delete()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--profile", action="store_true", help="print the top functions by cumulative time")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    if not Region.objects.filter(code="35.26").exists():
        call_command("load_regions", province=["35"], verbosity=0)
    officer = user_assign(username="bench-officer", role=Role.LABOUR_OFFICE, region_codes=["35.26"], actor=None)
    villages = list(Region.objects.filter(code__startswith="35.26.", level=4).values_list("code", flat=True))
    content = build_csv(args.rows, villages)
    reset()

    batch = fresh_batch(officer)
    job = services.import_create(actor=officer, batch_id=batch.pk, filename="bench.csv", content=content)
    profiler = cProfile.Profile() if args.profile else None
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    job = services.import_run(job_id=job.pk)
    if profiler:
        profiler.disable()
    total = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    assert job.accepted == args.rows, (job.state, job.message, job.errors[:3])

    # The same file again, phase by phase, on a clean table.
    reset()
    batch = fresh_batch(officer)
    job = services.import_create(actor=officer, batch_id=batch.pk, filename="bench.csv", content=content)
    phases = []
    # As import_run works: with the garbage collector held off.
    with sheets.collector_paused():
        t = time.perf_counter()
        sheet = importers.read_sheet(
            content, "bench.csv", headers=importers.MEMBER_HEADERS, required=importers.MEMBER_REQUIRED
        )
        phases.append(("read the file (csv)", time.perf_counter() - t))
        t = time.perf_counter()
        rows = importers.parse_member_rows(sheet, batch)
        phases.append(("check each row (cells, NIK, phone)", time.perf_counter() - t))
        t = time.perf_counter()
        registered = importers.check_member_rows(rows, batch, allowed_roots=None)
        checks = "set-based checks (people on record, regions, duplicates, memberships)"
        phases.append((checks, time.perf_counter() - t))
        t = time.perf_counter()
        _write_members(job, rows, registered=registered, checked_terms=_terms_of(batch))
        phases.append(("write: COPY of people and members, audit, commit", time.perf_counter() - t))

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}; rows: {args.rows:,}")
    print("\n| phase | seconds | share |\n|---|---:|---:|")
    phase_total = sum(s for _n, s in phases)
    for name, seconds in phases:
        print(f"| {name} | {seconds:.2f} | {seconds / phase_total:.0%} |")
    print(f"| **import_run end to end** | **{total:.2f}** | {args.rows / total:,.0f} rows/s |")
    print(f"\nPeak resident memory of the process after import_run (ru_maxrss): {peak_mib:,.0f} MiB")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    reset()


if __name__ == "__main__":
    main()
