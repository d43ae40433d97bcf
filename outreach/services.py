"""Every write of outreach (DESIGN §3 `outreach/`): logging events from the field, changing them
within the edit window, leads, and leads into a draft enrollment batch. Views, the API and the
demo call these functions; nothing else writes these tables.

Errors: `ValidationFailed` with `details={field: message}` for bad input (the keys are the API's
and the forms' field names: `kind`, `date`, `villages`, one per attendance group such as
`farmers`, `attendance` for an unknown group, `planting_season`, `distribution_point_kind`,
`distribution_point`, `employer` (an employer's id) and `employer_name` (a name), `latitude`,
`longitude`, `officers`, `partner`, `partner_agency`; for leads `name`, `village_code`, `event`,
`nik`, `sex`, `birth_date`, `phone`, `occupation`, `status`; for follow-ups `date`, `channel`,
`outcome`, `notes`, `next_date`; `leads` and `batch` for leads into a
batch), `PermissionDenied` for a role that may not, `Http404` for an object outside the actor's
regions, `Conflict` for a client_id taken by someone else or already used for another event, or a
batch that is not a draft."""

import csv
import dataclasses
import datetime
import hashlib
import io
import json
import re
import uuid
import zoneinfo
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from lokal import parse_nik

from enrollment import importers
from enrollment.models import (
    BatchKind,
    BatchMember,
    BatchState,
    Employer,
    EnrollmentBatch,
    FundingSource,
    ImportSource,
    ImportState,
    MemberState,
    Sex,
)
from enrollment.selectors.employers import employers_visible_to
from enrollment.services import BatchTerms, batch_create, import_create, import_run, may_edit
from enrollment.services.employers import employer_register_from_visit, name_key
from outreach import selectors
from outreach.models import (
    ATTENDANCE_GROUPS,
    DistributionPoint,
    EventKind,
    EventVillage,
    FollowUpChannel,
    FollowUpOutcome,
    Lead,
    LeadFollowUp,
    LeadStatus,
    OutreachEvent,
    PartnerAgency,
    PlantingSeason,
)
from ucj import scope
from ucj.errors import Conflict, ValidationFailed
from ucj.models import Assignment, Region, Role, code_in_subtree, regency_code
from ucj.services import audit_record

User = get_user_model()

# Who logs events and leads: field officers in their villages, the labour office in its regency,
# administrators anywhere. Supervisors read.
LOGGING_ROLES = (Role.FIELD_OFFICER, Role.LABOUR_OFFICE, Role.ADMIN)
# Who may join an event as a co-officer.
OFFICER_ROLES = (Role.FIELD_OFFICER, Role.LABOUR_OFFICE)
# More people than this at one event is a typing mistake (the largest festivals gather thousands).
MAX_ATTENDANCE = 100_000
# Events are logged as they happen; older than this is a mistake in the date.
MAX_AGE_DAYS = 365
# "In the future" is judged by the calendar of the easternmost time zone (WIT, UTC+9): an officer in
# Bali or Papua logging just after their midnight must not be told that their today is tomorrow.
EASTERNMOST = zoneinfo.ZoneInfo("Asia/Jayapura")


@dataclass
class EventData:
    kind: str
    date: datetime.date
    village_codes: list[str]
    time: datetime.time | None = None
    attendance: dict[str, int] = field(default_factory=dict)  # keys from ATTENDANCE_GROUPS
    partner: str = ""
    partner_agency: str = ""
    notes: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    planting_season: str = ""
    distribution_point_kind: str = ""
    distribution_point: str = ""
    # Employer visits: the employer visited, by id (one the actor sees, in one of the event's
    # villages), or by name: found among the employers of the event's villages, else registered
    # in the first of them (by code) as an employer found in the field.
    employer_id: int | None = None
    employer_name: str = ""
    officer_ids: list[int] = field(default_factory=list)  # co-officers besides the one logging
    # Names a caller could not resolve to a user (the API's usernames): refused with the very
    # message of a user who may not be named, so that the answer does not tell which names exist.
    unknown_officers: list[str] = field(default_factory=list)


# --- Events ---------------------------------------------------------------------------------------


def _logging_roots(actor) -> list[str]:
    return scope.root_codes(actor, LOGGING_ROLES)


def _require_logger(actor) -> list[str]:
    roots = _logging_roots(actor)
    if not roots:
        raise PermissionDenied(_("Your role does not allow logging outreach events."))
    return roots


def _village_label(village: Region) -> str:
    kind = _("Kelurahan") if village.kind == Region.Kind.KELURAHAN else _("Desa")
    return f"{kind} {village.name}"


def _check_villages(codes: list[str], *, roots: list[str], errors: dict) -> list[Region]:
    """The event's villages, in the given order without repeats: known villages, all inside
    `roots` (the actor's area), all in one regency."""
    wanted = list(dict.fromkeys(str(c).strip() for c in codes or [] if str(c).strip()))
    if not wanted:
        errors["villages"] = _("Choose at least one village.")
        return []
    found = {r.code: r for r in Region.objects.filter(code__in=wanted, level=Region.Level.VILLAGE)}
    unknown = [c for c in wanted if c not in found]
    if unknown:
        errors["villages"] = _("Unknown village code(s): %(codes)s.") % {"codes": ", ".join(unknown)}
        return []
    villages = [found[c] for c in wanted]
    outside = [v for v in villages if not any(code_in_subtree(v.code, root) for root in roots)]
    if outside:
        errors["villages"] = _("%(village)s is outside your area.") % {
            "village": ", ".join(_village_label(v) for v in outside)
        }
        return []
    if len({regency_code(v.code) for v in villages}) > 1:
        errors["villages"] = _("All villages of one event must lie in the same regency; log one event per regency.")
        return []
    return villages


