import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from enrollment.services.employer_imports import IMPORT_KINDS, employers_import
from ucj.errors import ApplicationError

KIND_LABELS = {"labour_office": "Labour office's company list", "bpjs": "BPJS list of registered employers"}


class Command(BaseCommand):
    help = (
        "Import a regency's employers from a CSV or XLSX file, as the system: the labour office's company list "
        "(WLKP: NIB, NPP, name, village code, address, sector, size, workers, wages) or BPJS's list of registered "
        "employers (NPP, NIB, name, village code, workers, wages, programmes). Rows are matched by NPP, then NIB, "
        "then name and village. If any row has a problem nothing is saved and every problem is printed. Rows of a "
        "BPJS list about other regencies are skipped; a list older than an employer's figures on record does not "
        "overwrite them."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV or XLSX file with the column names in its first row")
        parser.add_argument("--regency", required=True, help="Code of the regency, e.g. 35.26")
        parser.add_argument("--kind", required=True, choices=IMPORT_KINDS, help="Which list the file is")
        parser.add_argument("--source", default="", help="Where the figures come from (default: the file's name)")
        parser.add_argument("--as-of", default="", help="Date of the figures, YYYY-MM-DD (default: today)")

    def handle(self, *args, file, regency, kind, source="", as_of="", **options):
        try:
            day = dt.date.fromisoformat(as_of) if as_of else None
        except ValueError as exc:
            raise CommandError(f"--as-of must be a date written YYYY-MM-DD, not {as_of!r}.") from exc
        path = Path(file)
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}") from exc
        try:
            report = employers_import(
                actor=None,
                regency_code=regency,
                kind=kind,
                content=content,
                filename=path.name,
                source=source,
                as_of=day,
            )
        except ApplicationError as exc:
            for error in exc.details if isinstance(exc.details, list) else []:
                self.stderr.write(f"row {error.get('row', '?')}, {error.get('column', '')}: {error.get('message', '')}")
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"{KIND_LABELS[kind]}, {report.rows} rows: {report.created} new, {report.updated} changed, "
            f"{report.unchanged} unchanged, {len(report.unmatched)} unmatched."
        )
        by = report.matched_by
        self.stdout.write(f"Matched by NPP {by['npp']}, by NIB {by['nib']}, by name and village {by['name']}.")
        self.stdout.write(
            f"Older than the figures on record (figures kept): {report.older_than_record}. "
            f"Rows of other regencies skipped: {report.skipped_other_regency}."
        )
        for item in report.unmatched:
            ids = ", ".join(f"{label} {item[key]}" for key, label in (("npp", "NPP"), ("nib", "NIB")) if item[key])
            where = f" ({item['village']})" if item["village"] else ""
            self.stdout.write(
                f"Unmatched row {item['row']}: {item['name']}{where}{', ' + ids if ids else ''}: {item['reason']}"
            )
