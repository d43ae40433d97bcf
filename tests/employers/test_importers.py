"""Employer lists in (issue 6 item 1): the labour office's company list and BPJS's list of
registered employers, CSV or XLSX, English or Indonesian headers; matching by NPP, then NIB, then
name within the village, never by a guess; all rows or none; the import_employers command."""

import csv
import datetime as dt
import io
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import Workbook

from enrollment.importers import nib_cell, npp_cell, programmes_cell, sector_cell, size_cell
from enrollment.models import ComplianceStatus, Employer, Finding, Sector
from enrollment.selectors.employers import employer_assess
from enrollment.services import employers_import
from tests.employers.conftest import BADUNG_VILLAGE, OTHER_DISTRICT_VILLAGE, VILLAGE
from ucj.errors import ValidationFailed
from ucj.models import AuditEvent
from ucj.sheets import CellError

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

BANGKALAN = "35.26"
PAMEKASAN_VILLAGE = "35.28.01.2001"
NEIGHBOUR_VILLAGE = "35.26.01.2009"  # Ujung Piring, beside VILLAGE
FORMATS = ["csv", "xlsx"]

LO_EN = ["nib", "npp", "name", "village_code", "address", "sector", "size", "workers", "wages"]
LO_ID = [
    "NIB",
    "NPP",
    "NAMA PERUSAHAAN",
    "KODE DESA",
    "ALAMAT",
    "SEKTOR",
    "SKALA USAHA",
    "JUMLAH TENAGA KERJA",
    "TOTAL UPAH",
]
BPJS_EN = ["npp", "nib", "name", "village_code", "workers", "wages", "programmes"]
BPJS_ID = ["NPP", "NIB", "NAMA PERUSAHAAN", "KODE DESA", "TK AKTIF", "UPAH", "PROGRAM"]


@pytest.fixture
def english():
    with translation.override("en"):
        yield


def table(fmt: str, header: list, rows: list[list], *, delimiter: str = ",", bom: bool = False) -> bytes:
    """A sheet written cell by cell; XLSX cells keep their Python type (numbers stay numbers)."""
    if fmt == "xlsx":
        wb = Workbook()
        ws = wb.active
        ws.append(header)
        for r in rows:
            ws.append(r)
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig" if bom else "utf-8")


def run(actor, kind: str, content: bytes, fmt: str = "csv", **kw):
    return employers_import(
        actor=actor,
        regency_code=kw.pop("regency_code", BANGKALAN),
        kind=kind,
        content=content,
        filename=kw.pop("filename", f"daftar.{fmt}"),
        **kw,
    )


def lo_row(
    nib,
    name,
    *,
    npp="",
    village=VILLAGE,
    address="Jl. Raya 1",
    sector="manufacturing",
    size="small",
    workers=20,
    wages=60_000_000,
) -> list:
    return [nib, npp, name, village, address, sector, size, workers, wages]


def bpjs_row(npp, name, *, nib="", village=VILLAGE, workers=12, wages=36_000_000, programmes="JKK, JKM, JHT") -> list:
    return [npp, nib, name, village, workers, wages, programmes]


def problems(exc_info) -> list[tuple]:
    return [(e["row"], e["column"], e["message"]) for e in exc_info.value.details]


def snapshot() -> list[tuple]:
    return list(
        Employer.objects.order_by("pk").values_list(
            "pk", "npp", "nib", "name", "village_id", "reported_workers", "bpjs_workers", "bpjs_programmes", "status"
        )
    )


def unregistered(make_employer, **overrides) -> Employer:
    """An employer known to the labour office only: no NPP, no BPJS figures."""
    data = {"bpjs_workers": None, "bpjs_wages": None, "bpjs_programmes": [], **overrides}
    return make_employer(**data)


# --- Cells ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "sector"),
    [
        ("manufacturing", "manufacturing"),
        ("Industri Pengolahan", "manufacturing"),
        ("Perdagangan hasil pertanian", "trade"),
        ("Pertanian, Kehutanan dan Perikanan", "agriculture"),
        ("Jasa Keuangan", "finance"),
        ("Hotel dan Restoran", "hospitality"),
        ("pendidikan", "health_education"),
        ("JASA", "services"),
        ("10792", "manufacturing"),  # a KBLI code
        (1111, "agriculture"),  # KBLI 01111 after Excel dropped its 0
        ("F", "construction"),  # a KBLI section
    ],
)
def test_sector_cell_reads_enum_values_indonesian_words_and_kbli(written, sector):
    assert sector_cell(written) == sector


@pytest.mark.parametrize(
    ("written", "size"),
    [("mikro", "micro"), ("Usaha Kecil", "small"), ("MENENGAH", "medium"), ("besar", "large"), ("large", "large")],
)
def test_size_cell_reads_english_and_indonesian(written, size):
    assert size_cell(written) == size


@pytest.mark.parametrize(
    ("written", "programmes"),
    [
        ("JKK, JKM, JHT", ["jkk", "jkm", "jht"]),
        ("JKK;JKM", ["jkk", "jkm"]),
        ("jp/jht/jkm/jkk", ["jkk", "jkm", "jht", "jp"]),
        ("Jaminan Kecelakaan Kerja dan Jaminan Kematian", ["jkk", "jkm"]),
        ("JKK, JKM, JKP", ["jkk", "jkm"]),  # JKP is the state's, not a registration
        ("", []),
    ],
)
def test_programmes_cell_reads_the_ways_bpjs_writes_them(written, programmes):
    assert programmes_cell(written) == programmes


def test_id_cells_normalise_and_explain_what_excel_did_to_a_number():
    assert npp_cell(" 1234-5678 ") == "12345678"
    assert nib_cell("9120.0012.34567") == "9120001234567"
    assert nib_cell(9120001234567) == "9120001234567"  # 13 digits survive as an Excel number
    with pytest.raises(CellError, match="leading 0"):
        npp_cell(1234567)
    with pytest.raises(CellError, match="13 digits"):
        nib_cell("12345")
    with pytest.raises(CellError, match="Unknown sector"):
        sector_cell("xyz")


