"""Enrollment demo for Kabupaten Bangkalan: the regency pays vulnerable workers' premiums from its
tobacco-excise fund (DBHCHT, "the bottleneck" in the Bangkalan report) and its budget (APBD), and
a village pays its own officials from Dana Desa. Batches in every state of the life cycle, built
through the services (so they carry their audit history), with member lists uploaded as
spreadsheets, one of them with the mistakes clerks really make.

Employer compliance: some forty employers of Bangkalan (salt ponds, tobacco warehouses, batik of
Tanjung Bumi, fishing boats of Kwanyar, the contractors of the Suramadu bridge, shops, schools, a
hospital) with the labour office's (WLKP) and BPJS's figures giving every status, and the labour
office's cases at every step of both tracks (BPJS's written warnings, fine and denial of public
services under PP 86/2013; the labour inspectors' notes and referral), some overdue, some due in
the next days, three closed with workers registered (they count as wage earners, PU, in coverage).

Idempotent: each part checks for itself, and a second run leaves the demo as it is."""

import contextlib
import datetime as dt
import random

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from enrollment import services
from enrollment.models import (
    MANDATORY_PROGRAMMES,
    STEPS_WITH_DEADLINE,
    TRACK_STEPS,
    BatchKind,
    BatchState,
    CaseOutcome,
    CaseState,
    ComplianceCase,
    ComplianceStatus,
    Employer,
    EnrollmentBatch,
    Finding,
    FundingSource,
    Position,
    StepKind,
    Track,
)
from enrollment.services import BatchTerms
from enrollment.services import employers as employer_services
from ucj.demo import on_day
from ucj.models import Region
from ucj.workdays import add_working_days

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
    _seed_batches(log=log)
    _seed_employers(log=log)


def _seed_batches(*, log) -> None:
    if EnrollmentBatch.objects.filter(decree_number__startswith=MARK).exists():
        log("Enrollment demo: already there.")
        return
    officer = User.objects.get(username="officer")
    clerk = User.objects.get(username="disnaker")
    head = User.objects.get(username="kadis")  # Kepala Dinas: approves what the clerk verified
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

    def advance(b, *steps, reason="", acknowledge=False):
        # Four eyes: the officer submits, the clerk verifies, the head of the office approves.
        for step in steps:
            actor = {services.batch_submit: officer, services.batch_approve: head}.get(step, clerk)
            extra = {"acknowledge_warnings": True} if acknowledge and step is services.batch_verify else {}
            step(actor=actor, batch_id=b.pk, **({"reason": reason} if reason else {}), **extra)

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
    # One of them has a KTP whose birth date Dukcapil corrected (the NIK keeps the old one): a
    # warning the clerk checked against the KTP and acknowledged when verifying.
    burneh_rows = people.rows(burneh, 40)
    nik_birth = dt.datetime.strptime(burneh_rows[0][3], "%d/%m/%Y").date()
    burneh_rows[0][3] = (nik_birth + dt.timedelta(days=(1 if nik_birth.day < 28 else -1))).strftime("%d/%m/%Y")
    verified = batch(40, title="Buruh tani Burneh (DBHCHT)", villages=burneh, start=7, rows=burneh_rows)
    advance(verified, services.batch_submit, services.batch_verify, acknowledge=True)
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
    draft = batch(15, title="Pekerja rentan Socah", start=9)
    bad = people.rows(socah, 4)
    bad[0][0] = bad[0][0][:15]  # a digit lost
    bad[1][2] = "P" if bad[1][2] == "L" else "L"  # sex disagrees with the NIK: added, with a warning
    bad[2][4] = "35.27.01.2001"  # a village of Pamekasan
    bad[3][0] = "3.52602E+15"  # Excel turned the NIK into a number
    job = services.import_create(actor=officer, batch_id=draft.pk, filename="tambahan.csv", content=_csv(bad))
    services.import_run(job_id=job.pk)

    # Village officials of one Socah village, paid from its own budget.
    positions = ["Kepala Desa", "Sekretaris Desa", "Kaur Keuangan", "Kaur Umum", "Kaur Perencanaan",
                 "Kasi Pemerintahan", "Kasi Kesejahteraan", "Kasi Pelayanan", "Kepala Dusun",
                 "Kepala Dusun"]  # fmt: skip
    # Their siltap at the floors of PP 11/2019 Pasal 81 (120 %, 110 % and 100 % of a civil servant's
    # basic pay of grade II/a): the premiums are on each one's pay, as wage earners (PU).
    siltap = {"Kepala Desa": "Rp 2.426.640", "Sekretaris Desa": "Rp 2.224.420"}
    rows = people.rows([officials_village], len(positions), jobs=["Perangkat Desa"])
    officials = services.batch_create(
        actor=officer,
        terms=BatchTerms(
            kind=BatchKind.VILLAGE_OFFICIALS, regency_code=BANGKALAN, funding_source=FundingSource.DANA_DESA,
            year=year, period_start=dt.date(year, 1, 1), period_end=dt.date(year, 12, 31),
            decree_number=f"{MARK} 141/07/KPTS/{year}", title="Aparatur desa (APBDes)", area_code=officials_village,
        ),
    )  # fmt: skip
    content = _csv(
        [[*r, p, siltap.get(p, "Rp 2.022.200")] for r, p in zip(rows, positions, strict=True)],
        header=HEADERS + ";JABATAN;SILTAP",
    )
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


