"""Working days: Monday to Friday, minus the observed holidays of `ucj.models.Holiday` that apply
to a region: the national ones, and those of its province and of its regency (Bali's Galungan is a
day off in Badung, not in Bangkalan).

PP 86/2013 gives an employer at most 10 working days to answer each written warning; a deadline
counted in calendar days would fall short over Lebaran, when a week of cuti bersama follows the
holiday itself. A deadline is only computed through years whose holidays are loaded
(`HolidayYear`, written by `load_holidays` and by beat every December): past them it is refused
(`HolidaysNotLoaded`), never computed as if those years had no holidays.
"""

import bisect
import datetime as dt

from django.db.models import CharField, DateField, IntegerField, Q, Value
from django.utils.translation import gettext as _

from ucj.errors import Conflict
from ucj.models import ROOT_CODE, Holiday, HolidayYear

ONE_DAY = dt.timedelta(days=1)


class HolidaysNotLoaded(Conflict):
    """A deadline would run through a year whose holidays nobody has loaded yet."""

    def __init__(self, year: int):
        self.year = year
        super().__init__(
            _("Holidays for %(year)s are not loaded yet; an administrator runs load_holidays --year %(year)s.")
            % {"year": year}
        )


def region_areas(code: str | None) -> list[str]:
    """The province and regency codes whose holidays count for a region (any level): "35.26.01.2001"
    → ["35", "35.26"]. None or the national root: none."""
    if not code or code == ROOT_CODE:
        return []
    parts = code.split(".")
    return [".".join(parts[:n]) for n in (1, 2) if len(parts) >= n]


def _holidays_and_years(start: dt.date, end: dt.date, areas) -> tuple[list[tuple[dt.date, str | None]], set[int]]:
    """The observed holidays between `start` and `end` (national and of `areas`, with their region)
    and which of the years from start to end are loaded: one query (a UNION)."""
    holidays = (
        Holiday.objects.filter(date__gte=start, date__lte=end, observed=True)
        .filter(Q(region__isnull=True) | Q(region_id__in=list(areas)))
        .order_by()
        .values_list("date", "region_id", Value(None, output_field=IntegerField()))
    )
    years = (
        HolidayYear.objects.filter(year__gte=start.year, year__lte=end.year)
        .order_by()
        .values_list(Value(None, output_field=DateField()), Value(None, output_field=CharField()), "year")
    )
    off, loaded = [], set()
    for day, region, year in holidays.union(years, all=True):
        if year is not None:
            loaded.add(year)
        else:
            off.append((day, region))
    return off, loaded


def holidays_between(start: dt.date, end: dt.date, region: str | None = None) -> set[dt.date]:
    """The days off between `start` and `end` for an employer in `region` (national ones only
    when None)."""
    return {day for day, _region in _holidays_and_years(start, end, region_areas(region))[0]}


def add_working_days(start: dt.date, days: int, *, region: str | None = None, require_loaded: bool = True) -> dt.date:
    """The date `days` working days after `start` (`start` itself does not count: a warning given
    on a Friday with 1 working day is due on Monday), skipping the holidays of `region` (a code of
    any level: its province's and regency's count, and the national ones).

    Raises `HolidaysNotLoaded` when a year from `start` to the result has no loaded holidays;
    `require_loaded=False` (a page's "due in the next days" horizon, not a deadline) counts on."""
    if days < 0:
        raise ValueError("days must not be negative")
    # Enough calendar days for any run of holidays Indonesia has (Lebaran: about 7 in a row).
    rows, loaded = _holidays_and_years(start, start + dt.timedelta(days=days * 2 + 30), region_areas(region))
    off = {day for day, _region in rows}
    day = start
    left = days
    while left:
        day += ONE_DAY
        if day.weekday() < 5 and day not in off:
            left -= 1
    if require_loaded:
        for year in range(start.year, day.year + 1):
            if year not in loaded:
                raise HolidaysNotLoaded(year)
    return day


class WorkingCalendar:
    """Working days between many dates and `today` with the holidays read once (a list of cases
    asks for each case's days late), counted by arithmetic rather than day by day.

    `region` is the default region of the counts; `regions` are others the calendar may be asked
    about (`between(..., region=code)`): a list of cases of several regencies reads them all in
    the same single query. It counts with whatever holidays are loaded (it tells, it decides no
    deadline)."""

    def __init__(self, dates, today: dt.date, region: str | None = None, *, regions=()):
        dates = [d for d in dates if d is not None]
        self.today = today
        self.region = region
        areas = sorted({area for code in {region, *regions} for area in region_areas(code)})
        self._national: list[dt.date] = []
        self._areas: dict[str, list[dt.date]] = {}
        self._off: dict[tuple[str, ...], list[dt.date]] = {}
        if dates:
            start, end = min([today, *dates]), max([today, *dates])
            for day, area in _holidays_and_years(start, end, areas)[0]:
                if day.weekday() < 5:  # only holidays on a weekday take a working day away
                    (self._areas.setdefault(area, []) if area else self._national).append(day)

    def off_days(self, region: str | None = None) -> list[dt.date]:
        """The weekday holidays of `region` (the calendar's own when None), sorted."""
        key = tuple(region_areas(region if region is not None else self.region))
        if key not in self._off:
            days = set(self._national)
            for area in key:
                days.update(self._areas.get(area, ()))
            self._off[key] = sorted(days)
        return self._off[key]

    def between(self, start: dt.date, end: dt.date, region: str | None = None) -> int:
        """Working days after `start` up to and including `end` (negative when `end` is earlier)."""
        if end < start:
            return -self.between(end, start, region)
        weeks, rest = divmod((end - start).days, 7)
        n = weeks * 5 + sum(1 for i in range(1, rest + 1) if (start.weekday() + i) % 7 < 5)
        off = self.off_days(region)
        return n - (bisect.bisect_right(off, end) - bisect.bisect_right(off, start))

    def late(self, due_on: dt.date | None, region: str | None = None) -> int:
        """Working days past the deadline (0 when not past it)."""
        return max(self.between(due_on, self.today, region), 0) if due_on else 0

    def left(self, due_on: dt.date | None, region: str | None = None) -> int | None:
        return self.between(self.today, due_on, region) if due_on else None


def working_days_between(start: dt.date, end: dt.date, region: str | None = None) -> int:
    """Working days after `start` up to and including `end` (negative when `end` is earlier)."""
    return WorkingCalendar([start, end], start, region).between(start, end)