# --- The labour office's list ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_labour_office_list_creates_employers_with_their_reported_figures(clerk, fmt):
    rows = [
        lo_row("9120001234567", "PT Garam Madura Jaya", sector="industri", size="kecil"),
        lo_row(
            "9120001234568",
            "UD Tambak Sembilangan",
            village=NEIGHBOUR_VILLAGE,
            sector="perikanan",
            size="mikro",
            workers=0,
            wages=0,
        ),
    ]
    report = run(clerk, "labour_office", table(fmt, LO_EN, rows), fmt)

    assert (report.kind, report.rows, report.created, report.updated, report.unchanged) == ("labour_office", 2, 2, 0, 0)
    assert report.unmatched == []
    garam = Employer.objects.get(nib="9120001234567")
    assert (garam.name, garam.name_key, garam.village_id, garam.regency_id) == (
        "PT Garam Madura Jaya",
        "GARAM MADURA JAYA",
        VILLAGE,
        BANGKALAN,
    )
    assert (garam.sector, garam.size, garam.address) == ("manufacturing", "small", "Jl. Raya 1")
    assert (garam.reported_workers, garam.reported_wages) == (20, 60_000_000)
    assert (garam.reported_source, garam.reported_as_of) == (f"daftar.{fmt}", timezone.localdate())
    # Not registered with BPJS while 20 workers were reported: PWBD, derived on import.
    assert garam.pwbd and garam.status == ComplianceStatus.FINDINGS and garam.gap_workers == 20
    tambak = Employer.objects.get(nib="9120001234568")
    assert (tambak.sector, tambak.size, tambak.pwbd) == ("agriculture", "micro", False)


@pytest.mark.parametrize("fmt", FORMATS)
def test_indonesian_headers_in_any_order_and_case_with_rupiah_and_grouped_numbers(clerk, fmt):
    header = ["Total Upah", "skala usaha", "Nama Perusahaan", "NIB", "Kode Desa", "Sektor", "Jumlah TK", "Alamat"]
    rows = [
        [
            "Rp 45.000.000",
            "Menengah",
            "CV. Sumber Rejeki",
            "9120001234567",
            "3526012008",
            "Perdagangan",
            "1.200",
            "Jl. Pelabuhan",
        ]
    ]
    content = table(fmt, header, rows, delimiter=";", bom=True)
    report = run(clerk, "labour_office", content, fmt, source="WLKP 2025", as_of=dt.date(2025, 1, 31))

    assert report.created == 1
    employer = Employer.objects.get(nib="9120001234567")
    assert (employer.village_id, employer.sector, employer.size) == (VILLAGE, "trade", "medium")
    assert (employer.reported_workers, employer.reported_wages) == (1200, 45_000_000)
    assert (employer.reported_source, employer.reported_as_of) == ("WLKP 2025", dt.date(2025, 1, 31))


def test_labour_office_list_updates_the_register_but_keeps_its_name(clerk, make_employer):
    known = unregistered(make_employer, name="PT Garam Madura Jaya", nib="9120001234567", size="small")
    rows = [
        lo_row(
            "9120001234567",
            "GARAM MADURA JAYA (PERSERO)",
            village=NEIGHBOUR_VILLAGE,
            address="Jl. Baru 2",
            sector="perdagangan",
            size="besar",
            workers=40,
            wages=150_000_000,
        ),
    ]
    report = run(clerk, "labour_office", table("csv", LO_ID, rows))

    assert (report.created, report.updated, report.matched_by) == (0, 1, {"npp": 0, "nib": 1, "name": 0})
    known.refresh_from_db()
    assert known.name == "PT Garam Madura Jaya"
    assert (known.village_id, known.address, known.sector, known.size) == (
        NEIGHBOUR_VILLAGE,
        "Jl. Baru 2",
        "trade",
        "large",
    )
    assert (known.reported_workers, known.reported_wages, known.gap_workers) == (40, 150_000_000, 40)


def test_importing_the_same_list_again_changes_nothing(clerk):
    content = table("csv", LO_EN, [lo_row("9120001234567", "PT A"), lo_row("9120001234568", "PT B")])
    run(clerk, "labour_office", content)
    before = list(Employer.objects.order_by("pk").values())
    report = run(clerk, "labour_office", content)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert list(Employer.objects.order_by("pk").values()) == before


def test_the_same_figures_from_a_newer_list_are_unchanged_but_carry_its_date(clerk):
    content = table("csv", LO_EN, [lo_row("9120001234567", "PT A")])
    run(clerk, "labour_office", content, source="WLKP 2024", as_of=dt.date(2024, 12, 31))
    report = run(clerk, "labour_office", content, source="WLKP 2025", as_of=dt.date(2025, 6, 30))
    assert (report.updated, report.unchanged) == (0, 1)
    employer = Employer.objects.get()
    assert (employer.reported_source, employer.reported_as_of) == ("WLKP 2025", dt.date(2025, 6, 30))


# --- BPJS's list ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_bpjs_list_matches_by_npp_and_records_the_registered_figures(clerk, make_employer, fmt):
    known = make_employer(
        name="PT Garam Madura Jaya", npp="12345678", size="medium", bpjs_workers=10, bpjs_as_of=dt.date(2025, 4, 30)
    )
    rows = [bpjs_row("12345678", "PT GARAM MADURA JAYA", workers=8, wages=24_000_000, programmes="JKK;JKM;JHT")]
    report = run(clerk, "bpjs", table(fmt, BPJS_ID, rows), fmt, source="BPJS Cabang Madura", as_of=dt.date(2025, 5, 31))

    assert (report.kind, report.created, report.updated, report.unchanged) == ("bpjs", 0, 1, 0)
    assert report.matched_by == {"npp": 1, "nib": 0, "name": 0}
    known.refresh_from_db()
    assert (known.bpjs_workers, known.bpjs_wages, known.bpjs_programmes) == (8, 24_000_000, ["jkk", "jkm", "jht"])
    assert (known.bpjs_source, known.bpjs_as_of) == ("BPJS Cabang Madura", dt.date(2025, 5, 31))
    # 10 reported, 8 registered; a medium business without JP: two findings at once.
    assert known.findings == [Finding.PDS_WORKERS, Finding.PDS_PROGRAMME]
    assert known.gap_workers == 2


