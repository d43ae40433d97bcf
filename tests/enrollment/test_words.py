"""The words a clerk reads (DESIGN §6, issue 20 point 11): the supervisor is a *pemantau* (a
*pengawas* is a labour inspector), reserved money is *dicadangkan*, a batch is a *daftar
kolektif*, the officials' list is *aparatur desa*, an official's pay is *siltap*, and the decree is
named by who pays."""

import pytest
from django.utils import translation

from enrollment.models import BatchKind, EnrollmentBatch, FundingSource
from ucj.models import Region, Role


@pytest.mark.parametrize(
    "english, indonesian",
    [
        ("supervisor", "pemantau"),
        ("Committed (Rp)", "Dicadangkan (Rp)"),
        ("Batch #%(id)s", "Daftar kolektif #%(id)s"),
        ("village officials", "aparatur desa"),
        ("Village officials", "Aparatur desa"),
        ("fixed monthly pay (Rp)", "siltap sebulan (Rp)"),
    ],
)
def test_the_indonesian_pages_use_the_words_of_the_office(english, indonesian):
    with translation.override("id"):
        assert translation.gettext(english) == indonesian


def test_roles_and_batch_kinds_read_in_the_offices_words():
    with translation.override("id"):
        assert str(Role.SUPERVISOR.label) == "pemantau"
        assert str(BatchKind.VILLAGE_OFFICIALS.label) == "aparatur desa"


@pytest.mark.parametrize(
    "regency, source, decree",
    [
        ("35.26", FundingSource.DBHCHT, "SK Bupati"),  # Kabupaten Bangkalan
        ("35.78", FundingSource.APBD, "SK Wali Kota"),  # Kota Surabaya
        ("35.26", FundingSource.DANA_DESA, "SK Kepala Desa"),  # a village's own budget
    ],
)
def test_the_decree_is_named_by_who_pays(db, regency, source, decree):
    batch = EnrollmentBatch(regency=Region.objects.get(code=regency), funding_source=source)
    assert batch.decree_kind == decree
