from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ucj.coverage import facts
from ucj.coverage.importers import WORKFORCE
from ucj.errors import ApplicationError


class FactsImportCommand(BaseCommand):
    """Import one kind of coverage figures from a CSV or XLSX file, as the system (any region):
    all rows or none. The other import commands are this one with another kind."""

    kind = WORKFORCE
    help = (
        "Import BPS workforce estimates (region code, year, working people, source, date) from a CSV or XLSX "
        "file. If any row has a problem nothing is saved and every problem is printed."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV or XLSX file with the column names in its first row")
        parser.add_argument(
            "--source",
            default="",
            help='Source for rows without their own, e.g. "BPS Sakernas Agustus 2024"',
        )

    def handle(self, *args, file, source="", **options):
        path = Path(file)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}") from exc
        try:
            result = facts.facts_import(
                actor=None, kind=self.kind, content=content, filename=path.name, default_source=source
            )
        except ApplicationError as exc:
            for error in exc.details if isinstance(exc.details, list) else []:
                self.stderr.write(f"row {error.get('row', '?')}, {error.get('column', '')}: {error.get('message', '')}")
            raise CommandError(exc.message) from exc
        label = facts.KINDS[self.kind].label
        self.stdout.write(
            f"{str(label).capitalize()}: {result.created} new, {result.updated} changed, {result.unchanged} unchanged."
        )


class Command(FactsImportCommand):
    pass
