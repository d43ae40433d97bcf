"""A national-size data set for the progress pages (issue 7), in a PostgreSQL database of its own.

    .venv/bin/python bench/generate.py [--db ucj_bench_progress] [--scale 1.0] [--seed 7] [--keep-existing]

It creates the database on 127.0.0.1:5432 (user postgres; an existing one of that name is dropped
first, unless `--keep-existing` finds it already holding this data set), migrates it, loads
the real region tree (`load_regions`: 91,600 regions, 83,762 villages) and COPYs, in one
transaction, a data set drawn from `random.Random` streams seeded with `--seed` (dates are relative
to the day it runs):

- users: a labour-office clerk per regency and one to four field officers per regency (each
  assigned a district of it);
- facts: BPS workforce for every regency and province (Java's villages and the cities are the most
  populous), BPJS counts per segment for every regency and province at the end of each of the last
  three months, targets for the country, every province and every regency; coverage by occupation
  (farmers, fishers, …) for the country, every province and four regencies in ten;
- `scale` x 1,000,000 participants with valid NIKs (the district of their village, DDMMYY with
  +40 for women, a serial per district and birth date) spread over villages, more in Java, three
  villages in ten not reached; each on one batch;
- `scale` x 10,000 batches in every state (78 % active, the rest approved, verified, submitted,
  draft, rejected, cancelled), members in the state each batch state implies (accepted with a
  coverage period, pending, rejected by BPJS), funding allocations per regency (or village, for
  Dana Desa), year and source that cover the committed batches with money to spare;
- `scale` x 100,000 outreach events over the last 18 months (more recently), every kind, with their
  villages (`EventVillage`) and officers;
- `scale` x 20,000 employers whose two sides' figures give every finding (derived by
  `employer_assess`, as the services do), cases for about half of those with findings, at every
  step of the escalation (some overdue) and closed with every outcome;

then `VACUUM ANALYZE`, `engine.recalculate_all()` (today's snapshots) and past snapshots written
directly: one a month for `--history-months` months for every region, and one a day for the last
30 days for the country, provinces and regencies (figures drawn back from today's, as a drive that
grows would leave them). A table `bench_progress_meta` records what was generated, with the
day and migrations it was generated under: `--keep-existing` reuses the database only if the
scale, seed, generator version, day and migrations on disk are all the same.

`bench/progress.py` calls `generate()`; this script alone leaves the database in place (drop it
with `--drop`).
"""

import argparse
import datetime as dt
import importlib.util
import io
import json
import random
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import psycopg


def sibling(name: str):
    """Another script of bench/ as a module (`bench_<name>`): loaded by its path, so that
    bench/coverage.py is never mistaken for the coverage package, nor the other way round."""
    module_name = f"bench_{name}"
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(module_name, Path(__file__).with_name(f"{name}.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    return sys.modules[module_name]


# bench/coverage.py's database helpers and data-set conventions are shared, not copied.
bench_coverage = sibling("coverage")
SERVER, add_months, database_drop = bench_coverage.SERVER, bench_coverage.add_months, bench_coverage.database_drop
django_setup, log = bench_coverage.django_setup, bench_coverage.log

DEFAULT_DB = "ucj_bench_progress"
DEFAULT_SEED = 7
META_TABLE = "bench_progress_meta"
GENERATOR_VERSION = 2  # bump when the data set changes: --keep-existing then regenerates
JAVA = {"31", "32", "33", "34", "35", "36"}  # DKI Jakarta, Jawa Barat, Jawa Tengah, DIY, Jawa Timur, Banten
PREMIUM = 16_800  # JKK + JKM at the default declared income of Rp1,000,000 (PP 44/2015)

BATCH_STATES = [
    ("active", 78),
    ("approved", 5),
    ("verified", 3),
    ("submitted", 3),
    ("draft", 4),
    ("rejected", 2),
    ("cancelled", 5),
]
OCCUPATIONS = [  # (text, group, weight) for vulnerable workers
    ("Petani", "farmer", 42),
    ("Buruh tani", "labourer", 12),
    ("Buruh harian", "labourer", 10),
    ("Nelayan", "fisher", 10),
    ("Peternak", "livestock", 8),
    ("Pedagang", "trader", 10),
    ("Tukang ojek", "other", 8),
]
POSITIONS = ["kepala_desa", "sekretaris_desa", "kaur", "kasi", "kepala_dusun", "staf", "bpd"]
FIRST_NAMES = ["Ahmad", "Siti", "Muhammad", "Nur", "Dewi", "Budi", "Sri", "Agus", "Wahyu", "Rina", "Abdul", "Ida",
               "Moh.", "Hasan", "Fatimah", "Slamet", "Yuli", "Eko", "Ni Made", "I Wayan", "Rahmat"]  # fmt: skip
LAST_NAMES = ["Hidayat", "Santoso", "Rahayu", "Wijaya", "Saputra", "Lestari", "Kurniawan", "Setiawan", "Hasanah",
              "Pratama", "Susanti", "Nasution", "Siregar", "Purnomo", "Maulana", "Fauzi", "Wati", "Sari"]  # fmt: skip
EVENT_KINDS = [
    ("village_visit", 45),
    ("socialisation", 22),
    ("fertiliser_distribution", 10),
    ("festival", 5),
    ("employer_visit", 12),
    ("other", 6),
]
PARTNERS = {
    "village_visit": ("village_government", "Pemerintah Desa"),
    "socialisation": ("district_office", "Kantor Kecamatan"),
    "fertiliser_distribution": ("agriculture", "Dinas Pertanian"),
    "festival": ("bpjs", "BPJS Ketenagakerjaan Cabang"),
    "employer_visit": ("cooperatives", "Disnaker"),
    "other": ("other", ""),
}
SECTORS = ["agriculture", "mining", "manufacturing", "construction", "trade", "transport", "hospitality", "finance",
           "health_education", "services"]  # fmt: skip
SIZES = [("micro", 35, 1, 4), ("small", 35, 5, 19), ("medium", 20, 20, 99), ("large", 10, 100, 1_500)]
MANDATORY = {"micro": ["jkk", "jkm"], "small": ["jkk", "jkm", "jht"], "medium": ["jkk", "jkm", "jht", "jp"],
             "large": ["jkk", "jkm", "jht", "jp"]}  # fmt: skip
EMPLOYER_PROFILES = [  # what the two sides' figures will show
    ("compliant", 45),
    ("pds_workers", 13),
    ("pds_wages", 9),
    ("pds_programme", 8),
    ("pwbd", 10),
    ("unassessed", 7),
    ("workers_and_wages", 5),
    ("wages_and_programme", 3),
]
LEGAL_FORMS = ["PT", "PT.", "CV", "CV.", "UD", "Koperasi", "PT"]
TRADE_WORDS = ["Maju", "Jaya", "Sejahtera", "Makmur", "Abadi", "Sentosa", "Mandiri", "Karya", "Sumber", "Tani",
               "Bahari", "Garam", "Madura", "Nusantara", "Bangun", "Agung", "Mulia", "Prima", "Indah"]  # fmt: skip
# BPJS's track of PP 86/2013 (the inspectors' track is left to the demo and the tests).
STEP_ORDER = ["warning_1", "warning_2", "fine", "service_denial"]
DEADLINE_STEPS = {"warning_1", "warning_2"}
CASE_STEP_WORKING_DAYS = 10  # settings.UCJ_CASE_STEP_WORKING_DAYS, PP 86/2013
OUTCOMES = [("complied", 50), ("partly", 20), ("not_obliged", 10), ("closed_business", 10), ("sanctioned", 10)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_dataset_arguments(parser)
    parser.add_argument(
        "--keep-existing", action="store_true", help="reuse the database if it already holds this scale and seed"
    )
    parser.add_argument("--history-months", type=int, default=12, help="months of past snapshots (default 12)")
    parser.add_argument("--drop", action="store_true", help="drop the database and exit")
    args = parser.parse_args()
    if args.drop:
        database_drop(args.db)
        log(f"database {args.db} dropped")
        return
    meta = generate(
        args.db, scale=args.scale, seed=args.seed, keep_existing=args.keep_existing, history_months=args.history_months
    )
    print(json.dumps(meta, indent=1, default=str))


# --- The database ---------------------------------------------------------------------------------


def meta_of(db: str) -> dict | None:
    """What `generate` recorded in an existing database, or None."""
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db]).fetchone() is None:
            return None
    with psycopg.connect(f"{SERVER}/{db}", autocommit=True) as conn:
        if conn.execute("SELECT to_regclass(%s)", [META_TABLE]).fetchone()[0] is None:
            return None
        row = conn.execute(f"SELECT data FROM {META_TABLE}").fetchone()
    return row[0] if row else None


def database_create(db: str) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db}"')


