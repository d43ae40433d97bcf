"""Member spreadsheets in (CSV and XLSX, DESIGN §4) and out (the export for the BPJS branch).

Every reason a row is refused is checked in both formats, with its row number as the spreadsheet
shows it (the header is row 1), its column and its message; whole-file problems fail the job and
add nothing; a crash while writing adds nothing either."""

import csv
import datetime as dt
import gc
import io

import pytest
from django.db import connection
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from enrollment import importers, services
from enrollment.models import (
    BatchKind,
    BatchMember,
    BatchState,
    FundingSource,
    ImportState,
    OccupationGroup,
    Participant,
    Position,
)
from enrollment.services import imports as imports_service
from tests.enrollment.conftest import (
    EN_HEADERS,
    ID_HEADERS,
    OTHER_VILLAGE,
    PREMIUM,
    VILLAGE,
    YEAR,
    approve,
    audit_events,
    import_rows,
    make_nik,
    member_row,
    new_batch,
    rows_csv,
    rows_xlsx,
)
from tests.factories import user_with
from tests.ucj.test_sheet_writers import (
    HOSTILE,
    as_xml_keeps_it,
    csv_cells,
    excel_text,
    exposed_pieces,
    xlsx_texts,
)
from ucj import sheets
from ucj.errors import ValidationFailed
from ucj.models import Role
from ucj.sheet_writers import guard_text

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

FORMATS = ["csv", "xlsx"]
OUTSIDE_OFFICER = "35.26.03.2001"  # Burneh: Bangkalan, but not one of the officer's districts
PAMEKASAN_VILLAGE = "35.28.01.2001"  # Dabuan, Pamekasan: another regency
TAKEN = "Already in an open batch or protected for an overlapping period."


def encode(rows: list[dict], fmt: str, **kw) -> bytes:
    return rows_csv(rows, **kw) if fmt == "csv" else rows_xlsx(rows, **kw)