def test_bpjs_list_matches_by_nib_and_fills_in_the_missing_npp(clerk, make_employer):
    known = unregistered(make_employer, nib="9120001234567")
    report = run(clerk, "bpjs", table("csv", BPJS_EN, [bpjs_row("12345678", "Another spelling", nib="9120001234567")]))
    assert report.matched_by == {"npp": 0, "nib": 1, "name": 0}
    known.refresh_from_db()
    assert (known.npp, known.bpjs_workers) == ("12345678", 12)


@pytest.mark.parametrize("written", ["GARAM MADURA JAYA, PT", "pt garam  madura jaya", "Garam Madura-Jaya, Tbk."])
def test_bpjs_list_matches_by_name_and_village_whatever_the_legal_form_case_and_punctuation(
    clerk, make_employer, written
):
    known = unregistered(make_employer, name="PT. Garam Madura Jaya")
    unregistered(make_employer, name="PT Garam Madura Jaya", village=NEIGHBOUR_VILLAGE)  # same name, next village
    report = run(clerk, "bpjs", table("csv", BPJS_EN, [bpjs_row("12345678", written)]))
    assert report.matched_by == {"npp": 0, "nib": 0, "name": 1}
    known.refresh_from_db()
    assert (known.npp, known.bpjs_workers) == ("12345678", 12)


def test_bpjs_rows_that_match_nobody_are_reported_and_not_created(clerk, make_employer):
    unregistered(make_employer, name="PT Garam Madura Jaya")
    rows = [
        bpjs_row("12345678", "PT Garam Madura Jaya"),  # matched by name
        bpjs_row("22345678", "PT Tidak Dikenal", nib="9120001234569"),
        bpjs_row("32345678", "PT Tanpa Desa", village=""),
    ]
    before = Employer.objects.count()
    report = run(clerk, "bpjs", table("csv", BPJS_EN, rows))

    assert Employer.objects.count() == before
    assert (report.rows, report.created, report.updated, report.matched_by["name"]) == (3, 0, 1, 1)
    assert report.unmatched == [
        {
            "row": 3,
            "npp": "22345678",
            "nib": "9120001234569",
            "name": "PT Tidak Dikenal",
            "village": VILLAGE,
            "reason": "No employer of the register has this NPP or NIB, nor this name in the village.",
        },
        {
            "row": 4,
            "npp": "32345678",
            "nib": "",
            "name": "PT Tanpa Desa",
            "village": "",
            "reason": "No employer of the register has this NPP or NIB; give the village code to match by name.",
        },
    ]


def test_a_labour_office_row_named_like_an_employer_with_another_nib_is_a_new_employer(clerk, make_employer):
    namesake = unregistered(make_employer, name="PT Garam Madura Jaya", nib="9120001234567")
    before = snapshot()
    report = run(clerk, "labour_office", table("csv", LO_EN, [lo_row("9120009999999", "Garam Madura Jaya", workers=7)]))

    assert (report.created, report.updated, report.unchanged, report.unmatched) == (1, 0, 0, [])
    assert report.matched_by == {"npp": 0, "nib": 0, "name": 0}
    assert snapshot()[0] == before[0]  # the namesake is left as it was
    new = Employer.objects.exclude(pk=namesake.pk).get()
    assert (new.nib, new.name, new.village_id, new.reported_workers) == (
        "9120009999999",
        "Garam Madura Jaya",
        VILLAGE,
        7,
    )


def test_a_labour_office_row_named_like_an_employer_with_another_npp_is_a_new_employer(clerk, make_employer):
    namesake = make_employer(name="PT Garam Madura Jaya", npp="12345678")
    report = run(
        clerk,
        "labour_office",
        table("csv", LO_EN, [lo_row("9120001234567", "PT Garam Madura Jaya", npp="99999999")]),
    )
    assert report.created == 1
    namesake.refresh_from_db()
    assert (namesake.npp, namesake.nib) == ("12345678", "")
    assert Employer.objects.get(nib="9120001234567").npp == "99999999"


def test_a_bpjs_row_named_like_an_employer_with_another_npp_is_reported_as_another_business(clerk, make_employer):
    make_employer(name="PT Garam Madura Jaya", npp="12345678")
    unregistered(make_employer, name="CV Barokah", nib="9120000000001")
    unregistered(make_employer, name="UD Barokah", nib="9120000000002")
    before = snapshot()
    rows = [
        bpjs_row("99999999", "PT. GARAM MADURA JAYA"),
        bpjs_row("88888888", "Barokah", nib="9120000000003"),
    ]
    report = run(clerk, "bpjs", table("csv", BPJS_EN, rows))

    assert (report.created, report.updated, report.unchanged) == (0, 0, 0)
    assert [(u["row"], u["npp"], u["reason"]) for u in report.unmatched] == [
        (
            2,
            "99999999",
            "No employer of the register has this NPP or NIB; the employer of this name in the village holds "
            "another one, so it is another business: the labour office registers it first.",
        ),
        (
            3,
            "88888888",
            "No employer of the register has this NPP or NIB; the 2 employers of this name in the village "
            "hold other ones, so it is another business: the labour office registers it first.",
        ),
    ]
    assert snapshot() == before


@pytest.mark.parametrize("kind", ["labour_office", "bpjs"])
def test_of_two_namesakes_the_one_without_another_id_is_matched_by_name(clerk, make_employer, kind):
    unregistered(make_employer, name="CV Barokah", nib="9120000000001")  # another business
    known = unregistered(make_employer, name="UD Barokah")
    content = (
        table("csv", LO_EN, [lo_row("9120000000003", "Barokah", workers=4)])
        if kind == "labour_office"
        else table("csv", BPJS_EN, [bpjs_row("12345678", "Barokah", nib="9120000000003", workers=4)])
    )
    report = run(clerk, kind, content)

    assert (report.created, report.updated, report.matched_by["name"], report.unmatched) == (0, 1, 1, [])
    known.refresh_from_db()
    assert known.nib == "9120000000003"
    assert (known.reported_workers if kind == "labour_office" else known.bpjs_workers) == 4


