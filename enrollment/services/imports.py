"""Member imports and BPJS confirmations: a file is registered (`import_create`), then run inline
or by a worker (`import_run`), writing its valid rows in one transaction."""

import datetime as dt
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment import importers
from enrollment.models import (
    BatchMember,
    BatchState,
    EnrollmentBatch,
    ImportJob,
    ImportKind,
    ImportSource,
    ImportState,
    MemberState,
    Participant,
    Scheme,
    mask_nik,
)
from enrollment.services.batches import (
    _lock,
    _require_editor,
    _state_error,
    activation_refused,
    batch_activate,
    batch_refresh_totals,
)
from enrollment.services.participants import PARTICIPANT_MOVE
from enrollment.services.premiums import RateBook, wage_premium
from ucj import scope, sheets
from ucj.errors import ApplicationError, Conflict, ValidationFailed
from ucj.models import AuditEvent, Role
from ucj.services import audit_record

# --- Imports --------------------------------------------------------------------------------------

# Files up to this size (about 1,500 member rows) are imported within the request; larger ones go
# to a worker on the `imports` queue while the batch page shows their progress.
INLINE_MAX_BYTES = 150_000


@transaction.atomic
def import_create(
    *,
    actor,
    batch_id: int,
    filename: str,
    content: bytes,
    kind: str = ImportKind.MEMBERS,
    source: str = ImportSource.FILE,
) -> ImportJob:
    """Register an uploaded file after checking, before any work, that the actor may import into
    this batch now. Running it is `import_run`'s job (inline or in a worker). `source`: LEADS when
    the rows are leads that outreach writes out on the actor's behalf (no file anyone uploaded)."""
    batch = _lock(batch_id)
    if kind == ImportKind.MEMBERS:
        _require_editor(actor, batch)
        if batch.state != BatchState.DRAFT:
            raise _state_error(batch, _("edited"))
    else:
        scope.require_role(actor, Role.LABOUR_OFFICE, region_code=batch.regency_id)
        if batch.state != BatchState.APPROVED:
            raise _state_error(batch, _("activated"))
        if refused := activation_refused(batch, timezone.localdate()):
            raise refused
    if not content:
        raise ValidationFailed(_("The file is empty."), details={"file": [_("The file is empty.")]})
    if len(content) > importers.MAX_FILE_BYTES:
        raise ValidationFailed(_("The file is too large; split it."), details={"file": [_("The file is too large.")]})
    return ImportJob.objects.create(
        batch=batch,
        kind=kind,
        source=source,
        filename=(filename or "upload")[:255],
        content=content,
        created_by=actor,
    )


def import_runs_inline(job: ImportJob) -> bool:
    return len(job.content) <= INLINE_MAX_BYTES


def import_run(*, job_id: int) -> ImportJob:
    """Run an import: safe to call twice or from two workers (the job is claimed with a conditional
    update) and after a worker died mid-way (a job left running past the task time limit is
    claimed again). The rows are written in one transaction: a crash adds nothing."""
    now = timezone.now()
    abandoned = now - dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    claimed = (
        ImportJob.objects.filter(pk=job_id)
        .filter(Q(state=ImportState.QUEUED) | Q(state=ImportState.RUNNING, started_at__lt=abandoned))
        .update(state=ImportState.RUNNING, started_at=now, processed_rows=0, updated_at=now)
    )
    job = ImportJob.objects.select_related("batch", "created_by").get(pk=job_id)
    if not claimed:
        return job
    try:
        # A member list of 100,000 rows spent half its Python time in the garbage collector.
        with sheets.collector_paused():
            outcome = _import_members(job) if job.kind == ImportKind.MEMBERS else _import_activation(job)
    except ApplicationError as exc:
        details = exc.details if isinstance(exc.details, list) else []
        _finish(job, state=ImportState.FAILED, message=exc.message, errors=details)
    except PermissionDenied as exc:
        # The uploader lost the role between upload and run.
        _finish(job, state=ImportState.FAILED, message=str(exc))
    except Exception:
        _finish(
            job,
            state=ImportState.FAILED,
            message=_("The import failed; nothing was added. Try again or tell an administrator."),
        )
        raise
    else:
        _finish(job, state=ImportState.DONE, **outcome)
    job.refresh_from_db()
    return job


def _finish(job: ImportJob, **changes) -> None:
    ImportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now(), updated_at=timezone.now(), **changes)


def _progress(job: ImportJob, **changes) -> None:
    # Outside the import's transaction: the batch page polls these numbers while it runs.
    ImportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now(), **changes)


