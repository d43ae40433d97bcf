"""Bad input, property-based (issue 9): member files made by hypothesis — random bytes, CSVs of
hostile cells (formulas, huge cells, quotes, NIKs that Excel turned into 3.52601E+15, dates in
any format, odd Unicode) in several encodings, XLSX with typed and merged cells — and a few that
no generator reaches cheaply (100,001 rows, UTF-16).

Whatever the file, the import ends in one of two ways: failed with a message and nothing added,
or done with every row either added or refused with its row, column and reason. It never raises,
and never adds part of what it says it refused."""

import csv
import datetime as dt
import io
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from enrollment import importers, services
from enrollment.models import BatchMember, ImportState
from tests.enrollment.conftest import EN_HEADERS, approve, make_nik, new_batch

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
COLUMNS = set(importers.MEMBER_HEADERS) | {"file"}

nik_like = st.one_of(
    st.builds(make_nik, st.integers(1, 9999)),
    st.sampled_from(["3.52601E+15", "3,52601E+15", "'3526020101900001", "3526 0201 0190 0001", "0" * 16]),
    st.text(alphabet="0123456789", min_size=0, max_size=20),
)
hostile = st.one_of(
    st.sampled_from(["=1+1", '=HYPERLINK("http://x","y")', "+62 812", "-1", "@SUM(A1)", "\t=cmd", "L", "P"]),
    st.sampled_from(["01/01/1990", "1990-01-01", "1.1.1990", "31/02/1990", "01-01-90", "Januari 1990"]),
    st.sampled_from(["35.26.02.2001", "3526022001", "35.26.02", "51.03.01.1002", "99.99.99.9999"]),
    st.text(max_size=40),
    st.text(min_size=256, max_size=3000),  # longer than any cell may be
    st.just(""),
)
cell = st.one_of(nik_like, hostile)


def _outcome_is_clean(job, batch):
    """The two endings a file may have, and nothing in between."""
    job.refresh_from_db()
    batch.refresh_from_db()
    members = BatchMember.objects.filter(batch=batch).count()
    assert job.state in (ImportState.DONE, ImportState.FAILED), job.state
    if job.state == ImportState.FAILED:
        assert job.message, "a failed import says why"
        assert members == 0, "a failed import added nothing"
    else:
        assert members == job.accepted == batch.member_count
        assert job.accepted + job.rejected == job.processed_rows == job.total_rows
        refused = {e["row"] for e in job.errors}
        assert len(refused) == job.rejected
        for error in job.errors:
            assert isinstance(error["row"], int) and error["row"] >= 2, error
            assert error["column"] in COLUMNS and error["message"], error


def _run(actor, batch, content: bytes, filename: str):
    job = services.import_create(actor=actor, batch_id=batch.pk, filename=filename, content=content)
    return services.import_run(job_id=job.pk)


@FUZZ
@given(
    content=st.one_of(
        st.binary(min_size=1, max_size=3000),
        st.binary(max_size=3000).map(lambda b: b"nik,name,sex,birth_date,village_code\r\n" + b),
    )
)
def test_random_bytes_fail_clearly_or_import_cleanly(officer, content):
    batch = new_batch(officer)
    _outcome_is_clean(_run(officer, batch, content, "random.csv"), batch)


@FUZZ
@given(
    rows=st.lists(st.lists(cell, min_size=0, max_size=9), min_size=1, max_size=12),
    delimiter=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
def test_csv_files_of_hostile_cells_fail_clearly_or_import_cleanly(officer, rows, delimiter, encoding):
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(EN_HEADERS)
    writer.writerows(rows)
    content = out.getvalue().encode(encoding, errors="replace")
    batch = new_batch(officer)
    _outcome_is_clean(_run(officer, batch, content, "anggota.csv"), batch)


typed_cell = st.one_of(
    cell,
    st.integers(-(10**17), 10**17),
    st.floats(allow_nan=False, allow_infinity=False),
    st.just(3.526020101900001e15),  # a NIK typed into a number cell
    st.dates(min_value=dt.date(1900, 1, 1)),
    st.booleans(),
    st.none(),
)


@FUZZ
@given(
    rows=st.lists(st.lists(typed_cell, min_size=0, max_size=9), min_size=1, max_size=10),
    merges=st.lists(st.tuples(st.integers(2, 11), st.integers(1, 7), st.integers(0, 2), st.integers(0, 2)), max_size=3),
)
def test_xlsx_files_of_typed_and_merged_cells_fail_clearly_or_import_cleanly(officer, rows, merges):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(EN_HEADERS)
    for row in rows:
        # Characters a worksheet cannot hold (openpyxl refuses them; Excel never writes them).
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row])
    taken = set()
    for top, left, down, right in merges:
        cells = {(r, c) for r in range(top, top + down + 1) for c in range(left, left + right + 1)}
        if cells & taken:
            continue  # overlapping merged ranges make a damaged file
        taken |= cells
        sheet.merge_cells(start_row=top, start_column=left, end_row=top + down, end_column=left + right)
    out = io.BytesIO()
    workbook.save(out)
    batch = new_batch(officer)
    _outcome_is_clean(_run(officer, batch, out.getvalue(), "anggota.xlsx"), batch)


