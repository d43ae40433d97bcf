from importlib import import_module

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.module_loading import module_has_submodule

from ucj.coverage import engine
from ucj.demo import BANGKALAN, COVERAGE_ROOTS, DEMO_PASSWORD, history_days
from ucj.models import CoverageSnapshot
from ucj.services import holidays_load


class Command(BaseCommand):
    help = (
        "Build the demo: Kabupaten Bangkalan from the news reports, with demo users officer, disnaker, "
        "kadis, supervisor and admin. Each app adds its own part (its `demo` module). Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--password", default=DEMO_PASSWORD, help="Password of the demo users (reset on every run)."
        )
        parser.add_argument("--force", action="store_true", help="Run even on a deployment (HTTPS=1).")

    def handle(self, *args, password, force, **options):
        if settings.HTTPS and not force:
            # The demo creates an administrator whose password is published in the README.
            raise CommandError(
                "This is a deployment (HTTPS=1): seed_demo would add demo users. Use --force to do it anyway."
            )
        # Deadlines of compliance cases count working days: the holidays first. Last year too, as
        # the demo's cases began months ago.
        year = timezone.localdate().year
        added = holidays_load(years=[year - 1, year, year + 1])
        self.stdout.write(f"Holidays: {added} added for {year - 1}-{year + 1}.")
        for config in apps.get_app_configs():
            if module_has_submodule(config.module, "demo"):
                import_module(f"{config.name}.demo").seed(password=password, log=self.stdout.write)
        # Bangkalan's history, month by month from BPJS's monthly figures (derived data, computed
        # from the dated facts as the daily run would have on those days): the trend and the
        # change since last month have data. Oldest first, before today's snapshots, so that each
        # day's regions read their children of the same day; once only.
        days = history_days()
        if not CoverageSnapshot.objects.filter(region_id=BANGKALAN, date=days[0]).exists():
            for day in days:
                engine.recalculate_regions([BANGKALAN], day=day, subtree=True)
            self.stdout.write(f"Coverage history: Bangkalan at {len(days)} month-ends.")
        # Coverage as the demo stands, whether or not a worker is running: every region of the
        # demo's regencies and provinces, and whatever the apps' demos marked stale.
        rebuilt = engine.recalculate_regions(COVERAGE_ROOTS, subtree=True)
        stale = engine.recalculate_stale()
        self.stdout.write(f"Coverage: {rebuilt.regions + stale.regions} snapshots.")
