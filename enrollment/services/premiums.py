"""What a batch costs (DESIGN §3, "two premium schemes, both as dated rate data").

- Vulnerable workers are non-wage participants (BPU, PP 44/2015): a percentage of the declared
  income level plus a flat amount per programme (JKK 1 %, JKM Rp6,800, JHT 2 %), the same for
  every member: Rp16,800 a month for JKK+JKM at the floor of Rp1,000,000.
- Village officials are wage earners (PU), paid like non-ASN government workers: a percentage of
  each official's fixed monthly pay (siltap plus fixed allowances) per programme — JKK by the
  risk class of village administration (0.24 %), JKM 0.30 %, JHT 5.7 %, JP 3 % up to the year's
  wage cap: Rp10,800 a month for JKK+JKM on a siltap of Rp2,000,000.

A month is costed at the rates valid on its first day, so a period that spans a rate change is
costed month by month at each month's rate. Periods run from a month's first day to a month's
last day (`_check_terms`), so no month is charged twice. The rates are a few dozen rows, read
once per costing; members' wages are read in one query: no query per member or per month."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from enrollment.models import (
    VILLAGE_RISK_CLASS,
    BatchMember,
    EnrollmentBatch,
    IncomeLevel,
    MemberState,
    PremiumRate,
    Programme,
    Scheme,
)
from ucj.errors import ValidationFailed


def month_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    """The first day of every month from `start`'s to `end`'s, both included (none when `end`
    lies in an earlier month)."""
    months = []
    day = start.replace(day=1)
    while day <= end:
        months.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return months


def month_end(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def _part(percent: Decimal, base: int) -> int:
    # Rupiah are whole; each programme's premium is rounded to the rupiah, half up.
    return int((percent * base / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


class RateBook:
    """The rates of one scheme for some programmes (PU's JKK of one risk class), read in one query
    and answering for any day: for each programme, the row with the latest `valid_from` up to it."""

    def __init__(self, *, scheme: str, programmes: list[str], risk_class: str = VILLAGE_RISK_CLASS):
        rows = PremiumRate.objects.filter(scheme=scheme, programme__in=programmes)
        if scheme == Scheme.PU:
            rows = rows.filter(~Q(programme=Programme.JKK) | Q(risk_class=risk_class))
        self.programmes = list(programmes)
        self.rows: dict[str, list[PremiumRate]] = {p: [] for p in programmes}
        for rate in rows.order_by("-valid_from"):
            self.rows[rate.programme].append(rate)

    def on(self, day: dt.date) -> tuple[PremiumRate, ...]:
        found = []
        for programme in self.programmes:
            rate = next((r for r in self.rows[programme] if r.valid_from <= day), None)
            if rate is None:
                raise ValidationFailed(
                    _("No premium rate for %(programme)s is valid on %(date)s.")
                    % {"programme": Programme(programme).label, "date": day.isoformat()}
                )
            found.append(rate)
        return tuple(found)


def income_premium(rates, declared_income: int) -> int:
    """BPU: a month's premium on a declared income."""
    return sum(_part(r.percent_of_income, declared_income) + r.flat_amount for r in rates)


def wage_premium(rates, wage: int) -> int:
    """PU: a month's premium on a monthly wage, JP's share on the wage up to its cap."""
    total = 0
    for r in rates:
        base = min(wage, r.wage_cap) if r.wage_cap else wage
        total += _part(r.percent_of_income, base) + r.flat_amount
    return total


def premium_monthly(*, programmes: list[str], declared_income: int, on_date: dt.date) -> int:
    """Monthly premium of a non-wage (BPU) participant on `declared_income` at the rates valid on
    `on_date`. JKK+JKM at Rp1,000,000 is Rp16,800."""
    return income_premium(RateBook(scheme=Scheme.BPU, programmes=programmes).on(on_date), declared_income)


def wage_premium_monthly(*, programmes: list[str], wage: int, on_date: dt.date) -> int:
    """Monthly premium of a village official (PU, village administration's risk class) on a fixed
    monthly pay of `wage` at the rates valid on `on_date`. JKK+JKM on Rp2,000,000 is Rp10,800."""
    return wage_premium(RateBook(scheme=Scheme.PU, programmes=programmes).on(on_date), wage)


def income_levels(on_date: dt.date) -> list[int]:
    """The declared incomes a BPU participant may choose on `on_date` (PP 44/2015, Lampiran II):
    the levels of the latest `valid_from` up to it, lowest first."""
    latest = IncomeLevel.objects.filter(valid_from__lte=on_date).order_by("-valid_from").values("valid_from")[:1]
    return list(IncomeLevel.objects.filter(valid_from=latest).order_by("amount").values_list("amount", flat=True))


def income_level_error(declared_income: int, on_date: dt.date) -> str | None:
    """Why `declared_income` is not a level a BPU participant may declare on `on_date`, or None."""
    levels = income_levels(on_date)
    if declared_income in levels:
        return None
    if not levels:
        return _("No declared income levels are on record for %(date)s.") % {"date": on_date.isoformat()}
    return _("Rp%(value)s is not a declared income level. The levels are (Rp): %(levels)s.") % {
        "value": number_format(declared_income, force_grouping=True),
        "levels": ", ".join(number_format(level, force_grouping=True) for level in levels),
    }


def batch_costs(batch: EnrollmentBatch) -> tuple[int, int, int]:
    """(members who count, monthly premium, total cost) of a batch. Members who count are the
    pending and accepted ones; the total covers the months paid (`EnrollmentBatch.paid_start` to
    `paid_end`), each at its own month's rates. The monthly premium is per member for vulnerable
    workers (on the declared income) and, for village officials, whose premiums follow each one's
    pay, the sum of the members' premiums, both at the rates of the period's first month."""
    members = batch.members.exclude(state=MemberState.REJECTED)
    months = month_starts(batch.paid_start, batch.paid_end)
    if not batch.is_officials:
        count = members.count()
        book = RateBook(scheme=Scheme.BPU, programmes=batch.programmes)
        monthly = income_premium(book.on(batch.period_start), batch.declared_income)
        per_member = sum(income_premium(book.on(month), batch.declared_income) for month in months)
        return count, monthly, count * per_member
    wages = list(members.values_list("wage", flat=True))
    book = RateBook(scheme=Scheme.PU, programmes=batch.programmes)
    by_rates: dict[tuple, int] = {}

    def month_cost(rates) -> int:
        key = tuple(r.pk for r in rates)
        if key not in by_rates:
            by_rates[key] = sum(wage_premium(rates, wage or 0) for wage in wages)
        return by_rates[key]

    return len(wages), month_cost(book.on(batch.period_start)), sum(month_cost(book.on(month)) for month in months)


def members_reprice(batch: EnrollmentBatch) -> None:
    """Each village official's monthly premium at the rates of the period's first month, after the
    programmes or the period changed. A village's dozen officials: one read, one bulk update."""
    if not batch.is_officials:
        return
    rates = RateBook(scheme=Scheme.PU, programmes=batch.programmes).on(batch.period_start)
    changed = []
    for member in batch.members.only("pk", "wage", "monthly_premium"):
        premium = wage_premium(rates, member.wage or 0)
        if member.monthly_premium != premium:
            member.monthly_premium = premium
            changed.append(member)
    BatchMember.objects.bulk_update(changed, ["monthly_premium"], batch_size=1000)
