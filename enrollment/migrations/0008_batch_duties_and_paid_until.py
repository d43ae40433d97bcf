import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# Who submitted, verified and approved each batch, replayed from its audit history (append-only,
# ucj 0003) in the order it happened: a return to draft clears the submitter and the verifier, as
# batch_return does. Batches cancelled before this migration keep `paid_until` empty: they
# released all their money under the rule of that time, and the allocations stay as they were.
STEPS = {"batch.submit": "submitted_by_id", "batch.verify": "verified_by_id", "batch.approve": "approved_by_id"}


def who_did_what(apps, schema_editor):
    AuditEvent = apps.get_model("ucj", "AuditEvent")
    EnrollmentBatch = apps.get_model("enrollment", "EnrollmentBatch")
    found: dict[int, dict] = {}
    events = (
        AuditEvent.objects.filter(target_type="enrollment.enrollmentbatch", action__in=[*STEPS, "batch.return"])
        .order_by("at", "id")
        .values_list("target_id", "action", "actor_id")
    )
    for target_id, action, actor_id in events.iterator():
        if not target_id.isdigit():
            continue
        steps = found.setdefault(int(target_id), {})
        if action == "batch.return":
            steps.pop("submitted_by_id", None)
            steps.pop("verified_by_id", None)
        else:
            steps[STEPS[action]] = actor_id
    for batch_id, steps in found.items():
        if steps:
            EnrollmentBatch.objects.filter(pk=batch_id).update(**steps)


class Migration(migrations.Migration):
    dependencies = [
        ("enrollment", "0007_restore_member_one_open_batch"),
        ("ucj", "0003_audit_append_only"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="enrollmentbatch",
            name="approved_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="approved by",
            ),
        ),
        migrations.AddField(
            model_name="enrollmentbatch",
            name="paid_until",
            field=models.DateField(blank=True, null=True, verbose_name="paid until"),
        ),
        migrations.AddField(
            model_name="enrollmentbatch",
            name="submitted_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="submitted by",
            ),
        ),
        migrations.AddField(
            model_name="enrollmentbatch",
            name="verified_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="verified by",
            ),
        ),
        migrations.RunPython(who_did_what, migrations.RunPython.noop),
    ]