# --- Employer compliance --------------------------------------------------------------------------

# Demo NIBs are 13 digits starting with this; the first one tells whether the demo is there.
NIB_PREFIX = "91203526"
WAGE = 2_400_000  # about Bangkalan's minimum wage (UMK), rupiah a month
ALL = ["jkk", "jkm", "jht", "jp"]
SMALL = ["jkk", "jkm", "jht"]
MICRO = ["jkk", "jkm"]

# key: (name, village, sector, size, address, WLKP (workers, average wage) or None,
#       BPJS (workers, average wage, programmes) or None). A BPJS side means an NPP.
EMPLOYERS = {
    # Salt ponds on the Madura Strait.
    "garam": ("PT Garam Madura Jaya Abadi", "35.26.11.2005", "agriculture", "medium", "Jl. Raya Morombuh, Kwanyar",
              (85, 2_450_000), (52, 2_450_000, ALL)),
    "tambak": ("UD Tambak Garam Rakyat Modung", "35.26.16.2004", "agriculture", "small", "Dusun Pesisir, Neroh",
               (24, 2_100_000), None),
    # Tobacco: warehouses buy the harvest and hire seasonal sorters.
    "gudang": ("CV Gudang Tembakau Sumber Madu", "35.26.06.2006", "trade", "medium", "Jl. Raya Geger No. 8",
               (140, 2_300_000), (60, 1_900_000, SMALL)),
    "tembakau": ("PT Tembakau Madura Sejahtera", "35.26.13.2001", "manufacturing", "large",
                 "Jl. Raya Tanah Merah KM 3", (210, 2_600_000), (210, 2_600_000, ALL)),
    # Batik tulis of Tanjung Bumi.
    "batik": ("UD Batik Tulis Tanjung Bumi", "35.26.09.2013", "manufacturing", "micro", "Jl. Raya Tanjung Bumi",
              (14, 1_600_000), None),
    "gentongan": ("Koperasi Batik Gentongan Tanjung Bumi", "35.26.09.2001", "manufacturing", "small",
                  "Desa Paseseh", (22, 1_800_000), (22, 1_500_000, SMALL)),
    "sanggar": ("Sanggar Batik Paseseh", "35.26.09.2001", "manufacturing", "micro", "Desa Paseseh", None, None),
    "kerupuk": ("UD Kerupuk Ikan Tanjung Bumi", "35.26.09.2010", "manufacturing", "micro", "Desa Banyusangka",
                (8, 1_500_000), None),
    # Fishing boats of Kwanyar.
    "nelayan": ("KUB Nelayan Kwanyar Bahari", "35.26.11.2002", "agriculture", "small", "TPI Kwanyar Barat",
                (36, 2_000_000), None),
    "perahu": ("UD Perahu Motor Sumber Laut", "35.26.11.2001", "agriculture", "small", "Desa Pesanggrahan",
               (18, 2_200_000), (18, 2_200_000, MICRO)),
    "ikan_asin": ("CV Ikan Asin Pesisir Kwanyar", "35.26.11.2003", "manufacturing", "micro", "Desa Ketetang",
                  (9, 1_900_000), (9, 1_900_000, MICRO)),
    # Bakeries, shops and minimarkets.
    "roti": ("Toko Roti Ningrat", "35.26.01.1005", "manufacturing", "small", "Jl. Trunojoyo No. 21, Kraton",
             (16, 2_300_000), (12, 2_300_000, SMALL)),
    "roti_bakar": ("Roti Bakar Sari Rasa", "35.26.01.1004", "hospitality", "micro", "Jl. KH. Moh. Kholil No. 40",
                   (6, 2_000_000), (6, 2_000_000, MICRO)),
    "minimarket": ("Minimarket Sumber Rejeki Bangkalan", "35.26.01.1001", "trade", "small",
                   "Jl. Soekarno-Hatta No. 5, Mlajah", (12, 2_400_000), (12, 2_050_000, SMALL)),
    "toserba": ("Toserba Madura Mart", "35.26.02.2001", "trade", "medium", "Jl. Raya Socah No. 17",
                (45, 2_500_000), (45, 2_500_000, SMALL)),
    "barokah": ("Minimarket Barokah Burneh", "35.26.03.2001", "trade", "micro", "Jl. Raya Tangkel, Burneh",
                (5, 2_100_000), None),
    "bangunan": ("Toko Bangunan Sumber Makmur", "35.26.13.2003", "trade", "small", "Desa Petrah, Tanah Merah",
                 (10, 2_300_000), (7, 2_300_000, SMALL)),
    # The Suramadu bridge: its toll road and the contractors who keep it.
    "suramadu": ("PT Karya Suramadu Konstruksi", "35.26.12.2005", "construction", "large",
                 "Jl. Akses Suramadu, Sukolilo Timur", (320, 3_100_000), (280, 2_600_000, ALL)),
    "tol": ("PT Sarana Tol Suramadu", "35.26.12.2006", "transport", "large", "Gerbang Tol Suramadu sisi Madura",
            (95, 3_400_000), (95, 3_400_000, ALL)),
    "jembatan": ("CV Pemeliharaan Jembatan Suramadu Mandiri", "35.26.12.2006", "construction", "medium",
                 "Desa Sukolilo Barat", (40, 2_900_000), (31, 2_900_000, SMALL)),
    "bina_marga": ("CV Bina Marga Madura", "35.26.04.2001", "construction", "medium", "Jl. Raya Kamal No. 3",
                   (60, 2_800_000), (60, 2_800_000, ALL)),
    "kontraktor": ("CV Sarana Kontraktor Madura", "35.26.15.2002", "construction", "small", "Desa Rosep, Blega",
                   (12, 2_700_000), None),
    # Health and schools.
    "rsia": ("RS Ibu dan Anak Nur Madura", "35.26.01.1006", "health_education", "medium",
             "Jl. Halim Perdana Kusuma No. 9, Pejagan", (150, 3_200_000), (150, 3_200_000, ALL)),
    "klinik": ("Klinik Pratama Arosbaya Sehat", "35.26.05.2001", "health_education", "small",
               "Jl. Raya Arosbaya No. 11", (14, 2_600_000), (10, 2_600_000, SMALL)),
    "al_hikmah": ("Yayasan Pendidikan Al-Hikmah Socah", "35.26.02.2003", "health_education", "small",
                  "Desa Bilaporah", (38, 1_800_000), (38, 1_500_000, SMALL)),
    "smk": ("SMK Swasta Bina Bangsa Burneh", "35.26.03.2002", "health_education", "small", "Desa Langkap",
            (28, 1_900_000), None),
    "nurul_ulum": ("Yayasan Nurul Ulum Blega", "35.26.15.2001", "health_education", "small", "Jl. Raya Blega",
                   None, (30, 1_700_000, SMALL)),
    # Farming, cattle, limestone.
    "agro": ("PT Madura Agro Lestari", "35.26.14.2006", "agriculture", "medium", "Desa Tragah",
             (70, 2_400_000), (70, 2_400_000, ALL)),
    "sapi": ("UD Ternak Sapi Madura Klampis", "35.26.07.2001", "agriculture", "micro", "Desa Klampis Barat",
             (7, 1_800_000), None),
    "kapur": ("CV Batu Kapur Arosbaya", "35.26.05.2011", "mining", "small", "Bukit Kapur, Buduran",
              (40, 2_200_000), (25, 2_200_000, MICRO)),
    "kapur_putih": ("PT Kapur Putih Madura", "35.26.05.2012", "mining", "medium", "Desa Tambegan",
                    (55, 2_600_000), (55, 2_600_000, ALL)),
    "padi": ("Penggilingan Padi Makmur Modung", "35.26.16.2006", "manufacturing", "micro", "Desa Patengteng",
             (6, 1_900_000), (6, 1_900_000, MICRO)),
    "meubel": ("CV Meubel Jati Geger", "35.26.06.2003", "manufacturing", "small", "Desa Katol Barat",
               (19, 2_300_000), (19, 2_300_000, SMALL)),
    # Hotels, food, money, transport.
    "hotel": ("Hotel Ningrat Bangkalan", "35.26.01.1002", "hospitality", "small", "Jl. KH. Moh. Kholil No. 113",
              (32, 2_500_000), (32, 2_500_000, SMALL)),
    "bebek": ("RM Bebek Goreng Kamal", "35.26.04.2002", "hospitality", "small", "Jl. Raya Banyuajuh",
              (25, 2_200_000), (18, 2_200_000, SMALL)),
    "ksp": ("Koperasi Simpan Pinjam Sejahtera Madura", "35.26.01.1003", "finance", "small",
            "Jl. Teuku Umar No. 4, Pangeranan", (11, 2_800_000), (11, 2_800_000, SMALL)),
    "bpr": ("PT BPR Bangkalan Makmur", "35.26.01.1007", "finance", "medium", "Jl. Soekarno-Hatta No. 60",
            (48, 4_200_000), (48, 3_500_000, ALL)),
    "angkutan": ("CV Angkutan Madura Trans", "35.26.04.2006", "transport", "small", "Desa Telang, Kamal",
                 (20, 2_400_000), (20, 2_400_000, MICRO)),
    "po_bus": ("PO Sinar Madura Transport", "35.26.03.2006", "transport", "medium", "Jl. Raya Arok, Burneh",
               (65, 2_700_000), (40, 2_200_000, SMALL)),
    "warkop": ("Warung Kopi Cak Mat", "35.26.16.2001", "hospitality", "micro", "Desa Patereman", None, None),
}  # fmt: skip

