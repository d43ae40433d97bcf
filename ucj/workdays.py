"""Working days: Monday to Friday, minus the observed holidays of `ucj.models.Holiday`.

PP 86/2013 gives an employer at most 10 working days to answer each written warning; a deadline
counted in calendar days would fall short over Lebaran, when a week of cuti bersama follows the
holiday itself.
"""

import bisect
import datetime as dt

from ucj.models import Holiday

ONE_DAY = dt.timedelta(days=1)


def holidays_between(start: dt.date, end: dt.date) -> set[dt.date]:
    return set(Holiday.objects.filter(date__gte=start, date__lte=end, observed=True).values_list("date", flat=True))


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date `days` working days after `start` (`start` itself does not count: a warning given
    on a Friday with 1 working day is due on Monday)."""
    if days < 0:
        raise ValueError("days must not be negative")
    # Enough calendar days for any run of holidays Indonesia has (Lebaran: about 7 in a row).
    off = holidays_between(start, start + dt.timedelta(days=days * 2 + 30))
    day = start
    left = days
    while left:
        day += ONE_DAY
        if day.weekday() < 5 and day not in off:
            left -= 1
    return day


class WorkingCalendar:
    """Working days between many dates and `today` with the holidays read once (a list of cases
    asks for each case's days late), counted by arithmetic rather than day by day."""

    def __init__(self, dates, today: dt.date):
        dates = [d for d in dates if d is not None]
        self.today = today
        start, end = min([today, *dates]), max([today, *dates])
        # Only holidays on a weekday take a working day away.
        self.off = sorted(d for d in holidays_between(start, end) if d.weekday() < 5) if dates else []

    def between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end` (negative when `end` is earlier)."""
        if end < start:
            return -self.between(end, start)
        weeks, rest = divmod((end - start).days, 7)
        n = weeks * 5 + sum(1 for i in range(1, rest + 1) if (start.weekday() + i) % 7 < 5)
        return n - (bisect.bisect_right(self.off, end) - bisect.bisect_right(self.off, start))

    def late(self, due_on: dt.date | None) -> int:
        """Working days past the deadline (0 when not past it)."""
        return max(self.between(due_on, self.today), 0) if due_on else 0

    def left(self, due_on: dt.date | None) -> int | None:
        return self.between(self.today, due_on) if due_on else None


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (negative when `end` is earlier)."""
    return WorkingCalendar([start, end], start).between(start, end)