def _import_members(job: ImportJob) -> dict:
    batch = EnrollmentBatch.objects.get(pk=job.batch_id)
    actor = job.created_by
    if batch.state != BatchState.DRAFT:
        raise _state_error(batch, _("edited"))
    sheet = importers.read_sheet(
        bytes(job.content), job.filename, headers=importers.MEMBER_HEADERS, required=importers.MEMBER_REQUIRED
    )
    _progress(job, total_rows=len(sheet.rows))
    # The people of the file on record are read while the rows are parsed (about a second for
    # 100,000 rows, so the progress moves once, after it).
    niks = importers.file_niks(sheet)
    registered, rows, reserved = importers.registered_while(
        niks, lambda: importers.parse_member_rows(sheet, batch), reserve=len(niks)
    )
    _progress(job, processed_rows=len(rows))
    # The labour office may list anyone of the area; a field officer only people of their own villages.
    if scope.has_role(actor, Role.LABOUR_OFFICE, batch.area_id):
        allowed = None
    else:
        allowed = scope.root_codes(actor, [Role.FIELD_OFFICER, Role.LABOUR_OFFICE])
    _progress(job, message=_("Checking against registered participants and other batches."))
    registered = importers.check_member_rows(rows, batch, allowed_roots=allowed, registered=registered)
    _progress(job, message=_("Saving the accepted rows."))
    added = _write_members(job, rows, registered=registered, checked_terms=_terms_of(batch), reserved=reserved)
    rejected = sum(1 for r in rows if r.errors)
    return {
        "accepted": added,
        "rejected": rejected,
        "skipped": sum(1 for r in rows if r.skipped),
        # Named by the file's own column titles and the row's person: a pass over the rows only
        # when some were refused.
        "errors": importers.row_issues(sheet, rows) if rejected else [],
        "warnings": [w for r in rows for w in r.warnings],
        "processed_rows": len(rows),
        "message": "",
    }


def _terms_of(batch: EnrollmentBatch) -> tuple:
    return (batch.kind, batch.funding_source, batch.area_id, batch.period_start, batch.period_end)


@transaction.atomic
def _write_members(
    job: ImportJob, rows: list, *, registered: dict, checked_terms: tuple, reserved: list[int] | None = None
) -> int:
    """Write the rows that passed the checks, under the batch lock. `registered`: the people of
    the file on record when the rows were checked (check_member_rows); `reserved`: ids taken for
    new people beforehand (registered_while)."""
    batch = _lock(job.batch_id)
    _require_editor(job.created_by, batch)
    if batch.state != BatchState.DRAFT:
        raise _state_error(batch, _("edited"))
    if _terms_of(batch) != checked_terms:
        # The rows were checked (age, area, overlaps) against terms someone changed meanwhile.
        raise Conflict(_("The batch's terms changed while the file was being checked; upload it again."))
    valid = [r for r in rows if not r.errors and not r.skipped]
    # Checked again under the batch lock, since another upload may have committed meanwhile: the
    # memberships of the people on record. A person new at the check whom another upload has
    # registered since makes the write fail on the NIK's unique index (as one put into another
    # open batch since fails on the one-open-batch index); then every row is checked against the
    # records once more and written again.
    valid = _refuse_late(valid, batch, registered, registered)
    now = timezone.now()
    try:
        try:
            with transaction.atomic():
                _write_rows(batch, valid, registered, now, reserved)
                _move_domiciles(job, batch, valid, registered, now)
        except IntegrityError:
            current = importers.registered_participants([r.nik for r in valid])
            valid = _refuse_late(valid, batch, current, registered)
            with transaction.atomic():
                _write_rows(batch, valid, current, now, reserved)
                _move_domiciles(job, batch, valid, current, now)
    except IntegrityError as exc:
        raise Conflict(
            _("Another upload added some of these people at the same moment; upload the file again.")
        ) from exc
    batch_refresh_totals(batch)
    batch.save(update_fields=["member_count", "monthly_premium", "total_cost", "updated_at"])
    data = {
        "job": job.pk,
        "accepted": len(valid),
        "rejected": sum(1 for r in rows if r.errors),
        "skipped": sum(1 for r in rows if r.skipped),
    }
    # Leads put on the batch are no file anyone uploaded: the history says how many leads.
    data.update({"leads": len(rows)} if job.source == ImportSource.LEADS else {"file": job.filename})
    audit_record(actor=job.created_by, action="batch.import", target=batch, region_code=batch.area_id, data=data)
    return len(valid)


def _refuse_late(valid: list, batch: EnrollmentBatch, current: dict, checked: dict) -> list:
    """The rows of `valid` still valid against `current` (the people on record now), with an
    error on the others: one who joined another batch since, or one registered since the rows
    were checked against `checked` (whose region the checks did not see). One whom another upload
    put on this batch meanwhile is skipped."""
    late = importers.membership_conflicts([r.nik for r in valid if r.nik in current], batch, registered=current)
    # A person whose domicile this upload moves must still be free to move (few rows: one query).
    movers = [current[r.nik][0] for r in valid if r.moves_from and r.nik in current and r.nik not in late]
    held = importers.participants_held(movers, timezone.localdate()) if movers else set()
    for r in valid:
        if late.get(r.nik) == importers.ON_THIS_BATCH:
            r.skip()
        elif r.nik in late:
            r.error("nik", late[r.nik])
        elif r.nik in current and r.nik not in checked:
            r.error("nik", _("Registered by another upload while this file was being checked; upload the row again."))
        elif r.moves_from and current[r.nik][0] in held:
            r.error("nik", importers.taken_message())
    return [r for r in valid if not r.errors and not r.skipped]


