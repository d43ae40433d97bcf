import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError

from ucj.boundaries.geometry import MAX_FILE_BYTES, BoundaryFileError
from ucj.boundaries.services import boundaries_import
from ucj.models import Region

LEVELS = {
    "province": Region.Level.PROVINCE,
    "regency": Region.Level.REGENCY,
    "district": Region.Level.DISTRICT,
    "village": Region.Level.VILLAGE,
}
SHOWN = 200


class Command(BaseCommand):
    help = (
        "Import region boundaries of one level from a GeoJSON or TopoJSON file (Badan Informasi Geospasial, "
        "BPS/OCHA), keyed by the Kemendagri code (3526 or 35.26 both read), simplified for the progress map. "
        "Reports every feature whose code is not in the region tree and every region left without a shape. "
        f"Files up to {MAX_FILE_BYTES // (1024 * 1024)} MB."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--level", required=True, choices=list(LEVELS))
        parser.add_argument("--code-property", help="the feature property holding the code (default: guessed)")
        parser.add_argument("--source", default="", help="who published the file (default: its name)")
        parser.add_argument("--licence", default="", help="its licence, e.g. 'CC BY 3.0 IGO'")
        parser.add_argument("--as-of", type=dt.date.fromisoformat, help="date of the boundaries (default: today)")

    def handle(self, *args, file, level, code_property=None, source="", licence="", as_of=None, **options):
        started = time.perf_counter()
        try:
            result = boundaries_import(
                path=file,
                level=LEVELS[level],
                code_property=code_property,
                source=source,
                licence=licence,
                as_of=as_of,
            )
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}.") from exc
        except BoundaryFileError as exc:
            raise CommandError(str(exc)) from exc
        out = self.stdout.write
        out(
            f"{result.features} features (codes in '{result.code_property}'): {result.written} shapes written, "
            f"{result.unchanged} unchanged, {result.points:,} points, in {time.perf_counter() - started:.1f} s."
        )
        if result.merged:
            out(f"Merged several features of one code: {', '.join(result.merged)}.")
        if result.unknown:
            out(self.style.WARNING(f"{len(result.unknown)} features whose code is not a {level} of the region tree:"))
            for feature in result.unknown:
                out(f"  feature {feature.index}: {result.code_property}={feature.value!r} {feature.name}".rstrip())
        if result.without_shape:
            out(self.style.WARNING(f"{len(result.without_shape)} regions beside these still have no shape:"))
            for code in result.without_shape[:SHOWN]:
                out(f"  {code}")
            if len(result.without_shape) > SHOWN:
                out(f"  … and {len(result.without_shape) - SHOWN} more")
        out(f"Regions of this level without a shape, in all: {result.without_shape_total:,}.")
        if result.bytes_by_parent:
            largest = max(result.bytes_by_parent.items(), key=lambda item: item[1])
            out(f"Largest map read: the children of {largest[0]}, {largest[1] / 1024:.0f} KB of geometry.")
