"""Coverage fixtures: facts written straight into the tables (the fact services have tests of
their own), and the enrollment fixtures that bring a batch of VILLAGE to a state."""

import datetime as dt
from decimal import Decimal

import pytest

from tests.enrollment.conftest import allocation, batch_in_state, english  # noqa: F401
from ucj.models import CoverageTarget, MembershipCount, WorkforceEstimate

# Every computation names its day; tests use one fixed day, independent of the clock.
DAY = dt.date(2026, 11, 23)
BANGKALAN = "35.26"
SOCAH = "35.26.02"  # district of VILLAGE
VILLAGE = "35.26.02.2001"


def workforce(code, workers, *, year=2025, source="BPS Sakernas Agustus 2025"):
    return WorkforceEstimate.objects.create(
        region_id=code, year=year, workers=workers, source=source, as_of=dt.date(year, 8, 31)
    )


def target(code, percent, *, year=2025, source="Kemendagri"):
    return CoverageTarget.objects.create(
        region_id=code, year=year, percent=Decimal(str(percent)), source=source, as_of=dt.date(year, 1, 2)
    )


def counts(code, total, *, as_of=dt.date(2025, 3, 31), source="BPJS Ketenagakerjaan", **segments):
    return MembershipCount.objects.create(region_id=code, as_of=as_of, total=total, source=source, **segments)


@pytest.fixture
def day():
    return DAY