def add_dataset_arguments(parser) -> None:
    """--db, --scale and --seed of the data set, for the benchmarks that measure on it."""
    parser.add_argument("--db", default=DEFAULT_DB, help=f"database (default {DEFAULT_DB})")
    parser.add_argument("--scale", type=float, default=1.0, help="x 1,000,000 participants (default 1.0)")
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help=f"random seed of the data set (default {DEFAULT_SEED})"
    )


def generate(db: str, *, scale: float, seed: int, keep_existing: bool = False, history_months: int = 12) -> dict:
    """Make `db` hold the data set of `scale` and `seed` and point Django at it; returns its meta
    (sizes and timings). With `keep_existing`, a database that already holds it is reused as is."""
    django_setup(db)  # settings only: no connection is made before the database exists
    from django.utils import timezone

    today = timezone.localdate()
    wanted = {
        "day": today.isoformat(),  # dates are relative to it ("this month", the last 90 days)
        "scale": scale,
        "seed": seed,
        "version": GENERATOR_VERSION,
        "history_months": history_months,
        # A new migration (a new table the pages read) makes an older data set stale.
        "migrations": migrations_on_disk(),
    }
    existing = meta_of(db) if keep_existing else None
    if existing and all(existing.get(k) == v for k, v in wanted.items()):
        log(f"database {db} reused (scale {scale:g}, seed {seed}, generated {existing['generated']})")
        return {**existing, "reused": True}
    if existing:
        changed = [k for k, v in wanted.items() if existing.get(k) != v]
        log(f"database {db} holds another data set ({', '.join(changed)} differ): generating it again")

    started = time.perf_counter()
    database_create(db)
    from django.core.management import call_command
    from django.db import connection

    timings = {}

    def step(name, function, *args, **kwargs):
        begun = time.perf_counter()
        result = function(*args, **kwargs)
        timings[name] = round(time.perf_counter() - begun, 1)
        log(f"{name}: {timings[name]} s")
        return result

    step("migrate", call_command, "migrate", verbosity=0)
    step("load_regions", call_command, "load_regions", stdout=io.StringIO())
    data = step("data (generate + COPY + commit)", data_load, scale=scale, seed=seed, today=today)
    step("vacuum analyze", _vacuum_analyze)
    from ucj.coverage import engine

    result = step("recalculate_all", engine.recalculate_all)
    log(f"{result.regions:,} snapshots of {today}")
    history = step("past snapshots", snapshots_history, today=today, months=history_months)
    step("vacuum analyze (snapshots)", _vacuum_analyze, "ucj_coveragesnapshot")
    meta = {
        **wanted,
        "generated": timezone.now().isoformat(timespec="seconds"),
        "sizes": {**data.sizes, "snapshots_current": result.regions, "snapshots_past": history},
        "timings": timings,
        "total_s": round(time.perf_counter() - started, 1),
    }
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {META_TABLE} (data jsonb NOT NULL)")
        cursor.execute(f"INSERT INTO {META_TABLE} (data) VALUES (%s::jsonb)", [json.dumps(meta)])
    log(f"data set of scale {scale:g} (seed {seed}) in {db}: {meta['total_s']} s")
    return {**meta, "reused": False}


