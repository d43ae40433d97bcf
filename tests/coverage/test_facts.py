"""Coverage facts: the number readers of ucj.sheets, the save and delete services, and the
spreadsheet import (English and Indonesian headers, CSV and XLSX, every row error, all or nothing,
scope)."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import Workbook

from tests.coverage.conftest import BANGKALAN, SOCAH, VILLAGE
from ucj import sheets
from ucj.coverage import facts
from ucj.coverage.importers import region_code_cell
from ucj.errors import ValidationFailed
from ucj.models import AuditEvent, CoverageTarget, MembershipCount, StaleRegion, WorkforceEstimate
from ucj.sheets import CellError

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

BADUNG = "51.03"
BANGLI = "51.06"
AS_OF = dt.date(2024, 8, 31)
SAKERNAS = "BPS Sakernas Agustus 2024"

WORKFORCE_EN = ["region_code", "region_name", "year", "workers", "source", "as_of"]
WORKFORCE_ID = ["KODE WILAYAH", "NAMA WILAYAH", "TAHUN", "PENDUDUK BEKERJA", "SUMBER", "TANGGAL"]


def csv_bytes(headers, rows, *, delimiter=",", bom=False) -> bytes:
    """As Excel saves it: a cell holding the delimiter (58,68 in a comma file) is quoted."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig" if bom else "utf-8")


def xlsx_bytes(headers, rows, *, formats: dict[int, str] | None = None) -> bytes:
    """`formats` maps a column index to an Excel number format for every data cell in it."""
    wb = Workbook()
    ws = wb.active
    ws.append(list(headers))
    for row in rows:
        ws.append(list(row))
    for index, number_format in (formats or {}).items():
        for cells in ws.iter_rows(min_row=2, min_col=index + 1, max_col=index + 1):
            cells[0].number_format = number_format
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def workforce_rows(*codes_and_workers, year=2024, source=SAKERNAS, as_of="31/08/2024"):
    return [[code, f"Wilayah {code}", year, workers, source, as_of] for code, workers in codes_and_workers]


def import_(actor, kind, content, filename="figures.csv", **kwargs):
    return facts.facts_import(actor=actor, kind=kind, content=content, filename=filename, **kwargs)


def refused(actor, kind, content, **kwargs) -> list[dict]:
    with pytest.raises(ValidationFailed) as exc:
        import_(actor, kind, content, **kwargs)
    return exc.value.details


def stale_codes() -> set[str]:
    return set(StaleRegion.objects.values_list("region_id", flat=True))


# --- Reading numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "number"),
    [
        ("1873899", 1_873_899),
        ("1.873.899", 1_873_899),
        ("1,873,899", 1_873_899),
        (" 1 873 899 ", 1_873_899),
        ("1.873", 1_873),  # a count has no decimals: the separator groups thousands
        ("1,873,899.00", 1_873_899),
        (1873899, 1_873_899),
        (1873899.0, 1_873_899),
        ("", None),
        (None, None),
    ],
)
def test_int_cell_reads_whole_numbers_as_people_write_them(written, number):
    assert sheets.int_cell(written) == number


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("-5", "negative"),
        (-5, "negative"),
        ("58,68", "without decimals"),
        ("1.873.899,5", "without decimals"),
        (3.5, "without decimals"),
        ("lima ratus", "whole number"),
        ("12,34,567", "whole number"),
        ("1.873,899.000", "whole number"),
        (True, "whole number"),
    ],
)
def test_int_cell_refuses_negatives_decimals_and_text(written, message):
    with pytest.raises(CellError, match=message):
        sheets.int_cell(written)


@pytest.mark.parametrize(
    ("written", "percent"),
    [
        ("58,68", Decimal("58.68")),
        ("58.68", Decimal("58.68")),
        ("58,68 %", Decimal("58.68")),
        ("67,28%", Decimal("67.28")),
        ("58.680", Decimal("58.68")),  # a percentage is at most 100: the separator is a decimal one
        ("100", Decimal("100")),
        ("0", Decimal("0")),
        (58.68, Decimal("58.68")),
        (49.901349, Decimal("49.90")),  # an Excel number: what the cell shows, not its binary noise
        (sheets.ExcelPercent(0.5868), Decimal("58.68")),
    ],
)
def test_percent_cell_reads_decimal_commas_points_and_excel_numbers(written, percent):
    assert sheets.percent_cell(written) == percent


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("101", "cannot exceed 100"),
        ("-1", "negative"),
        ("lima puluh", "Write a number"),
        ("58,686", "at most 2 decimals"),
        ("1.873.899", "cannot exceed 100"),
    ],
)
def test_percent_cell_refuses_what_is_not_a_percentage(written, message):
    with pytest.raises(CellError, match=message):
        sheets.percent_cell(written)


