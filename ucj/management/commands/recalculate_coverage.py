import time

from django.core.management.base import BaseCommand, CommandError

from ucj.coverage import engine
from ucj.models import REGION_CODE_PATTERN, Region


class Command(BaseCommand):
    help = (
        "Recalculate coverage snapshots from the facts: the regions marked stale (default), one "
        "region's subtree (--region, repeatable) or every region (--all). Ancestors follow."
    )

    def add_arguments(self, parser):
        parser.add_argument("--region", action="append", default=[], metavar="CODE", help="e.g. 35.26")
        parser.add_argument("--all", action="store_true", help="rebuild every region's snapshot")

    def handle(self, *args, **options):
        codes, rebuild_all = options["region"], options["all"]
        if codes and rebuild_all:
            raise CommandError("Give either --region or --all, not both.")
        unknown = sorted(set(codes) - set(Region.objects.filter(code__in=codes).values_list("code", flat=True)))
        if unknown:
            raise CommandError(
                f"No region has the code {', '.join(unknown)} (codes look like {REGION_CODE_PATTERN}; "
                "load the regions first: manage.py load_regions)."
            )
        started = time.perf_counter()
        if rebuild_all:
            result = engine.recalculate_all()
        elif codes:
            result = engine.recalculate_regions(codes, subtree=True)
        else:
            result = engine.recalculate_stale()
        seconds = time.perf_counter() - started
        levels = ", ".join(f"level {lv}: {n}" for lv, n in sorted(result.levels.items()))
        self.stdout.write(
            f"Coverage: {result.regions} snapshots written ({levels or 'nothing stale'}), "
            f"{result.stale} stale marks consumed, in {seconds:.2f} s."
        )
