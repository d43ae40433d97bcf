"""A closed case keeps the employer's village of its closing day (the workers it added count as PU
there, wherever the employer moves later) and the programmes it added."""

import django.db.models.deletion
from django.db import migrations, models


def fill_village_of_closed_cases(apps, schema_editor):
    """Closed cases take their employer's village now: the best knowledge of where they closed
    (the cases were counted there until this migration)."""
    ComplianceCase = apps.get_model("enrollment", "ComplianceCase")
    Employer = apps.get_model("enrollment", "Employer")
    ComplianceCase.objects.filter(state="closed", village__isnull=True).update(
        village_id=models.Subquery(Employer.objects.filter(pk=models.OuterRef("employer_id")).values("village_id")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("enrollment", "0004_employers_and_compliance_cases"),
        ("ucj", "0006_holiday"),
    ]

    operations = [
        migrations.AddField(
            model_name="compliancecase",
            name="programmes_added",
            field=models.JSONField(blank=True, default=list, verbose_name="programmes registered after the case"),
        ),
        migrations.AddField(
            model_name="compliancecase",
            name="village",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="ucj.region",
                verbose_name="village at closing",
            ),
        ),
        migrations.RunPython(fill_village_of_closed_cases, migrations.RunPython.noop),
    ]
