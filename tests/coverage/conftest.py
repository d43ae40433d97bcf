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


def bangkalan_batch_to_activate(people: int, *, approve: bool = True):
    """Bangkalan as the news report has it (500,000 workers, 71,500 active a month ago), a budget,
    and a batch of `people` members of VILLAGE starting today, submitted and verified (and
    approved unless `approve` is False), made by the services as an officer and the labour office
    would: (batch, officer, clerk). A second labour-office user verifies it (four eyes), so that
    the clerk may approve it. For tests whose next step is the activation."""
    from django.utils import timezone

    from enrollment import services
    from enrollment.services.premiums import month_end
    from tests.enrollment.conftest import import_rows, member_row, new_batch
    from tests.factories import user_with
    from ucj.models import Role

    officer = user_with(Role.FIELD_OFFICER, SOCAH, username="officer")
    clerk = user_with(Role.LABOUR_OFFICE, BANGKALAN, username="disnaker")
    verifier = user_with(Role.LABOUR_OFFICE, BANGKALAN, username="verifikator")
    today = timezone.localdate()
    workforce(BANGKALAN, 500_000)
    counts(BANGKALAN, 71_500, as_of=today - dt.timedelta(days=30))
    services.allocation_create(actor=clerk, region_code=BANGKALAN, year=today.year, source="dbhcht", amount=10**9)
    # Whole months (a period runs from a month's first day to a month's last day); activated today,
    # its members count from today.
    end = min(month_end(today + dt.timedelta(days=60)), dt.date(today.year, 12, 31))
    batch = new_batch(officer, year=today.year, period_start=today.replace(day=1), period_end=end)
    import_rows(officer, batch, [member_row(i) for i in range(1, people + 1)])
    steps = [(services.batch_submit, officer), (services.batch_verify, verifier)]
    for step, actor in steps + ([(services.batch_approve, clerk)] if approve else []):
        step(actor=actor, batch_id=batch.pk)
    return batch, officer, clerk
