"""Employer visits point at an Employer instead of naming one.

Three steps: add the foreign key; link every event that names an employer (the only employer of
that name among the employers of the event's villages, never one elsewhere in the regency; when
none or several match, an employer made here in the event's first village, with no figures: "not
assessed"); drop the name. What the officer typed is never lost: when it differs from the linked
employer's name, it is appended to the event's notes ("Employer as written: ..."). Backwards, the
names are copied back, from that note when there is one, else from the employer (employers made
here stay: they may have figures by then)."""

import re

import django.db.models.deletion
from django.db import migrations, models

# `enrollment.services.employers.name_key` as it was when this was written (a migration must not
# import app code that may change): upper case, "P.T." and "C.V." without their dots, punctuation
# and legal forms gone, spaces collapsed.
_LEGAL_FORMS = re.compile(r"\b(PT|CV|UD|PD|TBK|KOPERASI|KOP|FA|PERSERO|PERUM|YAYASAN)\b")
_NOT_WORD = re.compile(r"[^0-9A-Z ]+")
_INITIALS_DOT = re.compile(r"\b([A-Z])\.(?=[A-Z]\.?\b)")

# The paragraph of the notes that keeps the name as the officer typed it. Not translated: it is
# data, written once, and the way back finds it by this text.
AS_WRITTEN = "Employer as written: "
_AS_WRITTEN_AT_END = re.compile(r"(?:\A|\n\n)" + re.escape(AS_WRITTEN) + r"([^\n]*)\Z")


def _upper_words(name: str) -> str:
    return _NOT_WORD.sub(" ", _INITIALS_DOT.sub(r"\1", (name or "").upper()).replace(".", " "))


def name_key(name: str) -> str:
    return " ".join(_LEGAL_FORMS.sub(" ", _upper_words(name)).split())


def employer_for(Employer, *, name: str, regency_code: str, village_codes: list[str], made: dict | None = None):
    """The employer an event naming `name` in these villages of the regency went to: the only one
    of that name (by name_key) among the employers of the villages, never one elsewhere in the
    regency (a namesake in another village is another business as likely as the same). Else the
    one this migration made for the name in the first village by code, else a new one there.
    `Employer` is the model to use (historical or current); `made` maps (key, village) to the
    employers made so far, so that an ambiguous name is not given a new employer per event."""
    made = {} if made is None else made
    name = " ".join((name or "").split())[:200]
    # A name that is only a legal form ("PT") still needs a key to be found by.
    key = name_key(name) or " ".join(_upper_words(name).split()) or name.upper()
    first_village = sorted(village_codes)[0]
    same_name = Employer.objects.filter(regency_id=regency_code, village_id__in=village_codes, name_key=key)
    made_here = {e.pk for e in made.values()}
    found = [e for e in same_name.order_by("id") if e.pk not in made_here][:2]
    if len(found) == 1:
        return found[0]
    if (key, first_village) not in made:
        made[(key, first_village)] = Employer.objects.create(
            name=name,
            name_key=key,
            village_id=first_village,
            regency_id=regency_code,
            status="unassessed",
        )
    return made[(key, first_village)]


def _with_as_written(notes: str, typed: str) -> str:
    return f"{notes}\n\n{AS_WRITTEN}{typed}".strip()


def link_employers(apps, schema_editor):
    OutreachEvent = apps.get_model("outreach", "OutreachEvent")
    EventVillage = apps.get_model("outreach", "EventVillage")
    Employer = apps.get_model("enrollment", "Employer")
    made: dict = {}
    events = OutreachEvent.objects.exclude(employer_name="").order_by("id")
    for event in events.only("id", "regency_id", "employer_name", "notes").iterator(chunk_size=500):
        typed = " ".join(event.employer_name.split())
        if not typed:
            continue
        villages = sorted(EventVillage.objects.filter(event_id=event.pk).values_list("village_id", flat=True))
        if not villages:
            # No village to place the employer in (the services never log such an event): keep
            # the name in the notes rather than lose it.
            event.notes = _with_as_written(event.notes, typed)
            event.save(update_fields=["notes"])
            continue
        employer = employer_for(Employer, name=typed, regency_code=event.regency_id, village_codes=villages, made=made)
        event.employer_id = employer.pk
        update = ["employer"]
        if employer.name != typed:
            event.notes = _with_as_written(event.notes, typed)
            update.append("notes")
        event.save(update_fields=update)


def copy_names_back(apps, schema_editor):
    OutreachEvent = apps.get_model("outreach", "OutreachEvent")
    events = OutreachEvent.objects.filter(
        models.Q(employer__isnull=False) | models.Q(notes__contains=AS_WRITTEN)
    ).select_related("employer")
    for event in events.order_by("id").iterator(chunk_size=500):
        as_written = _AS_WRITTEN_AT_END.search(event.notes)
        if as_written is not None:
            event.employer_name = as_written.group(1)[:150]
            event.notes = event.notes[: as_written.start()]
        elif event.employer is not None:
            event.employer_name = event.employer.name[:150]
        else:
            continue
        event.save(update_fields=["employer_name", "notes"])


class Migration(migrations.Migration):
    dependencies = [
        ("enrollment", "0004_employers_and_compliance_cases"),
        ("outreach", "0002_outreachevent_payload_hash"),
    ]

    operations = [
        migrations.AddField(
            model_name="outreachevent",
            name="employer",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="visits",
                to="enrollment.employer",
                verbose_name="employer",
            ),
        ),
        migrations.RunPython(link_employers, copy_names_back),
        migrations.RemoveField(
            model_name="outreachevent",
            name="employer_name",
        ),
    ]
