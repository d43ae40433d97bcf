"""Demo data of the core, from the news reports in shared/seeds: Kabupaten Bangkalan (about
500,000 working people, 14.3 % covered, 41,000 of them wage earners) and its 18 districts, Bali
(935,079 of 1,873,899 working people; target 67.28 %) with Badung (58.68 %) and Bangli (35.52 %),
Bengkulu (28 % against 48 %); Bangkalan's farmers under half covered and its fishers almost all
(the report's words, with demo counts consistent with them). Where a report gives a percentage
but not the figures behind it, the demo assumes a working population and says so in the source.
Idempotent."""

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal
from unittest import mock

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from ucj.boundaries.services import boundaries_load_provinces
from ucj.models import (
    ROOT_CODE,
    CoverageTarget,
    MembershipCount,
    OccupationFigure,
    OccupationGroup,
    Region,
    Role,
    WorkforceEstimate,
)
from ucj.services import regions_load, user_assign

BANGKALAN = "35.26"
JAWA_TIMUR = "35"
DEMO_PROVINCES = ["35", "51", "17"]  # Jawa Timur (Bangkalan, Pamekasan), Bali, Bengkulu
OFFICER_DISTRICTS = ["35.26.01", "35.26.02", "35.26.03"]  # Bangkalan, Socah, Burneh
DEMO_PASSWORD = "ucj-demo-2025"
UNASSIGNED_USER = "petugas_baru"

# The sources as a page shows them beside each figure, in Indonesian like the rest of the page;
# without the figure's date, which the page writes beside them (the date of the count).
SRC_BANGKALAN = "Ketua Dewan Pengawas BPJS Ketenagakerjaan, dikutip beritadata.id"
SRC_BALI = "BPJamsostek Kanwil Banuspa, dikutip ANTARA (berita 30 April 2025)"
SRC_BENGKULU = "BPJS Ketenagakerjaan Cabang Bengkulu, dikutip Beritamerdekaonline.com"
SRC_KEMENDAGRI = "Target UCJ Kemendagri"
ASSUMED = "jumlah penduduk bekerja diasumsikan untuk demo"
SRC_BANGKALAN_SPLIT = f"Pembagian demo atas kecamatan menurut jumlah desa, dari angka {SRC_BANGKALAN}"
# Bangkalan's target: the report speaks of "target Universal Coverage Jamsostek pada 2025" without
# a figure for the regency, so the demo's targets are illustrative and say so.
SRC_BANGKALAN_TARGET = (
    "Target ilustratif untuk demo (beritadata.id menyebut target Universal Coverage Jamsostek 2025 tanpa angka "
    "untuk Bangkalan)"
)
BANGKALAN_TARGETS = [(-1, "20.00"), (0, "22.00")]  # (years from now, percent)
# BPJS's monthly figures for Bangkalan, continuing from 14.3 % (March 2025): the monthly import of
# the branch's figures that a labour office gets, as demo numbers, so that the trend and the month
# on month changes have data. People added each month, from 13 months ago to last month.
SRC_BANGKALAN_MONTHLY = (
    "Data kepesertaan bulanan BPJS Ketenagakerjaan Kantor Cabang Madura (angka ilustratif demo, lanjutan "
    "14,3 % per Maret 2025)"
)
BANGKALAN_MONTHLY_START = 72_480  # 13 month-ends ago
BANGKALAN_MONTHLY_GAINS = [310, 260, 420, 380, 450, 520, 1_150, 640, 590, 880, 1_240, 710]  # June: DBHCHT
HISTORY_MONTHS = len(BANGKALAN_MONTHLY_GAINS) + 1

# Badung and Bangli: the reports give only the percentages (58.68 %, 35.52 %); the demo assumes
# working populations and derives the participants that give those percentages.
BALI_REGENCIES = [
    ("51.03", 372_450, 218_554, "58,68 %"),  # Badung: 218,554 ÷ 372,450 = 58.68 %
    ("51.06", 151_200, 53_706, "35,52 %"),  # Bangli: 53,706 ÷ 151,200 = 35.52 %
]
# Bengkulu: 28 % against a target of 48 %, working population assumed.
BENGKULU = ("17", 1_052_000, 294_560)
# Bangkalan's vulnerable workers by occupation. The report (Apkasi.org / RadarBangsa.co.id, 22
# September 2025) says only "dari petani saja belum sampai 50 persen yang tercover" and "hampir
# seluruh nelayan ... telah memiliki perlindungan": the counts are the demo's, chosen to say the
# same (farmers 46 %, fishers 96 %) and to fit inside BPJS's 30,500 non-wage (BPU) participants.
SRC_BANGKALAN_OCCUPATIONS = (
    "Angka demo yang sesuai dengan Pemkab Bangkalan, dikutip Apkasi.org / RadarBangsa.co.id (berita 22 September "
    '2025: "petani belum sampai 50 persen", "hampir seluruh nelayan"); berita tidak memuat jumlahnya'
)
BANGKALAN_OCCUPATIONS = [
    (OccupationGroup.FARMER, 40_000, 18_400),
    (OccupationGroup.FISHER, 9_000, 8_650),
    (OccupationGroup.LIVESTOCK, 12_000, 2_900),
]
# Regions whose whole subtree gets snapshots, so that every child shows what it lacks.
COVERAGE_ROOTS = [BANGKALAN, "51", "17"]