def test_a_file_of_100001_rows_is_refused_whole(officer, english):
    row = f"{make_nik(1)},Warga,L,01/01/1990,35.26.02.2001\r\n"
    content = ("nik,name,sex,birth_date,village_code\r\n" + row * 100_001).encode()
    batch = new_batch(officer)
    job = _run(officer, batch, content, "besar.csv")
    _outcome_is_clean(job, batch)
    assert job.state == ImportState.FAILED and "more than 100,000 rows" in job.message, job.message


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_a_unicode_text_export_of_excel_is_refused_with_a_reason(officer, english, encoding):
    content = f"nik\tname\tsex\tbirth_date\tvillage_code\r\n{make_nik(1)}\tWarga\tL\t01/01/1990\t35.26.02.2001\r\n"
    batch = new_batch(officer)
    job = _run(officer, batch, content.encode(encoding), "unicode.txt")
    _outcome_is_clean(job, batch)
    assert job.state == ImportState.FAILED and "neither CSV text nor" in job.message, job.message


# --- The other importers: employers (all rows or none) and BPJS's confirmation --------------------

employer_cell = st.one_of(
    cell,
    st.sampled_from(["35.26.02.2001", "51.03.01.1002", "manufaktur", "kecil", "MIKRO", "JKK, JKM, JHT", "1.873.899"]),
    st.sampled_from(["9120001234567", "NN00000001", "12.345", "3,5", "-4", "1e9", "Rp 30.000.000"]),
)


@FUZZ
@given(
    kind=st.sampled_from(["labour_office", "bpjs"]),
    rows=st.lists(st.lists(employer_cell, min_size=0, max_size=10), min_size=1, max_size=8),
)
def test_employer_lists_of_hostile_cells_are_refused_whole_or_imported(clerk, kind, rows):
    """All rows or none: a file with any bad row is refused with the row, column and reason of
    each, and the register is left as it was; never another exception."""
    from enrollment.importers import EMPLOYER_HEADERS
    from enrollment.models import Employer
    from enrollment.services import employers_import
    from ucj.errors import ValidationFailed

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([aliases[0] for aliases in EMPLOYER_HEADERS[kind].values()])
    writer.writerows(rows)
    before = sorted(Employer.objects.values_list("pk", "name", "reported_workers", "bpjs_workers"))
    try:
        employers_import(
            actor=clerk, regency_code="35.26", kind=kind, content=out.getvalue().encode(), filename="wlkp.csv"
        )
    except ValidationFailed as exc:
        assert exc.message
        for detail in exc.details if isinstance(exc.details, list) else []:
            assert detail.get("message"), detail
        assert sorted(Employer.objects.values_list("pk", "name", "reported_workers", "bpjs_workers")) == before


@FUZZ
@given(
    rows=st.lists(
        st.lists(st.one_of(nik_like, hostile, st.text(alphabet="0123456789", max_size=18)), max_size=3), max_size=8
    )
)
def test_bpjs_confirmations_of_hostile_cells_change_nothing_but_what_they_confirm(
    officer, clerk, kadis, allocation, rows
):
    """BPJS's confirmation: lines that cannot be used are listed and the batch activates with the
    members it confirms (or the file fails whole); nobody is confirmed who is not on the batch."""
    batch = new_batch(officer)
    serials = [next(SERIALS) for _ in range(3)]  # new people each example: the database persists
    job = _run(officer, batch, rows_csv_of_members(serials), "anggota.csv")
    assert job.accepted == 3, job.errors
    approve(batch, officer, clerk, kadis)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["nik", "kpj"])
    writer.writerows(rows)
    job = services.import_run(
        job_id=services.import_create(
            actor=clerk, batch_id=batch.pk, filename="bpjs.csv", content=out.getvalue().encode(), kind="activation"
        ).pk
    )
    job.refresh_from_db()
    batch.refresh_from_db()
    assert job.state in (ImportState.DONE, ImportState.FAILED)
    members = BatchMember.objects.filter(batch=batch)
    confirmed = {m.participant.nik for m in members if m.participant.kpj}
    assert confirmed <= {make_nik(i) for i in serials}
    if job.state == ImportState.FAILED:
        assert job.message and batch.state == "approved"


SERIALS = itertools.count(1000)


def rows_csv_of_members(serials: list[int]) -> bytes:
    from tests.enrollment.conftest import member_row, rows_csv

    return rows_csv([member_row(i) for i in serials])
