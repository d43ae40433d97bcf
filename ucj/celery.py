"""The Celery application. With REDIS_URL set, tasks go through Redis to real workers; without it
(embedded mode) they run eagerly in the process that sends them."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ucj.settings")

app = Celery("ucj")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