# (employer, finding, how far the case has gone). "closed:<outcome>:<workers>:<working days ago>"
# closes it after BPJS's written warning I, with the workers the employer registered.
CASES = [
    ("roti", Finding.PDS_WORKERS, "opened"),
    ("bebek", Finding.PDS_WORKERS, "opened_overdue"),
    ("toserba", Finding.PDS_PROGRAMME, "opened_due_soon"),
    ("klinik", Finding.PDS_WORKERS, "warning_1_due_soon"),
    ("minimarket", Finding.PDS_WAGES, "warning_1_overdue"),
    ("suramadu", Finding.PDS_WAGES, "warning_1"),
    ("tambak", Finding.PWBD, "warning_2"),
    ("nelayan", Finding.PWBD, "warning_2_overdue"),
    ("suramadu", Finding.PDS_WORKERS, "warning_2_due_soon"),
    ("smk", Finding.PWBD, "fine"),
    ("gudang", Finding.PDS_WORKERS, "nota_2_due_soon"),
    ("angkutan", Finding.PDS_PROGRAMME, "referral"),
    ("po_bus", Finding.PDS_WORKERS, "service_denial"),
    ("kontraktor", Finding.PWBD, "closed:complied:12:30"),
    ("bangunan", Finding.PDS_WORKERS, "closed:complied:3:18"),
    ("garam", Finding.PDS_WORKERS, "closed:partly:20:9"),
]
# progress → (track, steps taken in it, where the case's deadline (or last step) falls, in working
# days from today)
PROGRESS = {
    "opened": (Track.BPJS, 0, 8),
    "opened_overdue": (Track.BPJS, 0, -8),
    "opened_due_soon": (Track.BPJS, 0, 2),
    "warning_1": (Track.BPJS, 1, 7),
    "warning_1_due_soon": (Track.BPJS, 1, 1),
    "warning_1_overdue": (Track.BPJS, 1, -5),
    "warning_2": (Track.BPJS, 2, 6),
    "warning_2_overdue": (Track.BPJS, 2, -3),
    "warning_2_due_soon": (Track.BPJS, 2, 2),
    "fine": (Track.BPJS, 3, -4),
    "service_denial": (Track.BPJS, 4, -2),
    "nota_2_due_soon": (Track.INSPECTION, 2, 3),
    "referral": (Track.INSPECTION, 3, -6),
}
STEP_NOTES = {
    "warning_1": "Teguran tertulis I dari BPJS Ketenagakerjaan Cabang Bangkalan.",
    "warning_2": "Teguran tertulis II dari BPJS Ketenagakerjaan Cabang Bangkalan.",
    "fine": "Denda 0,1% per bulan dari iuran yang seharusnya dibayar, ditagih bersama iuran bulan berikutnya.",
    "service_denial": "Permintaan BPJS kepada DPMPTSP: tidak mendapat pelayanan publik tertentu (perizinan usaha).",
    "nota_1": "Nota pemeriksaan I oleh pengawas ketenagakerjaan Disnakertrans Provinsi Jawa Timur.",
    "nota_2": "Nota pemeriksaan II oleh pengawas ketenagakerjaan Disnakertrans Provinsi Jawa Timur.",
    "referral": "Dilimpahkan kepada PPNS ketenagakerjaan untuk penyidikan.",
}
# Premiums a month the fine is counted on: JKK 0.24 % + JKM 0.30 % + JHT 5.7 % of the wages not registered.
PREMIUM_PER_10_000 = 624