@pytest.mark.parametrize("kind", ["labour_office", "bpjs"])
def test_a_name_two_employers_of_the_village_share_is_left_unmatched_not_guessed(clerk, make_employer, kind):
    unregistered(make_employer, name="CV Maju")
    unregistered(make_employer, name="UD Maju")
    before = snapshot()
    content = (
        table("csv", LO_EN, [lo_row("9120000000003", "Maju")])
        if kind == "labour_office"
        else table("csv", BPJS_EN, [bpjs_row("12345678", "Maju")])
    )
    report = run(clerk, kind, content)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 0)
    assert [(u["row"], u["reason"]) for u in report.unmatched] == [
        (2, "2 employers of this name in the village: give the NPP or NIB that tells them apart.")
    ]
    assert snapshot() == before


def test_bpjs_list_without_a_programme_column_keeps_the_programmes_on_record(clerk, make_employer):
    known = make_employer(npp="12345678", bpjs_programmes=["jkk", "jkm", "jht"])
    header = ["NPP", "NAMA PERUSAHAAN", "JUMLAH TK", "TOTAL UPAH"]
    run(clerk, "bpjs", table("csv", header, [["12345678", "PT Garam Madura Jaya", 9, "27.000.000"]]))
    known.refresh_from_db()
    assert (known.bpjs_workers, known.bpjs_programmes) == (9, ["jkk", "jkm", "jht"])


def test_a_labour_office_list_then_a_bpjs_list_link_by_nib_and_give_pds_workers(clerk):
    lo = [lo_row("9120001234567", "PT Garam Madura Jaya", size="medium", workers=20, wages=60_000_000)]
    run(clerk, "labour_office", table("xlsx", LO_ID, lo), "xlsx")
    employer = Employer.objects.get()
    assert employer.findings == [Finding.PWBD]

    bpjs = [
        bpjs_row(
            "12345678",
            "PT Garam Madura Jaya",
            nib="9120001234567",
            workers=12,
            wages=36_000_000,
            programmes="JKK, JKM, JHT, JP",
        )
    ]
    report = run(clerk, "bpjs", table("csv", BPJS_ID, bpjs))

    assert report.matched_by == {"npp": 0, "nib": 1, "name": 0}
    employer.refresh_from_db()
    assert employer.npp == "12345678"
    assert employer.findings == [Finding.PDS_WORKERS]
    assert (employer.gap_workers, employer.gap_wages) == (8, 24_000_000)
    # The stored columns agree with the assessment of the stored figures.
    assessment = employer_assess(employer)
    assert [f.finding for f in assessment.findings] == employer.findings


# --- A branch's list of several regencies ---------------------------------------------------------


def pamekasan_employer(**overrides) -> Employer:
    """An employer of Pamekasan, a regency of the same BPJS branch (Cabang Madura)."""
    data = {
        "npp": "PM00000001",
        "nib": "9128000000001",
        "name": "PT Garam Pamekasan",
        "name_key": "GARAM PAMEKASAN",
        "village_id": PAMEKASAN_VILLAGE,
        "regency_id": "35.28",
        "bpjs_workers": 4,
        "bpjs_wages": 12_000_000,
        **overrides,
    }
    return Employer.objects.create(**data)


def test_a_bpjs_list_of_several_regencies_imports_this_regencys_rows_and_skips_the_others(clerk, make_employer):
    known = make_employer(npp="12345678", bpjs_workers=10, bpjs_as_of=dt.date(2025, 4, 30))
    pamekasan = pamekasan_employer()
    rows = [
        bpjs_row("12345678", "PT Garam Madura Jaya", workers=8),  # Bangkalan
        bpjs_row("42345678", "PT Tembakau Madura", village=PAMEKASAN_VILLAGE),
        # The same NPP twice among Pamekasan's rows is Pamekasan's import to refuse, not Bangkalan's.
        bpjs_row("42345678", "PT Tembakau Madura", village="35.28.01.2002"),
        bpjs_row(pamekasan.npp, "PT Garam Pamekasan", village="", workers=1),  # no village: Pamekasan's NPP
        bpjs_row("52345678", "CV Garam Pamekasan", nib=pamekasan.nib, village="", workers=1),  # Pamekasan's NIB
        bpjs_row("62345678", "PT Entah", village=""),  # nobody's: unmatched, as before
    ]
    before = list(Employer.objects.exclude(pk=known.pk).order_by("pk").values_list())
    report = run(clerk, "bpjs", table("csv", BPJS_ID, rows), as_of=dt.date(2025, 5, 31))

    assert (report.rows, report.created, report.updated, report.unchanged) == (6, 0, 1, 0)
    assert (report.skipped_other_regency, report.older_than_record) == (4, 0)
    assert [u["row"] for u in report.unmatched] == [7]
    known.refresh_from_db()
    assert (known.bpjs_workers, known.bpjs_as_of) == (8, dt.date(2025, 5, 31))
    assert list(Employer.objects.exclude(pk=known.pk).order_by("pk").values_list()) == before
    event = AuditEvent.objects.get(action="employer.import")
    assert (event.data["skipped_other_regency"], event.data["updated"]) == (4, 1)


def test_rows_of_other_regencies_are_still_checked_for_their_cells(clerk, make_employer):
    make_employer(npp="12345678", bpjs_as_of=dt.date(2025, 4, 30))
    rows = [
        bpjs_row("12345678", "PT Garam Madura Jaya"),
        bpjs_row("42345678", "PT Tembakau Madura", village=PAMEKASAN_VILLAGE, workers="banyak"),
        bpjs_row("123", "PT Garam Sumenep", village="35.29.01.2001"),
        bpjs_row("52345678", "PT Desa Salah", village="Pamekasan"),
    ]
    before = snapshot()
    with pytest.raises(ValidationFailed) as exc:
        run(clerk, "bpjs", table("csv", BPJS_ID, rows), as_of=dt.date(2025, 5, 31))
    assert problems(exc) == [
        (3, "TK AKTIF", "Write a whole number, e.g. 1.873.899."),
        (4, "NPP", "An NPP has 8 to 20 letters and digits."),
        (5, "KODE DESA", "Write the village code, e.g. 35.26.02.2001."),
    ]
    assert snapshot() == before


