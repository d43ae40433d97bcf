from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UcjConfig(AppConfig):
    name = "ucj"
    verbose_name = _("UCJ core: regions, people, scope")

    def ready(self):
        # Register the core's Celery tasks in every process (web, commands), not only in workers,
        # so that coverage_schedule() can send the recalculation by name.
        from ucj import checks, tasks  # noqa: F401
