from celery import shared_task
from django.utils import timezone

from ucj.models import WorkerHeartbeat


@shared_task(bind=True, ignore_result=True, soft_time_limit=20, time_limit=30)
def worker_heartbeat(self, hostname: str | None = None) -> str:
    """Record that a worker is alive and can reach the database. Beat sends it every minute; the
    administrator's home page shows the last time each worker answered. Safe to run twice."""
    name = hostname or self.request.hostname or "eager"
    WorkerHeartbeat.objects.update_or_create(hostname=name, defaults={"last_seen": timezone.now()})
    return name
