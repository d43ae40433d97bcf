"""The compliance status of an employer, derived from hand-made figures (no database)."""

from decimal import Decimal

import pytest
from django.utils import translation

from enrollment.models import ComplianceStatus, Employer, Finding
from enrollment.selectors.employers import employer_assess

TOLERANCE = Decimal("0.05")


def employer(**figures) -> Employer:
    values = {
        "npp": "NN00000001",
        "size": "small",
        "reported_workers": 10,
        "reported_wages": 30_000_000,
        "bpjs_workers": 10,
        "bpjs_wages": 30_000_000,
        "bpjs_programmes": ["jkk", "jkm", "jht"],
    }
    values.update(figures)
    return Employer(name="PT Uji", **values)


def assess(**figures):
    return employer_assess(employer(**figures), tolerance=TOLERANCE)


def test_both_sides_agreeing_is_compliant():
    result = assess()
    assert result.status == ComplianceStatus.COMPLIANT
    assert result.findings == [] and result.unknown == []
    assert result.gap_workers == 0 and result.gap_wages == 0


def test_fewer_workers_registered_than_reported_is_pds_workers_with_their_wages():
    # 10 reported on Rp30,000,000 (Rp3,000,000 each); 6 registered on Rp18,000,000 (same average).
    result = assess(bpjs_workers=6, bpjs_wages=18_000_000)
    assert result.status == ComplianceStatus.FINDINGS
    assert [f.finding for f in result.findings] == [Finding.PDS_WORKERS]
    detail = result.finding(Finding.PDS_WORKERS)
    assert (detail.gap_workers, detail.gap_wages) == (4, 12_000_000)
    assert result.gap_workers == 4


def test_registered_average_wage_below_reported_beyond_tolerance_is_pds_wages():
    # Every worker registered, on Rp2,000,000 instead of Rp3,000,000: Rp1,000,000 x 10 a month.
    result = assess(bpjs_wages=20_000_000)
    assert [f.finding for f in result.findings] == [Finding.PDS_WAGES]
    assert result.finding(Finding.PDS_WAGES).gap_wages == 10_000_000
    assert result.gap_workers == 0


def test_a_wage_difference_within_the_tolerance_is_no_finding():
    # 4 % below the reported average: inside the 5 % tolerance.
    assert assess(bpjs_wages=28_800_000).status == ComplianceStatus.COMPLIANT
    # 6 % below: outside it.
    assert assess(bpjs_wages=28_200_000).finding(Finding.PDS_WAGES).gap_wages == 1_800_000


def test_more_workers_registered_than_reported_on_the_same_wage_bill_is_no_pds_wages():
    # 12 registered on the Rp30,000,000 reported for 10: a lower average, not a rupiah missing.
    result = assess(bpjs_workers=12, bpjs_wages=30_000_000)
    assert result.status == ComplianceStatus.COMPLIANT and result.findings == []


def test_more_workers_registered_than_reported_compares_the_wage_bills():
    # 12 registered on Rp24,000,000 against Rp30,000,000 reported: Rp6,000,000 a month missing.
    assert assess(bpjs_workers=12, bpjs_wages=24_000_000).finding(Finding.PDS_WAGES).gap_wages == 6_000_000
    # Rp28,800,000 is 4 % below the reported bill: inside the 5 % tolerance.
    assert assess(bpjs_workers=12, bpjs_wages=28_800_000).status == ComplianceStatus.COMPLIANT


def test_pds_workers_alone_does_not_make_pds_wages_when_the_registered_earn_the_average():
    result = assess(bpjs_workers=5, bpjs_wages=15_000_000)
    assert result.finding(Finding.PDS_WAGES) is None


def test_a_programme_mandatory_for_the_size_missing_is_pds_programme():
    result = assess(bpjs_programmes=["jkk", "jkm"])  # a small business owes JHT as well
    detail = result.finding(Finding.PDS_PROGRAMME)
    assert detail.missing_programmes == ["jht"]
    assert detail.gap_workers == 10


def test_mandatory_programmes_follow_the_size():
    assert assess(size="micro", bpjs_programmes=["jkk", "jkm"]).status == ComplianceStatus.COMPLIANT
    medium = assess(size="medium", bpjs_programmes=["jkk", "jkm", "jht"])
    assert medium.finding(Finding.PDS_PROGRAMME).missing_programmes == ["jp"]


def test_unregistered_employer_with_workers_is_pwbd_with_its_whole_workforce():
    result = assess(npp="", bpjs_workers=None, bpjs_wages=None, bpjs_programmes=[])
    assert [f.finding for f in result.findings] == [Finding.PWBD]
    assert result.finding(Finding.PWBD).gap_workers == 10
    assert result.finding(Finding.PWBD).gap_wages == 30_000_000


def test_unregistered_employer_without_workers_owes_nothing():
    result = assess(npp="", bpjs_workers=None, bpjs_wages=None, bpjs_programmes=[], reported_workers=0)
    assert result.status == ComplianceStatus.COMPLIANT


def test_several_findings_at_once():
    # 6 of 10 registered, on Rp1,500,000 each instead of Rp3,000,000, without JHT.
    result = assess(bpjs_workers=6, bpjs_wages=9_000_000, bpjs_programmes=["jkk", "jkm"])
    assert {f.finding for f in result.findings} == {Finding.PDS_WORKERS, Finding.PDS_WAGES, Finding.PDS_PROGRAMME}
    assert result.finding(Finding.PDS_WORKERS).gap_wages == 12_000_000
    assert result.finding(Finding.PDS_WAGES).gap_wages == 9_000_000  # Rp1,500,000 x 6
    assert result.gap_workers == 4
    assert result.gap_wages == 21_000_000


@pytest.mark.parametrize(
    "figures, reason",
    [
        ({"reported_workers": None, "reported_wages": None}, "no report of this employer's workers"),
        ({"bpjs_workers": None}, "no count of registered workers"),
        ({"bpjs_programmes": []}, "no programmes"),
        ({"reported_wages": None}, "no report of this employer's wages"),
    ],
)
def test_a_missing_figure_is_said_instead_of_guessed(figures, reason):
    with translation.override("en"):
        result = assess(**figures)
    assert result.status == ComplianceStatus.UNASSESSED
    assert any(reason in text for text in result.unknown)


def test_a_finding_with_a_figure_missing_elsewhere_is_still_a_finding():
    result = assess(bpjs_programmes=[], bpjs_workers=4, bpjs_wages=12_000_000)
    assert result.status == ComplianceStatus.FINDINGS
    assert result.finding(Finding.PDS_WORKERS).gap_workers == 6
    assert result.unknown  # the programmes are still unknown, and the page says so


def test_explanations_give_the_gap_in_indonesian_format():
    result = assess(bpjs_workers=6, bpjs_wages=18_000_000)
    assert "Rp12.000.000" in result.finding(Finding.PDS_WORKERS).explanation
