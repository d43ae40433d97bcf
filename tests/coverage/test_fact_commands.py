"""import_workforce, import_targets, import_membership: the system imports figures for any region,
prints its counts, and on a bad file prints every problem, writes nothing and fails."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.coverage.conftest import BANGKALAN, SOCAH
from tests.coverage.test_facts import SAKERNAS, csv_bytes, xlsx_bytes
from ucj.models import AuditEvent, CoverageTarget, MembershipCount, StaleRegion, WorkforceEstimate

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def run(name, *args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_workforce_with_a_default_source_prints_its_counts(tmp_path):
    path = tmp_path / "sakernas.csv"
    rows = [
        [BANGKALAN, "Kabupaten Bangkalan", 2024, "500.000", "31/08/2024"],
        ["51.03", "Badung", 2024, 1, "31/08/2024"],
    ]
    path.write_bytes(csv_bytes(["KODE WILAYAH", "NAMA WILAYAH", "TAHUN", "PENDUDUK BEKERJA", "TANGGAL"], rows))
    out, _err = run("import_workforce", str(path), "--source", SAKERNAS)
    assert "2 new, 0 changed, 0 unchanged" in out
    assert dict(WorkforceEstimate.objects.values_list("region_id", "workers")) == {BANGKALAN: 500_000, "51.03": 1}
    assert set(WorkforceEstimate.objects.values_list("source", flat=True)) == {SAKERNAS}
    event = AuditEvent.objects.get(action="coverage.workforce_import")
    assert event.actor is None and event.region_id == "ID"
    out, _err = run("import_workforce", str(path), "--source", SAKERNAS)
    assert "0 new, 0 changed, 2 unchanged" in out


def test_import_targets_reads_an_xlsx_file(tmp_path):
    path = tmp_path / "targets.xlsx"
    rows = [["51", "Bali", 2025, "67,28", "Kemendagri", dt.date(2025, 1, 2)]]
    path.write_bytes(xlsx_bytes(["Kode", "Provinsi", "Tahun", "Target UCJ", "Sumber", "Tanggal"], rows))
    out, _err = run("import_targets", str(path))
    assert "1 new" in out
    assert CoverageTarget.objects.get(region_id="51").percent == Decimal("67.28")


def test_import_membership_reads_segments(tmp_path):
    path = tmp_path / "bpjs.csv"
    headers = ["KODE WILAYAH", "PER TANGGAL", "PESERTA AKTIF", "PU", "BPU", "JAKON", "PMI"]
    path.write_bytes(csv_bytes(headers, [[BANGKALAN, "2025-03-31", 71_500, 41_000, 30_000, 500, 0]], delimiter=";"))
    run("import_membership", str(path), "--source", "BPJS Ketenagakerjaan Cabang Madura")
    count = MembershipCount.objects.get()
    assert (count.total, count.pu, count.bpu, count.jakon, count.pmi) == (71_500, 41_000, 30_000, 500, 0)
    assert StaleRegion.objects.filter(region_id=BANGKALAN).exists()


def test_a_bad_file_prints_every_problem_writes_nothing_and_fails(tmp_path):
    path = tmp_path / "bad.csv"
    rows = [
        [BANGKALAN, 2024, 500_000, SAKERNAS, "31/08/2024"],
        [SOCAH, 2024, "-4", SAKERNAS, "31/08/2024"],
        ["99.99", 2024, 1, SAKERNAS, "31/08/2024"],
    ]
    path.write_bytes(csv_bytes(["region_code", "year", "workers", "source", "as_of"], rows))
    err = StringIO()
    with pytest.raises(CommandError, match="2 of 3 rows have problems"):
        call_command("import_workforce", str(path), stdout=StringIO(), stderr=err)
    lines = err.getvalue().splitlines()
    assert lines[0].startswith("row 3, workers: ") and "negative" in lines[0]
    assert lines[1] == "row 4, region_code: No region has the code 99.99."
    assert not WorkforceEstimate.objects.exists()
    assert not StaleRegion.objects.exists()


def test_a_file_that_cannot_be_read_fails_cleanly(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run("import_targets", str(tmp_path / "missing.csv"))
    path = tmp_path / "no-header.csv"
    path.write_bytes(csv_bytes(["kode", "tahun"], [[BANGKALAN, 2025]]))
    with pytest.raises(CommandError, match="Missing column"):
        run("import_targets", str(path))
