"""Employer visits point at an Employer instead of naming one.

Three steps: add the foreign key; link every event that names an employer (the same name among
the employers of the event's villages, else of its regency; when none or several match, a new
employer in the event's first village, with no figures: "not assessed"); drop the name. Backwards,
the names are copied back (employers made here stay: they may have figures by then)."""

import re

import django.db.models.deletion
from django.db import migrations, models

# `enrollment.services.employers.name_key` as it was when this was written (a migration must not
# import app code that may change): upper case, punctuation and legal forms gone, spaces collapsed.
_LEGAL_FORMS = re.compile(r"\b(PT|CV|UD|PD|TBK|KOPERASI|KOP|FA|PERSERO|PERUM|YAYASAN)\b")
_NOT_WORD = re.compile(r"[^0-9A-Z ]+")


def name_key(name: str) -> str:
    upper = _NOT_WORD.sub(" ", (name or "").upper())
    return " ".join(_LEGAL_FORMS.sub(" ", upper).split())


def employer_for(Employer, *, name: str, regency_code: str, village_codes: list[str]):
    """The employer an event naming `name` in these villages of the regency went to: the only one
    of that name (by name_key) in the villages, else the only one in the regency, else a new one
    in the first village by code. `Employer` is the model to use (historical or current)."""
    name = " ".join((name or "").split())[:200]
    # A name that is only a legal form ("PT") still needs a key to be found by.
    key = name_key(name) or " ".join(_NOT_WORD.sub(" ", name.upper()).split()) or name.upper()
    same_name = Employer.objects.filter(regency_id=regency_code, name_key=key)
    for candidates in (same_name.filter(village_id__in=village_codes), same_name):
        found = list(candidates.order_by("id")[:2])
        if len(found) == 1:
            return found[0]
    return Employer.objects.create(
        name=name,
        name_key=key,
        village_id=sorted(village_codes)[0],
        regency_id=regency_code,
        status="unassessed",
    )


def link_employers(apps, schema_editor):
    OutreachEvent = apps.get_model("outreach", "OutreachEvent")
    EventVillage = apps.get_model("outreach", "EventVillage")
    Employer = apps.get_model("enrollment", "Employer")
    events = OutreachEvent.objects.exclude(employer_name="").order_by("id")
    for event in events.only("id", "regency_id", "employer_name", "notes").iterator(chunk_size=500):
        villages = sorted(EventVillage.objects.filter(event_id=event.pk).values_list("village_id", flat=True))
        if not villages:
            # No village to place the employer in (the services never log such an event): keep
            # the name in the notes rather than lose it.
            event.notes = f"{event.notes}\n\nEmployer: {event.employer_name}".strip()
            event.save(update_fields=["notes"])
            continue
        employer = employer_for(
            Employer, name=event.employer_name, regency_code=event.regency_id, village_codes=villages
        )
        event.employer_id = employer.pk
        event.save(update_fields=["employer"])


def copy_names_back(apps, schema_editor):
    OutreachEvent = apps.get_model("outreach", "OutreachEvent")
    for event in OutreachEvent.objects.filter(employer__isnull=False).select_related("employer").iterator():
        event.employer_name = event.employer.name[:150]
        event.save(update_fields=["employer_name"])


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