def test_decimal_cell_reads_grouped_figures_and_refuses_an_ambiguous_lone_separator():
    assert sheets.decimal_cell("1.873.899") == Decimal("1873899")
    assert sheets.decimal_cell("1,873,899.5") == Decimal("1873899.5")
    assert sheets.decimal_cell("1.873.899,5") == Decimal("1873899.5")
    with pytest.raises(CellError, match="ambiguous"):
        sheets.decimal_cell("1.873")  # 1873 in Indonesia, 1.873 in English
    with pytest.raises(CellError, match="ambiguous"):
        sheets.decimal_cell("1,873")


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("35.26", "35.26"),
        ("3526", "35.26"),
        (3526022001, VILLAGE),
        ("'35.26.02", SOCAH),
        ("id", "ID"),
        (35.26, "35.26"),
    ],
)
def test_region_codes_are_read_with_or_without_dots(written, code):
    assert region_code_cell(written) == code


def test_a_region_code_that_excel_turned_into_a_number_asks_for_a_text_column():
    with pytest.raises(CellError, match="format the column as text"):
        region_code_cell(35.1)  # 35.10 typed into a number cell
    with pytest.raises(CellError, match="Write the region code"):
        region_code_cell("35-26")


# --- One figure -----------------------------------------------------------------------------------


def test_workforce_save_creates_audits_and_marks_the_region_stale(clerk):
    fact = facts.workforce_save(
        actor=clerk, region_code=BANGKALAN, year=2024, workers=500_000, source=SAKERNAS, as_of=AS_OF
    )
    assert WorkforceEstimate.objects.get(region_id=BANGKALAN, year=2024).workers == 500_000
    event = AuditEvent.objects.get(action="coverage.workforce_save")
    assert (event.actor, event.target_id, event.region_id) == (clerk, str(fact.pk), BANGKALAN)
    assert event.data["created"] is True and event.data["to"]["workers"] == 500_000
    assert stale_codes() == {BANGKALAN}


def test_saving_the_same_figure_again_changes_and_records_nothing(clerk):
    values = {"region_code": SOCAH, "year": 2024, "workers": 41_000, "source": SAKERNAS, "as_of": AS_OF}
    facts.workforce_save(actor=clerk, **values)
    StaleRegion.objects.all().delete()
    facts.workforce_save(actor=clerk, **values)
    assert AuditEvent.objects.filter(action="coverage.workforce_save").count() == 1
    assert stale_codes() == set()


def test_correcting_a_figure_updates_it_in_place_and_records_before_and_after(clerk):
    facts.target_save(actor=clerk, region_code=BANGKALAN, year=2025, percent="48", source="Kemendagri", as_of=AS_OF)
    facts.target_save(actor=clerk, region_code=BANGKALAN, year=2025, percent=52.15, source="Kemendagri", as_of=AS_OF)
    target = CoverageTarget.objects.get(region_id=BANGKALAN, year=2025)
    assert target.percent == Decimal("52.15")
    last = AuditEvent.objects.filter(action="coverage.target_save").order_by("id").last()
    assert last.data["from"]["percent"] == "48.00" and last.data["to"]["percent"] == "52.15"
    assert last.data["created"] is False


