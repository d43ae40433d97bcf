"""Enrollment demo for Kabupaten Bangkalan: the regency pays vulnerable workers' premiums from its
tobacco-excise fund (DBHCHT, "the bottleneck" in the Bangkalan report) and its budget (APBD), and
a village pays its own officials from Dana Desa. Batches in every state of the life cycle, built
through the services (so they carry their audit history), with member lists uploaded as
spreadsheets, one of them with the mistakes clerks really make. Idempotent: a second run leaves
the demo as it is."""

import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from enrollment import services
from enrollment.models import BatchKind, BatchState, EnrollmentBatch, FundingSource, Position
from enrollment.services import BatchTerms
from ucj.models import Region

User = get_user_model()

MARK = "DEMO"  # decree numbers of demo batches start with it
BANGKALAN = "35.26"
OFFICIALS_VILLAGE_DISTRICT = "35.26.02"  # Socah

MEN = ["Moh. Hasan", "Abdurrahman", "Slamet", "Sholeh", "Ahmad Fauzi", "Mat Rawi", "Syamsul Arifin", "Zainal",
       "Hosnan", "Musleh", "Rofiq", "Junaidi", "Marzuki", "Sahrawi", "Fathorrahman"]  # fmt: skip
WOMEN = ["Siti Aminah", "Nur Hasanah", "Maimunah", "Fatimah", "Halimah", "Sumiati", "Rohmah", "Khotijah",
         "Zaitun", "Marfu'ah", "Juma'ati", "Sitti Romlah"]  # fmt: skip
FAMILY = ["", " bin Sanusi", " binti Marsuki", " Hidayat", " Efendi", " Wahyudi", " Ramadhan"]
JOBS = ["Petani", "Petani", "Petani", "Buruh Tani", "Nelayan", "Peternak Sapi", "Pedagang", "Tukang Batu"]
HEADERS = "NIK;NAMA;JENIS KELAMIN;TANGGAL LAHIR;KODE DESA;PEKERJAAN;NO HP"


class _People:
    """Invented villagers with NIKs that agree with their birth date and sex."""

    def __init__(self, seed: int):
        self.random = random.Random(seed)
        self.serial = 0

    def rows(self, villages: list[str], n: int, *, jobs=JOBS) -> list[list[str]]:
        out = []
        for _ in range(n):
            self.serial += 1
            sex = self.random.choice("LP")
            name = self.random.choice(MEN if sex == "L" else WOMEN) + self.random.choice(FAMILY)
            birth = dt.date(self.random.randint(1965, 2003), self.random.randint(1, 12), self.random.randint(1, 28))
            village = self.random.choice(villages)
            district = village[:8].replace(".", "")
            day = birth.day + (40 if sex == "P" else 0)
            nik = f"{district}{day:02d}{birth:%m}{birth.year % 100:02d}{self.serial:04d}"
            phone = (
                f"08{self.random.choice(['12', '13', '52', '57', '77'])}{self.random.randint(10_000_000, 99_999_999)}"
            )
            out.append([nik, name, sex, birth.strftime("%d/%m/%Y"), village, self.random.choice(jobs), phone])
        return out


def _csv(rows: list[list[str]], header: str = HEADERS) -> bytes:
    return ("\r\n".join([header] + [";".join(r) for r in rows]) + "\r\n").encode("utf-8-sig")


def _villages(district: str, k: int) -> list[str]:
    return list(
        Region.objects.filter(parent_id=district, kind="desa").order_by("code").values_list("code", flat=True)[:k]
    )