def _working_days_from(today: dt.date, n: int) -> dt.date:
    """`n` working days after today, or before it when negative."""
    if n >= 0:
        return add_working_days(today, n)
    day = today
    while add_working_days(day, -n) > today:
        day -= dt.timedelta(days=1)
    return day


def _chain(opened: dt.date, kinds: list[str]) -> tuple[list[dt.date], dt.date | None]:
    """The days of the steps `kinds` of a case opened on `opened`, each as soon as the previous
    deadline has passed (a step without one is followed a fortnight later), and the deadline
    that runs after the last one (None: none runs)."""
    taken: list[dt.date] = []
    due = add_working_days(opened, 2)  # the first step follows the opening within days
    for kind in kinds:
        day = add_working_days(due, 1) if taken else due
        taken.append(day)
        due = add_working_days(day, 10) if kind in STEPS_WITH_DEADLINE else add_working_days(day, 9)
    if not taken:
        return taken, add_working_days(opened, 10)
    return taken, due if kinds[-1] in STEPS_WITH_DEADLINE else None


def _schedule(kinds: list[str], target: dt.date) -> tuple[dt.date, list[dt.date]]:
    """The opening day and step days that put the case's deadline (or, without one, its last
    step) on `target` or up to three days before it."""
    opened = target - dt.timedelta(days=21 * len(kinds) + 14)
    for _attempt in range(30):
        taken, due = _chain(opened, kinds)
        gap = (target - (due or taken[-1])).days
        if 0 <= gap <= 3:
            break
        opened += dt.timedelta(days=gap)
    return opened, taken