def migrations_on_disk() -> list[str]:
    from django.db.migrations.loader import MigrationLoader

    return sorted(f"{app}.{name}" for app, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


def _vacuum_analyze(table: str = "") -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {table}".strip())


# --- The tree and its weights ---------------------------------------------------------------------


@dataclass
class Regency:
    code: str
    is_city: bool
    villages: list[str]
    districts: dict[str, list[int]]  # district code → indexes into villages
    workforce: int = 0
    weight: float = 0.0  # where the enrollment drive is busy
    village_cum: list[float] = field(default_factory=list)  # cumulative weights of the villages
    clerk: int = 0  # user id of the labour-office clerk
    officers: list[int] = field(default_factory=list)

    @property
    def in_java(self) -> bool:
        return self.code[:2] in JAVA

    def villages_of(self, area: str) -> tuple[list[str], list[float] | None]:
        """The villages of an area (the regency, a district, a village) and their cumulative weights."""
        if area == self.code:
            return self.villages, self.village_cum
        if area.count(".") == 3:
            return [area], None
        indexes = self.districts[area]
        weights, total, cum = [self._weight(i) for i in indexes], 0.0, []
        if not any(weights):
            weights = [1.0] * len(indexes)
        for w in weights:
            total += w
            cum.append(total)
        return [self.villages[i] for i in indexes], cum

    def _weight(self, i: int) -> float:
        return self.village_cum[i] - (self.village_cum[i - 1] if i else 0.0)


def tree_load(rng: random.Random) -> dict[str, Regency]:
    from ucj.models import Region

    kinds = dict(Region.objects.filter(level=2).values_list("code", "kind"))
    regencies: dict[str, Regency] = {}
    for code in Region.objects.filter(level=4).order_by("code").values_list("code", flat=True):
        regency = regencies.get(code[:5])
        if regency is None:
            regency = regencies[code[:5]] = Regency(code[:5], kinds.get(code[:5]) == "kota", [], defaultdict(list))
        regency.districts[code[:8]].append(len(regency.villages))
        regency.villages.append(code)
    for regency in regencies.values():
        # Working people per village: Java's villages and the cities are the most populous.
        low, high = (1_800, 3_600) if regency.in_java else (350, 1_300)
        per_village = rng.randint(low, high) * (1.6 if regency.is_city else 1.0)
        regency.workforce = round(len(regency.villages) * per_village)
        regency.weight = regency.workforce * rng.lognormvariate(0, 0.7) * (1.5 if regency.in_java else 1.0)
        # Three villages in ten not reached yet; the others unevenly (each regency keeps one).
        weights = [0.0 if rng.random() < 0.3 else rng.lognormvariate(0, 1.0) for _ in regency.villages]
        if not any(weights):
            weights[0] = 1.0
        total = 0.0
        for w in weights:
            total += w
            regency.village_cum.append(total)
    return regencies


# --- Users ----------------------------------------------------------------------------------------


def users_create(rng: random.Random, regencies: dict[str, Regency]) -> int:
    """A labour-office clerk per regency and one to four field officers (each over a district)."""
    from django.contrib.auth import get_user_model

    from ucj.models import Assignment, Role

    User = get_user_model()
    users, roles = [], []
    for code, regency in regencies.items():
        users.append(User(username=f"disnaker-{code}", first_name="Disnaker", last_name=code, password="!bench"))
        roles.append((code, Role.LABOUR_OFFICE, code))
        districts = sorted(regency.districts)
        for k in range(1 + min(3, int(regency.weight / 400_000))):
            username = f"petugas-{code}-{k + 1}"
            users.append(User(username=username, first_name="Petugas", last_name=f"{code}-{k + 1}", password="!bench"))
            roles.append((code, Role.FIELD_OFFICER, rng.choice(districts)))
    created = {u.username: u.pk for u in User.objects.bulk_create(users, batch_size=2_000)}
    assignments = []
    for (code, role, region), user in zip(roles, users, strict=True):
        user_id = created[user.username]
        assignments.append(Assignment(user_id=user_id, role=role, region_id=region))
        if role == Role.LABOUR_OFFICE:
            regencies[code].clerk = user_id
        else:
            regencies[code].officers.append(user_id)
    Assignment.objects.bulk_create(assignments, batch_size=2_000)
    return len(users)


# --- The data set ---------------------------------------------------------------------------------


@dataclass
class DataSet:
    sizes: dict = field(default_factory=dict)


def _stamp(day: dt.date, hour: int = 9) -> dt.datetime:
    from django.utils import timezone

    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


def _pick(rng: random.Random, table):
    return rng.choices([row[0] for row in table], weights=[row[1] for row in table])[0]


def data_load(*, scale: float, seed: int, today: dt.date) -> DataSet:
    """Draw the data set and COPY it in one transaction (ids given explicitly, sequences moved
    after; the foreign keys are checked at the commit)."""
    from django.db import connection, transaction

    def stream(name: str) -> random.Random:
        # One stream per part: changing how events are drawn leaves the participants as they were.
        return random.Random(f"{seed}:{name}")

    regencies = tree_load(stream("tree"))
    n_users = users_create(stream("users"), regencies)
    facts = facts_rows(stream("facts"), regencies, today)
    batches = batches_rows(stream("batches"), regencies, today, scale)
    employers = employers_rows(stream("employers"), regencies, today, scale)
    events = events_rows(stream("events"), regencies, today, scale, employers.by_regency)

    sizes = {
        "users": n_users,
        "participants": len(batches.participants),
        "batches": dict(Counter(row[2] for row in batches.batches)),
        "members": dict(Counter(row[3] for row in batches.members)),
        "allocations": len(batches.allocations),
        "employers": len(employers.employers),
        "employer_status": dict(Counter(row[EMPLOYER_COLUMNS.index("status")] for row in employers.employers)),
        "cases": dict(Counter(row[4] for row in employers.cases)),
        "case_steps": len(employers.steps),
        "events": len(events.events),
        "event_villages": len(events.villages),
        "villages_with_events": len({row[1] for row in events.villages}),
        "villages_with_people": len({row[6] for row in batches.participants}),
    }

    def copy(cursor, table, columns, rows):
        extra, values = defaults_of(table, columns)
        if extra:
            log(f"{table}: {', '.join(extra)} not generated here, given their defaults")
        with cursor.cursor.copy(f"COPY {table} ({', '.join(columns + extra)}) FROM STDIN") as out:
            for row in rows:
                out.write_row((*row, *values) if values else row)
        log(f"{len(rows):,} rows copied into {table}")

    with transaction.atomic(), connection.cursor() as cursor:
        for table, columns, rows in facts:
            copy(cursor, table, columns, rows)
        copy(cursor, "enrollment_fundingallocation", ALLOCATION_COLUMNS, batches.allocations)
        copy(cursor, "enrollment_enrollmentbatch", BATCH_COLUMNS, batches.batches)
        copy(cursor, "enrollment_participant", PARTICIPANT_COLUMNS, batches.participants)
        copy(cursor, "enrollment_batchmember", MEMBER_COLUMNS, batches.members)
        copy(cursor, "enrollment_employer", EMPLOYER_COLUMNS, employers.employers)
        copy(cursor, "enrollment_compliancecase", CASE_COLUMNS, employers.cases)
        copy(cursor, "enrollment_casestep", STEP_COLUMNS, employers.steps)
        copy(cursor, "outreach_outreachevent", EVENT_COLUMNS, events.events)
        copy(cursor, "outreach_eventvillage", ["event_id", "village_id", "date", "kind"], events.villages)
        copy(cursor, "outreach_outreachevent_officers", ["outreachevent_id", "user_id"], events.officers)
        for table in (
            "enrollment_fundingallocation",
            "enrollment_enrollmentbatch",
            "enrollment_participant",
            "enrollment_batchmember",
            "enrollment_employer",
            "enrollment_compliancecase",
            "enrollment_casestep",
            "outreach_outreachevent",
        ):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        log("committing (deferred foreign-key checks) …")
    return DataSet(sizes=sizes)


def defaults_of(table: str, columns: list[str]) -> tuple[list[str], list]:
    """The columns of `table` the generator does not give whose field has a default (a field
    added after this generator was written), and those defaults: COPY writes no Django default,
    and a NOT NULL column left out would fail the load."""
    from django.apps import apps
    from django.db.models import JSONField

    model = next(m for m in apps.get_models(include_auto_created=True) if m._meta.db_table == table)
    fields = [f for f in model._meta.concrete_fields if f.column not in columns and not f.primary_key]
    fields = [f for f in fields if f.has_default()]
    values = [json.dumps(f.get_default()) if isinstance(f, JSONField) else f.get_default() for f in fields]
    return [f.column for f in fields], values


# --- Facts ----------------------------------------------------------------------------------------


def facts_rows(rng: random.Random, regencies: dict[str, Regency], today: dt.date) -> list[tuple]:
    """BPS workforce of every regency and province; BPJS counts per segment at the end of each of
    the last three months; targets of the country, provinces and regencies."""
    from django.utils import timezone

    now = timezone.now()
    year = today.year
    month_ends = [add_months(today.replace(day=1), -k) - dt.timedelta(days=1) for k in (2, 1, 0)]
    workforce, counts, targets = [], [], []
    provinces = defaultdict(lambda: {"workers": 0, "counts": [[0] * 5 for _ in month_ends]})
    province_target = {}
    for code, regency in sorted(regencies.items()):
        workforce.append((code, year, regency.workforce, "bench: BPS Sakernas Agustus", dt.date(year - 1, 11, 5)))
        share = rng.uniform(0.22, 0.55) if regency.in_java or regency.is_city else rng.uniform(0.10, 0.40)
        raw = [rng.uniform(0.55, 0.72), rng.uniform(0.15, 0.3), rng.uniform(0.04, 0.12), rng.uniform(0, 0.03)]
        shares = [x / sum(raw) for x in raw[:3]]  # PU, BPU, Jakon; PMI what is left
        province = provinces[code[:2]]
        province["workers"] += regency.workforce
        for k, as_of in enumerate(month_ends):
            # BPJS's monthly figure creeps up as the drive and employers register people.
            total = round(regency.workforce * share * (1 + 0.01 * k))
            pu, bpu, jakon = (round(total * s) for s in shares)
            pmi = total - pu - bpu - jakon
            counts.append((code, as_of, total, pu, bpu, jakon, pmi, "bench: BPJamsostek kanwil"))
            for i, value in enumerate((total, pu, bpu, jakon, pmi)):
                province["counts"][k][i] += value
        target = province_target.setdefault(code[:2], round(rng.uniform(40, 65), 2))
        targets.append((code, year, round(min(max(target + rng.uniform(-6, 6), 20), 90), 2)))
    for code, province in sorted(provinces.items()):
        workforce.append((code, year, round(province["workers"] * rng.uniform(0.99, 1.01)), "bench: BPS", today))
        for (total, pu, bpu, jakon, pmi), as_of in zip(province["counts"], month_ends, strict=True):
            counts.append((code, as_of, total, pu, bpu, jakon, pmi, "bench: BPJamsostek kanwil"))
        targets.append((code, year, province_target[code]))
    targets.append(("ID", year, 50.0))
    as_of = dt.date(year, 1, 15)
    occupations = occupation_rows(rng, regencies, {code: p["workers"] for code, p in provinces.items()}, today)
    return [
        (
            "ucj_workforceestimate",
            ["region_id", "year", "workers", "source", "as_of", "created_at", "updated_at"],
            [(*row, now, now) for row in workforce],
        ),
        (
            "ucj_membershipcount",
            ["region_id", "as_of", "total", "pu", "bpu", "jakon", "pmi", "source", "created_at", "updated_at"],
            [(*row, now, now) for row in counts],
        ),
        (
            "ucj_coveragetarget",
            ["region_id", "year", "percent", "source", "as_of", "created_at", "updated_at"],
            [(code, y, p, "bench: Kepmendagri target UCJ", as_of, now, now) for code, y, p in targets],
        ),
        *occupations,
    ]


# Vulnerable workers by occupation: (group, share of the working people, share of them BPJS counts).
OCCUPATION_FIGURES = [
    ("farmer", (0.20, 0.38), (0.10, 0.45)),
    ("livestock", (0.02, 0.06), (0.10, 0.40)),
    ("fisher", (0.01, 0.08), (0.60, 0.98)),
    ("labourer", (0.10, 0.20), (0.15, 0.50)),
    ("trader", (0.10, 0.18), (0.10, 0.35)),
]


def occupation_rows(rng: random.Random, regencies: dict[str, Regency], provinces: dict[str, int], today) -> list:
    """Coverage by occupation (Sakernas of last August with BPJS's matching) for the country,
    every province and four regencies in ten (Bangkalan always: the seeds' report is of it).
    Skipped where the model does not exist (a checkout before it)."""
    try:
        from ucj.models import OccupationFigure
    except ImportError:
        return []
    from django.utils import timezone

    now, as_of = timezone.now(), dt.date(today.year - 1, 8, 31)
    known = {"ID": sum(provinces.values()), **provinces}
    known.update({code: r.workforce for code, r in regencies.items() if code == "35.26" or rng.random() < 0.4})
    rows = []
    for code, workforce in sorted(known.items()):
        for group, (low, high), (covered_low, covered_high) in OCCUPATION_FIGURES:
            workers = round(workforce * rng.uniform(low, high))
            covered = round(workers * rng.uniform(covered_low, covered_high))
            rows.append((code, as_of, group, workers, covered, "bench: BPS Sakernas x BPJamsostek", now, now))
    columns = ["region_id", "as_of", "occupation", "workers", "covered", "source", "created_at", "updated_at"]
    return [(OccupationFigure._meta.db_table, columns, rows)]


# --- Batches, participants, members, allocations --------------------------------------------------

ALLOCATION_COLUMNS = ["id", "region_id", "year", "source", "amount", "note", "created_by_id", "created_at",
                      "updated_at"]  # fmt: skip
BATCH_COLUMNS = ["id", "kind", "state", "regency_id", "area_id", "funding_source", "year", "period_start", "period_end",
                 "declared_income", "programmes", "monthly_premium", "member_count", "total_cost", "decree_number",
                 "title", "allocation_id", "created_by_id", "state_changed_at", "last_reason", "created_at",
                 "updated_at"]  # fmt: skip
PARTICIPANT_COLUMNS = ["id", "nik", "kk", "name", "sex", "birth_date", "village_id", "occupation", "occupation_group",
                       "phone", "kpj", "created_at", "updated_at"]  # fmt: skip
MEMBER_COLUMNS = ["id", "batch_id", "participant_id", "state", "reason", "position", "is_open", "warnings",
                  "covered_from", "covered_until", "created_at", "updated_at"]  # fmt: skip


@dataclass
class Batches:
    batches: list[tuple]
    participants: list[tuple]
    members: list[tuple]
    allocations: list[tuple]


def _period(rng: random.Random, state: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """A batch's protection period: started in the last 18 months for batches that ran, starting
    in the coming months for those on their way."""
    this_month = today.replace(day=1)
    if state in ("active", "cancelled", "rejected"):
        start = add_months(this_month, -rng.randint(0, 17))
    else:
        start = add_months(this_month, rng.randint(0, 3) if state == "approved" else rng.randint(1, 4))
    months = rng.choice([6, 7, 12])
    if rng.random() < 0.3:  # DBHCHT money often runs to the end of the year
        months = 13 - start.month
    return start, add_months(start, months) - dt.timedelta(days=1)


def batches_rows(rng: random.Random, regencies: dict[str, Regency], today: dt.date, scale: float) -> Batches:
    from enrollment.models import months_between

    n_people = round(1_000_000 * scale)
    n_batches = max(1, round(10_000 * scale))
    codes = sorted(regencies)
    weights = [regencies[c].weight for c in codes]
    # People spread over batches of varying size (a few hundred at most, some of a handful).
    size_weight = [rng.lognormvariate(0, 0.6) for _ in range(n_batches)]
    sizes = Counter(rng.choices(range(n_batches), weights=size_weight, k=n_people))

    batch_rows, participant_rows, member_rows = [], [], []
    money = defaultdict(lambda: [0, 0, 0])  # (region, year, source) → [committed, to come, clerk]
    allocation_of_batch = {}
    serials: Counter = Counter()
    person = member = 0
    for batch_id in range(1, n_batches + 1):
        size = sizes.get(batch_id - 1, 0)
        if not size:
            continue
        regency = regencies[rng.choices(codes, weights=weights)[0]]
        state = _pick(rng, BATCH_STATES)
        cancelled_from_active = state == "cancelled" and rng.random() < 0.6
        kind = "village_officials" if rng.random() < 0.15 else "vulnerable_workers"
        if kind == "village_officials":
            source = "dana_desa" if rng.random() < 0.5 else "apbd"
        else:
            source = _pick(rng, [("dbhcht", 55), ("apbd", 35), ("other", 10)])
        roll = rng.random()
        if source == "dana_desa" or roll < 0.1:
            area = rng.choices(regency.villages, cum_weights=regency.village_cum)[0]
        elif roll < 0.35:
            area = rng.choice(sorted(regency.districts))
        else:
            area = regency.code
        villages, cum = regency.villages_of(area)
        start, end = _period(rng, "active" if cancelled_from_active else state, today)
        months = months_between(start, end)
        ran = state == "active" or cancelled_from_active
        covered_from = min(start + dt.timedelta(days=rng.randint(0, 20)), today) if ran else None
        covered_until = end if ran else None
        if cancelled_from_active:
            last_day = min(end, today - dt.timedelta(days=1))
            if covered_from < last_day:
                covered_until = covered_from + dt.timedelta(days=rng.randint(0, (last_day - covered_from).days))
        changed = _stamp(covered_from) if covered_from else _stamp(min(start, today) - dt.timedelta(days=10))
        created = changed - dt.timedelta(days=rng.randint(7, 60))

        accepted = 0
        for village in rng.choices(villages, cum_weights=cum, k=size):
            person += 1
            member += 1
            sex = "L" if rng.random() < 0.55 else "P"
            birth = today - dt.timedelta(days=rng.randint(18 * 365, 60 * 365))
            born = f"{birth.day + (40 if sex == 'P' else 0):02d}{birth:%m}{birth.year % 100:02d}"
            district = village[:8].replace(".", "")
            serials[district, born] += 1
            nik = f"{district}{born}{serials[district, born]:04d}"
            if kind == "village_officials":
                occupation, group, position = "Perangkat desa", "village_official", rng.choice(POSITIONS)
            else:
                occupation, group, _w = rng.choices(OCCUPATIONS, weights=[o[2] for o in OCCUPATIONS])[0]
                position = ""
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            confirmed = ran and rng.random() < 0.98  # BPJS confirms nearly everyone
            kpj = f"{24_000_000_000 + person}" if confirmed else ""
            participant_rows.append(
                (person, nik, "", name, sex, birth, village, occupation, group, "", kpj, created, changed)
            )
            if ran:
                member_state, reason = ("accepted", "") if confirmed else ("rejected", "Tidak dikonfirmasi BPJS.")
                accepted += confirmed
            else:
                member_state, reason = "pending", ""
            is_open = state in ("draft", "submitted", "verified", "approved")
            member_rows.append(
                (member, batch_id, person, member_state, reason, position, is_open, "[]",
                 covered_from if confirmed else None, covered_until if confirmed else None, created, changed)
            )  # fmt: skip
        member_count = accepted if ran else size
        total_cost = member_count * PREMIUM * months
        region = area if source == "dana_desa" else regency.code
        key = (region, start.year, source)
        if state in ("active", "approved"):
            money[key][0] += total_cost
        elif state in ("draft", "submitted", "verified"):
            money[key][1] += total_cost
        money[key][2] = regency.clerk
        if state in ("active", "approved", "cancelled"):
            allocation_of_batch[batch_id] = key
        decree = f"188/{batch_id}/KEP/435.{regency.code[3:]}/{start.year}" if state in ("active", "approved") else ""
        reason = {"rejected": "Data anggota tidak lengkap.", "cancelled": "Anggaran dialihkan."}.get(state, "")
        batch_rows.append(
            [batch_id, kind, state, regency.code, area, source, start.year, start, end, 1_000_000, '["jkk", "jkm"]',
             PREMIUM, member_count, total_cost, decree, f"{kind.replace('_', ' ').title()} {area} {start:%Y-%m}",
             None, rng.choice([regency.clerk, *regency.officers]), changed, reason, created, changed]
        )  # fmt: skip

    allocation_rows, allocation_ids = [], {}
    for allocation_id, (key, (committed, to_come, clerk)) in enumerate(sorted(money.items()), start=1):
        region, year, source = key
        # Enough for what is committed and what is on its way, with money to spare.
        amount = max(int(round((committed + to_come) * rng.uniform(1.05, 1.6), -6)), committed + 1_000_000)
        stamp = _stamp(dt.date(year, 1, 10))
        allocation_rows.append((allocation_id, region, year, source, amount, "", clerk, stamp, stamp))
        allocation_ids[key] = allocation_id
    allocation_column = BATCH_COLUMNS.index("allocation_id")
    for row in batch_rows:
        key = allocation_of_batch.get(row[0])
        row[allocation_column] = allocation_ids[key] if key else None
    return Batches([tuple(r) for r in batch_rows], participant_rows, member_rows, allocation_rows)


# --- Employers and compliance cases ---------------------------------------------------------------

EMPLOYER_COLUMNS = ["id", "npp", "nib", "name", "name_key", "village_id", "regency_id", "address", "sector", "size",
                    "reported_workers", "reported_wages", "reported_source", "reported_as_of", "bpjs_workers",
                    "bpjs_wages", "bpjs_programmes", "bpjs_source", "bpjs_as_of", "status", "pds_workers",
                    "pds_wages", "pds_programme", "pwbd", "gap_workers", "gap_wages", "created_at",
                    "updated_at"]  # fmt: skip
CASE_COLUMNS = ["id", "employer_id", "regency_id", "finding", "state", "gap_workers", "gap_wages", "opened_on",
                "opened_by_id", "last_step", "due_on", "closed_on", "closed_by_id", "outcome", "workers_added",
                "wages_added", "notes", "created_at", "updated_at", "village_id", "programmes_added", "bpjs_step",
                "inspection_step", "bpjs_due_on", "inspection_due_on", "fine_amount"]  # fmt: skip
STEP_COLUMNS = ["id", "case_id", "kind", "taken_on", "due_on", "document_number", "notes", "recorded_by_id",
                "recorded_at", "premiums_owed", "fine_months", "fine_amount"]  # fmt: skip


@dataclass
class Employers:
    employers: list[tuple]
    cases: list[tuple]
    steps: list[tuple]
    by_regency: dict[str, list[tuple[int, str]]]  # regency → [(employer id, village)]


def add_weekdays(start: dt.date, days: int) -> dt.date:
    """`ucj.workdays.add_working_days` without the holidays (none are loaded here)."""
    day = start
    while days:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def _figures(rng: random.Random, profile: str, size: str, workers: int) -> dict:
    """Both sides' figures for an employer of `profile`: what the labour office was told (WLKP)
    and what BPJS has registered."""
    average = rng.randint(2_200, 6_500) * 1_000
    registered_workers, registered_average = workers, average
    programmes = list(MANDATORY[size])
    if profile in ("pds_workers", "workers_and_wages"):
        registered_workers = max(1, round(workers * rng.uniform(0.3, 0.9)))
        if registered_workers >= workers:
            registered_workers = workers - 1 if workers > 1 else 0
    if profile in ("pds_wages", "workers_and_wages", "wages_and_programme"):
        registered_average = round(average * rng.uniform(0.5, 0.85))
    if profile in ("pds_programme", "wages_and_programme"):
        programmes.remove(rng.choice(programmes[1:]))
    figures = {
        "reported_workers": workers,
        "reported_wages": workers * average,
        "bpjs_workers": registered_workers,
        "bpjs_wages": registered_workers * registered_average,
        "bpjs_programmes": programmes,
    }
    if profile == "pwbd":
        figures.update(bpjs_workers=None, bpjs_wages=None, bpjs_programmes=[])
    if profile == "unassessed":
        figures.update(reported_workers=None, reported_wages=None)
    return figures


def employers_rows(rng: random.Random, regencies: dict[str, Regency], today: dt.date, scale: float) -> Employers:
    from django.utils import timezone

    from enrollment.models import Employer
    from enrollment.selectors import employer_assess
    from enrollment.services.employers import name_key

    n = max(1, round(20_000 * scale))
    codes = sorted(regencies)
    # Employers sit where the wage earners are: the cities and Java first.
    weights = [regencies[c].workforce * (3.0 if regencies[c].is_city else 1.0) for c in codes]
    now = timezone.now()
    reported_as_of, bpjs_as_of = dt.date(today.year, 1, 31), add_months(today.replace(day=1), -1)
    employer_rows, case_rows, step_rows = [], [], []
    by_regency = defaultdict(list)
    case_id = step_id = 0
    for employer_id in range(1, n + 1):
        regency = regencies[rng.choices(codes, weights=weights)[0]]
        village = rng.choice(regency.villages)
        profile = _pick(rng, EMPLOYER_PROFILES)
        size, _w, low, high = rng.choices(SIZES, weights=[s[1] for s in SIZES])[0]
        figures = _figures(rng, profile, size, rng.randint(low, high))
        registered = profile != "pwbd"
        words = rng.sample(TRADE_WORDS, 2)
        name = f"{rng.choice(LEGAL_FORMS)} {words[0]} {words[1]} {employer_id}"
        employer = Employer(name=name, village_id=village, regency_id=regency.code, size=size, **figures)
        employer.npp = f"{regency.code[:2]}{employer_id:08d}" if registered else ""
        assessment = employer_assess(employer)
        findings = {f.finding for f in assessment.findings}
        employer_rows.append(
            (employer_id, employer.npp, f"{912_000_000_0000 + employer_id}" if rng.random() < 0.9 else "", name,
             name_key(name), village, regency.code, f"Jl. {words[0]} No. {rng.randint(1, 200)}", rng.choice(SECTORS),
             size, figures["reported_workers"], figures["reported_wages"],
             "bench: WLKP" if figures["reported_workers"] is not None else "",
             reported_as_of if figures["reported_workers"] is not None else None,
             figures["bpjs_workers"], figures["bpjs_wages"], json.dumps(figures["bpjs_programmes"]),
             "bench: BPJamsostek cabang" if registered else "", bpjs_as_of if registered else None,
             assessment.status, "pds_workers" in findings, "pds_wages" in findings, "pds_programme" in findings,
             "pwbd" in findings, assessment.gap_workers, assessment.gap_wages, now, now)
        )  # fmt: skip
        by_regency[regency.code].append((employer_id, village))
        if not findings or rng.random() < 0.5:
            continue
        for detail in assessment.findings:
            case_id += 1
            steps, case = _case(rng, today, detail)
            clerk = regency.clerk
            # The fine: 0.1 % a month (PP 86/2013 art. 7(3)) of a month's premiums at 6.24 % of the gap.
            owed = max(detail.gap_wages, 1_000_000) * 624 // 10_000
            fine = (owed + 500) // 1000 if any(kind == "fine" for kind, _day, _due in steps) else None
            case_rows.append(
                (case_id, employer_id, regency.code, detail.finding, case["state"], detail.gap_workers,
                 detail.gap_wages, case["opened_on"], clerk, case["last_step"], case["due_on"], case["closed_on"],
                 clerk if case["closed_on"] else None, case["outcome"], case["workers_added"], 0, "",
                 _stamp(case["opened_on"]), _stamp(case["closed_on"] or case["opened_on"]),
                 village if case["closed_on"] else None, json.dumps(case["programmes_added"]), case["last_step"], "",
                 case["due_on"] if case["last_step"] and case["state"] == "open" else None, None, fine)
            )  # fmt: skip
            for kind, taken_on, due_on in steps:
                step_id += 1
                number = f"560/{step_id}/435.{regency.code[3:]}/{taken_on.year}"
                facts = (owed, 1, fine) if kind == "fine" else (None, None, None)
                step_rows.append(
                    (step_id, case_id, kind, taken_on, due_on, number, "", clerk, _stamp(taken_on, 14), *facts)
                )
    return Employers(employer_rows, case_rows, step_rows, by_regency)


def _case(rng: random.Random, today: dt.date, detail) -> tuple[list[tuple], dict]:
    """A case's steps in the order of PP 86/2013, each after the employer's deadline of the one
    before; then placed in time: closed with an outcome in the last year, or open with the
    employer's deadline still running (seven in ten) or passed (overdue)."""
    n_steps = rng.choices(range(5), weights=[30, 30, 20, 12, 8])[0]
    taken, offsets = 0, []
    for kind in STEP_ORDER[:n_steps]:
        # After the employer's deadline of a warning (10 working days: 14 calendar days at most).
        taken += rng.randint(1, 20) + (14 if offsets and offsets[-1][0] in DEADLINE_STEPS else 0)
        offsets.append((kind, taken))
    last = offsets[-1][1] if offsets else 0
    closing = rng.random() < 0.3
    if closing:
        end = last + rng.randint(5, 60)
        opened_on = today - dt.timedelta(days=rng.randint(0, 300) + end)
    elif not offsets or offsets[-1][0] in DEADLINE_STEPS:
        # The deadline of the last step (or of the opening) falls 14 days after it.
        due_in = rng.randint(0, 13) if rng.random() < 0.7 else -rng.randint(1, 45)
        opened_on = today + dt.timedelta(days=due_in - 14 - last)
    else:
        opened_on = today - dt.timedelta(days=rng.randint(0, 90) + last)
    steps = []
    for kind, offset in offsets:
        day = opened_on + dt.timedelta(days=offset)
        steps.append((kind, day, add_weekdays(day, CASE_STEP_WORKING_DAYS) if kind in DEADLINE_STEPS else None))
    case = {
        "state": "open",
        "opened_on": opened_on,
        "last_step": steps[-1][0] if steps else "",
        "due_on": steps[-1][2] if steps else add_weekdays(opened_on, CASE_STEP_WORKING_DAYS),
        "closed_on": None,
        "outcome": "",
        "workers_added": 0,
        "programmes_added": [],
    }
    if closing:
        outcome = _pick(rng, OUTCOMES)
        workers = detail.gap_workers if detail.finding in ("pwbd", "pds_workers") else 0
        if outcome == "complied" and workers == 0 and detail.finding in ("pwbd", "pds_workers"):
            outcome = "not_obliged"
        added = {"complied": workers, "partly": workers // 2}.get(outcome, 0)
        programmes = {"complied": detail.missing_programmes, "partly": detail.missing_programmes[:1]}.get(outcome, [])
        closed_on = opened_on + dt.timedelta(days=end)
        case.update(state="closed", due_on=None, closed_on=closed_on, outcome=outcome, workers_added=added)
        case["programmes_added"] = list(programmes)
    return steps, case


# --- Outreach events ------------------------------------------------------------------------------

EVENT_COLUMNS = ["id", "client_id", "payload_hash", "kind", "date", "time", "regency_id", "created_by_id", "partner",
                 "partner_agency", "farmers", "livestock_keepers", "fishers", "village_officials", "others", "notes",
                 "latitude", "longitude", "planting_season", "distribution_point_kind", "distribution_point",
                 "employer_id", "created_at", "updated_at"]  # fmt: skip


@dataclass
class Events:
    events: list[tuple]
    villages: list[tuple]
    officers: list[tuple]


def _season(day: dt.date) -> str:
    if day.month >= 10 or day.month <= 3:
        return "rendeng"
    return "gadu" if day.month <= 7 else "kemarau"


def _attendance(rng: random.Random, kind: str) -> tuple[int, int, int, int, int]:
    if kind == "employer_visit":
        return 0, 0, 0, 0, rng.randint(0, 30)
    scale = {"village_visit": 15, "socialisation": 60, "fertiliser_distribution": 80, "festival": 120, "other": 10}
    n = scale[kind]
    farmers = rng.randint(n // 3, n * 2) if kind != "festival" else rng.randint(0, n)
    return farmers, rng.randint(0, n // 3), rng.randint(0, n // 4), rng.randint(0, 6), rng.randint(0, n)


def events_rows(
    rng: random.Random, regencies: dict[str, Regency], today: dt.date, scale: float, employers: dict
) -> Events:
    n = max(1, round(100_000 * scale))
    codes = sorted(regencies)
    # Outreach follows the drive, less unevenly than enrollment does.
    weights = [regencies[c].weight ** 0.7 for c in codes]
    # The villages officers go to: most of those where people enroll, and some others.
    reach = {}
    for code in codes:
        regency = regencies[code]
        cum, total = [], 0.0
        for i in range(len(regency.villages)):
            w = regency._weight(i) if rng.random() < 0.8 else (rng.lognormvariate(0, 1.0) if rng.random() < 0.4 else 0)
            total += w
            cum.append(total)
        reach[code] = cum if total else None
    span = 18 * 30
    event_rows, village_rows, officer_rows = [], [], []
    for event_id in range(1, n + 1):
        regency = regencies[rng.choices(codes, weights=weights)[0]]
        kind = _pick(rng, EVENT_KINDS)
        # More events lately: the density grows toward today.
        day = today - dt.timedelta(days=int(span * (1 - rng.random() ** 0.6)))
        hour = rng.choice([None, 8, 9, 10, 13, 14, 19])
        employer_id = None
        if kind == "employer_visit" and employers.get(regency.code):
            employer_id, village = rng.choice(employers[regency.code])
            villages = [village]
        else:
            first = rng.choices(regency.villages, cum_weights=reach[regency.code] or regency.village_cum)[0]
            villages = [first]
            if kind in ("socialisation", "fertiliser_distribution") and rng.random() < 0.4:
                neighbours = [regency.villages[i] for i in regency.districts[first[:8]]]
                villages = sorted(set(villages + rng.sample(neighbours, min(len(neighbours), rng.randint(1, 3)))))
        officer = rng.choice(regency.officers)
        agency, partner = PARTNERS[kind]
        fertiliser = kind == "fertiliser_distribution"
        point_kind = rng.choice(["kiosk", "farmer_group"]) if fertiliser else ""
        point = ("Kios Tani " if point_kind == "kiosk" else "Poktan ") + rng.choice(TRADE_WORDS) if fertiliser else ""
        stamp = _stamp(day, hour or 17)
        event_rows.append(
            (event_id, uuid.UUID(int=rng.getrandbits(128), version=4), "", kind, day,
             dt.time(hour) if hour is not None else None, regency.code, officer, partner, agency,
             *_attendance(rng, kind), "", None, None, _season(day) if fertiliser else "", point_kind, point,
             employer_id, stamp, stamp)
        )  # fmt: skip
        village_rows.extend((event_id, village, day, kind) for village in villages)
        officer_rows.append((event_id, officer))
        others = [o for o in regency.officers if o != officer]
        if others and rng.random() < 0.35:
            officer_rows.append((event_id, rng.choice(others)))
    return Events(event_rows, village_rows, officer_rows)


# --- Past snapshots -------------------------------------------------------------------------------


def snapshots_history(*, today: dt.date, months: int) -> int:
    """Snapshots of past days written directly from today's: one a month for every region and one
    a day for the last 30 days for the country, provinces and regencies. Figures are drawn back
    at a rate of the province's (so that a province's regencies still sum to it), the UCJ share
    faster; the country is then the sum of its provinces, as the engine would make it."""
    from django.db import connection, transaction

    # The same day of each month (the 28th at most), and each of the last 30 days.
    days = [(add_months(today.replace(day=1), -k).replace(day=min(today.day, 28)), True) for k in range(1, months + 1)]
    days += [(today - dt.timedelta(days=k), False) for k in range(1, 31)]
    every_level = defaultdict(bool)
    for day, all_levels in days:
        every_level[day] |= all_levels
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE bench_days (day date PRIMARY KEY, all_levels boolean) ON COMMIT DROP")
        with cursor.cursor.copy("COPY bench_days (day, all_levels) FROM STDIN") as out:
            for day, all_levels in sorted(every_level.items()):
                out.write_row((day, all_levels))
        # f: how much of today's figure a past day had (1 today, lower further back); the UCJ
        # share goes back faster (the drive began 18 months ago).
        cursor.execute(
            """
            INSERT INTO ucj_coveragesnapshot (region_id, date, computed_at, is_current, workforce, workforce_year,
                active, pu, bpu, jakon, pmi, bpjs_as_of, ucj_active, ucj_change, percent, target_percent,
                target_year, gap_points, gap_people, sources, missing)
            SELECT s.region_id, d.day, (d.day + time '02:00') AT TIME ZONE 'Asia/Jakarta', false, s.workforce,
                s.workforce_year, a.active, round(s.pu * f.f), round(s.bpu * f.f), round(s.jakon * f.f),
                round(s.pmi * f.f), s.bpjs_as_of, round(s.ucj_active * f.ucj), round(s.ucj_change * f.ucj),
                a.percent, s.target_percent, s.target_year, s.target_percent - a.percent,
                ceil(s.workforce * s.target_percent / 100.0) - a.active, s.sources, s.missing
            FROM ucj_coveragesnapshot s
            JOIN ucj_region r ON r.code = s.region_id
            CROSS JOIN bench_days d
            CROSS JOIN LATERAL (
                SELECT 1 - (%(today)s - d.day) / 365.0
                           * (0.05 + 0.15 * (hashtext(left(s.region_id, 2)) & 1023) / 1023.0) AS f,
                       greatest(0, 1 - (%(today)s - d.day) / 540.0) AS ucj
            ) f
            CROSS JOIN LATERAL (SELECT round(s.active * f.f) AS active) r1
            CROSS JOIN LATERAL (
                SELECT r1.active,
                       CASE WHEN s.workforce > 0 THEN round(r1.active * 100.0 / s.workforce, 2) END AS percent
            ) a
            WHERE s.is_current AND (d.all_levels OR r.level <= 2)
            """,
            {"today": today},
        )
        written = cursor.rowcount
        # The country: the sum of its provinces on each past day.
        cursor.execute(
            """
            UPDATE ucj_coveragesnapshot n SET active = p.active, pu = p.pu, bpu = p.bpu, jakon = p.jakon,
                pmi = p.pmi, ucj_active = p.ucj_active, ucj_change = p.ucj_change,
                percent = round(p.active * 100.0 / n.workforce, 2),
                gap_points = n.target_percent - round(p.active * 100.0 / n.workforce, 2),
                gap_people = ceil(n.workforce * n.target_percent / 100.0) - p.active
            FROM (SELECT s.date, sum(s.active) AS active, sum(s.pu) AS pu, sum(s.bpu) AS bpu, sum(s.jakon) AS jakon,
                         sum(s.pmi) AS pmi, sum(s.ucj_active) AS ucj_active, sum(s.ucj_change) AS ucj_change
                  FROM ucj_coveragesnapshot s JOIN ucj_region r ON r.code = s.region_id
                  WHERE r.level = 1 AND NOT s.is_current GROUP BY s.date) p
            WHERE n.region_id = 'ID' AND n.date = p.date AND NOT n.is_current AND n.workforce > 0
            """
        )
    log(f"{written:,} past snapshots on {len(every_level)} days")
    return written


if __name__ == "__main__":
    sys.exit(main())
