import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from ucj.services import holidays_load


class Command(BaseCommand):
    help = (
        "Load Indonesia's public holidays and cuti bersama from the holidays package for the given "
        "years (default: this year and the next). Holidays edited by an administrator are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, action="append", dest="years")

    def handle(self, *args, years=None, **options):
        this_year = timezone.localdate().year if years is None else None
        years = years or [this_year, this_year + 1]
        for year in years:
            if not dt.MINYEAR < year < dt.MAXYEAR:
                raise SystemExit(f"not a year: {year}")
        created = holidays_load(years=years)
        self.stdout.write(f"holidays: {created} added for {', '.join(map(str, years))}")