@transaction.atomic
def seed(*, password: str, log=print) -> None:
    if EnrollmentBatch.objects.filter(decree_number__startswith=MARK).exists():
        log("Enrollment demo: already there.")
        return
    officer = User.objects.get(username="officer")
    clerk = User.objects.get(username="disnaker")
    year = timezone.localdate().year
    people = _People(seed=3526)
    socah, bangkalan, burneh = _villages("35.26.02", 8), _villages("35.26.01", 6), _villages("35.26.03", 6)

    services.allocation_create(
        actor=clerk, region_code=BANGKALAN, year=year, source=FundingSource.DBHCHT, amount=2_000_000_000,
        note="DBHCHT: perlindungan pekerja rentan (Juni-Desember)",
    )  # fmt: skip
    services.allocation_create(
        actor=clerk, region_code=BANGKALAN, year=year, source=FundingSource.APBD, amount=150_000_000,
        note="APBD: Disperinaker, sub kegiatan jaminan sosial tenaga kerja",
    )  # fmt: skip
    officials_village = socah[0]
    services.allocation_create(
        actor=clerk, region_code=officials_village, year=year, source=FundingSource.DANA_DESA,
        amount=12 * 16_800 * 12, note="APBDes: perangkat desa",
    )  # fmt: skip

    def batch(n, *, title, source=FundingSource.DBHCHT, villages=socah, start=6, kind=BatchKind.VULNERABLE_WORKERS,
              area=None, rows=None):  # fmt: skip
        b = services.batch_create(
            actor=officer,
            terms=BatchTerms(
                kind=kind, regency_code=BANGKALAN, funding_source=source, year=year,
                period_start=dt.date(year, start, 1), period_end=dt.date(year, 12, 31),
                decree_number=f"{MARK} 188/{n}/KPTS/433.013/{year}", title=title, area_code=area,
            ),
        )  # fmt: skip
        content = _csv(rows if rows is not None else people.rows(villages, n))
        job = services.import_create(actor=officer, batch_id=b.pk, filename=f"anggota-{b.pk}.csv", content=content)
        services.import_run(job_id=job.pk)
        return b

    def advance(b, *steps, reason=""):
        for step in steps:
            actor = officer if step is services.batch_submit else clerk
            step(actor=actor, batch_id=b.pk, **({"reason": reason} if reason else {}))

    def activate(b):
        members = b.members.select_related("participant")
        confirmed = [m.participant.nik for m in members][:-1]  # BPJS did not confirm the last one
        lines = "\r\n".join(["nik,kpj"] + [f"{nik},2{b.pk:03d}{i:07d}" for i, nik in enumerate(confirmed)])
        job = services.import_create(
            actor=clerk, batch_id=b.pk, filename="konfirmasi-bpjs.csv", content=lines.encode(), kind="activation"
        )
        services.import_run(job_id=job.pk)

    # Protected since June: farmers and fishers of Socah, paid by DBHCHT.
    active = batch(120, title="Petani dan nelayan Socah (DBHCHT)")
    advance(active, services.batch_submit, services.batch_verify, services.batch_approve)
    activate(active)
    # Approved, waiting for BPJS's confirmation.
    approved = batch(60, title="Pekerja rentan Kec. Bangkalan (APBD)", source=FundingSource.APBD, villages=bangkalan)
    advance(approved, services.batch_submit, services.batch_verify, services.batch_approve)
    # Verified, waiting for approval; submitted, waiting for verification.
    verified = batch(40, title="Buruh tani Burneh (DBHCHT)", villages=burneh, start=7)
    advance(verified, services.batch_submit, services.batch_verify)
    submitted = batch(25, title="Nelayan Socah gelombang 2 (DBHCHT)", start=8)
    advance(submitted, services.batch_submit)
    # Returned to the officer with a reason, and one rejected.
    returned = batch(18, title="Peternak sapi Bangkalan (DBHCHT)", villages=bangkalan, start=8)
    advance(returned, services.batch_submit)
    services.batch_return(
        actor=clerk, batch_id=returned.pk, reason="Lampirkan SK Bupati dan cek ulang tanggal lahir 3 peserta."
    )
    rejected = batch(12, title="Usulan ganda Burneh", villages=burneh, start=9)
    advance(rejected, services.batch_submit)
    services.batch_reject(actor=clerk, batch_id=rejected.pk, reason="Sama dengan usulan Buruh tani Burneh.")
    # A draft whose upload had the usual mistakes: the error report shows them row by row.
    draft = batch(15, title="Pekerja rentan Socah (draf)", start=9)
    bad = people.rows(socah, 4)
    bad[0][0] = bad[0][0][:15]  # a digit lost
    bad[1][2] = "P" if bad[1][2] == "L" else "L"  # sex disagrees with the NIK
    bad[2][4] = "35.27.01.2001"  # a village of Pamekasan
    bad[3][0] = "3.52602E+15"  # Excel turned the NIK into a number
    job = services.import_create(actor=officer, batch_id=draft.pk, filename="tambahan.csv", content=_csv(bad))
    services.import_run(job_id=job.pk)

    # Village officials of one Socah village, paid from its own budget.
    positions = ["Kepala Desa", "Sekretaris Desa", "Kaur Keuangan", "Kaur Umum", "Kaur Perencanaan",
                 "Kasi Pemerintahan", "Kasi Kesejahteraan", "Kasi Pelayanan", "Kepala Dusun",
                 "Kepala Dusun"]  # fmt: skip
    rows = people.rows([officials_village], len(positions), jobs=["Perangkat Desa"])
    officials = services.batch_create(
        actor=officer,
        terms=BatchTerms(
            kind=BatchKind.VILLAGE_OFFICIALS, regency_code=BANGKALAN, funding_source=FundingSource.DANA_DESA,
            year=year, period_start=dt.date(year, 1, 1), period_end=dt.date(year, 12, 31),
            decree_number=f"{MARK} 141/07/KPTS/{year}", title="Perangkat desa (APBDes)", area_code=officials_village,
        ),
    )  # fmt: skip
    content = _csv([[*r, p] for r, p in zip(rows, positions, strict=True)], header=HEADERS + ";JABATAN")
    job = services.import_create(actor=officer, batch_id=officials.pk, filename="perangkat-desa.csv", content=content)
    services.import_run(job_id=job.pk)
    advance(officials, services.batch_submit, services.batch_verify, services.batch_approve)
    activate(officials)

    counts = {s: EnrollmentBatch.objects.filter(state=s, decree_number__startswith=MARK).count() for s in BatchState}
    log(
        "Enrollment demo: "
        + ", ".join(f"{n} {BatchState(s).label}" for s, n in counts.items() if n)
        + f"; {Position.KEPALA_DESA.label} and {len(positions) - 1} other officials of {officials_village}."
    )