def test_a_bpjs_row_of_this_regency_with_another_regencys_npp_or_nib_is_still_refused(clerk, make_employer):
    make_employer(npp="12345678")
    pamekasan = pamekasan_employer()
    rows = [
        bpjs_row(pamekasan.npp, "PT Garam Pamekasan"),  # a Bangkalan village
        bpjs_row("12345678", "PT Garam Madura Jaya", nib=pamekasan.nib, village=""),  # Bangkalan's NPP
    ]
    before = snapshot()
    with pytest.raises(ValidationFailed) as exc:
        run(clerk, "bpjs", table("csv", BPJS_ID, rows))
    assert problems(exc) == [
        (2, "NPP", "An employer of another regency has this NPP."),
        (3, "NIB", "An employer of another regency has this NIB."),
    ]
    assert snapshot() == before


def test_a_bpjs_row_of_another_regencys_village_with_this_regencys_npp_is_reported_not_applied(clerk, make_employer):
    known = make_employer(npp="12345678", bpjs_workers=10, bpjs_as_of=dt.date(2025, 4, 30))
    rows = [bpjs_row("12345678", "PT Garam Madura Jaya", village=PAMEKASAN_VILLAGE, workers=3)]
    report = run(clerk, "bpjs", table("csv", BPJS_EN, rows), as_of=dt.date(2025, 5, 31))

    assert (report.updated, report.skipped_other_regency) == (0, 0)
    assert report.unmatched == [
        {
            "row": 2,
            "npp": "12345678",
            "nib": "",
            "name": "PT Garam Madura Jaya",
            "village": PAMEKASAN_VILLAGE,
            "reason": "The NPP or NIB is PT Garam Madura Jaya's, an employer of this regency, but the row's village "
            "lies in another regency: not imported; correct the village in the register or at BPJS.",
        }
    ]
    known.refresh_from_db()
    assert (known.bpjs_workers, known.bpjs_as_of) == (10, dt.date(2025, 4, 30))


def test_a_labour_office_row_outside_the_regency_is_still_an_error_not_skipped(clerk):
    rows = [lo_row("9120001234567", "PT A"), lo_row("9120001234568", "PT B", village=PAMEKASAN_VILLAGE)]
    with pytest.raises(ValidationFailed) as exc:
        run(clerk, "labour_office", table("csv", LO_ID, rows))
    assert problems(exc) == [(3, "KODE DESA", "The village 35.28.01.2001 lies outside the regency 35.26.")]
    assert not Employer.objects.exists()


# --- Lists older than the figures on record -------------------------------------------------------


def test_an_older_bpjs_list_leaves_newer_figures_alone_but_links_the_npp(clerk, make_employer):
    known = make_employer(
        nib="9120001234567",
        npp="",
        bpjs_workers=10,
        bpjs_wages=30_000_000,
        bpjs_source="BPJS Juni",
        bpjs_as_of=dt.date(2025, 6, 30),
    )
    # No BPJS figures on record, though the register dated the empty side today: nothing to keep.
    fresh = unregistered(make_employer, name="CV Sumber Rejeki")
    kept = ("bpjs_workers", "bpjs_wages", "bpjs_programmes", "bpjs_source", "bpjs_as_of", "status", "gap_workers")
    before = Employer.objects.filter(pk=known.pk).values(*kept).get()
    rows = [
        bpjs_row(
            "12345678", "PT Garam Madura Jaya", nib="9120001234567", workers=6, wages=18_000_000, programmes="JKK"
        ),
        bpjs_row("22345678", "CV Sumber Rejeki", workers=4),
    ]
    report = run(clerk, "bpjs", table("csv", BPJS_EN, rows), source="BPJS Mei", as_of=dt.date(2025, 5, 31))

    assert (report.older_than_record, report.updated, report.unchanged) == (1, 1, 0)
    assert report.matched_by == {"npp": 0, "nib": 1, "name": 1}
    known.refresh_from_db()
    assert known.npp == "12345678"  # identifiers do not age
    assert Employer.objects.filter(pk=known.pk).values(*kept).get() == before
    fresh.refresh_from_db()
    assert (fresh.npp, fresh.bpjs_workers, fresh.bpjs_source, fresh.bpjs_as_of) == (
        "22345678",
        4,
        "BPJS Mei",
        dt.date(2025, 5, 31),
    )
    assert AuditEvent.objects.get(action="employer.import").data["older_than_record"] == 1


def test_an_older_labour_office_list_leaves_the_reported_side_alone_but_links_the_nib(clerk, make_employer):
    known = make_employer(
        npp="12345678",
        village=VILLAGE,
        address="Jl. Lama",
        sector="trade",
        size="medium",
        reported_workers=40,
        reported_wages=120_000_000,
        reported_as_of=dt.date(2025, 6, 30),
    )
    kept = ("village", "address", "sector", "size", "reported_workers", "reported_wages", "reported_as_of")
    before = Employer.objects.filter(pk=known.pk).values(*kept).get()
    rows = [
        lo_row(
            "9120001234567",
            "PT Garam Madura Jaya",
            npp="12345678",
            village=NEIGHBOUR_VILLAGE,
            address="Jl. Baru",
            sector="industri",
            size="kecil",
            workers=20,
        )
    ]
    report = run(clerk, "labour_office", table("csv", LO_EN, rows), as_of=dt.date(2025, 1, 31))

    assert (report.created, report.updated, report.unchanged, report.older_than_record) == (0, 0, 0, 1)
    assert report.matched_by == {"npp": 1, "nib": 0, "name": 0}
    known.refresh_from_db()
    assert known.nib == "9120001234567"
    assert Employer.objects.filter(pk=known.pk).values(*kept).get() == before


