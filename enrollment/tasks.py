"""Background work of enrollment: spreadsheet imports on the `imports` queue."""

from celery import shared_task
from django.db import transaction

from enrollment import services
from enrollment.models import ImportJob


@shared_task(ignore_result=True, acks_late=True, soft_time_limit=14 * 60, time_limit=15 * 60)
def import_run(job_id: int) -> None:
    services.import_run(job_id=job_id)


def import_submit(*, actor, batch_id: int, filename: str, content: bytes, kind: str) -> ImportJob:
    """Register an upload and run it: small files at once, large ones in a worker after commit.
    Views and the API call this; the returned job tells them which (`job.finished`)."""
    job = services.import_create(actor=actor, batch_id=batch_id, filename=filename, content=content, kind=kind)
    if services.import_runs_inline(job):
        return services.import_run(job_id=job.pk)
    transaction.on_commit(lambda: import_run.delay(job.pk))
    return job