def test_membership_save_keeps_segments_and_refuses_segments_above_the_total(clerk):
    count = facts.membership_save(
        actor=clerk, region_code=BANGKALAN, as_of=AS_OF, total=71_500, pu=41_000, bpu=30_000, source="BPJS Madura"
    )
    assert (count.total, count.pu, count.bpu, count.jakon) == (71_500, 41_000, 30_000, None)
    with pytest.raises(ValidationFailed) as exc:
        facts.membership_save(
            actor=clerk, region_code=BANGKALAN, as_of=AS_OF, total=50_000, pu=41_000, bpu=30_000, source="BPJS"
        )
    assert "more than the total" in exc.value.details["total"][0]
    assert MembershipCount.objects.get().total == 71_500


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"year": 1999}, "year", "from 2000 to 2100"),
        ({"year": 2101}, "year", "from 2000 to 2100"),
        ({"workers": -1}, "workers", "from 0 to"),
        ({"workers": 400_000_000}, "workers", "from 0 to"),
        ({"as_of": dt.date.today() + dt.timedelta(days=2)}, "as_of", "in the future"),
        ({"source": "  "}, "source", "Give the source"),
        ({"region_code": "35.26.99"}, "region", "No region has the code 35.26.99"),
    ],
)
def test_workforce_save_refuses_what_breaks_a_rule(clerk, changes, field, message):
    values = {"region_code": BANGKALAN, "year": 2024, "workers": 1, "source": SAKERNAS, "as_of": AS_OF, **changes}
    with pytest.raises(ValidationFailed) as exc:
        facts.workforce_save(actor=clerk, **values)
    assert message in exc.value.details[field][0]
    assert not WorkforceEstimate.objects.exists() and not stale_codes()


@pytest.mark.parametrize("percent", ["100.01", "-0.5", "58.685", "NaN", "lima"])
def test_target_save_refuses_a_percentage_out_of_range_or_too_precise(clerk, percent):
    with pytest.raises(ValidationFailed):
        facts.target_save(actor=clerk, region_code=BANGKALAN, year=2025, percent=percent, source="K", as_of=AS_OF)
    assert not CoverageTarget.objects.exists()


@pytest.mark.parametrize("who", ["outsider", "officer", "supervisor"])
def test_only_the_regions_labour_office_or_an_administrator_may_save(request, who):
    actor = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        facts.workforce_save(actor=actor, region_code=SOCAH, year=2024, workers=1, source=SAKERNAS, as_of=AS_OF)
    assert not WorkforceEstimate.objects.exists()


def test_the_labour_office_cannot_set_its_provinces_figure_but_an_administrator_and_the_system_can(clerk, admin_user):
    with pytest.raises(PermissionDenied):
        facts.target_save(actor=clerk, region_code="35", year=2025, percent=50, source="Kemendagri", as_of=AS_OF)
    facts.target_save(actor=admin_user, region_code="35", year=2025, percent=50, source="Kemendagri", as_of=AS_OF)
    facts.target_save(actor=None, region_code="ID", year=2025, percent="52.15", source="Kemendagri", as_of=AS_OF)
    assert set(CoverageTarget.objects.values_list("region_id", flat=True)) == {"35", "ID"}


def test_fact_delete_audits_and_marks_stale_and_refuses_outsiders(clerk, outsider):
    fact = facts.workforce_save(actor=clerk, region_code=SOCAH, year=2024, workers=9, source=SAKERNAS, as_of=AS_OF)
    StaleRegion.objects.all().delete()
    with pytest.raises(PermissionDenied):
        facts.fact_delete(actor=outsider, obj=fact)
    facts.fact_delete(actor=clerk, obj=fact)
    assert not WorkforceEstimate.objects.exists()
    event = AuditEvent.objects.get(action="coverage.workforce_delete")
    assert event.data["workers"] == 9 and event.region_id == SOCAH
    assert stale_codes() == {SOCAH}


# --- Importing a spreadsheet ----------------------------------------------------------------------


def test_workforce_import_with_english_headers_creates_every_row(clerk):
    content = csv_bytes(WORKFORCE_EN, workforce_rows((BANGKALAN, 500_000), (SOCAH, "41.000"), (VILLAGE, "1,250")))
    result = import_(clerk, "workforce", content)
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    stored = dict(WorkforceEstimate.objects.values_list("region_id", "workers"))
    assert stored == {BANGKALAN: 500_000, SOCAH: 41_000, VILLAGE: 1_250}
    assert set(WorkforceEstimate.objects.values_list("source", "as_of")) == {(SAKERNAS, AS_OF)}
    assert stale_codes() == {BANGKALAN, SOCAH, VILLAGE}
    event = AuditEvent.objects.get(action="coverage.workforce_import")
    assert event.region_id == BANGKALAN and event.actor == clerk
    assert (event.data["created"], event.data["rows"], event.data["filename"]) == (3, 3, "figures.csv")