def table(fmt: str, header: list, rows: list[list], *, delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    """A sheet written cell by cell: any headers in any order; XLSX cells keep their Python type."""
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
    return out.getvalue().encode(encoding)


def run(actor, batch, content: bytes, fmt: str = "csv"):
    job = services.import_create(actor=actor, batch_id=batch.pk, filename=f"anggota.{fmt}", content=content)
    return services.import_run(job_id=job.pk)


def members_of(batch) -> set[str]:
    return set(BatchMember.objects.filter(batch=batch).values_list("participant__nik", flat=True))


def assert_one_bad_row(job, batch, *, column: str, contains: str, good=(1,)):
    """The file held the good rows first, then the bad one (row len(good) + 2)."""
    assert job.state == ImportState.DONE, job.message
    assert (job.accepted, job.rejected) == (len(good), 1), job.errors
    [error] = [e for e in job.errors if e["column"] == column]
    assert error["row"] == len(good) + 2
    assert contains in error["message"], error["message"]
    assert members_of(batch) == {make_nik(s) for s in good}


# --- One reason per row, in both formats ---------------------------------------------------------


def _bad(serial: int = 2, **over) -> dict:
    row = member_row(serial)
    row.update(over)
    return row


ROW_CASES = {
    "nik_too_short": (_bad(nik=make_nik(2)[:15]), "nik", "must be 16 digits"),
    "nik_too_long": (_bad(nik=make_nik(2) + "1"), "nik", "must be 16 digits"),
    "nik_not_digits": (_bad(nik=make_nik(2)[:14] + "AB"), "nik", "must be 16 digits"),
    # lokal-id's own check: there is no 13th month (its Indonesian message in our own words).
    "nik_month_13": (_bad(nik="3526020113900002"), "nik", "The birth date in the NIK is not a real date"),
    "nik_day_32": (_bad(nik="3526023201900002"), "nik", "The birth date in the NIK is not a real date"),
    "nik_serial_0000": (_bad(nik="3526020101900000"), "nik", "serial number cannot be 0000"),
    "nik_unknown_province": (_bad(nik="9926020101900002"), "nik", "province code 99 does not exist"),
    "unknown_village": (_bad(village_code="35.26.02.9999"), "village_code", "Unknown village code 35.26.02.9999"),
    "village_code_malformed": (_bad(village_code="Socah"), "village_code", "Write the village code"),
    "village_outside_the_regency": (
        _bad(village_code=PAMEKASAN_VILLAGE),
        "village_code",
        "outside the batch's area 35.26",
    ),
    "village_outside_the_officers_area": (
        _bad(village_code=OUTSIDE_OFFICER),
        "village_code",
        "is outside your area",
    ),
    "aged_65_or_more_for_government_money": (
        _bad(nik=make_nik(2, birth=dt.date(1960, 1, 1)), birth_date="01/01/1960"),
        "birth_date",
        "Aged 66 when the period starts",
    ),
    "empty_name": (_bad(name=""), "name", "The name is empty"),
    "blank_name": (_bad(name="   "), "name", "The name is empty"),
    "name_too_long": (_bad(name="A" * 151), "name", "longer than 150 characters"),
    "occupation_too_long": (_bad(occupation="B" * 101), "occupation", "longer than 100 characters"),
    "bad_phone": (_bad(phone="12345"), "phone", "phone number"),
    "phone_letters": (_bad(phone="nomor saya"), "phone", "Not a phone number"),
    "bad_sex": (_bad(sex="X"), "sex", "Write L (male) or P (female)"),
    "bad_date": (_bad(birth_date="31/02/1990"), "birth_date", "Not a date"),
    "empty_date": (_bad(birth_date=""), "birth_date", "Not a date"),
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("case", list(ROW_CASES))
def test_a_bad_row_is_reported_and_the_good_one_added(officer, draft_batch, fmt, case):
    bad, column, message = ROW_CASES[case]
    job = run(officer, draft_batch, encode([member_row(1), bad], fmt), fmt)
    assert_one_bad_row(job, draft_batch, column=column, contains=message)
    draft_batch.refresh_from_db()
    assert (draft_batch.member_count, draft_batch.total_cost) == (1, PREMIUM * 7)


def test_an_import_pauses_the_garbage_collector_and_lets_it_run_again(officer, draft_batch, monkeypatch):
    seen = []
    parse = importers.parse_member_rows
    monkeypatch.setattr(importers, "parse_member_rows", lambda *a: seen.append(gc.isenabled()) or parse(*a))
    job = import_rows(officer, draft_batch, [member_row(1)])
    assert (job.accepted, seen, gc.isenabled()) == (1, [False], True)
    job = run(officer, draft_batch, b"\x00\x01 not a sheet")
    assert job.state == ImportState.FAILED and gc.isenabled()


def test_imported_people_and_memberships_carry_the_time_of_the_import(officer, draft_batch):
    before = timezone.now()
    job = import_rows(officer, draft_batch, [member_row(1), member_row(2)])
    assert job.accepted == 2
    for member in draft_batch.members.select_related("participant"):
        # On PostgreSQL the moment goes to the COPY as text, formatted once for every row.
        for stamp in (
            member.created_at,
            member.updated_at,
            member.participant.created_at,
            member.participant.updated_at,
        ):
            assert before <= stamp <= job.finished_at and stamp.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_same_nik_twice_in_a_file(officer, draft_batch, fmt):
    job = run(officer, draft_batch, encode([member_row(1), member_row(1, name="Lagi")], fmt), fmt)
    assert_one_bad_row(job, draft_batch, column="nik", contains="The same NIK is on row 2")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_second_import_skips_the_batchs_members_instead_of_refusing_them(officer, draft_batch, fmt):
    run(officer, draft_batch, encode([member_row(1)], fmt), fmt)
    job = run(officer, draft_batch, encode([member_row(2), member_row(1)], fmt), fmt)
    assert (job.state, job.accepted, job.rejected, job.skipped) == (ImportState.DONE, 1, 0, 1)
    assert job.errors == []
    [event] = audit_events(draft_batch, "batch.import").filter(data__job=job.pk)
    assert (event.data["accepted"], event.data["rejected"], event.data["skipped"]) == (1, 0, 1)
    assert members_of(draft_batch) == {make_nik(1), make_nik(2)}
    draft_batch.refresh_from_db()
    assert draft_batch.member_count == 2


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_person_in_another_open_batch_is_refused(officer, fmt):
    first = new_batch(officer)
    import_rows(officer, first, [member_row(1)])
    second = new_batch(officer)
    job = run(officer, second, encode([member_row(2), member_row(1)], fmt), fmt)
    assert_one_bad_row(job, second, column="nik", contains=TAKEN, good=(2,))


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_person_active_for_an_overlapping_period_is_refused(batch_in_state, officer, fmt):
    batch_in_state(BatchState.ACTIVE)  # serials 1 to 3, June to December
    overlapping = new_batch(officer, period_start=dt.date(YEAR, 12, 1), period_end=dt.date(YEAR, 12, 31))
    job = run(officer, overlapping, encode([member_row(4), member_row(1)], fmt), fmt)
    assert_one_bad_row(job, overlapping, column="nik", contains=TAKEN, good=(4,))


def test_a_person_rejected_by_bpjs_is_not_active(batch_in_state, officer, clerk):
    batch = batch_in_state(BatchState.APPROVED, members=2)
    services.batch_activate(actor=clerk, batch_id=batch.pk, confirmations={make_nik(1): (2, "23000000001")})
    again = new_batch(officer)
    job = import_rows(officer, again, [member_row(1), member_row(2)])
    assert [e["row"] for e in job.errors] == [2]  # only the confirmed one is active
    assert members_of(again) == {make_nik(2)}


@pytest.mark.parametrize("fmt", FORMATS)
def test_village_outside_a_narrower_batch_area(officer, fmt):
    batch = new_batch(officer, area="35.26.01")
    job = run(officer, batch, encode([member_row(1, village="35.26.01.2008"), member_row(2)], fmt), fmt)
    assert_one_bad_row(job, batch, column="village_code", contains="outside the batch's area 35.26.01")


def test_the_labour_office_may_list_anyone_of_the_regency(clerk):
    batch = new_batch(clerk)
    job = import_rows(clerk, batch, [member_row(1, village=OUTSIDE_OFFICER)])
    assert (job.accepted, job.rejected) == (1, 0)


@pytest.mark.parametrize("fmt", FORMATS)
def test_nik_issued_in_another_regency_is_a_warning(officer, draft_batch, fmt):
    pamekasan_nik = make_nik(2, district="352801")
    job = run(officer, draft_batch, encode([member_row(1), _bad(nik=pamekasan_nik)], fmt), fmt)
    assert (job.state, job.accepted, job.rejected, job.errors) == (ImportState.DONE, 2, 0, [])
    [warning] = job.warnings
    assert (warning["row"], warning["column"]) == (3, "nik")
    assert "issued outside the regency" in warning["message"]
    member = BatchMember.objects.get(batch=draft_batch, participant__nik=pamekasan_nik)
    assert member.warnings == [warning]


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_age_limit_is_for_government_money_only(officer, fmt):
    old = member_row(2, birth=dt.date(1950, 3, 4))
    batch = new_batch(officer, source=FundingSource.OTHER)
    job = run(officer, batch, encode([member_row(1), old], fmt), fmt)
    assert (job.accepted, job.rejected) == (2, 0)


@pytest.mark.parametrize(
    ("birth", "accepted"),
    [(dt.date(1961, 6, 1), False), (dt.date(1961, 6, 2), True)],
    ids=["65_on_the_first_day", "64_on_the_first_day"],
)
def test_under_65_is_counted_on_the_first_day_of_the_period(officer, draft_batch, birth, accepted):
    job = import_rows(officer, draft_batch, [member_row(1, birth=birth)])
    assert job.accepted == int(accepted)


def test_a_row_with_several_problems_reports_each_and_counts_once(officer, draft_batch):
    job = import_rows(officer, draft_batch, [_bad(sex="X", phone="1", village_code="35.26.02.9999")])
    assert (job.accepted, job.rejected) == (0, 1)
    assert sorted(e["column"] for e in job.errors) == ["phone", "sex", "village_code"]
    assert {e["row"] for e in job.errors} == {2}


# --- Headers, delimiters, encodings, Excel's habits ----------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_indonesian_headers_in_any_case_and_order(officer, draft_batch, fmt):
    order = [6, 4, 0, 2, 1, 5, 3]  # NO HP, KODE DESA, NIK, JENIS KELAMIN, NAMA, PEKERJAAN, TANGGAL LAHIR
    header = [h.lower() if i % 2 else h.title() for i, h in enumerate(ID_HEADERS[i] for i in order)]
    header[0] = "no. hp"
    rows = []
    for serial in (1, 2):
        values = member_row(serial, sex="P", birth=dt.date(1985, 7, 17))
        rows.append([values[EN_HEADERS[i]] for i in order])
    job = run(officer, draft_batch, table(fmt, header, rows), fmt)
    assert (job.state, job.accepted, job.rejected) == (ImportState.DONE, 2, 0), job.errors
    person = Participant.objects.get(nik=make_nik(1, sex="P", birth=dt.date(1985, 7, 17)))
    assert (person.sex, person.birth_date, person.village_id, person.phone) == (
        "P",
        dt.date(1985, 7, 17),
        VILLAGE,
        "+6281200000001",
    )
    assert person.occupation_group == OccupationGroup.FARMER


@pytest.mark.parametrize("headers", [EN_HEADERS, ID_HEADERS], ids=["english", "indonesian"])
def test_semicolon_delimited_csv_with_bom(officer, draft_batch, headers):
    content = rows_csv(
        [member_row(1, name="Siti Fatimah, S.Pd"), member_row(2)], headers=headers, delimiter=";", bom=True
    )
    assert content.startswith(b"\xef\xbb\xbf")
    job = run(officer, draft_batch, content)
    assert (job.accepted, job.rejected) == (2, 0), job.errors
    assert Participant.objects.get(nik=make_nik(1)).name == "Siti Fatimah, S.Pd"


def test_tab_delimited_csv(officer, draft_batch):
    job = run(officer, draft_batch, rows_csv([member_row(1)], delimiter="\t"))
    assert job.accepted == 1, job.errors


def test_windows_1252_csv_keeps_accented_names(officer, draft_batch):
    row = member_row(1, name="Sémbiring Ñoto")
    content = table("csv", EN_HEADERS, [[row[k] for k in EN_HEADERS]], delimiter=";", encoding="cp1252")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    job = run(officer, draft_batch, content)
    assert job.accepted == 1, job.errors
    assert Participant.objects.get(nik=make_nik(1)).name == "Sémbiring Ñoto"


def test_utf8_names_survive(officer, draft_batch):
    job = import_rows(officer, draft_batch, [member_row(1, name="Moh. Ja'far Shâdiq")], bom=True)
    assert job.accepted == 1
    assert Participant.objects.get(nik=make_nik(1)).name == "Moh. Ja'far Shâdiq"


@pytest.mark.parametrize("number", [3526020101900001, 3526020101900001.0], ids=["int", "float"])
def test_xlsx_nik_stored_as_a_number_gets_its_own_error(officer, draft_batch, number):
    content = rows_xlsx([member_row(1), member_row(2)], raw_cells={(1, "nik"): number})
    job = run(officer, draft_batch, content, "xlsx")
    assert_one_bad_row(job, draft_batch, column="nik", contains="format the column as text")
    assert "stored as a number" in job.errors[0]["message"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("text", ["3.52601E+15", "3,52601E+15", "3.52602E+15", "3.5260201019E+15"])
def test_nik_turned_into_scientific_notation_gets_its_own_error(officer, draft_batch, fmt, text):
    """Excel shows a long number as 3.52601E+15 (3,52601E+15 with Indonesian settings); saved as
    CSV, that text is all that is left of the NIK. (Indonesian Excel separates CSV cells with ";".)"""
    options = {"delimiter": ";"} if fmt == "csv" else {}
    job = run(officer, draft_batch, encode([member_row(1), _bad(nik=text)], fmt, **options), fmt)
    assert_one_bad_row(job, draft_batch, column="nik", contains="format the column as text")
    assert "turned into a number by Excel" in job.errors[0]["message"]


def test_nik_with_spaces_dots_or_a_leading_apostrophe_is_read(officer, draft_batch):
    nik = make_nik(1)
    spaced = f"{nik[:6]} {nik[6:12]} {nik[12:]}"
    rows = [member_row(1, nik=spaced), member_row(2, nik="'" + make_nik(2))]
    job = import_rows(officer, draft_batch, rows)
    assert job.accepted == 2, job.errors
    assert members_of(draft_batch) == {make_nik(1), make_nik(2)}


def test_xlsx_date_cells_numbers_and_text(officer, draft_batch):
    rows = [member_row(1), member_row(2, birth=dt.date(1988, 11, 30)), member_row(3)]
    raw = {
        (0, "birth_date"): dt.datetime(1990, 1, 1),
        (1, "birth_date"): dt.date(1988, 11, 30),
        (2, "birth_date"): "1990-01-01",
        (1, "phone"): 81200000002,  # Excel dropped the leading 0
        (2, "village_code"): 3526022001,  # the code without dots, as a number
    }
    job = run(officer, draft_batch, rows_xlsx(rows, raw_cells=raw), "xlsx")
    assert (job.accepted, job.rejected) == (3, 0), job.errors
    assert Participant.objects.get(nik=make_nik(2, birth=dt.date(1988, 11, 30))).phone == "+6281200000002"
    assert Participant.objects.get(nik=make_nik(3)).village_id == VILLAGE


def test_a_sheet_with_the_village_name_and_its_code(officer, draft_batch):
    """Clerks often keep both a DESA column (the name) and a KODE DESA column (the code)."""
    header = ["NIK", "NAMA", "JENIS KELAMIN", "TANGGAL LAHIR", "DESA", "KODE DESA", "PEKERJAAN", "NO HP"]
    r = member_row(1)
    content = table(
        "csv", header, [[r["nik"], r["name"], "L", r["birth_date"], "Socah", VILLAGE, "Petani", r["phone"]]]
    )
    job = run(officer, draft_batch, content)
    assert (job.accepted, job.rejected) == (1, 0), job.errors


def test_blank_lines_are_skipped_and_rows_keep_their_spreadsheet_numbers(officer, draft_batch):
    bad = _bad(3, sex="X")
    text = rows_csv([member_row(1)]).decode() + ",,,,,,\r\n\r\n" + rows_csv([bad]).decode().split("\r\n", 1)[1]
    job = run(officer, draft_batch, text.encode())
    assert job.accepted == 1
    assert [(e["row"], e["column"]) for e in job.errors] == [(5, "sex")]


# --- Whole-file problems: nothing added, the job says why ----------------------------------------


def assert_failed(job, batch, contains: str):
    assert job.state == ImportState.FAILED
    assert job.finished and job.finished_at is not None
    assert contains in job.message, job.message
    assert job.accepted == 0
    batch.refresh_from_db()
    assert batch.member_count == 0
    assert not BatchMember.objects.filter(batch=batch).exists()


def test_an_empty_upload_is_refused_before_any_job(officer, draft_batch):
    with pytest.raises(ValidationFailed, match="empty"):
        services.import_create(actor=officer, batch_id=draft_batch.pk, filename="a.csv", content=b"")


def test_a_file_of_blank_lines_fails(officer, draft_batch):
    assert_failed(run(officer, draft_batch, b"\r\n  \r\n"), draft_batch, "The file is empty")


def test_an_empty_workbook_fails(officer, draft_batch):
    out = io.BytesIO()
    Workbook().save(out)
    assert_failed(run(officer, draft_batch, out.getvalue(), "xlsx"), draft_batch, "The file has no rows")


@pytest.mark.parametrize("fmt", FORMATS)
def test_header_only_fails(officer, draft_batch, fmt):
    assert_failed(run(officer, draft_batch, encode([], fmt), fmt), draft_batch, "a header but no data rows")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_missing_required_column_fails_the_whole_file(officer, draft_batch, fmt):
    header = ["NIK", "NAMA", "JENIS KELAMIN", "TANGGAL LAHIR", "PEKERJAAN"]
    r = member_row(1)
    job = run(officer, draft_batch, table(fmt, header, [[r["nik"], r["name"], "L", r["birth_date"], "Petani"]]), fmt)
    assert_failed(job, draft_batch, "Missing column(s): village_code")
    assert job.errors == [{"row": 1, "column": "village_code", "message": "Column not found."}]
    assert not Participant.objects.exists()


def test_an_old_xls_file_fails_with_advice(officer, draft_batch):
    content = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512
    assert_failed(run(officer, draft_batch, content, "xls"), draft_batch, "save the sheet as .xlsx or CSV")


def test_a_damaged_xlsx_fails(officer, draft_batch):
    assert_failed(run(officer, draft_batch, b"PK\x03\x04not really a zip", "xlsx"), draft_batch, "cannot be opened")


def test_a_binary_file_fails(officer, draft_batch):
    assert_failed(run(officer, draft_batch, b"\x00\x01\x02nik\x00" * 10), draft_batch, "neither CSV text nor")


def test_too_many_rows_fails(officer, draft_batch, monkeypatch):
    monkeypatch.setattr(importers.collective, "MAX_ROWS", 2)
    job = run(officer, draft_batch, rows_csv([member_row(i) for i in (1, 2, 3)]))
    assert_failed(job, draft_batch, "more than 2 rows")


@pytest.mark.parametrize("fmt", FORMATS)
def test_blank_lines_near_the_row_limit_never_drop_rows_silently(officer, draft_batch, monkeypatch, fmt):
    monkeypatch.setattr(importers.collective, "MAX_ROWS", 5)
    people = [member_row(i) for i in range(1, 6)]  # exactly the limit
    blank = [" "] * len(EN_HEADERS)
    content = table(fmt, EN_HEADERS, [blank] * 12 + [[r[k] for k in EN_HEADERS] for r in people])
    job = run(officer, draft_batch, content, fmt)
    assert job.state == ImportState.DONE and job.accepted == 5, (job.state, job.accepted, job.message)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_mix_adds_exactly_the_good_rows_and_reports_every_bad_one(officer, draft_batch, fmt):
    rows = [
        member_row(1),  # row 2: good
        _bad(2, nik="123"),  # row 3
        member_row(3),  # row 4: good
        _bad(4, sex="X"),  # row 5
        _bad(5, village_code="35.26.02.9999"),  # row 6
        member_row(6),  # row 7: good
        _bad(7, phone="0"),  # row 8
        member_row(1, name="Duplikat"),  # row 9
    ]
    job = run(officer, draft_batch, encode(rows, fmt), fmt)
    assert job.state == ImportState.DONE
    assert (job.total_rows, job.processed_rows, job.accepted, job.rejected) == (8, 8, 3, 5)
    assert job.percent == 100
    assert [(e["row"], e["column"]) for e in job.errors] == [
        (3, "nik"),
        (5, "sex"),
        (6, "village_code"),
        (8, "phone"),
        (9, "nik"),
    ]
    assert all(e["message"] for e in job.errors)
    assert members_of(draft_batch) == {make_nik(1), make_nik(3), make_nik(6)}
    assert Participant.objects.count() == 3
    draft_batch.refresh_from_db()
    assert (draft_batch.member_count, draft_batch.total_cost) == (3, 3 * PREMIUM * 7)
    [event] = audit_events(draft_batch, "batch.import")
    assert event.actor == officer
    assert (event.data["accepted"], event.data["rejected"], event.data["job"]) == (3, 5, job.pk)
    # The downloadable error report lists the same rows.
    report = list(csv.reader(io.StringIO(importers.error_report_csv(job.errors).decode("utf-8-sig")), delimiter=";"))
    assert report[0] == ["row", "column", "message"]
    assert [r[0] for r in report[1:]] == ["3", "5", "6", "8", "9"]


def test_an_import_into_a_batch_that_is_no_longer_a_draft_fails(batch_in_state, officer):
    batch = batch_in_state(BatchState.DRAFT)
    job = services.import_create(actor=officer, batch_id=batch.pk, filename="a.csv", content=rows_csv([member_row(10)]))
    services.batch_submit(actor=officer, batch_id=batch.pk)
    job = services.import_run(job_id=job.pk)
    assert job.state == ImportState.FAILED
    assert "cannot be edited" in job.message
    assert members_of(batch) == {make_nik(1), make_nik(2), make_nik(3)}


def test_import_create_refuses_a_batch_that_is_not_a_draft(batch_in_state, officer):
    from ucj.errors import Conflict

    batch = batch_in_state(BatchState.SUBMITTED)
    with pytest.raises(Conflict):
        services.import_create(actor=officer, batch_id=batch.pk, filename="a.csv", content=rows_csv([member_row(9)]))


def test_an_existing_participant_keeps_one_record_and_the_registered_data(batch_in_state, officer):
    batch = batch_in_state(BatchState.REJECTED, members=1)
    again = new_batch(officer)
    job = import_rows(officer, again, [member_row(1, name="Warga Satu Baru", phone="")])
    assert job.accepted == 1
    # An upload neither renames nor wipes anyone: it says the registered data is kept.
    assert "Warga 1" in job.warnings[0]["message"] and job.warnings[0]["row"] == 2
    person = Participant.objects.get(nik=make_nik(1))
    assert (person.name, person.phone) == ("Warga 1", "+62812" + "00000001")
    assert Participant.objects.filter(nik=make_nik(1)).count() == 1
    assert person.memberships.count() == 2 and batch.members.get().participant == person


def test_people_on_record_are_found_by_their_whole_nik_and_nothing_else(officer):
    on_record = [make_nik(i) for i in (1, 2)]
    for nik in on_record:
        Participant.objects.create(nik=nik, name="Warga", sex="L", birth_date=dt.date(1990, 1, 1), village_id=VILLAGE)
    # The NIKs travel as one comma-separated text: a comma in what is asked must not split it.
    asked = [on_record[0], f"{on_record[0]},{on_record[1]}", on_record[1][:15], "", make_nik(3)]
    assert set(importers.registered_participants(asked)) == {on_record[0]}
    found, result, _ids = importers.registered_while([*on_record, make_nik(3)], lambda: "parsed")
    assert (set(found), result) == (set(on_record), "parsed")


def test_a_free_person_registered_outside_the_uploaders_area_moves_without_being_described(
    batch_in_state, officer, clerk
):
    registered = batch_in_state(BatchState.REJECTED, members=1)  # lives in VILLAGE, district 35.26.02
    assert registered.members.get().participant.village_id == VILLAGE
    colleague = user_with(Role.FIELD_OFFICER, "35.26.01", username="colleague")
    draft = new_batch(colleague, area="35.26.01")
    job = import_rows(colleague, draft, [member_row(1, village=OTHER_VILLAGE, name="Nama Palsu", phone="")])
    # In no open batch and protected neither today nor later: whoever lists them enrolls them, and
    # nothing of the record (its name, its village) is told to an uploader who could not see it.
    assert (job.accepted, job.errors, job.warnings) == (1, [], [])
    person = Participant.objects.get(nik=make_nik(1))
    assert (person.name, person.village_id) == ("Warga 1", OTHER_VILLAGE)


def test_a_held_person_registered_outside_the_uploaders_area_is_refused_without_saying_where(batch_in_state, officer):
    batch_in_state(BatchState.ACTIVE, members=1)  # protected June to December, in VILLAGE
    colleague = user_with(Role.FIELD_OFFICER, "35.26.01", username="colleague")
    later = new_batch(colleague, area="35.26.01", year=YEAR + 1, period_start=dt.date(YEAR + 1, 1, 1),
                      period_end=dt.date(YEAR + 1, 12, 31))  # fmt: skip
    job = import_rows(colleague, later, [member_row(1, village=OTHER_VILLAGE, name="Nama Palsu", phone="")])
    assert job.accepted == 0
    assert [(e["row"], e["column"], e["message"]) for e in job.errors] == [(2, "nik", TAKEN)]
    person = Participant.objects.get(nik=make_nik(1))
    assert (person.name, person.village_id) == ("Warga 1", VILLAGE)


# --- Village officials: positions ----------------------------------------------------------------


@pytest.fixture
def officials_batch(officer):
    return new_batch(officer, source=FundingSource.APBD, kind=BatchKind.VILLAGE_OFFICIALS, area=VILLAGE)


@pytest.mark.parametrize("fmt", FORMATS)
def test_village_officials_positions_are_mapped(officer, officials_batch, fmt):
    header = ["NIK", "NAMA", "JENIS KELAMIN", "TANGGAL LAHIR", "KODE DESA", "JABATAN", "SILTAP"]
    written = ["Kepala Desa", "Sekdes", "Kaur Keuangan", "Kasun", "KASI PEMERINTAHAN", "", "Bendahara"]
    rows = []
    for serial, position in enumerate(written, start=1):
        r = member_row(serial)
        rows.append([r["nik"], r["name"], "L", r["birth_date"], VILLAGE, position, "Rp 2.500.000"])
    job = run(officer, officials_batch, table(fmt, header, rows), fmt)
    assert (job.accepted, job.rejected) == (5, 2), job.errors
    positions = dict(BatchMember.objects.filter(batch=officials_batch).values_list("participant__nik", "position"))
    assert positions == {
        make_nik(1): Position.KEPALA_DESA,
        make_nik(2): Position.SEKRETARIS_DESA,
        make_nik(3): Position.KAUR,
        make_nik(4): Position.KEPALA_DUSUN,
        make_nik(5): Position.KASI,
    }
    assert [(e["row"], e["field"]) for e in job.errors] == [(7, "position"), (8, "position")]
    assert "Give the official's position" in job.errors[0]["message"]
    assert "Unknown position Bendahara" in job.errors[1]["message"]
    assert set(Participant.objects.values_list("occupation_group", flat=True)) == {OccupationGroup.VILLAGE_OFFICIAL}


def test_position_column_missing_rejects_every_official(officer, officials_batch):
    job = import_rows(officer, officials_batch, [member_row(1)])
    assert (job.accepted, job.rejected) == (0, 1)
    assert job.errors[0]["column"] == "position"


def test_vulnerable_workers_ignore_a_position_column(officer, draft_batch):
    job = import_rows(officer, draft_batch, [member_row(1, position="Kepala Desa")])
    assert job.accepted == 1
    assert BatchMember.objects.get(batch=draft_batch).position == ""


# --- Atomicity ------------------------------------------------------------------------------------


def test_a_crash_while_writing_adds_nothing_and_fails_the_job(officer, draft_batch, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    job = services.import_create(
        actor=officer, batch_id=draft_batch.pk, filename="a.csv", content=rows_csv([member_row(1), member_row(2)])
    )
    # After both the people and the memberships are written.
    monkeypatch.setattr(imports_service, "batch_refresh_totals", crash)
    # import_run records the failure and lets the exception through (the worker logs it).
    with pytest.raises(RuntimeError, match="disk full"):
        services.import_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == ImportState.FAILED
    assert "nothing was added" in job.message
    assert not Participant.objects.filter(nik__in=[make_nik(1), make_nik(2)]).exists()
    assert not BatchMember.objects.exists()
    assert not audit_events(draft_batch, "batch.import").exists()
    draft_batch.refresh_from_db()
    assert draft_batch.member_count == 0


def test_a_unique_clash_while_writing_is_a_conflict_recorded_on_the_job(officer, draft_batch, monkeypatch):
    from django.db import IntegrityError

    def clash(*args, **kwargs):
        raise IntegrityError("duplicate key value violates unique constraint member_one_open_batch")

    job = services.import_create(
        actor=officer, batch_id=draft_batch.pk, filename="a.csv", content=rows_csv([member_row(1)])
    )
    write = imports_service._write_rows

    def write_then_clash(*args, **kwargs):
        write(*args, **kwargs)
        clash()

    # Clashes on the write and again on the write after the rows were checked once more.
    monkeypatch.setattr(imports_service, "_write_rows", write_then_clash)
    job = services.import_run(job_id=job.pk)
    assert job.state == ImportState.FAILED
    assert "upload the file again" in job.message
    assert not Participant.objects.exists()
    assert not BatchMember.objects.exists()


def test_a_person_registered_by_another_upload_during_the_check_is_refused_and_the_rest_written(
    officer, draft_batch, monkeypatch
):
    check = importers.check_member_rows

    def check_then_someone_registers_row_1(rows, batch, **kwargs):
        registered = check(rows, batch, **kwargs)
        # Another upload commits this person meanwhile.
        Participant.objects.create(
            nik=make_nik(1), name="Warga Lain", sex="L", birth_date=dt.date(1990, 1, 1), village_id=VILLAGE
        )
        return registered

    monkeypatch.setattr(importers, "check_member_rows", check_then_someone_registers_row_1)
    job = import_rows(officer, draft_batch, [member_row(1), member_row(2)])
    assert job.state == ImportState.DONE and (job.accepted, job.rejected) == (1, 1)
    assert [(e["row"], e["column"], e["message"]) for e in job.errors] == [
        (2, "nik", "Registered by another upload while this file was being checked; upload the row again.")
    ]
    assert list(draft_batch.members.values_list("participant__nik", flat=True)) == [make_nik(2)]
    draft_batch.refresh_from_db()
    assert draft_batch.member_count == 1


@pytest.mark.parametrize("reserved", ["as_read", "none"])
def test_new_people_take_the_ids_reserved_while_the_file_was_read_or_fresh_ones(
    officer, draft_batch, monkeypatch, reserved
):
    read = importers.registered_while
    taken = []

    def registered_while(niks, work, **kwargs):
        registered, result, ids = read(niks, work, **kwargs)
        taken.extend(ids)
        return registered, result, ids if reserved == "as_read" else []

    monkeypatch.setattr(importers, "registered_while", registered_while)
    job = import_rows(officer, draft_batch, [member_row(1), _bad(2, sex="X"), member_row(3)])
    assert (job.accepted, job.rejected) == (2, 1)
    ids = list(Participant.objects.order_by("nik").values_list("id", flat=True))
    if connection.vendor == "postgresql":
        assert len(taken) == 3  # one per NIK read; the refused row's id stays unused
        assert (ids == taken[:2]) is (reserved == "as_read")
    assert list(draft_batch.members.order_by("participant__nik").values_list("participant_id", flat=True)) == ids


# --- Export ---------------------------------------------------------------------------------------


@pytest.fixture
def exported_batch(officer, clerk, kadis, allocation):
    batch = new_batch(officer)
    rows = [member_row(1, name="=HYPERLINK(evil)"), member_row(2, name="@SUM(A1)"), member_row(3, name="+62 Budi")]
    rows += [member_row(i) for i in range(4, 8)]
    job = import_rows(officer, batch, rows)
    assert job.accepted == 7, job.errors
    approve(batch, officer, clerk, kadis)
    return batch


def test_export_csv_lists_every_member_with_the_full_nik(exported_batch):
    content = importers.export_csv(exported_batch)
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:5] == ["NIK", "NAMA", "TANGGAL LAHIR", "JENIS KELAMIN", "KODE DESA"]
    assert {r[0] for r in rows[1:]} == {make_nik(i) for i in range(1, 8)}
    names = {r[1] for r in rows[1:]}
    assert {"'=HYPERLINK(evil)", "'@SUM(A1)", "'+62 Budi"} <= names
    assert not any(n[:1] in "=+-@" for n in names)
    assert {r[11] for r in rows[1:]} == {str(PREMIUM)}
    assert {r[8] for r in rows[1:]} == {"JKK+JKM"}


def test_export_xlsx_keeps_the_nik_as_16_digit_text_and_names_as_their_text(exported_batch):
    sheet = load_workbook(io.BytesIO(importers.export_xlsx(exported_batch))).worksheets[0]
    rows = list(sheet.iter_rows(min_row=2))
    assert len(rows) == 7
    niks = {row[0].value for row in rows}
    assert niks == {make_nik(i) for i in range(1, 8)}
    assert all(row[0].data_type == "s" and len(row[0].value) == 16 for row in rows)
    names = [row[1] for row in rows]
    assert all(c.data_type == "s" for c in names)  # no cell is a formula
    assert {"=HYPERLINK(evil)", "@SUM(A1)", "+62 Budi"} <= {c.value for c in names}  # no apostrophe added
    assert {row[11].value for row in rows} == {PREMIUM}


def test_exports_carry_hostile_names_and_occupations_as_text(exported_batch):
    """Names and occupations from tests/ucj/test_sheet_writers.HOSTILE, written straight into the
    records (the import has rules of its own): no piece of the CSV starts a formula for a reader
    set to any delimiter, csv.reader shows each text with at most an apostrophe before a formula
    character, the XLSX holds each exactly, and NIKs, dates and the premium come out as before."""
    people = list(Participant.objects.filter(memberships__batch=exported_batch).order_by("nik"))
    texts = {}
    for i, person in enumerate(people):
        person.name, person.occupation = HOSTILE[i % len(HOSTILE)], HOSTILE[(i + len(people)) % len(HOSTILE)]
        person.save(update_fields=["name", "occupation"])
        texts[person.nik] = (person.name, person.occupation)
    content = importers.export_csv(exported_batch)
    assert exposed_pieces(content) == []
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert {r[0]: (r[1], r[6]) for r in rows[1:]} == {
        nik: (guard_text(name), guard_text(job)) for nik, (name, job) in texts.items()
    }
    assert {(r[2], r[11]) for r in rows[1:]} == {("01/01/1990", str(PREMIUM))}
    assert len(csv_cells(content)) == 13 * len(rows)
    content = importers.export_xlsx(exported_batch)
    assert set(xlsx_texts(content)) >= {as_xml_keeps_it(t) for pair in texts.values() for t in pair}
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert {nik: (as_xml_keeps_it(name), as_xml_keeps_it(job)) for nik, (name, job) in texts.items()} == {
        row[0]: (excel_text(row[1]), excel_text(row[6])) for row in sheet.iter_rows(min_row=2, values_only=True)
    }


def test_export_leaves_out_members_bpjs_did_not_confirm(exported_batch, clerk):
    services.batch_activate(
        actor=clerk,
        batch_id=exported_batch.pk,
        confirmations={make_nik(i): (i, f"2300000000{i}") for i in (4, 5)},
    )
    rows = list(csv.reader(io.StringIO(importers.export_csv(exported_batch).decode("utf-8-sig")), delimiter=";"))
    assert sorted((r[0], r[12]) for r in rows[1:]) == [(make_nik(4), "23000000004"), (make_nik(5), "23000000005")]


def test_a_damaged_xlsx_is_a_failed_job_not_a_crash(officer, draft_batch):
    content = rows_xlsx([member_row(i) for i in range(1, 40)])
    job = services.import_create(actor=officer, batch_id=draft_batch.pk, filename="a.xlsx", content=content[:-200])
    job = services.import_run(job_id=job.pk)
    assert job.state == ImportState.FAILED and job.message
    assert draft_batch.members.count() == 0


def test_terms_changed_while_the_rows_were_checked_add_nothing(officer, draft_batch, monkeypatch):
    check = importers.check_member_rows

    def check_then_change_terms(rows, batch, **kwargs):
        registered = check(rows, batch, **kwargs)
        type(batch).objects.filter(pk=batch.pk).update(funding_source=FundingSource.APBD)
        return registered

    monkeypatch.setattr(importers, "check_member_rows", check_then_change_terms)
    job = import_rows(officer, draft_batch, [member_row(1)])
    assert job.state == ImportState.FAILED and "changed" in job.message
    assert draft_batch.members.count() == 0


def _strptime_reference(text: str):
    """What date_cell read before its patterns: the first of DATE_FORMATS strptime accepts."""
    for fmt in sheets.DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def test_date_cells_read_what_strptime_read_in_every_format():
    days = [dt.date(1990, 1, 5), dt.date(1996, 2, 29), dt.date(2001, 12, 31), dt.date(1961, 10, 10)]
    texts = [day.strftime(fmt) for day in days for fmt in sheets.DATE_FORMATS]
    texts += ["5/1/1990", "1990-1-5", "29/02/1997", "31/04/1990", "1990/13/01", "00/01/1990", "05/01/90"]
    texts += ["05-01/1990", "1990.01.05", "5 Januari 1990", "", "1990-01-05T00:00", "05/01/19900"]
    texts += ["\u0665/\u0661/\u0661\u0669\u0669\u0660"]  # Arabic-Indic digits: strptime refuses them
    for text in texts:
        expected = _strptime_reference(text)
        if expected is None:
            with pytest.raises(sheets.CellError):
                sheets.date_cell(text)
        else:
            assert sheets.date_cell(text) == expected, text