def _check_date(day, *, errors: dict, unchanged_from=None) -> None:
    if not isinstance(day, datetime.date) or isinstance(day, datetime.datetime):
        errors["date"] = _("Give the date of the event.")
        return
    today = timezone.localdate(timezone=EASTERNMOST)
    if day > today:
        errors["date"] = _("The date %(date)s is in the future; log an event once it has taken place.") % {
            "date": day.strftime("%d/%m/%Y")
        }
    elif day < today - datetime.timedelta(days=MAX_AGE_DAYS) and day != unchanged_from:
        errors["date"] = _("The date %(date)s is more than a year ago; check the year.") % {
            "date": day.strftime("%d/%m/%Y")
        }


def _check_attendance(attendance: dict, *, errors: dict) -> dict[str, int]:
    out = dict.fromkeys(ATTENDANCE_GROUPS, 0)
    unknown = sorted(str(k) for k in (attendance or {}) if k not in ATTENDANCE_GROUPS)
    if unknown:
        errors["attendance"] = _("Unknown attendance group(s): %(groups)s. Use %(known)s.") % {
            "groups": ", ".join(unknown),
            "known": ", ".join(ATTENDANCE_GROUPS),
        }
    for group in ATTENDANCE_GROUPS:
        value = (attendance or {}).get(group)
        if value is None or value == "":
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            try:
                value = int(str(value).strip())
            except ValueError:
                errors[group] = _("Write the number of people as a whole number.")
                continue
        if value < 0:
            errors[group] = _("The number of people cannot be negative.")
        elif value > MAX_ATTENDANCE:
            errors[group] = _("More than %(max)s people is not plausible; check the number.") % {
                "max": number_format(MAX_ATTENDANCE, force_grouping=True)
            }
        else:
            out[group] = value
    return out


def _check_length(value: str, name: str, limit: int, errors: dict) -> str:
    text = (value or "").strip()
    if len(text) > limit:
        errors[name] = _("At most %(max)s characters.") % {"max": limit}
    return text


def _coordinate(value, name: str, limit: int, errors: dict) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors[name] = _("Not a number.")
        return None
    if not number.is_finite() or not -limit <= number <= limit:
        errors[name] = _("Must lie between -%(max)s and %(max)s.") % {"max": limit}
        return None
    return number.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)


def _check_officers(
    officer_ids, *, villages: list[Region], exclude: int | None, current=(), unknown=(), errors: dict
) -> list[int]:
    """Co-officers: active users holding the field-officer or labour-office role over at least one
    of the event's villages (the labour office of the regency holds them all), so that they see
    the event they are named on. Only those newly named are checked (not `current`): one who has
    moved since must not block a correction of the event. `unknown` names count as refused."""
    ids = []
    for value in officer_ids or []:
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            errors["officers"] = _("Unknown officer.")
            return []
    ids = sorted(set(ids) - {exclude})
    if not villages:  # the villages are wrong: their error is the answer
        return ids
    already = set(current)
    new = [pk for pk in ids if pk not in already]
    users = {u.pk: u for u in User.objects.filter(pk__in=new, is_active=True)}
    assignments: dict[int, list[str]] = {}
    for user_id, code in Assignment.objects.filter(user_id__in=new, role__in=OFFICER_ROLES).values_list(
        "user_id", "region_id"
    ):
        assignments.setdefault(user_id, []).append(code)
    refused = [str(name) for name in unknown or []]
    for pk in new:
        codes = assignments.get(pk, [])
        if pk not in users or not any(code_in_subtree(v.code, c) for v in villages for c in codes):
            refused.append(users[pk].get_username() if pk in users else str(pk))
    if refused:
        errors["officers"] = _(
            "%(names)s cannot be named on the event: only a field officer or labour-office officer working "
            "in one of its villages can (anyone else would not see the event)."
        ) % {"names": ", ".join(sorted(set(refused)))}
    return ids


# Who may add an employer found in the field (`employer_register_from_visit`).
DISCOVERING_ROLES = (Role.FIELD_OFFICER, Role.LABOUR_OFFICE, Role.ADMIN)


def _check_employer(
    actor, data: EventData, *, villages: list[Region], current: OutreachEvent | None, errors: dict
) -> tuple[int | None, str]:
    """(employer id, name of an employer to register): the employer of an employer visit, given by
    id (one the actor sees, in one of the event's villages; the event's own employer stays
    acceptable to whoever edits it) or by name (the one employer of that name in the event's
    villages, else a new one to register in the first village by code). Other kinds of event name
    no employer (one an older event already has may stay)."""
    name = _check_length(data.employer_name, "employer_name", Employer._meta.get_field("name").max_length, errors)
    employer_id = data.employer_id
    if employer_id is not None:
        try:
            employer_id = int(employer_id)
        except (TypeError, ValueError):
            errors["employer"] = _("No such employer.")
            return None, ""
    current_id = current.employer_id if current is not None else None
    if data.kind != EventKind.EMPLOYER_VISIT:
        if name or (employer_id is not None and employer_id != current_id):
            errors["employer_name" if name else "employer"] = _("Only an employer visit names an employer.")
            return None, ""
        return employer_id, ""
    if employer_id is None and not name:
        if "employer_name" not in errors:
            errors["employer_name"] = _(
                "An employer visit needs the employer: choose it from the list or write the employer's name."
            )
        return None, ""
    if not villages or "employer_name" in errors:  # their errors are the answer
        return None, ""
    codes = {v.code for v in villages}
    if employer_id is not None:
        employers = Employer.objects if employer_id == current_id else employers_visible_to(actor)
        employer = employers.filter(pk=employer_id).select_related("village").first()
        if employer is None:
            errors["employer"] = _("No such employer.")
        elif employer.village_id not in codes:
            errors["employer"] = _("%(employer)s is in %(village)s, which is not one of the event's villages.") % {
                "employer": employer.name,
                "village": _village_label(employer.village),
            }
        elif name and name_key(name) != employer.name_key:
            errors["employer_name"] = _("Choose the employer from the list or write a new name, not both.")
        return employer_id, ""
    key = name_key(name)
    if not key:
        errors["employer_name"] = _("Write the employer's name, not only its legal form.")
        return None, ""
    found = list(employers_visible_to(actor).filter(village_id__in=codes, name_key=key).order_by("id")[:2])
    if len(found) == 1:
        return found[0].pk, ""
    if found:
        errors["employer_name"] = _("Several employers of these villages have this name; choose one from the list.")
        return None, ""
    first = min(codes)
    if not any(scope.has_role(actor, role, first) for role in DISCOVERING_ROLES):
        errors["employer_name"] = _(
            "No employer of this name in the event's villages, and only a field officer or the labour office "
            "of %(village)s can add one; choose one from the list."
        ) % {"village": _village_label(next(v for v in villages if v.code == first))}
        return None, ""
    return None, name