def _move_domiciles(job: ImportJob, batch: EnrollmentBatch, valid: list, registered: dict, now) -> None:
    """People on record enrolled from another village (`MemberRow.moves_from`; the checks made
    sure they were free to move): their domicile becomes the row's village, and each move is on
    the participant's history (from which village to which, by whom, through which batch). In
    the transaction of the memberships: both stand or fall together. Set-based; most uploads
    move nobody and cost nothing here."""
    moves = {}
    for r in valid:
        if r.moves_from and r.nik in registered:
            pk, village, _name = registered[r.nik]
            if village != r.village_code:
                moves[pk] = (village, r.village_code)
    if not moves:
        return
    Participant.objects.bulk_update(
        [Participant(pk=pk, village_id=to, updated_at=now) for pk, (_from, to) in moves.items()],
        ["village", "updated_at"],
        batch_size=1000,
    )
    # One audit event per person, written together (audit_record writes one row a call).
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor=job.created_by,
                action=PARTICIPANT_MOVE,
                target_type=Participant._meta.label_lower,
                target_id=str(pk),
                region_id=to,
                data={"village_from": old, "village_to": to, "batch": batch.pk, "job": job.pk},
            )
            for pk, (old, to) in sorted(moves.items())
        ],
        batch_size=1000,
    )


def _write_rows(batch: EnrollmentBatch, valid: list, registered: dict, now, reserved: list[int] | None = None) -> None:
    """New people are registered; a person already registered keeps their record (the checks made
    sure they live in the batch's area). Everyone accepted becomes a pending member."""
    if connection.vendor == "postgresql":
        _copy_rows(batch, valid, registered, now, reserved or [])
        return
    Participant.objects.bulk_create(
        [
            Participant(
                nik=r.nik, kk=r.kk, name=r.name, sex=r.sex, birth_date=r.birth_date, village_id=r.village_code,
                occupation=r.occupation, occupation_group=importers.occupation_group(r.occupation, batch.kind),
                phone=r.phone, created_at=now, updated_at=now,
            )
            for r in valid
            if r.nik not in registered
        ],
        batch_size=2000,
    )  # fmt: skip
    ids = {nik: pk for nik, (pk, _village, _name) in registered.items()}
    new = [r.nik for r in valid if r.nik not in registered]
    for start in range(0, len(new), importers.CHUNK):
        ids.update(Participant.objects.filter(nik__in=new[start : start + importers.CHUNK]).values_list("nik", "pk"))
    premium = _wage_pricer(batch)
    BatchMember.objects.bulk_create(
        [
            BatchMember(batch=batch, participant_id=ids[r.nik], position=r.position, warnings=r.warnings,
                        wage=r.wage, monthly_premium=premium(r.wage), created_at=now, updated_at=now)
            for r in valid
        ],
        batch_size=2000,
    )  # fmt: skip


def _wage_pricer(batch: EnrollmentBatch):
    """wage → a village official's monthly premium at the rates of the period's first month (rates
    read once); None for the members of other batches, whose premium is the batch's."""
    if not batch.is_officials:
        return lambda wage: None
    rates = RateBook(scheme=Scheme.PU, programmes=batch.programmes).on(batch.period_start)
    return lambda wage: None if wage is None else wage_premium(rates, wage)


PARTICIPANT_COLUMNS = (
    "id, nik, kk, name, sex, birth_date, village_id, occupation, occupation_group, phone, kpj, created_at, updated_at"
)
MEMBER_COLUMNS = "batch_id, participant_id, state, reason, position, is_open, warnings, created_at, updated_at"