@pytest.mark.parametrize("as_of", [dt.date(2025, 5, 31), dt.date(2025, 6, 1)], ids=["same-day", "newer"])
def test_a_list_of_the_same_date_or_newer_than_the_record_applies(clerk, make_employer, as_of):
    known = make_employer(npp="12345678", bpjs_workers=10, bpjs_as_of=dt.date(2025, 5, 31))
    report = run(clerk, "bpjs", table("csv", BPJS_EN, [bpjs_row("12345678", "PT A", workers=8)]), as_of=as_of)
    assert (report.updated, report.older_than_record) == (1, 0)
    known.refresh_from_db()
    assert (known.bpjs_workers, known.bpjs_as_of) == (8, as_of)


# --- The page shows the new counts ----------------------------------------------------------------


def test_the_import_page_shows_skipped_rows_and_older_lists(client, clerk, make_employer):
    make_employer(npp="12345678", bpjs_as_of=dt.date(2025, 6, 30))
    rows = [bpjs_row("12345678", "PT Garam Madura Jaya"), bpjs_row("42345678", "PT X", village=PAMEKASAN_VILLAGE)]
    upload = SimpleUploadedFile("bpjs.csv", table("csv", BPJS_ID, rows), content_type="text/csv")
    client.force_login(clerk)
    response = client.post(
        reverse("enrollment:employer-import"),
        {"regency": BANGKALAN, "kind": "bpjs", "file": upload, "as_of": "2025-05-31"},
    )
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.older_than_record, report.skipped_other_regency) == (1, 1)
    page = response.content.decode()
    assert 'older-than-record">1</dd>' in page and 'skipped-other-regency">1</dd>' in page


# --- Refusals: all or nothing ---------------------------------------------------------------------


def test_a_row_whose_npp_and_nib_are_two_employers_is_refused_and_nothing_is_written(clerk, make_employer):
    make_employer(name="PT Satu", npp="12345678")
    unregistered(make_employer, name="PT Dua", nib="9120001234567")
    make_employer(name="PT Tiga", npp="32345678")
    rows = [
        bpjs_row("32345678", "PT Tiga", workers=3),  # fine on its own
        bpjs_row("12345678", "PT Dua", nib="9120001234567"),
    ]
    header = ["NPP", "NIB", "Nama", "Kode Desa", "TK Aktif", "Upah", "Program"]
    before = snapshot()
    with pytest.raises(ValidationFailed) as exc:
        run(clerk, "bpjs", table("csv", header, rows))
    assert "1 of 2 rows has a problem; nothing was saved" in exc.value.message
    assert problems(exc) == [
        (3, "NPP", "The NPP is PT Satu's and the NIB is PT Dua's: correct the row or the register.")
    ]
    assert snapshot() == before
    assert not AuditEvent.objects.filter(action="employer.import").exists()


def test_two_rows_of_a_bpjs_list_about_the_same_employer_are_refused(clerk, make_employer):
    unregistered(make_employer, name="PT Garam Madura Jaya", nib="9120001234567")
    rows = [bpjs_row("12345678", "PT Garam", nib="9120001234567"), bpjs_row("22345678", "PT. Garam Madura Jaya")]
    with pytest.raises(ValidationFailed) as exc:
        run(clerk, "bpjs", table("csv", BPJS_EN, rows))
    assert problems(exc) == [(3, "name", "Row 2 is about the same employer (PT Garam Madura Jaya).")]


def test_two_rows_of_a_labour_office_list_about_the_same_employer_are_refused(clerk, make_employer):
    unregistered(make_employer, name="CV Lain")
    rows = [lo_row("9120001234567", "CV Lain"), lo_row("9120001234568", "CV. LAIN")]
    with pytest.raises(ValidationFailed) as exc:
        run(clerk, "labour_office", table("csv", LO_ID, rows))
    assert problems(exc) == [(3, "NAMA PERUSAHAAN", "Row 2 is about the same employer (CV Lain).")]


def test_the_same_npp_or_nib_twice_in_a_file_is_refused(clerk):
    rows = [lo_row("9120001234567", "PT A", npp="12345678"), lo_row("9120001234567", "PT B", npp="12345678")]
    with pytest.raises(ValidationFailed) as exc:
        run(clerk, "labour_office", table("csv", LO_ID, rows))
    assert problems(exc) == [
        (3, "NPP", "The same NPP is on row 2."),
        (3, "NIB", "The same NIB is on row 2."),
    ]
    assert not Employer.objects.exists()


def test_an_npp_or_nib_of_another_regencys_employer_is_refused(clerk, badung_employer):
    rows = [lo_row("9120001234567", "PT Bali Surf", npp=badung_employer.npp)]
    with pytest.raises(ValidationFailed) as exc:
        run(clerk, "labour_office", table("csv", LO_EN, rows))
    assert problems(exc) == [(2, "npp", "An employer of another regency has this NPP.")]
    assert list(Employer.objects.values_list("pk", flat=True)) == [badung_employer.pk]