def test_workforce_import_with_indonesian_headers_from_xlsx_reads_excel_numbers_and_dates(clerk):
    rows = [
        ["35.26", "Kabupaten Bangkalan", 2024, 500000, SAKERNAS, dt.datetime(2024, 8, 31)],
        ["3526020", "typo", 2024, 1, SAKERNAS, dt.datetime(2024, 8, 31)],
    ]
    details = refused(clerk, "workforce", xlsx_bytes(WORKFORCE_ID, rows), filename="x.xlsx")
    assert details == [{"row": 3, "column": "KODE WILAYAH", "message": details[0]["message"]}]
    rows[1][0] = 3526022001  # a village code typed as a number keeps its digits
    result = import_(clerk, "workforce", xlsx_bytes(WORKFORCE_ID, rows), filename="x.xlsx")
    assert result.created == 2
    assert WorkforceEstimate.objects.get(region_id=VILLAGE).as_of == AS_OF


def test_semicolon_csv_with_bom_and_alternative_indonesian_headers(clerk):
    headers = ["Kode", "Nama", "Tahun", "Jumlah Pekerja", "Sumber Data", "Per Tanggal"]
    content = csv_bytes(headers, workforce_rows((BANGKALAN, "1.873.899")), delimiter=";", bom=True)
    import_(clerk, "workforce", content)
    assert WorkforceEstimate.objects.get().workers == 1_873_899


def test_importing_again_counts_unchanged_and_updated_rows_and_marks_only_changes_stale(clerk):
    first = csv_bytes(WORKFORCE_EN, workforce_rows((BANGKALAN, 500_000), (SOCAH, 41_000)))
    import_(clerk, "workforce", first)
    StaleRegion.objects.all().delete()
    first_id = WorkforceEstimate.objects.get(region_id=SOCAH).pk
    second = csv_bytes(WORKFORCE_EN, workforce_rows((BANGKALAN, 500_000), (SOCAH, 42_000), (VILLAGE, 900)))
    result = import_(clerk, "workforce", second)
    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    socah = WorkforceEstimate.objects.get(region_id=SOCAH)
    assert (socah.pk, socah.workers) == (first_id, 42_000)
    assert stale_codes() == {SOCAH, VILLAGE}
    assert AuditEvent.objects.filter(action="coverage.workforce_import").count() == 2


def test_targets_import_reads_percent_headers_decimal_commas_and_excel_percent_cells(admin_user):
    headers = ["KODE WILAYAH", "TAHUN", "TARGET UCJ (%)", "SUMBER", "TANGGAL"]
    rows = [["51", 2025, 0.6728, "Kemendagri", "02/01/2025"], ["ID", 2025, 0.5215, "Kemendagri", "02/01/2025"]]
    import_(admin_user, "targets", xlsx_bytes(headers, rows, formats={2: "0.00%"}), filename="t.xlsx")
    assert dict(CoverageTarget.objects.values_list("region_id", "percent")) == {
        "51": Decimal("67.28"),
        "ID": Decimal("52.15"),
    }
    csv_rows = [[BADUNG, 2025, "58,68", "Kemendagri", "2025-01-02"], [BANGLI, 2025, "35.52 %", "Kemendagri", ""]]
    details = refused(admin_user, "targets", csv_bytes(headers, csv_rows))
    assert details == [{"row": 3, "column": "TANGGAL", "message": "The cell is empty."}]
    csv_rows[1][4] = "2025-01-02"
    import_(admin_user, "targets", csv_bytes(headers, csv_rows))
    assert CoverageTarget.objects.get(region_id=BADUNG).percent == Decimal("58.68")
    assert CoverageTarget.objects.get(region_id=BANGLI).percent == Decimal("35.52")