def _employer_data(n: int, entry: tuple, today: dt.date) -> dict:
    name, village, sector, size, address, reported, bpjs = entry
    year_end = dt.date(today.year - 1, 12, 31)
    month_end = today.replace(day=1) - dt.timedelta(days=1)
    data = {
        "name": name,
        "village": village,
        "sector": sector,
        "size": size,
        "address": address,
        "nib": f"{NIB_PREFIX}{n:05d}",
    }
    if reported is not None:
        workers, wage = reported
        data.update(
            reported_workers=workers,
            reported_wages=workers * wage,
            reported_source=f"WLKP {year_end.year} (Disperinaker Bangkalan)",
            reported_as_of=year_end,
        )
    if bpjs is not None:
        workers, wage, programmes = bpjs
        data.update(
            npp=f"3526{n:04d}",
            bpjs_workers=workers,
            bpjs_wages=workers * wage,
            bpjs_programmes=programmes,
            bpjs_source=f"BPJS Ketenagakerjaan Cabang Bangkalan, daftar perusahaan {month_end:%m/%Y}",
            bpjs_as_of=month_end,
        )
    return data


def _seed_employers(*, log) -> None:
    if Employer.objects.filter(nib=f"{NIB_PREFIX}{1:05d}").exists():
        log("Employer demo: already there.")
        return
    clerk = User.objects.get(username="disnaker")
    today = timezone.localdate()
    employers = {}
    for n, (key, entry) in enumerate(EMPLOYERS.items(), start=1):
        data = _employer_data(n, entry, today)
        # An employer met on a visit before this demo ran (a database from before employers
        # existed) gets its figures instead of a twin.
        known = Employer.objects.filter(village_id=data["village"], name_key=employer_services.name_key(data["name"]))
        if known.exists():
            employer = employer_services.employer_update(actor=clerk, employer_id=known.first().pk, changes=data)
        else:
            employer = employer_services.employer_create(actor=clerk, data=data)
        employers[key] = employer

    letter = 0
    for key, finding, progress in CASES:
        employer = employers[key]
        closing = progress.split(":") if progress.startswith("closed") else None
        track, n_steps, offset = (Track.BPJS, 1, -int(closing[3])) if closing else PROGRESS[progress]
        kinds = [kind.value for kind in TRACK_STEPS[track][:n_steps]]
        opened, taken = _schedule(kinds, _working_days_from(today, offset))
        # Each step is taken on its own day: the case's history agrees with its dates.
        with _on(opened, today):
            case = employer_services.case_open(
                actor=clerk, employer_id=employer.pk, finding=finding, opened_on=opened,
                notes=f"Temuan dari pencocokan WLKP dan daftar BPJS: {Finding(finding).label}.",
            )  # fmt: skip
        for kind, day in zip(kinds, taken, strict=True):
            letter += 1
            fine = {}
            if kind == StepKind.FINE:
                owed = max(case.gap_wages, 1_000_000) * PREMIUM_PER_10_000 // 10_000
                fine = {"premiums_owed": owed, "fine_months": 1}
            with _on(day, today):
                employer_services.case_step_record(
                    actor=clerk, case_id=case.pk, kind=kind, taken_on=day, notes=STEP_NOTES[kind],
                    document_number=f"560/{100 + letter}/433.112/{day.year}", **fine,
                )  # fmt: skip
        if closing:
            _close(clerk, case, employer, outcome=closing[1], workers=int(closing[2]), day=taken[-1], today=today)

    counts = {s: Employer.objects.filter(nib__startswith=NIB_PREFIX, status=s).count() for s in ComplianceStatus}
    cases = ComplianceCase.objects.filter(employer__nib__startswith=NIB_PREFIX)
    log(
        f"Employer demo: {len(employers)} employers ("
        + ", ".join(f"{n} {ComplianceStatus(s).label}" for s, n in counts.items())
        + f"), {cases.filter(state=CaseState.OPEN).count()} open cases "
        + f"({cases.filter(state=CaseState.OPEN, due_on__lt=today).count()} overdue), "
        + f"{cases.filter(state=CaseState.CLOSED).count()} closed."
    )