def users() -> list[tuple[str, str, list[str]]]:
    return [
        ("officer", Role.FIELD_OFFICER, OFFICER_DISTRICTS),
        ("disnaker", Role.LABOUR_OFFICE, [BANGKALAN]),
        # The head of the labour office (Kepala Dinas): four eyes, so the clerk verifies batches
        # and the head approves them (DESIGN §3).
        ("kadis", Role.LABOUR_OFFICE, [BANGKALAN]),
        ("supervisor", Role.SUPERVISOR, [JAWA_TIMUR]),
        ("admin", Role.ADMIN, [ROOT_CODE]),
    ]


@transaction.atomic
def seed(*, password: str = DEMO_PASSWORD, log=print) -> None:
    missing = [code for code in DEMO_PROVINCES if not Region.objects.filter(code=code).exists()]
    if missing:
        result = regions_load(provinces=missing)
        log(f"Loaded provinces {', '.join(missing)}: {result.created} regions.")
    # The national map: the shipped province shapes (CC BY 4.0) of the provinces loaded.
    shapes = boundaries_load_provinces()
    if shapes.written:
        log(f"Province boundaries: {shapes.written} written.")

    coverage_facts(log=log)

    for username, role, regions in users():
        user_assign(username=username, role=role, region_codes=regions, password=password, check_password=False)
    log(f"Demo users (password: {password}):")
    for username, role, regions in users():
        log(f"  {username:<11} {Role(role).label:<15} {', '.join(regions)}")
    # An account opened for a new officer and not yet given a region: what the administrator's
    # to-do list asks them to settle. It cannot log in (no password) until it is.
    newcomer, created = get_user_model().objects.get_or_create(
        username=UNASSIGNED_USER, defaults={"first_name": "Petugas", "last_name": "Baru (Kwanyar)"}
    )
    if created:
        newcomer.set_unusable_password()
        newcomer.save(update_fields=["password"])
        log(f"  {UNASSIGNED_USER:<11} (no role or region yet: for the administrator to assign)")


def _split(total: int, weights: list[float]) -> list[int]:
    """Whole numbers proportional to the weights that add up to exactly `total`."""
    raw = [total * w / sum(weights) for w in weights]
    parts = [int(x) for x in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)[: total - sum(parts)]:
        parts[i] += 1
    return parts