def test_villages_outside_the_regency_or_unknown_are_refused(clerk):
    rows = [
        lo_row("9120001234567", "PT A", village=PAMEKASAN_VILLAGE),
        lo_row("9120001234568", "PT B", village=BADUNG_VILLAGE),
        lo_row("9120001234569", "PT C", village="35.26.01.2999"),
        lo_row("9120001234570", "PT D", village="Sembilangan"),
        lo_row("9120001234571", "PT E", village=OTHER_DISTRICT_VILLAGE),  # Bangkalan: fine
    ]
    with pytest.raises(ValidationFailed) as exc:
        run(clerk, "labour_office", table("csv", LO_ID, rows))
    assert problems(exc) == [
        (2, "KODE DESA", "The village 35.28.01.2001 lies outside the regency 35.26."),
        (3, "KODE DESA", "The village 51.03.01.1002 lies outside the regency 35.26."),
        (4, "KODE DESA", "Unknown village code 35.26.01.2999."),
        (5, "KODE DESA", "Write the village code, e.g. 35.26.02.2001."),
    ]
    assert not Employer.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_cells_are_reported_with_their_row_column_and_reason(clerk, fmt):
    rows = [
        lo_row("9120001234567", "PT A", workers="sepuluh"),
        lo_row("9120001234568", "PT B", wages="-5"),
        lo_row("12345", "PT C", npp="123"),
        lo_row("9120001234570", "PT D", sector="xyz", size="raksasa"),
        lo_row("9120001234571", "", workers=2_000_000),
        lo_row("", "PT F", workers=""),
    ]
    with pytest.raises(ValidationFailed) as exc:
        run(clerk, "labour_office", table(fmt, LO_ID, rows), fmt)
    assert problems(exc) == [
        (2, "JUMLAH TENAGA KERJA", "Write a whole number, e.g. 1.873.899."),
        (3, "TOTAL UPAH", "The number cannot be negative."),
        (4, "NIB", "A NIB has 13 digits."),
        (4, "NPP", "An NPP has 8 to 20 letters and digits."),
        (5, "SEKTOR", "Unknown sector xyz."),
        (5, "SKALA USAHA", "Unknown size raksasa: write mikro, kecil, menengah or besar."),
        (6, "NAMA PERUSAHAAN", "The cell is empty."),
        (6, "JUMLAH TENAGA KERJA", "A whole number from 0 to 1,000,000."),
        (7, "NIB", "The cell is empty."),
        (7, "JUMLAH TENAGA KERJA", "The cell is empty."),
    ]
    assert "6 of 6 rows have problems; nothing was saved" in exc.value.message
    assert not Employer.objects.exists()


def test_an_unknown_programme_is_refused(clerk, make_employer):
    make_employer(npp="12345678")
    with pytest.raises(ValidationFailed) as exc:
        run(clerk, "bpjs", table("csv", BPJS_ID, [bpjs_row("12345678", "PT A", programmes="JKK, JKN")]))
    assert problems(exc) == [(2, "PROGRAM", "Unknown programme JKN: write JKK, JKM, JHT or JP.")]


def test_a_file_without_a_required_column_is_refused(clerk):
    with pytest.raises(ValidationFailed, match="Missing column"):
        run(clerk, "bpjs", table("csv", ["NAMA PERUSAHAAN", "TK AKTIF", "UPAH"], [["PT A", 1, 1]]))


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"kind": "wlkp"}, "kind"),
        ({"regency_code": "35.26.01"}, "regency"),
        ({"as_of": timezone.localdate() + dt.timedelta(days=2)}, "as_of"),
        ({"as_of": dt.date(2012, 12, 31)}, "as_of"),
        ({"source": "x" * 121}, "source"),
    ],
)
def test_a_bad_kind_regency_date_or_source_is_refused_before_reading(clerk, kw, field):
    kind = kw.pop("kind", "labour_office")
    with pytest.raises(ValidationFailed) as exc:
        run(clerk, kind, table("csv", LO_EN, [lo_row("9120001234567", "PT A")]), **kw)
    assert field in exc.value.details
    assert not Employer.objects.exists()


def test_a_list_dated_before_pp_86_2013_is_refused_as_a_typo_and_its_first_day_accepted(clerk):
    content = table("csv", LO_EN, [lo_row("9120001234567", "PT A")])
    with pytest.raises(ValidationFailed) as exc:
        run(clerk, "labour_office", content, as_of=dt.date(2005, 6, 30))
    assert exc.value.details == {"as_of": "The figures cannot be dated before 01/01/2013: check the year."}
    assert not Employer.objects.exists()
    assert run(clerk, "labour_office", content, as_of=dt.date(2013, 1, 1)).created == 1
    assert Employer.objects.get().reported_as_of == dt.date(2013, 1, 1)


def test_the_import_page_shows_a_date_before_2013_on_its_field(client, clerk):
    upload = SimpleUploadedFile("wlkp.csv", table("csv", LO_EN, [lo_row("9120001234567", "PT A")]))
    client.force_login(clerk)
    response = client.post(
        reverse("enrollment:employer-import"),
        {"regency": BANGKALAN, "kind": "labour_office", "file": upload, "as_of": "1015-06-30"},
    )
    assert response.status_code == 200
    # The form or the service refuses it; either way on the date's field, and nothing is saved.
    assert response.context["form"].errors["as_of"]
    assert not Employer.objects.exists()


# --- Who may import -------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["officer", "supervisor", "outsider"])
def test_only_the_regencys_labour_office_or_an_administrator_may_import(request, who):
    actor = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        run(actor, "labour_office", table("csv", LO_EN, [lo_row("9120001234567", "PT A")]))
    assert not Employer.objects.exists()
    assert not AuditEvent.objects.exists()


def test_the_labour_office_cannot_import_into_another_regency(clerk, outsider):
    content = table("csv", LO_EN, [lo_row("9120001234567", "PT Bali", village=BADUNG_VILLAGE)])
    with pytest.raises(PermissionDenied):
        run(clerk, "labour_office", content, regency_code="51.03")
    assert run(outsider, "labour_office", content, regency_code="51.03").created == 1


def test_an_administrator_imports_and_one_audit_event_records_the_counts(admin_user, make_employer):
    make_employer(npp="12345678", bpjs_as_of=dt.date(2025, 4, 30))
    rows = [bpjs_row("12345678", "PT Garam Madura Jaya"), bpjs_row("22345678", "PT Lain")]
    run(admin_user, "bpjs", table("csv", BPJS_EN, rows), filename="bpjs-mei.csv", as_of=dt.date(2025, 5, 31))
    event = AuditEvent.objects.get(action="employer.import")
    assert (event.actor, event.target_type, event.target_id, event.region_id) == (
        admin_user,
        "ucj.region",
        BANGKALAN,
        BANGKALAN,
    )
    assert event.data == {
        "kind": "bpjs",
        "filename": "bpjs-mei.csv",
        "source": "bpjs-mei.csv",
        "as_of": "2025-05-31",
        "rows": 2,
        "created": 0,
        "updated": 1,
        "unchanged": 0,
        "matched_by": {"npp": 1, "nib": 0, "name": 0},
        "unmatched": 1,
        "skipped_other_regency": 0,
        "older_than_record": 0,
    }