@dataclass
class _CleanEvent:
    villages: list[Region]
    regency: str
    attendance: dict[str, int]
    officer_ids: list[int]
    fields: dict
    # An employer visit to an employer not known yet: registered when the event is saved.
    new_employer_name: str = ""

    def register_employer(self, actor) -> None:
        """Register the new employer (inside the transaction that saves the event) in the event's
        first village by code, and point the event at it."""
        if self.new_employer_name:
            employer = employer_register_from_visit(
                actor=actor, name=self.new_employer_name, village_code=min(v.code for v in self.villages)
            )
            self.fields["employer_id"] = employer.pk


def _clean_event(
    data: EventData,
    *,
    actor,
    roots: list[str],
    creator_id: int,
    current: OutreachEvent | None = None,
    current_officers=(),
):
    errors: dict[str, str] = {}
    if data.kind not in EventKind.values:
        errors["kind"] = _("Choose the kind of event.")
    villages = _check_villages(data.village_codes, roots=roots, errors=errors)
    regency = regency_code(villages[0].code) if villages else None
    if current is not None and regency is not None and regency != current.regency_id:
        errors["villages"] = _("An event cannot move to another regency; log a new event there.")
    _check_date(data.date, errors=errors, unchanged_from=current.date if current else None)
    attendance = _check_attendance(data.attendance, errors=errors)
    partner = _check_length(data.partner, "partner", 150, errors)
    if data.partner_agency and data.partner_agency not in PartnerAgency.values:
        errors["partner_agency"] = _("Choose a partner agency from the list.")
    if data.time is not None and not isinstance(data.time, datetime.time):
        errors["time"] = _("Not a time of day.")
    fertiliser = data.kind == EventKind.FERTILISER
    if data.planting_season and data.planting_season not in PlantingSeason.values:
        errors["planting_season"] = _("Choose a planting season from the list.")
    elif fertiliser and not data.planting_season:
        errors["planting_season"] = _("A fertiliser-distribution tie-in needs its planting season.")
    if data.distribution_point_kind and data.distribution_point_kind not in DistributionPoint.values:
        errors["distribution_point_kind"] = _("Choose a fertiliser kiosk or a farmer group.")
    elif fertiliser and not data.distribution_point_kind:
        errors["distribution_point_kind"] = _("Say whether the distribution was at a kiosk or a farmer group.")
    point = _check_length(data.distribution_point, "distribution_point", 150, errors)
    if fertiliser and not point and "distribution_point" not in errors:
        errors["distribution_point"] = _("Name the kiosk or farmer group where the fertiliser was distributed.")
    employer_id, new_employer_name = _check_employer(actor, data, villages=villages, current=current, errors=errors)
    latitude = _coordinate(data.latitude, "latitude", 90, errors)
    longitude = _coordinate(data.longitude, "longitude", 180, errors)
    if "latitude" not in errors and "longitude" not in errors and (latitude is None) != (longitude is None):
        errors["latitude" if latitude is None else "longitude"] = _("Give both latitude and longitude, or neither.")
    officer_ids = _check_officers(
        data.officer_ids,
        villages=villages,
        exclude=creator_id,
        current=current_officers,
        unknown=data.unknown_officers,
        errors=errors,
    )
    if errors:
        raise ValidationFailed(_("The event could not be saved; check the marked fields."), details=errors)
    return _CleanEvent(
        villages=villages,
        regency=regency,
        attendance=attendance,
        officer_ids=officer_ids,
        new_employer_name=new_employer_name,
        fields={
            "kind": data.kind,
            "date": data.date,
            "time": data.time,
            "partner": partner,
            "partner_agency": data.partner_agency or "",
            "notes": (data.notes or "").strip(),
            "latitude": latitude,
            "longitude": longitude,
            "planting_season": data.planting_season or "",
            "distribution_point_kind": data.distribution_point_kind or "",
            "distribution_point": point,
            "employer_id": employer_id,
            **attendance,
        },
    )


def _sync_villages(event: OutreachEvent, villages: list[Region]) -> None:
    """EventVillage rows mirror the event: its villages, with its date and kind."""
    codes = [v.code for v in villages]
    EventVillage.objects.filter(event=event).exclude(village_id__in=codes).delete()
    EventVillage.objects.filter(event=event).update(date=event.date, kind=event.kind)
    have = set(EventVillage.objects.filter(event=event).values_list("village_id", flat=True))
    EventVillage.objects.bulk_create(
        [EventVillage(event=event, village_id=c, date=event.date, kind=event.kind) for c in codes if c not in have]
    )


def _audit_data(event: OutreachEvent, villages: list[Region], officer_ids: list[int]) -> dict:
    return {
        "kind": event.kind,
        "date": event.date.isoformat(),
        "villages": [v.code for v in villages],
        "attendance": event.attendance_total,
        "officers": officer_ids,
        "employer": event.employer_id,
    }


def _number_or_text(value):
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return str(value)