def coverage_facts(*, log=print) -> None:
    """Working population, BPJS's counts and targets from the seeds. seed_demo recalculates the
    coverage of the demo's regions at the end."""
    # Bangkalan: "dari potensi 500 ribu pekerja, sudah ada 14,3 persen ... 41 ribu merupakan
    # pekerja formal penerima upah, sedangkan sisanya berasal dari sektor informal".
    as_of = dt.date(2025, 3, 14)
    total = round(500_000 * Decimal("0.143"))  # 71,500
    _workforce(BANGKALAN, 2025, 500_000, SRC_BANGKALAN, as_of)
    _counts(BANGKALAN, as_of, total, SRC_BANGKALAN, pu=41_000, bpu=total - 41_000)

    # Its districts, plausibly: working people by the number of villages; the town district
    # (Bangkalan, 35.26.01) has most of the wage earners, the rural ones mostly informal workers.
    districts = list(Region.objects.filter(parent_id=BANGKALAN).annotate(villages=Count("children")).order_by("code"))
    workers = _split(500_000, [d.villages for d in districts])
    pu = _split(41_000, [d.villages * (6 if d.code == "35.26.01" else 1) for d in districts])
    bpu = _split(total - 41_000, [d.villages * (1 + (i % 4) / 4) for i, d in enumerate(districts)])
    for district, w, p, b in zip(districts, workers, pu, bpu, strict=True):
        _workforce(district.code, 2025, w, SRC_BANGKALAN_SPLIT, as_of)
        _counts(district.code, as_of, p + b, SRC_BANGKALAN_SPLIT, pu=p, bpu=b)
    # Its target, and BPJS's monthly figures since (the regency's and, split alike, its districts').
    this_year = timezone.localdate().year
    for years, percent in BANGKALAN_TARGETS:
        _target(BANGKALAN, this_year + years, percent, SRC_BANGKALAN_TARGET, dt.date(this_year + years, 1, 2))
    for month_end, month_total in bangkalan_monthly():
        month_pu = 41_000 + (month_total - total) // 5  # most of the growth is informal (BPU)
        _counts(BANGKALAN, month_end, month_total, SRC_BANGKALAN_MONTHLY, pu=month_pu, bpu=month_total - month_pu)
        pu = _split(month_pu, [d.villages * (6 if d.code == "35.26.01" else 1) for d in districts])
        bpu = _split(month_total - month_pu, [d.villages * (1 + (i % 4) / 4) for i, d in enumerate(districts)])
        for district, p, b in zip(districts, pu, bpu, strict=True):
            _counts(district.code, month_end, p + b, SRC_BANGKALAN_MONTHLY, pu=p, bpu=b)
    # Its vulnerable workers by occupation, on the date of BPJS's count.
    for occupation, workers_of, covered in BANGKALAN_OCCUPATIONS:
        _occupation(BANGKALAN, as_of, occupation, workers_of, covered, SRC_BANGKALAN_OCCUPATIONS)

    # Bali: 935,079 participants of 1,873,899 working people (reported as 50.88 %; the division
    # gives 49.90 %, which is why every figure keeps its source).
    bali_as_of = dt.date(2025, 3, 31)
    _workforce("51", 2025, 1_873_899, SRC_BALI, bali_as_of)
    _counts("51", bali_as_of, 935_079, SRC_BALI)
    _target("51", 2025, "67.28", f"{SRC_KEMENDAGRI} ({SRC_BALI})", dt.date(2025, 4, 30))
    for code, w, active, reported in BALI_REGENCIES:
        _workforce(code, 2025, w, f"{SRC_BALI}; {ASSUMED}", bali_as_of)
        _counts(code, bali_as_of, active, f"{SRC_BALI}; dilaporkan {reported}, jumlah peserta diturunkan darinya")

    # The national target for 2025 (DESIGN §1: 52.15 %).
    _target(ROOT_CODE, 2025, "52.15", SRC_KEMENDAGRI, dt.date(2025, 1, 1))

    code, w, active = BENGKULU
    bengkulu_as_of = dt.date(2025, 7, 5)
    _workforce(code, 2025, w, f"{SRC_BENGKULU}; {ASSUMED}", bengkulu_as_of)
    _counts(code, bengkulu_as_of, active, f"{SRC_BENGKULU}; dilaporkan 28 %, jumlah peserta diturunkan darinya")
    _target(code, 2025, "48.00", f"{SRC_KEMENDAGRI} ({SRC_BENGKULU})", bengkulu_as_of)

    log(
        f"Coverage facts: Bangkalan and its {len(districts)} districts (with coverage by occupation), Bali, Badung, "
        "Bangli, Bengkulu."
    )


def history_days(today: dt.date | None = None) -> list[dt.date]:
    """The last days of the HISTORY_MONTHS months before this one, oldest first: the dates of
    BPJS's monthly figures in the demo and of the coverage history seed_demo computes."""
    day = (today or timezone.localdate()).replace(day=1)
    days = []
    for _ in range(HISTORY_MONTHS):
        day -= dt.timedelta(days=1)
        days.append(day)
        day = day.replace(day=1)
    return days[::-1]


def bangkalan_monthly(today: dt.date | None = None) -> list[tuple[dt.date, int]]:
    """(month-end, BPJS's active participants in Bangkalan) of the demo's monthly figures."""
    totals = [BANGKALAN_MONTHLY_START]
    for gain in BANGKALAN_MONTHLY_GAINS:
        totals.append(totals[-1] + gain)
    return list(zip(history_days(today), totals, strict=True))


@contextmanager
def on_day(day: dt.date, at: dt.time = dt.time(9, 0)):
    """Run the services as on `day` at `at` (local time): what they stamp (created_at, the audit
    history, "today" in their checks) then says that day. The demo tells a story of past months,
    and the audit history cannot be rewritten afterwards (it is append-only in the database), so
    the demo's past actions are taken on their own days."""
    moment = timezone.make_aware(dt.datetime.combine(day, at))
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def _workforce(code, year, workers, source, as_of):
    WorkforceEstimate.objects.update_or_create(
        region_id=code, year=year, defaults={"workers": workers, "source": source, "as_of": as_of}
    )


def _counts(code, as_of, total, source, **segments):
    defaults = {"total": total, "source": source, "pu": None, "bpu": None, "jakon": None, "pmi": None}
    MembershipCount.objects.update_or_create(region_id=code, as_of=as_of, defaults={**defaults, **segments})


def _target(code, year, percent, source, as_of):
    CoverageTarget.objects.update_or_create(
        region_id=code, year=year, defaults={"percent": Decimal(percent), "source": source, "as_of": as_of}
    )


def _occupation(code, as_of, occupation, workers, covered, source):
    OccupationFigure.objects.update_or_create(
        region_id=code,
        as_of=as_of,
        occupation=occupation,
        defaults={"workers": workers, "covered": covered, "source": source},
    )