def test_membership_import_reads_segments_and_a_file_without_them_keeps_those_on_record(clerk):
    headers = ["KODE WILAYAH", "TANGGAL", "JUMLAH PESERTA AKTIF", "PU", "BPU", "JAKON", "PMI", "SUMBER"]
    rows = [[BANGKALAN, "31/03/2025", "71.500", "41.000", "30.000", "500", "", "BPJS Madura"]]
    import_(clerk, "membership", csv_bytes(headers, rows))
    count = MembershipCount.objects.get()
    assert (count.total, count.pu, count.bpu, count.jakon, count.pmi) == (71_500, 41_000, 30_000, 500, None)
    totals_only = csv_bytes(["region_code", "as_of", "total", "source"], [[BANGKALAN, "2025-03-31", 72_000, "BPJS"]])
    result = import_(clerk, "membership", totals_only)
    assert result.updated == 1
    count.refresh_from_db()
    assert (count.total, count.pu, count.bpu, count.source) == (72_000, 41_000, 30_000, "BPJS")


def test_a_new_total_below_the_segments_kept_on_record_is_refused(clerk):
    headers = ["region_code", "as_of", "total", "pu", "bpu", "source"]
    import_(clerk, "membership", csv_bytes(headers, [[BANGKALAN, "2025-03-31", 1_000, 800, 200, "BPJS"]]))
    totals_only = csv_bytes(["region_code", "as_of", "total", "source"], [[BANGKALAN, "2025-03-31", 500, "BPJS"]])
    errors = refused(clerk, "membership", totals_only)
    assert [(e["row"], e["column"]) for e in errors] == [(2, "total")]
    assert "PU 800, BPU 200" in errors[0]["message"]
    count = MembershipCount.objects.get()
    assert (count.total, count.pu, count.bpu) == (1_000, 800, 200)


def test_a_default_source_fills_rows_without_one_and_a_missing_source_is_a_problem(clerk):
    headers = ["region_code", "year", "workers", "source", "as_of"]
    rows = [[BANGKALAN, 2024, 500_000, "", "31/08/2024"], [SOCAH, 2024, 41_000, "BPS Bangkalan", "31/08/2024"]]
    details = refused(clerk, "workforce", csv_bytes(headers, rows))
    assert [(d["row"], d["column"]) for d in details] == [(2, "source")]
    import_(clerk, "workforce", csv_bytes(headers, rows), default_source=SAKERNAS)
    assert dict(WorkforceEstimate.objects.values_list("region_id", "source")) == {
        BANGKALAN: SAKERNAS,
        SOCAH: "BPS Bangkalan",
    }


def test_a_file_without_a_source_column_needs_a_default_source(clerk):
    headers = ["KODE WILAYAH", "TAHUN", "BEKERJA", "TANGGAL"]
    content = csv_bytes(headers, [[BANGKALAN, 2024, 500_000, "31/08/2024"]])
    with pytest.raises(ValidationFailed, match="Missing column"):
        import_(clerk, "workforce", content)
    import_(clerk, "workforce", content, default_source=SAKERNAS)
    assert WorkforceEstimate.objects.get().source == SAKERNAS


def test_every_kind_of_row_error_is_reported_with_its_row_and_column_and_nothing_is_written(clerk):
    future = (dt.date.today() + dt.timedelta(days=3)).strftime("%d/%m/%Y")
    rows = [
        [BANGKALAN, "Bangkalan", 2024, 500_000, SAKERNAS, "31/08/2024"],  # row 2: good
        ["35-26", "", 2024, 1, SAKERNAS, "31/08/2024"],  # 3: not a code
        ["35.26.99", "", 2024, 1, SAKERNAS, "31/08/2024"],  # 4: unknown region
        [BADUNG, "Badung", 2024, 1, SAKERNAS, "31/08/2024"],  # 5: outside the clerk's regions
        [BANGKALAN, "again", 2024, 2, SAKERNAS, "31/08/2024"],  # 6: same region and year as row 2
        [SOCAH, "", 2024, "-3", SAKERNAS, "31/08/2024"],  # 7: negative
        ["35.26.05", "", 2024, "banyak", SAKERNAS, "31/08/2024"],  # 8: not a number
        [VILLAGE, "", 1990, 1, SAKERNAS, "31/08/2024"],  # 9: year out of range
        ["35.26.01", "", 2024, 1, SAKERNAS, future],  # 10: in the future
        ["35.26.03", "", 2024, 1, SAKERNAS, "31 Agustus"],  # 11: not a date
        ["35.26.04", "", "", 1, SAKERNAS, "31/08/2024"],  # 12: no year
    ]
    details = refused(clerk, "workforce", csv_bytes(WORKFORCE_EN, rows))
    found = [(d["row"], d["column"]) for d in details]
    assert found == [
        (3, "region_code"),
        (4, "region_code"),
        (5, "region_code"),
        (6, "region_code"),
        (7, "workers"),
        (8, "workers"),
        (9, "year"),
        (10, "as_of"),
        (11, "as_of"),
        (12, "year"),
    ]
    messages = {d["row"]: d["message"] for d in details}
    assert "No region has the code 35.26.99" in messages[4]
    assert "outside your regions" in messages[5]
    assert "already on row 2" in messages[6]
    assert "negative" in messages[7]
    assert "in the future" in messages[10]
    assert not WorkforceEstimate.objects.exists()
    assert not stale_codes()
    assert not AuditEvent.objects.filter(action__startswith="coverage.").exists()


