"""Working days: Monday to Friday, minus the observed holidays of `ucj.models.Holiday`.

PP 86/2013 gives an employer at most 10 working days to answer each written warning; a deadline
counted in calendar days would fall short over Lebaran, when a week of cuti bersama follows the
holiday itself.
"""

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


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (negative when `end` is earlier)."""
    if end < start:
        return -working_days_between(end, start)
    off = holidays_between(start, end)
    n = 0
    day = start
    while day < end:
        day += ONE_DAY
        if day.weekday() < 5 and day not in off:
            n += 1
    return n
