"""Demo data of the core, from the news reports in shared/seeds: Kabupaten Bangkalan (about
500,000 working people, 14.3 % covered, 41,000 of them wage earners) and its 18 districts, Bali
(935,079 of 1,873,899 working people; target 67.28 %) with Badung (58.68 %) and Bangli (35.52 %),
Bengkulu (28 % against 48 %); Bangkalan's farmers under half covered and its fishers almost all
(the report's words, with demo counts consistent with them). Where a report gives a percentage
but not the figures behind it, the demo assumes a working population and says so in the source.
Idempotent."""

import datetime as dt
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count

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

SRC_BANGKALAN = "BPJS Ketenagakerjaan (Ketua Dewan Pengawas) in beritadata.id, 14 March 2025"
SRC_BALI = "BPJamsostek Kanwil Banuspa in ANTARA, 30 April 2025 (figures as of 31 March 2025)"
SRC_BENGKULU = "BPJS Ketenagakerjaan Cabang Bengkulu in Beritamerdekaonline.com, 5 July 2025"
SRC_KEMENDAGRI = "Kemendagri UCJ target 2025"
ASSUMED = "working population assumed for the demo"
SRC_BANGKALAN_SPLIT = f"Demo split of {SRC_BANGKALAN} over the districts by village count"

# Badung and Bangli: the reports give only the percentages (58.68 %, 35.52 %); the demo assumes
# working populations and derives the participants that give those percentages.
BALI_REGENCIES = [
    ("51.03", 372_450, 218_554, "58.68 % reported"),  # Badung: 218,554 ÷ 372,450 = 58.68 %
    ("51.06", 151_200, 53_706, "35.52 % reported"),  # Bangli: 53,706 ÷ 151,200 = 35.52 %
]
# Bengkulu: 28 % against a target of 48 %, working population assumed.
BENGKULU = ("17", 1_052_000, 294_560)
# Bangkalan's vulnerable workers by occupation. The report (Apkasi.org / RadarBangsa.co.id, 22
# September 2025) says only "dari petani saja belum sampai 50 persen yang tercover" and "hampir
# seluruh nelayan ... telah memiliki perlindungan": the counts are the demo's, chosen to say the
# same (farmers 46 %, fishers 96 %) and to fit inside BPJS's 30,500 non-wage (BPU) participants.
SRC_BANGKALAN_OCCUPATIONS = (
    "Demo figures consistent with Pemkab Bangkalan in Apkasi.org / RadarBangsa.co.id, 22 September 2025 "
    '("petani belum sampai 50 persen", "hampir seluruh nelayan"); the report publishes no counts'
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
        _counts(code, bali_as_of, active, f"{SRC_BALI}; {reported}, participants derived from it")

    # The national target for 2025 (DESIGN §1: 52.15 %).
    _target(ROOT_CODE, 2025, "52.15", SRC_KEMENDAGRI, dt.date(2025, 1, 1))

    code, w, active = BENGKULU
    bengkulu_as_of = dt.date(2025, 7, 5)
    _workforce(code, 2025, w, f"{SRC_BENGKULU}; {ASSUMED}", bengkulu_as_of)
    _counts(code, bengkulu_as_of, active, f"{SRC_BENGKULU}; 28 % reported, participants derived from it")
    _target(code, 2025, "48.00", f"{SRC_KEMENDAGRI} ({SRC_BENGKULU})", bengkulu_as_of)

    log(
        f"Coverage facts: Bangkalan and its {len(districts)} districts (with coverage by occupation), Bali, Badung, "
        "Bangli, Bengkulu."
    )


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