def test_the_refusal_names_how_many_rows_failed(clerk):
    rows = workforce_rows((BANGKALAN, 1), (SOCAH, -1), (VILLAGE, "x"))
    with pytest.raises(ValidationFailed, match="2 of 3 rows have problems; nothing was saved"):
        import_(clerk, "workforce", csv_bytes(WORKFORCE_EN, rows))


def test_one_bad_row_keeps_an_earlier_import_as_it_was(clerk):
    import_(clerk, "workforce", csv_bytes(WORKFORCE_EN, workforce_rows((BANGKALAN, 500_000))))
    StaleRegion.objects.all().delete()
    rows = workforce_rows((BANGKALAN, 600_000), (SOCAH, 41_000), (VILLAGE, "1,5"))
    refused(clerk, "workforce", csv_bytes(WORKFORCE_EN, rows))
    assert list(WorkforceEstimate.objects.values_list("region_id", "workers")) == [(BANGKALAN, 500_000)]
    assert not stale_codes()


def test_segments_above_the_total_are_a_row_error(clerk):
    headers = ["region_code", "as_of", "total", "pu", "bpu", "source"]
    rows = [[BANGKALAN, "2025-03-31", 100, 80, 30, "BPJS"]]
    details = refused(clerk, "membership", csv_bytes(headers, rows))
    assert details[0]["column"] == "total" and "110" in details[0]["message"]


def test_a_badung_clerk_cannot_import_bangkalan_rows(outsider):
    rows = workforce_rows((BADUNG, 300_000), (BANGKALAN, 500_000))
    details = refused(outsider, "workforce", csv_bytes(WORKFORCE_EN, rows))
    assert [(d["row"], d["column"]) for d in details] == [(3, "region_code")]
    assert "outside your regions" in details[0]["message"]
    assert not WorkforceEstimate.objects.exists()


@pytest.mark.parametrize("who", ["officer", "supervisor"])
def test_people_without_the_labour_office_or_admin_role_cannot_import(request, who):
    with pytest.raises(PermissionDenied):
        import_(request.getfixturevalue(who), "workforce", csv_bytes(WORKFORCE_EN, workforce_rows((SOCAH, 1))))


def test_an_unknown_kind_is_refused(clerk):
    with pytest.raises(ValidationFailed, match="Unknown kind"):
        import_(clerk, "employers", csv_bytes(WORKFORCE_EN, workforce_rows((SOCAH, 1))))


def test_every_village_of_a_regency_imports_in_a_bounded_number_of_queries(clerk, django_assert_max_num_queries):
    from ucj.models import Region

    villages = list(Region.objects.filter(code__startswith=BANGKALAN + ".", level=4).values_list("code", flat=True))
    assert len(villages) > 250
    content = csv_bytes(WORKFORCE_EN, workforce_rows(*[(code, 1000 + i) for i, code in enumerate(villages)]))
    with django_assert_max_num_queries(20):
        result = import_(clerk, "workforce", content)
    assert result.created == len(villages)
    assert len(stale_codes()) == len(villages)