# --- Scale ----------------------------------------------------------------------------------------


def test_a_200_row_import_costs_a_bounded_number_of_queries(clerk, django_assert_max_num_queries):
    villages = [VILLAGE, NEIGHBOUR_VILLAGE, "35.26.01.2010", "35.26.01.2011"]
    Employer.objects.bulk_create(
        Employer(
            nib=f"91200000{i:05d}",
            name=f"PT Lama {i}",
            name_key=f"LAMA {i}",
            village_id=villages[i % 4],
            regency_id=BANGKALAN,
        )
        for i in range(150)
    )
    rows = [lo_row(f"91200000{i:05d}", f"PT Lama {i}", village=villages[i % 4]) for i in range(100)]
    rows += [lo_row(f"91200001{i:05d}", f"PT Baru {i}", village=villages[i % 4]) for i in range(100)]
    content = table("xlsx", LO_EN, rows)
    # A query per row would be 200 more; SQLite writes in batches of a few dozen rows.
    with django_assert_max_num_queries(20):
        report = run(clerk, "labour_office", content, "xlsx")
    assert (report.rows, report.created, report.updated) == (200, 100, 100)

    bpjs = [bpjs_row(f"NP{i:08d}", f"PT Baru {i}", nib=f"91200001{i:05d}") for i in range(100)]
    bpjs += [bpjs_row(f"NQ{i:08d}", f"PT Lama {i}", village=villages[i % 4]) for i in range(100)]
    # A branch's list: rows of Pamekasan, and rows without a village of nobody known.
    bpjs += [bpjs_row(f"NR{i:08d}", f"PT Pamekasan {i}", village=PAMEKASAN_VILLAGE) for i in range(50)]
    bpjs += [bpjs_row(f"NS{i:08d}", f"PT Entah {i}", village="") for i in range(50)]
    content = table("csv", BPJS_EN, bpjs)
    with django_assert_max_num_queries(20):
        report = run(clerk, "bpjs", content)
    assert report.matched_by == {"npp": 0, "nib": 100, "name": 100}
    assert (report.skipped_other_regency, len(report.unmatched)) == (50, 50)
    assert Employer.objects.filter(pds_workers=True).count() == 200


# --- The command ----------------------------------------------------------------------------------


def command(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_employers", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_command_imports_as_the_system_and_prints_counts_and_unmatched_rows(tmp_path, make_employer):
    make_employer(npp="12345678", bpjs_as_of=dt.date(2025, 4, 30))
    path = tmp_path / "bpjs.xlsx"
    rows = [
        bpjs_row("12345678", "PT Garam"),
        bpjs_row("22345678", "PT Lain"),
        bpjs_row("42345678", "PT Tembakau Madura", village=PAMEKASAN_VILLAGE),
    ]
    path.write_bytes(table("xlsx", BPJS_ID, rows))
    out, _err = command(str(path), "--regency", BANGKALAN, "--kind", "bpjs", "--as-of", "2025-05-31")
    assert "BPJS list of registered employers, 3 rows: 0 new, 1 changed, 0 unchanged, 1 unmatched." in out
    assert "Matched by NPP 1, by NIB 0, by name and village 0." in out
    assert "Older than the figures on record (figures kept): 0. Rows of other regencies skipped: 1." in out
    assert (
        f"Unmatched row 3: PT Lain ({VILLAGE}), NPP 22345678: "
        "No employer of the register has this NPP or NIB, nor this name in the village." in out
    )
    employer = Employer.objects.get(npp="12345678")
    assert (employer.bpjs_source, employer.bpjs_as_of) == ("bpjs.xlsx", dt.date(2025, 5, 31))
    assert AuditEvent.objects.get(action="employer.import").actor is None


def test_the_command_prints_every_row_error_writes_nothing_and_fails(tmp_path):
    path = tmp_path / "wlkp.csv"
    path.write_bytes(
        table(
            "csv",
            LO_ID,
            [lo_row("9120001234567", "PT A", village=PAMEKASAN_VILLAGE), lo_row("9120001234568", "PT B", workers="x")],
        )
    )
    err = StringIO()
    with pytest.raises(CommandError, match="2 of 2 rows have problems"):
        call_command("import_employers", str(path), "--regency", BANGKALAN, "--kind", "labour_office", stderr=err)
    assert "row 2, KODE DESA: The village 35.28.01.2001 lies outside the regency 35.26." in err.getvalue()
    assert "row 3, JUMLAH TENAGA KERJA: Write a whole number" in err.getvalue()
    assert not Employer.objects.exists()


def test_the_command_counts_employers_whose_figures_on_record_are_newer(tmp_path, make_employer):
    make_employer(npp="12345678", bpjs_workers=10, bpjs_as_of=dt.date(2025, 6, 30))
    path = tmp_path / "bpjs.csv"
    path.write_bytes(table("csv", BPJS_EN, [bpjs_row("12345678", "PT Garam", workers=3)]))
    out, _err = command(str(path), "--regency", BANGKALAN, "--kind", "bpjs", "--as-of", "2025-05-31")
    assert "0 changed, 0 unchanged" in out
    assert "Older than the figures on record (figures kept): 1. Rows of other regencies skipped: 0." in out
    assert Employer.objects.get(npp="12345678").bpjs_workers == 10


def test_the_command_refuses_a_bad_date_or_an_unknown_regency(tmp_path):
    path = tmp_path / "wlkp.csv"
    path.write_bytes(table("csv", LO_EN, [lo_row("9120001234567", "PT A")]))
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        command(str(path), "--regency", BANGKALAN, "--kind", "labour_office", "--as-of", "31/05/2025")
    with pytest.raises(CommandError, match=r"No regency has the code 99\.99"):
        command(str(path), "--regency", "99.99", "--kind", "labour_office")


@pytest.mark.parametrize("letter", list("ABCDEFGHIJKLMNOPQRSTU"))
def test_every_kbli_section_letter_reads_as_a_sector(letter):
    """KBLI 2020 has sections A to U; J (information and communication) once crashed the import."""
    assert sector_cell(letter) in {s.value for s in Sector}