def _close(clerk, case: ComplianceCase, employer: Employer, *, outcome: str, workers: int, day, today) -> None:
    """Close a case some days after its last step, with the workers the employer registered at
    the average wage it reported; an employer registering for the first time gets its NPP and
    the programmes of its size from BPJS's letter."""
    closed_on = min(add_working_days(day, 4), today)
    wage = employer.reported_wages // employer.reported_workers
    with _on(closed_on, today):
        _close_on_the_day(clerk, case, employer, outcome=outcome, workers=workers, wage=wage, closed_on=closed_on)


def _on(day: dt.date, today: dt.date):
    """As on `day` during office hours; today's at the present moment (not in the future)."""
    return on_day(day, dt.time(10, 0)) if day < today else contextlib.nullcontext()


def _close_on_the_day(clerk, case, employer, *, outcome, workers, wage, closed_on) -> None:
    employer_services.case_close(
        actor=clerk, case_id=case.pk, outcome=outcome, workers_added=workers, wages_added=workers * wage,
        closed_on=closed_on, notes="Bukti pendaftaran dari BPJS Ketenagakerjaan diterima.",
    )  # fmt: skip
    if outcome == CaseOutcome.COMPLIED and not employer.npp:
        employer_services.employer_update(
            actor=clerk, employer_id=employer.pk,
            changes={
                "npp": f"3526{9000 + employer.pk % 1000:04d}",
                "bpjs_programmes": list(MANDATORY_PROGRAMMES[employer.size]),
                "bpjs_source": "Surat BPJS Ketenagakerjaan Cabang Bangkalan", "bpjs_as_of": closed_on,
            },
        )  # fmt: skip
