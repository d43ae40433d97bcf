"""Enrollment fixtures: a Bangkalan allocation and draft batch, NIKs that agree with a birth date
and sex, and member spreadsheets in CSV or XLSX with English or Indonesian headers."""

import contextlib
import datetime as dt
import io
from unittest import mock

import pytest
from django.utils import timezone, translation
from openpyxl import Workbook

from enrollment import services
from enrollment.models import BatchState, FundingSource
from enrollment.services import BatchTerms
from ucj.models import AuditEvent

YEAR = 2026
VILLAGE = "35.26.02.2001"  # Socah district (officer's), Bangkalan
OTHER_VILLAGE = "35.26.01.2008"  # Sembilangan, Bangkalan district (officer's)
FOREIGN_VILLAGE = "51.03.01.1002"  # Kuta, Badung, Bali
PREMIUM = 16_800
# The day the tests' batches are activated: in their period's first month, so that the whole period
# is paid whatever the real date (BPJS does not backdate: a later activation pays from its month).
ACTIVATION_DAY = dt.date(YEAR, 6, 3)


@contextlib.contextmanager
def on_day(day: dt.date):
    """Today is `day` (10:00 in Jakarta) inside the block, by replacing django.utils.timezone.now."""
    moment = timezone.make_aware(dt.datetime(day.year, day.month, day.day, 10))
    with mock.patch.object(timezone, "now", lambda: moment):
        yield


def activation_day():
    """On ACTIVATION_DAY unless today (real, or set by the test) is earlier."""
    return on_day(ACTIVATION_DAY) if timezone.localdate() > ACTIVATION_DAY else contextlib.nullcontext()


EN_HEADERS = ["nik", "name", "sex", "birth_date", "village_code", "occupation", "phone"]
ID_HEADERS = ["NIK", "NAMA", "JENIS KELAMIN", "TANGGAL LAHIR", "KODE DESA", "PEKERJAAN", "NO HP"]


def make_nik(serial: int, *, district: str = "352602", birth: dt.date = dt.date(1990, 1, 1), sex: str = "L") -> str:
    """A NIK that agrees with `birth` and `sex` (40 added to the day for women)."""
    day = birth.day + (40 if sex == "P" else 0)
    return f"{district}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


def member_row(serial: int, *, village: str = VILLAGE, birth=dt.date(1990, 1, 1), sex="L", name=None, **over) -> dict:
    row = {
        "nik": make_nik(serial, birth=birth, sex=sex),
        "name": name or f"Warga {serial}",
        "sex": sex,
        "birth_date": birth.strftime("%d/%m/%Y"),
        "village_code": village,
        "occupation": "Petani",
        "phone": f"0812{serial:08d}",
    }
    row.update(over)
    return row


def rows_csv(rows: list[dict], *, headers=EN_HEADERS, delimiter=",", bom=False) -> bytes:
    keys = EN_HEADERS + [k for k in (rows[0] if rows else {}) if k not in EN_HEADERS]
    titles = list(headers) + list(keys[len(headers) :])
    lines = [delimiter.join(titles)]
    lines += [delimiter.join(str(r.get(k, "")) for k in keys) for r in rows]
    text = "\r\n".join(lines) + "\r\n"
    return text.encode("utf-8-sig" if bom else "utf-8")


def rows_xlsx(rows: list[dict], *, headers=EN_HEADERS, raw_cells: dict | None = None) -> bytes:
    """`raw_cells` maps (row index, key) to a cell value written as is (a number, a date)."""
    keys = EN_HEADERS + [k for k in (rows[0] if rows else {}) if k not in EN_HEADERS]
    wb = Workbook()
    ws = wb.active
    ws.append(list(headers) + keys[len(headers) :])
    for i, r in enumerate(rows):
        ws.append([(raw_cells or {}).get((i, k), r.get(k, "")) for k in keys])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def new_batch(actor, *, source=FundingSource.DBHCHT, kind="vulnerable_workers", area=None, **terms):
    values = {
        "kind": kind,
        "regency_code": "35.26",
        "funding_source": source,
        "year": YEAR,
        "period_start": dt.date(YEAR, 6, 1),
        "period_end": dt.date(YEAR, 12, 31),
        "decree_number": "188/123/KPTS/433.013/2026",
        "area_code": area,
    }
    values.update(terms)
    return services.batch_create(actor=actor, terms=BatchTerms(**values))


def import_rows(actor, batch, rows, **kw):
    return services.import_run(
        job_id=services.import_create(
            actor=actor, batch_id=batch.pk, filename="members.csv", content=rows_csv(rows, **kw)
        ).pk
    )


def audit_events(target, action: str | None = None):
    """The audit history of one object (a batch, an allocation), optionally of one action."""
    events = AuditEvent.objects.filter(target_type=target._meta.label_lower, target_id=str(target.pk))
    return events.filter(action=action) if action else events


@pytest.fixture
def english():
    """Messages in English whatever the default language (LANGUAGE_CODE is "id"), for tests that
    read them."""
    with translation.override("en"):
        yield


@pytest.fixture
def allocation(clerk):
    return services.allocation_create(
        actor=clerk, region_code="35.26", year=YEAR, source=FundingSource.DBHCHT, amount=1_000_000_000
    )


@pytest.fixture
def draft_batch(officer):
    return new_batch(officer)


@pytest.fixture
def batch_in_state(officer, clerk, kadis, allocation):
    """A batch of three members of VILLAGE brought to the given state by the services: the officer
    submits, the clerk verifies, the head of the office (kadis) approves, the clerk does the rest."""

    def make(state: str, *, members: int = 3, start: int = 1):
        batch = new_batch(officer)
        import_rows(officer, batch, [member_row(start + i) for i in range(members)])
        steps = {
            BatchState.SUBMITTED: [services.batch_submit],
            BatchState.VERIFIED: [services.batch_submit, services.batch_verify],
            BatchState.APPROVED: [services.batch_submit, services.batch_verify, services.batch_approve],
        }
        actors = [officer, clerk, kadis]
        if state == BatchState.DRAFT:
            pass
        elif state in steps:
            for step, actor in zip(steps[state], actors, strict=False):
                step(actor=actor, batch_id=batch.pk)
        elif state == BatchState.ACTIVE:
            for step, actor in zip(steps[BatchState.APPROVED], actors, strict=True):
                step(actor=actor, batch_id=batch.pk)
            confirmations = {make_nik(start + i): (i + 2, f"230{start + i:08d}") for i in range(members)}
            with activation_day():
                services.batch_activate(actor=clerk, batch_id=batch.pk, confirmations=confirmations)
        elif state == BatchState.REJECTED:
            services.batch_submit(actor=officer, batch_id=batch.pk)
            services.batch_reject(actor=clerk, batch_id=batch.pk, reason="Daftar tidak lengkap")
        elif state == BatchState.CANCELLED:
            for step, actor in zip(steps[BatchState.APPROVED], actors, strict=True):
                step(actor=actor, batch_id=batch.pk)
            services.batch_cancel(actor=clerk, batch_id=batch.pk, reason="SK dicabut")
        batch.refresh_from_db()
        assert batch.state == state
        return batch

    return make


def approve(batch, officer, clerk, approver) -> None:
    """Take a draft batch through submission (the field officer), verification (the clerk) and
    approval (`approver`, a second labour-office user: four eyes) by the services."""
    for step, actor in (
        (services.batch_submit, officer),
        (services.batch_verify, clerk),
        (services.batch_approve, approver),
    ):
        step(actor=actor, batch_id=batch.pk)
