"""Demo data of the core, from the news reports in shared/seeds: Kabupaten Bangkalan (about
500,000 working people, 14.3 % covered, 41,000 of them wage earners), Bali's province figures and
the 2025 targets. Idempotent: running it again leaves the same rows."""

import datetime as dt
from decimal import Decimal

from django.db import transaction

from ucj.models import ROOT_CODE, CoverageTarget, MembershipCount, Region, Role, WorkforceEstimate
from ucj.services import regions_load, user_assign

BANGKALAN = "35.26"
JAWA_TIMUR = "35"
DEMO_PROVINCES = ["35", "51", "17"]  # Jawa Timur (Bangkalan, Pamekasan), Bali, Bengkulu
OFFICER_DISTRICTS = ["35.26.01", "35.26.02", "35.26.03"]  # Bangkalan, Socah, Burneh
DEMO_PASSWORD = "ucj-demo-2025"

SRC_BANGKALAN = "BPJS Ketenagakerjaan (Ketua Dewan Pengawas) in beritadata.id, 14 March 2025"
SRC_BALI = "BPJamsostek Kanwil Banuspa in ANTARA, 30 April 2025 (figures as of 31 March 2025)"
SRC_BENGKULU = "BPJS Ketenagakerjaan Cabang Bengkulu in Beritamerdekaonline.com, 5 July 2025"
SRC_KEMENDAGRI = "Kemendagri UCJ target 2025"


def users() -> list[tuple[str, str, list[str]]]:
    return [
        ("officer", Role.FIELD_OFFICER, OFFICER_DISTRICTS),
        ("disnaker", Role.LABOUR_OFFICE, [BANGKALAN]),
        ("supervisor", Role.SUPERVISOR, [JAWA_TIMUR]),
        ("admin", Role.ADMIN, [ROOT_CODE]),
    ]


@transaction.atomic
def seed(*, password: str = DEMO_PASSWORD, log=print) -> None:
    missing = [code for code in DEMO_PROVINCES if not Region.objects.filter(code=code).exists()]
    if missing:
        result = regions_load(provinces=missing)
        log(f"Loaded provinces {', '.join(missing)}: {result.created} regions.")

    # Bangkalan: "dari potensi 500 ribu pekerja, sudah ada 14,3 persen ... 41 ribu merupakan
    # pekerja formal penerima upah, sedangkan sisanya berasal dari sektor informal".
    total = round(500_000 * Decimal("0.143"))  # 71,500
    WorkforceEstimate.objects.update_or_create(
        region_id=BANGKALAN,
        year=2025,
        defaults={"workers": 500_000, "source": SRC_BANGKALAN, "as_of": dt.date(2025, 3, 14)},
    )
    MembershipCount.objects.update_or_create(
        region_id=BANGKALAN,
        as_of=dt.date(2025, 3, 14),
        defaults={
            "total": total,
            "pu": 41_000,
            "bpu": total - 41_000,
            "jakon": None,
            "pmi": None,
            "source": SRC_BANGKALAN,
        },
    )
    # Bali: 935,079 participants of 1,873,899 working people (reported as 50.88 %; the division
    # gives 49.90 %, which is why every figure keeps its source).
    WorkforceEstimate.objects.update_or_create(
        region_id="51", year=2025, defaults={"workers": 1_873_899, "source": SRC_BALI, "as_of": dt.date(2025, 3, 31)}
    )
    MembershipCount.objects.update_or_create(
        region_id="51", as_of=dt.date(2025, 3, 31), defaults={"total": 935_079, "source": SRC_BALI}
    )
    for code, percent, source in [
        (ROOT_CODE, "52.15", SRC_KEMENDAGRI),
        ("51", "67.28", f"{SRC_KEMENDAGRI} ({SRC_BALI})"),
        ("17", "48.00", f"{SRC_KEMENDAGRI} ({SRC_BENGKULU})"),
    ]:
        CoverageTarget.objects.update_or_create(
            region_id=code, year=2025, defaults={"percent": Decimal(percent), "source": source}
        )

    for username, role, regions in users():
        user_assign(username=username, role=role, region_codes=regions, password=password, check_password=False)
    log(f"Demo users (password: {password}):")
    for username, role, regions in users():
        log(f"  {username:<11} {Role(role).label:<15} {', '.join(regions)}")
