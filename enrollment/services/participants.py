"""Corrections of a person's record. A participant belongs to no region for good: an enrollment
elsewhere moves their domicile (enrollment.services.imports), and the labour office of the region
they live in now corrects what an upload got wrong — name, sex, birth date, village — with the old
and new values on the participant's history."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.models import BatchMember, Participant, Sex
from ucj import scope
from ucj.errors import Conflict, ValidationFailed
from ucj.models import Region, Role, code_in_subtree
from ucj.services import audit_record, coverage_mark_stale

# The person's history (selectors.participant_history): a correction, and a domicile moved by an
# enrollment (enrollment.services.imports).
PARTICIPANT_CORRECT = "participant.correct"
PARTICIPANT_MOVE = "participant.move"
# What the labour office may correct, by the name the page and the API use.
CORRECTABLE = ("name", "sex", "birth_date", "village")


def may_correct(user, participant: Participant) -> bool:
    """The labour office of the region the person lives in now."""
    return scope.has_role(user, Role.LABOUR_OFFICE, participant.village_id)


@transaction.atomic
def participant_correct(*, actor, participant_id: int, changes: dict) -> Participant:
    """Correct any of `CORRECTABLE` (`village`: a village code). The caller fetched the person
    through the scope, so an outsider got 404 before reaching here; inside the scope only the
    labour office may correct (403 for the others). A birth date or sex that differs from what
    the NIK encodes is accepted: the NIK never changes, a civil registry's correction does not
    give a new one. Nothing changed: nothing saved, nothing recorded."""
    participant = Participant.objects.select_for_update().get(pk=participant_id)
    scope.require_role(actor, Role.LABOUR_OFFICE, region_code=participant.village_id)
    unknown = sorted(set(changes) - set(CORRECTABLE))
    if unknown:
        raise ValidationFailed(
            _("Only the name, sex, birth date and village can be corrected."),
            details={name: [_("This field cannot be corrected here.")] for name in unknown},
        )
    values, errors = _checked(actor, participant, changes)
    if errors:
        raise ValidationFailed(_("Some of the data is not valid."), details=errors)
    before = {name: _value(participant, name) for name in values}
    changed = {name: value for name, value in values.items() if before[name] != value}
    if not changed:
        return participant
    old_village = participant.village_id
    for name, value in changed.items():
        setattr(participant, "village_id" if name == "village" else name, value)
    participant.save(update_fields=[("village" if n == "village" else n) for n in changed] + ["updated_at"])
    audit_record(
        actor=actor,
        action=PARTICIPANT_CORRECT,
        target=participant,
        region_code=participant.village_id,
        data={"changes": {name: [_text(before[name]), _text(value)] for name, value in changed.items()}},
    )
    if "village" in changed and _held(participant):
        # A person counting toward coverage now counts in the new village from today on.
        coverage_mark_stale(region_codes=[old_village, participant.village_id], reason=PARTICIPANT_CORRECT)
    return participant


def _value(participant: Participant, name: str):
    return participant.village_id if name == "village" else getattr(participant, name)


def _text(value) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _held(participant: Participant) -> bool:
    return BatchMember.objects.filter(participant=participant, covered_until__gte=timezone.localdate()).exists()


def _checked(actor, participant: Participant, changes: dict) -> tuple[dict, dict]:
    """The new values, and per field what is wrong with them."""
    values, errors = {}, {}
    if "name" in changes:
        name = " ".join(str(changes["name"] or "").split())
        limit = Participant._meta.get_field("name").max_length
        if not name:
            errors["name"] = [_("The name is empty.")]
        elif len(name) > limit:
            errors["name"] = [_("The name is longer than %(n)s characters.") % {"n": limit}]
        else:
            values["name"] = name
    if "sex" in changes:
        if changes["sex"] not in Sex.values:
            errors["sex"] = [_("Write L (male) or P (female).")]
        else:
            values["sex"] = changes["sex"]
    if "birth_date" in changes:
        birth = changes["birth_date"]
        if not isinstance(birth, dt.date) or birth > timezone.localdate() or birth.year < 1900:
            errors["birth_date"] = [_("Give a birth date between 1900 and today.")]
        else:
            values["birth_date"] = birth
    if "village" in changes:
        code = str(changes["village"] or "")
        if not Region.objects.filter(code=code, level=Region.Level.VILLAGE).exists():
            errors["village"] = [_("Unknown village code %(code)s.") % {"code": code[:20]}]
        elif not scope.has_role(actor, Role.LABOUR_OFFICE, code):
            # Into another region only by that region's own enrollment.
            errors["village"] = [_("The village %(code)s is outside your area.") % {"code": code}]
        else:
            open_area = (
                BatchMember.objects.filter(participant=participant, is_open=True)
                .values_list("batch__area_id", flat=True)
                .first()
            )
            if open_area and not code_in_subtree(code, open_area):
                raise Conflict(
                    _("This person is on an open batch for %(area)s; the village must stay inside it.")
                    % {"area": open_area}
                )
            values["village"] = code
    return values, errors
