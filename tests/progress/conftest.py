"""Progress fixtures: hand-made snapshots, outreach events, batches and employers written straight
into the tables (each app's services have tests of their own), on one fixed day.

The test database holds Jawa Timur (35: Bangkalan 35.26 with 18 districts, Pamekasan 35.28) and
Bali (51: Badung 51.03, Bangli 51.06) under the national root."""

import datetime as dt
import itertools
import uuid
from decimal import Decimal

import pytest
from django.utils import timezone

from enrollment.models import (
    BatchKind,
    BatchMember,
    BatchState,
    EnrollmentBatch,
    FundingSource,
    MemberState,
    Participant,
)
from outreach.models import EventKind, EventVillage, OutreachEvent
from tests.enrollment.conftest import allocation, batch_in_state  # noqa: F401
from tests.factories import user_with
from tests.outreach.conftest import in_english  # noqa: F401
from ucj.models import CoverageSnapshot, OccupationGroup, Role

# A Monday late in the month: the month began on 1 November, the previous one is October.
DAY = dt.date(2026, 11, 23)
MONTH_START = dt.date(2026, 11, 1)
BANGKALAN, PAMEKASAN = "35.26", "35.28"
KOTA_BANGKALAN, SOCAH = "35.26.01", "35.26.02"  # districts of Bangkalan
SOCAH_VILLAGES = ["35.26.02.2001", "35.26.02.2002", "35.26.02.2003"]
KOTA_VILLAGE = "35.26.01.2008"
PAMEKASAN_VILLAGE = "35.28.01.2001"
BADUNG_VILLAGE = "51.03.01.1002"

_serials = itertools.count(1)


def snapshot(code, date, percent=None, *, current=False, **figures) -> CoverageSnapshot:
    """A snapshot of `code` on `date`; `percent` and any other field as given."""
    values = {"percent": None if percent is None else Decimal(str(percent)), **figures}
    for name in ("target_percent", "gap_points"):
        if values.get(name) is not None:
            values[name] = Decimal(str(values[name]))
    return CoverageSnapshot.objects.create(
        region_id=code, date=date, computed_at=timezone.now(), is_current=current, **values
    )


def event(creator, villages, date, *, kind=EventKind.SOCIALISATION, **attendance) -> OutreachEvent:
    """An event on `date` reaching `villages` (all in one regency), with its EventVillage rows."""
    regency = ".".join(villages[0].split(".")[:2])
    made = OutreachEvent.objects.create(
        client_id=uuid.uuid4(), kind=kind, date=date, regency_id=regency, created_by=creator, **attendance
    )
    EventVillage.objects.bulk_create(EventVillage(event=made, village_id=v, date=date, kind=kind) for v in villages)
    return made


def participant(village, *, group=OccupationGroup.FARMER) -> Participant:
    serial = next(_serials)
    return Participant.objects.create(
        nik=f"3526020101{serial % 100:02d}{serial:04d}",
        name=f"Warga {serial}",
        sex="L",
        birth_date=dt.date(1990, 1, 1),
        village_id=village,
        occupation_group=group,
    )


def batch(
    creator,
    state,
    members=(),
    *,
    regency=BANGKALAN,
    area=None,
    kind=BatchKind.VULNERABLE_WORKERS,
    member_state=None,
    covered=None,
    group=OccupationGroup.FARMER,
    rejected=(),
) -> EnrollmentBatch:
    """A batch in `state` with a member per village in `members` (and a rejected one per village in
    `rejected`); `member_count` as the services keep it (members not rejected). `covered` gives
    the accepted members' (covered_from, covered_until)."""
    made = EnrollmentBatch.objects.create(
        kind=kind,
        state=state,
        regency_id=regency,
        area_id=area or regency,
        funding_source=FundingSource.DBHCHT,
        year=2026,
        period_start=dt.date(2026, 6, 1),
        period_end=dt.date(2026, 12, 31),
        created_by=creator,
        member_count=len(members),
    )
    if member_state is None:
        member_state = MemberState.ACCEPTED if state == BatchState.ACTIVE else MemberState.PENDING
    covered_from, covered_until = covered or (None, None)
    if member_state == MemberState.ACCEPTED and covered is None:
        covered_from, covered_until = made.period_start, made.period_end
    rows = [
        BatchMember(
            batch=made,
            participant=participant(v, group=group),
            state=member_state,
            is_open=state in (BatchState.DRAFT, BatchState.SUBMITTED, BatchState.VERIFIED, BatchState.APPROVED),
            covered_from=covered_from,
            covered_until=covered_until,
        )
        for v in members
    ]
    rows += [
        BatchMember(batch=made, participant=participant(v), state=MemberState.REJECTED, is_open=False) for v in rejected
    ]
    BatchMember.objects.bulk_create(rows)
    return made


@pytest.fixture
def day():
    return DAY


@pytest.fixture
def creator(db):
    """The field officer who logs events and drafts batches in the hand-made data."""
    return user_with(Role.FIELD_OFFICER, BANGKALAN, PAMEKASAN, username="maker")