def _copy_rows(batch: EnrollmentBatch, valid: list, registered: dict, now, reserved: list[int]) -> None:
    """PostgreSQL: the new people and the memberships by COPY straight into their tables, the new
    people's ids taken from the table's sequence first. Django's bulk_create spent most of a
    100,000-row import building SQL, and a staging table plus INSERT … SELECT wrote every row
    twice (docs/performance.md, "Member import")."""
    # In NIK order, and the memberships in participant order: two uploads sharing new people then
    # meet on the unique indexes in the same order, one waiting for the other, never deadlocked.
    new = sorted((r for r in valid if r.nik not in registered), key=lambda r: r.nik)
    groups: dict[str, str] = {}
    # The time as text, once: psycopg formatting a datetime per cell cost 0.5 s of 100,000 rows.
    stamp = now.isoformat()
    # Rates are read before the COPY: the connection takes no other query while it copies (a
    # query there waited for ever on a server that was waiting for the COPY's data).
    premium = _wage_pricer(batch)
    # wrap_database_errors: psycopg's COPY errors become Django's (IntegrityError) like a query's.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        ids = {nik: pk for nik, (pk, _village, _name) in registered.items()}
        if len(reserved) < len(new):  # none were reserved (or too few): taken now
            cursor.execute(importers.RESERVE_IDS_SQL, [Participant._meta.db_table, len(new)])
            reserved = [pk for (pk,) in cursor.fetchall()]
        ids.update(zip((r.nik for r in new), reserved[: len(new)], strict=True))
        with cursor.cursor.copy(f"COPY {Participant._meta.db_table} ({PARTICIPANT_COLUMNS}) FROM STDIN") as copy:
            for r in new:
                group = groups.get(r.occupation)
                if group is None:
                    group = groups[r.occupation] = importers.occupation_group(r.occupation, batch.kind)
                copy.write_row(
                    (ids[r.nik], r.nik, r.kk, r.name, r.sex, r.birth_date, r.village_code, r.occupation, group,
                     r.phone, "", stamp, stamp)
                )  # fmt: skip
            # The memberships are made ready while the server still writes the people (leaving
            # this block waits for it to finish): 0.1 s of 100,000 rows no longer in series.
            members = [
                (batch.pk, ids[r.nik], MemberState.PENDING, "", r.position, True,
                 json.dumps(r.warnings) if r.warnings else "[]", stamp, stamp)
                for r in sorted(valid, key=lambda r: ids[r.nik])
            ]  # fmt: skip
            columns = MEMBER_COLUMNS
            if batch.is_officials:
                # Officials' pay and premium; other batches leave both NULL, and the COPY of a
                # 100,000-row list of vulnerable workers stays as it was.
                by_pk = {ids[r.nik]: r.wage for r in valid}
                columns += ", wage, monthly_premium"
                members = [(*m, by_pk[m[1]], premium(by_pk[m[1]])) for m in members]
        with cursor.cursor.copy(f"COPY {BatchMember._meta.db_table} ({columns}) FROM STDIN") as copy:
            for member in members:
                copy.write_row(member)


def _import_activation(job: ImportJob) -> dict:
    sheet = importers.read_sheet(
        bytes(job.content), job.filename, headers=importers.ACTIVATION_HEADERS, required=["nik", "kpj"]
    )
    _progress(job, total_rows=len(sheet.rows))
    confirmations, errors = importers.parse_confirmation(sheet)
    result = batch_activate(actor=job.created_by, batch_id=job.batch_id, confirmations=confirmations, errors=errors)
    new = result.matched - result.already_registered
    message = _("%(new)s new to BPJS, %(known)s already registered (not counted again in coverage).") % {
        "new": new,
        "known": result.already_registered,
    }
    return {
        "accepted": result.matched,
        "new_participants": new,
        "already_registered": result.already_registered,
        "message": message,
        "rejected": len(result.errors),
        "errors": sorted(result.errors, key=lambda e: e["row"]),
        "warnings": [
            {
                "row": "",
                "column": "nik",
                "message": _("%(nik)s %(name)s: not confirmed by BPJS.")
                % {"nik": mask_nik(u["nik"]), "name": u["name"]},
            }
            for u in result.unconfirmed
        ],
        "processed_rows": len(sheet.rows),
    }


# --- Export ---------------------------------------------------------------------------------------

EXPORT_STATES = (BatchState.APPROVED, BatchState.ACTIVE)


@dataclass
class ExportFile:
    content: bytes
    content_type: str
    filename: str


@transaction.atomic
def batch_export(*, actor, batch_id: int, fmt: str) -> ExportFile:
    """The member list with full NIKs for the BPJS branch: for the labour office or an
    administrator of the regency, once the batch is approved (money reserved) or active. Full NIKs
    leave the system, so who took them and when goes into the batch's history."""
    batch = EnrollmentBatch.objects.get(pk=batch_id)
    if not scope.may_see_personal_data(actor, batch.regency_id):
        raise PermissionDenied(_("Your role does not allow this action in this region."))
    if batch.state not in EXPORT_STATES:
        raise Conflict(_("Only an approved or active batch can be exported."))
    if fmt == "xlsx":
        content = importers.export_xlsx(batch)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        fmt, content, content_type = "csv", importers.export_csv(batch), "text/csv; charset=utf-8"
    audit_record(actor=actor, action="batch.export", target=batch, region_code=batch.area_id, data={"format": fmt})
    return ExportFile(content, content_type, f"batch-{batch.pk}-{batch.regency_id}.{fmt}")