def _payload_hash(data: EventData, *, creator_id: int) -> str:
    """SHA-256 of the event as sent, normalised as the checks normalise it (spaces around text,
    villages in any order and repeated, groups left out counting 0, coordinates to six decimals,
    the author among the co-officers or not), but without the checks themselves: a retry of an
    event that was logged must find it even if it would no longer pass them (its author moved)."""

    def coordinate(value):
        if value is None or value == "":
            return None
        try:
            number = Decimal(str(value))
        except (InvalidOperation, ValueError):
            return str(value)
        return str(number.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)) if number.is_finite() else str(value)

    attendance = {
        str(group): _number_or_text(value)
        for group, value in (data.attendance or {}).items()
        if value is not None and value != ""
    }
    payload = {
        "kind": str(data.kind),
        "date": data.date.isoformat() if isinstance(data.date, datetime.date) else str(data.date),
        "time": data.time.isoformat() if isinstance(data.time, datetime.time) else data.time and str(data.time),
        "villages": sorted({str(c).strip() for c in data.village_codes or [] if str(c).strip()}),
        "attendance": {**dict.fromkeys(ATTENDANCE_GROUPS, 0), **attendance},
        "latitude": coordinate(data.latitude),
        "longitude": coordinate(data.longitude),
        "officers": sorted({str(_number_or_text(o)) for o in data.officer_ids or []} - {str(creator_id)}),
        "unknown_officers": sorted({str(name) for name in data.unknown_officers or []}),
        # Only when given: an event without one hashes as before employers existed, so that a retry
        # of an event logged then still finds it.
        **({"employer": str(_number_or_text(data.employer_id))} if data.employer_id is not None else {}),
        **{
            name: (getattr(data, name) or "").strip()
            for name in (
                "partner",
                "partner_agency",
                "notes",
                "planting_season",
                "distribution_point_kind",
                "distribution_point",
                "employer_name",
            )
        },
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _retry_answer(actor, client_id, payload_hash: str) -> OutreachEvent | None:
    """The event this client_id already made: the same event for a retry by its author with the
    same payload; someone else's id, or another event under the same id, is a conflict (ids are
    random UUIDs: a clash means a client reusing one). An event logged before payloads were
    hashed answers any retry of its author."""
    existing = OutreachEvent.objects.filter(client_id=client_id).first()
    if existing is None:
        return None
    if existing.created_by_id != actor.pk:
        raise Conflict(_("This client id belongs to an event logged by someone else; send a new one."))
    if existing.payload_hash and existing.payload_hash != payload_hash:
        raise Conflict(_("This client id was already used for another event; send the new event with a new client id."))
    return existing


def event_log(*, actor, client_id: uuid.UUID, data: EventData) -> tuple[OutreachEvent, bool]:
    """(event, created). Idempotent on client_id: an event with this client_id logged by `actor`
    with the same data is returned unchanged with created=False (a phone retrying); with other
    data, or logged by someone else → Conflict."""
    try:
        client_id = uuid.UUID(str(client_id))
    except ValueError as exc:
        raise ValidationFailed(
            _("The client id must be a UUID."), details={"client_id": _("The client id must be a UUID.")}
        ) from exc
    roots = _require_logger(actor)
    payload_hash = _payload_hash(data, creator_id=actor.pk)
    existing = _retry_answer(actor, client_id, payload_hash)
    if existing is not None:
        return existing, False
    clean = _clean_event(data, actor=actor, roots=roots, creator_id=actor.pk)
    with transaction.atomic():
        try:
            # A savepoint: a concurrent request with the same client_id that committed first makes
            # this insert fail on the unique constraint, and its event is the answer (and the
            # employer it registered goes with the savepoint).
            with transaction.atomic():
                clean.register_employer(actor)
                event = OutreachEvent.objects.create(
                    client_id=client_id,
                    payload_hash=payload_hash,
                    regency_id=clean.regency,
                    created_by=actor,
                    **clean.fields,
                )
        except IntegrityError:
            existing = _retry_answer(actor, client_id, payload_hash)
            if existing is None:
                raise
            return existing, False
        # A new event has no rows yet: insert them, one query each (_sync_villages and
        # officers.set would first read and prune what is not there).
        EventVillage.objects.bulk_create(
            EventVillage(event=event, village_id=village.code, date=event.date, kind=event.kind)
            for village in clean.villages
        )
        officers = OutreachEvent.officers.through
        officers.objects.bulk_create(
            officers(outreachevent_id=event.pk, user_id=user_id)
            for user_id in dict.fromkeys([actor.pk, *clean.officer_ids])
        )
        audit_record(
            actor=actor,
            action="outreach.event.create",
            target=event,
            region_code=event.regency_id,
            data=_audit_data(event, clean.villages, clean.officer_ids),
        )
    return event, True


def _edit_window_open(event: OutreachEvent) -> bool:
    return timezone.now() - event.created_at <= datetime.timedelta(hours=settings.OUTREACH_EDIT_HOURS)


def _is_overseer(user, event: OutreachEvent) -> bool:
    return scope.has_role(user, Role.SUPERVISOR, event.regency_id) or scope.has_role(user, Role.ADMIN, event.regency_id)


def _is_on_event(user, event: OutreachEvent) -> bool:
    """The author or a co-officer, still holding a logging role over every village of the event.
    Reads `event.villages` and `event.officers` through prefetch_related when the caller did it."""
    if user is None or not user.is_authenticated:
        return False
    if event.created_by_id != user.pk and not any(o.pk == user.pk for o in event.officers.all()):
        return False
    roots = _logging_roots(user)
    return all(any(code_in_subtree(v.code, r) for r in roots) for v in event.villages.all())


def event_may_edit(user, event) -> bool:
    """Within OUTREACH_EDIT_HOURS of logging: its author and co-officers; at any time: a
    supervisor or an administrator over the event's regency."""
    if _is_overseer(user, event):
        return True
    return _edit_window_open(event) and _is_on_event(user, event)


def _window_closed_message() -> str:
    return _("This event was logged more than %(hours)s hours ago; only a supervisor can change it now.") % {
        "hours": settings.OUTREACH_EDIT_HOURS
    }


# EventData fields read from the event's column of the same name.
_PLAIN_FIELDS = (
    "kind",
    "date",
    "time",
    "partner",
    "partner_agency",
    "notes",
    "latitude",
    "longitude",
    "planting_season",
    "distribution_point_kind",
    "distribution_point",
)


def _event_data_of(event: OutreachEvent) -> EventData:
    return EventData(
        village_codes=[v.code for v in event.villages.all()],
        attendance=event.attendance,
        officer_ids=[o.pk for o in event.officers.all()],
        employer_id=event.employer_id,
        **{name: getattr(event, name) for name in _PLAIN_FIELDS},
    )


def _merge(event: OutreachEvent, changes: dict) -> EventData:
    """The event as it is, with `changes` (EventData field names) applied; attendance per group:
    a group not named keeps its count."""
    current = _event_data_of(event)
    changes = dict(changes)
    if "attendance" in changes:
        changes["attendance"] = {**current.attendance, **(changes["attendance"] or {})}
    # The employer is one thing given two ways: a new name replaces the employer, and an employer
    # visit changed into another kind of event (with no employer named) leaves its employer.
    if changes.get("employer_name") and "employer_id" not in changes:
        changes["employer_id"] = None
    leaves = current.kind == EventKind.EMPLOYER_VISIT and changes.get("kind", current.kind) != current.kind
    if leaves and "employer_id" not in changes and not changes.get("employer_name"):
        changes["employer_id"] = None
    return dataclasses.replace(current, **changes)


def event_update(*, actor, event_id: int, data: EventData | None = None, changes: dict | None = None) -> OutreachEvent:
    """Change an event within the edit window, or as a supervisor or administrator at any time:
    either all its fields (`data`, as `event_log` takes them) or only some (`changes`: EventData
    field names → values, merged into the event as read under its row lock, so that two
    concurrent partial changes both land). The author stays on the event; `officer_ids` are the
    co-officers, of whom only those newly named are checked. Its EventVillage rows follow the new
    villages, date and kind."""
    if (data is None) == (changes is None):
        raise TypeError("event_update takes either data or changes.")
    with transaction.atomic():
        visible = selectors.events_visible_to(actor).filter(pk=event_id)
        if not visible.exists():
            raise Http404(_("Not found."))
        event = OutreachEvent.objects.select_for_update().get(pk=event_id)
        if not event_may_edit(actor, event):
            if _is_on_event(actor, event):
                raise PermissionDenied(_window_closed_message())
            raise PermissionDenied(_("Your role does not allow changing this event."))
        # An overseer may place the event in any village they oversee (of the same regency: checked
        # with the data); the author and co-officers only in their own area.
        if _is_overseer(actor, event):
            roots = scope.root_codes(actor, [Role.SUPERVISOR, Role.ADMIN])
        else:
            roots = _logging_roots(actor)
        if changes is not None:
            data = _merge(event, changes)
        current_officers = sorted(o.pk for o in event.officers.all())
        clean = _clean_event(
            data,
            actor=actor,
            roots=roots,
            creator_id=event.created_by_id,
            current=event,
            current_officers=current_officers,
        )
        before = _audit_data(event, list(event.villages.all()), current_officers)
        clean.register_employer(actor)
        for name, value in clean.fields.items():
            setattr(event, name, value)
        event.save()
        _sync_villages(event, clean.villages)
        keep = [event.created_by_id] if event.officers.filter(pk=event.created_by_id).exists() else []
        event.officers.set([*keep, *clean.officer_ids])
        audit_record(
            actor=actor,
            action="outreach.event.update",
            target=event,
            region_code=event.regency_id,
            data={"before": before, "after": _audit_data(event, clean.villages, clean.officer_ids)},
        )
    return event


# --- Leads ----------------------------------------------------------------------------------------


@dataclass
class LeadData:
    name: str
    village_code: str
    event_id: int | None = None
    nik: str = ""
    sex: str = ""
    birth_date: datetime.date | None = None
    phone: str = ""
    occupation: str = ""
    status: str = "interested"
    next_follow_up: datetime.date | None = None
    notes: str = ""


def _on_batch(leads: list[Lead]) -> set[int]:
    """Ids of the leads marked added whose batch still holds the person: a member with the lead's
    NIK, in the batch while it is open, or accepted in it once active. A lead whose member was
    removed, or whose batch was rejected, cancelled or deleted, is free again (one query)."""
    marked = [lead for lead in leads if lead.status == LeadStatus.ADDED and lead.batch_id and lead.nik]
    if not marked:
        return set()
    held = set(
        BatchMember.objects.filter(
            Q(is_open=True) | Q(state=MemberState.ACCEPTED, batch__state=BatchState.ACTIVE),
            batch_id__in={lead.batch_id for lead in marked},
            participant__nik__in={lead.nik for lead in marked},
        ).values_list("batch_id", "participant__nik")
    )
    return {lead.pk for lead in marked if (lead.batch_id, lead.nik) in held}


def _clean_lead(
    actor, data: LeadData, *, roots: list[str], current: Lead | None = None, on_batch: bool = False
) -> dict:
    errors: dict[str, str] = {}
    name = _check_length(data.name, "name", Lead._meta.get_field("name").max_length, errors)
    if not name and "name" not in errors:
        errors["name"] = _("Give the person's name.")
    code = (data.village_code or "").strip()
    village = Region.objects.filter(code=code, level=Region.Level.VILLAGE).first() if code else None
    if village is None:
        errors["village_code"] = _("Choose the village where the person lives.")
    elif not any(code_in_subtree(village.code, r) for r in roots):
        errors["village_code"] = _("%(village)s is outside your area.") % {"village": _village_label(village)}
    event = None
    if data.event_id is not None:
        event = selectors.events_visible_to(actor).filter(pk=data.event_id).first()
        if event is None:
            errors["event"] = _("No such event.")
    nik = (data.nik or "").replace(" ", "").replace(".", "").replace("-", "")
    sex, birth_date = data.sex or "", data.birth_date
    if sex and sex not in Sex.values:
        errors["sex"] = _("Write L (male) or P (female).")
    if birth_date and birth_date > timezone.localdate():
        errors["birth_date"] = _("The birth date is in the future.")
    if nik:
        if len(nik) != 16 or not nik.isdigit():
            errors["nik"] = _("The NIK must be 16 digits.")
        else:
            info = parse_nik(nik)
            if not info.valid:
                errors["nik"] = importers.nik_refusal(nik)
            else:
                nik_birth = datetime.date.fromisoformat(info.birth_date)
                if sex and "sex" not in errors and sex != info.gender:
                    errors["sex"] = _("The NIK says %(nik)s, the form says %(row)s.") % {"nik": info.gender, "row": sex}
                if birth_date and "birth_date" not in errors and birth_date != nik_birth:
                    errors["birth_date"] = _("The NIK gives the birth date %(nik)s, the form %(row)s.") % {
                        "nik": nik_birth.strftime("%d/%m/%Y"),
                        "row": birth_date.strftime("%d/%m/%Y"),
                    }
                if not birth_date and nik_birth > timezone.localdate():
                    errors["nik"] = _("The NIK gives a birth date in the future.")
                sex, birth_date = sex or info.gender, birth_date or nik_birth
    # BPS counts working people from 15 (as the member import does when the period starts): the
    # lead's own birth date, else the NIK's.
    if birth_date and not errors.keys() & {"nik", "birth_date"}:
        age = importers.age_on(birth_date, timezone.localdate())
        if age < importers.MIN_AGE:
            column = "birth_date" if data.birth_date else "nik"
            errors[column] = _("Aged %(age)s: only people aged 15 or older can be enrolled (BPS working age).") % {
                "age": age
            }
    phone = ""
    try:
        phone = importers.phone_cell(data.phone)
    except importers.CellError as exc:
        errors["phone"] = str(exc)
    occupation = _check_length(data.occupation, "occupation", Lead._meta.get_field("occupation").max_length, errors)
    status = data.status or LeadStatus.INTERESTED
    was_added = current is not None and current.status == LeadStatus.ADDED
    if status not in LeadStatus.values:
        errors["status"] = _("Choose interested or declined.")
    elif on_batch and status != LeadStatus.ADDED:
        errors["status"] = _("This person is already on a batch; remove them there instead.")
    elif status == LeadStatus.ADDED and not was_added:
        errors["status"] = _("Use “add to batch” to put a lead on an enrollment batch.")
    if errors:
        raise ValidationFailed(_("The lead could not be saved; check the marked fields."), details=errors)
    return {
        "name": name,
        "village": village,
        "event": event,
        "nik": nik,
        "sex": sex,
        "birth_date": birth_date,
        "phone": phone,
        "occupation": occupation,
        "occupation_group": importers.occupation_group(occupation, BatchKind.VULNERABLE_WORKERS) if occupation else "",
        "status": status,
        "next_follow_up": data.next_follow_up,
        "notes": (data.notes or "").strip(),
    }


def _lead_audit(lead: Lead) -> dict:
    # No NIK or phone in the audit record: it is read more widely than the lead itself.
    return {"village": lead.village_id, "status": lead.status, "event": lead.event_id, "has_nik": bool(lead.nik)}


@transaction.atomic
def lead_create(*, actor, data: LeadData) -> Lead:
    """A person met in the field, in a village of the actor's area (field officer, labour office,
    administrator). Sex and birth date come from the NIK when not given; the phone is stored in
    E.164 and the occupation group is read from the occupation, as the member import does."""
    roots = _require_logger(actor)
    values = _clean_lead(actor, data, roots=roots)
    lead = Lead.objects.create(officer=actor, **values)
    audit_record(
        actor=actor,
        action="outreach.lead.create",
        target=lead,
        region_code=regency_code(lead.village_id),
        data=_lead_audit(lead),
    )
    return lead


@transaction.atomic
def lead_update(*, actor, lead_id: int, data: LeadData) -> Lead:
    """Replace a lead's data (every field of `data`, so pass the event again to keep it): for a
    field officer, the labour office or an administrator over the lead's village. A lead on a
    batch keeps its NIK, village, sex and birth date, and its status `added`; once the batch no
    longer holds the person (removed from it, batch rejected, cancelled or deleted) the lead is
    free again and leaves the batch when its status changes."""
    if not selectors.leads_visible_to(actor).filter(pk=lead_id).exists():
        raise Http404(_("Not found."))
    lead = Lead.objects.select_for_update().get(pk=lead_id)
    scope.require_role(actor, *LOGGING_ROLES, region_code=lead.village_id)
    on_batch = lead.pk in _on_batch([lead])
    values = _clean_lead(actor, data, roots=_logging_roots(actor), current=lead, on_batch=on_batch)
    if on_batch:
        # The batch holds the person's data now; a lead on a batch keeps its NIK and village.
        values.update(nik=lead.nik, village=lead.village, sex=lead.sex, birth_date=lead.birth_date)
    if values["status"] != LeadStatus.ADDED:
        values["batch"] = None
    before = _lead_audit(lead)
    for name, value in values.items():
        setattr(lead, name, value)
    lead.save()
    audit_record(
        actor=actor,
        action="outreach.lead.update",
        target=lead,
        region_code=regency_code(lead.village_id),
        data={"before": before, "after": _lead_audit(lead)},
    )
    return lead


# --- Lead follow-ups ------------------------------------------------------------------------------

# The next try is proposed this many days after a contact (the form shows it, editable).
FOLLOW_UP_DAYS = 7
# Outcomes after which there is nothing more to follow up, and the status they give the lead.
CLOSING_OUTCOMES = {FollowUpOutcome.DECLINED: LeadStatus.DECLINED, FollowUpOutcome.ENROLLED: LeadStatus.ENROLLED}
# A next try further ahead than this is a typing mistake in the year.
MAX_FOLLOW_UP_AHEAD_DAYS = 366
MAX_FOLLOW_UP_NOTES = 5000


def follow_up_default_next(day: datetime.date | None = None) -> datetime.date:
    return (day or timezone.localdate()) + datetime.timedelta(days=FOLLOW_UP_DAYS)


@dataclass
class FollowUpData:
    date: datetime.date
    channel: str
    outcome: str
    notes: str = ""
    next_date: datetime.date | None = None


def _clean_follow_up(data: FollowUpData) -> dict:
    errors: dict[str, str] = {}
    day = data.date
    today = timezone.localdate(timezone=EASTERNMOST)
    if not isinstance(day, datetime.date) or isinstance(day, datetime.datetime):
        errors["date"] = _("Give the date of the follow-up.")
    elif day > today:
        errors["date"] = _("The date %(date)s is in the future; record a follow-up once it has taken place.") % {
            "date": day.strftime("%d/%m/%Y")
        }
    elif day < today - datetime.timedelta(days=MAX_AGE_DAYS):
        errors["date"] = _("The date %(date)s is more than a year ago; check the year.") % {
            "date": day.strftime("%d/%m/%Y")
        }
    if data.channel not in FollowUpChannel.values:
        errors["channel"] = _("Choose visit, phone call or WhatsApp.")
    if data.outcome not in FollowUpOutcome.values:
        errors["outcome"] = _("Choose what came of it.")
    next_date = data.next_date
    if data.outcome in CLOSING_OUTCOMES:
        next_date = None  # nothing more to follow up
    elif next_date is not None and "date" not in errors:
        if next_date < max(day, timezone.localdate()):
            errors["next_date"] = _("The next follow-up must be today or later, and not before this one.")
        elif next_date > today + datetime.timedelta(days=MAX_FOLLOW_UP_AHEAD_DAYS):
            errors["next_date"] = _("The next follow-up is more than a year ahead; check the year.")
    notes = _check_length((data.notes or "").strip(), "notes", MAX_FOLLOW_UP_NOTES, errors)
    if errors:
        raise ValidationFailed(_("The follow-up could not be saved; check the marked fields."), details=errors)
    return {"date": day, "channel": data.channel, "outcome": data.outcome, "notes": notes, "next_date": next_date}


@transaction.atomic
def lead_follow_up_record(*, lead_id: int, actor, data: FollowUpData) -> LeadFollowUp:
    """Record one contact with a lead (field officer, labour office or administrator over the
    lead's village). The lead follows its latest entry (by date, then as recorded): declined or
    enrolled closes it (no next date); any other outcome keeps or reopens it as interested with
    the entry's next date. A lead on a batch stays `added` (the batch holds the person); an entry
    dated before the latest one is logged without changing the lead."""
    if not selectors.leads_visible_to(actor).filter(pk=lead_id).exists():
        raise Http404(_("Not found."))
    lead = Lead.objects.select_for_update().get(pk=lead_id)
    scope.require_role(actor, *LOGGING_ROLES, region_code=lead.village_id)
    values = _clean_follow_up(data)
    entry = LeadFollowUp.objects.create(lead=lead, officer=actor, **values)
    latest = lead.follow_ups.order_by("-date", "-id").values_list("pk", flat=True).first()
    before = _lead_audit(lead)
    if latest == entry.pk:
        if lead.status == LeadStatus.ADDED and lead.pk in _on_batch([lead]):
            lead.next_follow_up = None
        else:
            if lead.status == LeadStatus.ADDED:
                lead.batch = None
            lead.status = CLOSING_OUTCOMES.get(entry.outcome, LeadStatus.INTERESTED)
            lead.next_follow_up = entry.next_date
        lead.save(update_fields=["status", "next_follow_up", "batch", "updated_at"])
    audit_record(
        actor=actor,
        action="outreach.lead.follow_up",
        target=lead,
        region_code=regency_code(lead.village_id),
        data={
            "follow_up": entry.pk,
            "channel": entry.channel,
            "outcome": entry.outcome,
            "date": entry.date.isoformat(),
            "next_date": entry.next_date.isoformat() if entry.next_date else None,
            "before": before,
            "after": _lead_audit(lead),
        },
    )
    return entry


# --- Leads into a batch ---------------------------------------------------------------------------


@dataclass
class LeadsToBatch:
    added: list[Lead]
    refused: list[dict]  # {"lead": id, "name": str, "column": str, "message": str}
    # What the import noted about added leads (a NIK of another regency, a person registered
    # under another name): {"lead": id, "name": str, "column": str, "message": str}
    warnings: list[dict] = field(default_factory=list)


# The enrollment member list's own headers (enrollment.importers.MEMBER_HEADERS).
_CSV_COLUMNS = ["nik", "name", "sex", "birth_date", "village_code", "occupation", "phone"]


def _leads_csv(leads: list[Lead]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(_CSV_COLUMNS)
    for lead in leads:
        writer.writerow(
            [
                lead.nik,
                lead.name,
                lead.sex,
                lead.birth_date.isoformat() if lead.birth_date else "",
                lead.village_id,
                lead.occupation,
                lead.phone,
            ]
        )
    return out.getvalue().encode("utf-8")


def _rows_named(message: str, lead_of_row: dict[int, Lead]) -> str:
    """The import speaks of spreadsheet rows the officer never saw ("The same NIK is on row 2."):
    name the lead of that row instead."""
    template = _("The same NIK is on row %(row)s.") % {"row": "\x00"}
    before, _marker, after = template.partition("\x00")
    pattern = re.compile(re.escape(before) + r"(\d+)" + re.escape(after))

    def named(match: re.Match) -> str:
        lead = lead_of_row.get(int(match.group(1)))
        if lead is None:
            return match.group(0)
        return _("The same NIK as %(name)s, chosen too.") % {"name": lead.name}

    return pattern.sub(named, message)


def leads_add_to_batch(*, actor, lead_ids: list[int], batch_id: int) -> LeadsToBatch:
    """Put leads on a draft batch of vulnerable workers exactly as if their rows were uploaded in
    a member spreadsheet: the enrollment import checks them (NIK, age, area, other batches, active
    membership) and writes the accepted ones; the refused come back with the import's reason, the
    added with its warnings."""
    from enrollment.selectors import batches_visible_to

    try:
        ids = sorted({int(i) for i in lead_ids or []})
    except (TypeError, ValueError):
        ids = []
    if not ids:
        raise ValidationFailed(_("Choose at least one lead."), details={"leads": _("Choose at least one lead.")})
    with transaction.atomic():
        batch = batches_visible_to(actor).filter(pk=batch_id).first()
        if batch is None:
            raise Http404(_("Not found."))
        if not may_edit(actor, batch.area_id, batch.created_by_id):
            raise PermissionDenied(_("Your role does not allow changing this batch."))
        batch = EnrollmentBatch.objects.select_for_update().get(pk=batch.pk)
        if batch.kind != BatchKind.VULNERABLE_WORKERS:
            message = _(
                "Batch #%(id)s is a list of village officials; leads can be added only to a batch of "
                "vulnerable workers."
            ) % {"id": batch.pk}
            raise ValidationFailed(message, details={"batch": message})
        if batch.state != BatchState.DRAFT:
            raise Conflict(
                _("Batch #%(id)s is %(state)s; leads can be added only to a draft batch.")
                % {"id": batch.pk, "state": BatchState(batch.state).label}
            )
        leads = list(selectors.leads_visible_to(actor).filter(pk__in=ids).select_for_update().order_by("id"))
        if len(leads) != len(ids):
            raise Http404(_("Not found."))

        refused: list[dict] = []
        warnings: list[dict] = []
        candidates: list[Lead] = []
        on_batch = _on_batch(leads)
        for lead in leads:
            if lead.pk in on_batch:
                message = _("Already added to batch #%(id)s.") % {"id": lead.batch_id}
                refused.append({"lead": lead.pk, "name": lead.name, "column": "status", "message": message})
            elif not lead.nik:
                message = _("No NIK: add the NIK first; enrollment needs it.")
                refused.append({"lead": lead.pk, "name": lead.name, "column": "nik", "message": message})
            else:
                candidates.append(lead)
        added: list[Lead] = []
        if candidates:
            job = import_create(
                actor=actor,
                batch_id=batch.pk,
                filename="leads.csv",
                content=_leads_csv(candidates),
                source=ImportSource.LEADS,
            )
            job = import_run(job_id=job.pk)
            if job.state != ImportState.DONE:
                raise Conflict(job.message or _("The leads could not be added."))
            # Row 1 is the header: the n-th candidate is row n + 1.
            lead_of_row = dict(enumerate(candidates, start=2))
            errors_by_row: dict[int, list[dict]] = {}
            for error in job.errors or []:
                errors_by_row.setdefault(int(error["row"]), []).append(error)
            warnings_by_row: dict[int, list[dict]] = {}
            for warning in job.warnings or []:
                warnings_by_row.setdefault(int(warning["row"]), []).append(warning)
            for row, lead in lead_of_row.items():
                errors = errors_by_row.get(row)
                if errors:
                    refused.append(
                        {
                            "lead": lead.pk,
                            "name": lead.name,
                            "column": errors[0]["column"],
                            "message": " ".join(_rows_named(e["message"], lead_of_row) for e in errors),
                        }
                    )
                else:
                    added.append(lead)
                    warnings += [
                        {
                            "lead": lead.pk,
                            "name": lead.name,
                            "column": w["column"],
                            "message": _rows_named(w["message"], lead_of_row),
                        }
                        for w in warnings_by_row.get(row, [])
                    ]
        if added:
            now = timezone.now()
            Lead.objects.filter(pk__in=[lead.pk for lead in added]).update(
                status=LeadStatus.ADDED, batch=batch, next_follow_up=None, updated_at=now
            )
            for lead in added:
                lead.status, lead.batch, lead.next_follow_up, lead.updated_at = LeadStatus.ADDED, batch, None, now
        audit_record(
            actor=actor,
            action="outreach.leads.add_to_batch",
            target=batch,
            region_code=batch.area_id,
            data={"added": [lead.pk for lead in added], "refused": [r["lead"] for r in refused]},
        )
    refused.sort(key=lambda r: r["lead"])
    return LeadsToBatch(added=added, refused=refused, warnings=warnings)


@dataclass
class LeadsToNewBatch:
    batch: EnrollmentBatch | None  # None when nobody could be added: no empty draft is left behind
    result: LeadsToBatch


def leads_add_to_new_batch(*, actor, lead_ids: list[int]) -> LeadsToNewBatch:
    """Put leads on a new draft batch of vulnerable workers, created on the spot through
    enrollment's `batch_create` with the default terms (the regency's APBD, from the next month
    to the end of its budget year; the area the leads' district when they share one): the officer
    checks the terms before submitting. When no lead could be added the draft is not kept."""
    from enrollment.selectors import batch_default_period

    try:
        ids = sorted({int(i) for i in lead_ids or []})
    except (TypeError, ValueError):
        ids = []
    if not ids:
        raise ValidationFailed(_("Choose at least one lead."), details={"leads": _("Choose at least one lead.")})
    villages = set(selectors.leads_visible_to(actor).filter(pk__in=ids).values_list("village_id", flat=True))
    if not villages:
        raise Http404(_("Not found."))
    if len({regency_code(code) for code in villages}) > 1:
        message = _("The ticked leads live in more than one regency; a batch belongs to one regency.")
        raise ValidationFailed(message, details={"batch": message})
    districts = {code.rsplit(".", 1)[0] for code in villages}
    year, start, end = batch_default_period()
    terms = BatchTerms(
        kind=BatchKind.VULNERABLE_WORKERS,
        regency_code=regency_code(next(iter(villages))),
        area_code=next(iter(districts)) if len(districts) == 1 else None,
        funding_source=FundingSource.APBD,
        year=year,
        period_start=start,
        period_end=end,
        title=_("Leads of %(date)s") % {"date": timezone.localdate().strftime("%d/%m/%Y")},
    )
    with transaction.atomic():
        batch = batch_create(actor=actor, terms=terms)
        result = leads_add_to_batch(actor=actor, lead_ids=ids, batch_id=batch.pk)
        if not result.added:
            transaction.set_rollback(True)
            return LeadsToNewBatch(None, result)
    return LeadsToNewBatch(batch, result)
