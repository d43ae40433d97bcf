"""The demo shows the figures of the news reports in shared/seeds."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from enrollment.models import BatchKind, BatchMember, CaseState, ComplianceCase, MemberState
from ucj.models import ROOT_CODE, CoverageSnapshot, MembershipCount, Region, StaleRegion
from ucj.progress.selectors import progress_drivers, progress_headline

User = get_user_model()


@pytest.mark.django_db
def test_seed_demo_shows_the_seed_figures(capsys):
    call_command("seed_demo")
    snaps = {s.region_id: s for s in CoverageSnapshot.objects.filter(is_current=True)}
    # Bali: 935,079 ÷ 1,873,899 = 49.90 % (reported as 50.88 %), target 67.28 %.
    bali = snaps["51"]
    assert (bali.active, bali.workforce, bali.percent) == (935_079, 1_873_899, Decimal("49.90"))
    assert bali.target_percent == Decimal("67.28") and bali.gap_points == Decimal("17.38")
    assert snaps["51.03"].percent == Decimal("58.68") and snaps["51.03"].band == "sedang"  # Badung
    assert snaps["51.06"].percent == Decimal("35.52") and snaps["51.06"].band == "rendah"  # Bangli
    bengkulu = snaps["17"]
    assert (bengkulu.percent, bengkulu.target_percent, bengkulu.gap_points) == (
        Decimal("28.00"),
        Decimal("48.00"),
        Decimal("20.00"),
    )
    # Bangkalan: BPJS's 71,500 of 500,000 (14.3 %, March 2025) is kept among its facts; the branch's
    # monthly figures follow it up to last month, and the demo's members active through UCJ and
    # the workers of compliance cases closed since the last figure come on top.
    cited = MembershipCount.objects.get(region_id="35.26", as_of=dt.date(2025, 3, 14))
    assert (cited.total, cited.pu, cited.bpu) == (71_500, 41_000, 30_500)
    today = timezone.localdate()
    bpjs = MembershipCount.objects.filter(region_id="35.26").latest("as_of")
    assert bpjs.as_of == today.replace(day=1) - dt.timedelta(days=1)
    counting = BatchMember.objects.filter(
        state=MemberState.ACCEPTED,
        covered_from__lte=today,
        covered_from__gt=bpjs.as_of,
        covered_until__gte=today,
        participant__village__code__startswith="35.26.",
    )
    officials = counting.filter(batch__kind=BatchKind.VILLAGE_OFFICIALS).count()  # wage earners (PU)
    members = counting.count()
    assert members > 0  # this month's activations move the figure
    # Workers employers registered when the demo's compliance cases closed: wage earners (PU) too.
    closed = ComplianceCase.objects.filter(state=CaseState.CLOSED)
    assert closed.aggregate(n=Sum("workers_added"))["n"] > 0
    added = closed.filter(closed_on__gt=bpjs.as_of).aggregate(n=Sum("workers_added"))["n"] or 0
    ucj = members + added
    bangkalan = snaps["35.26"]
    assert bangkalan.workforce == 500_000
    assert bangkalan.active == bpjs.total + ucj and bangkalan.ucj_change == ucj
    assert Decimal("14.3") < bangkalan.percent < bangkalan.target_percent == Decimal("22.00")
    assert (bangkalan.pu, bangkalan.bpu) == (bpjs.pu + officials + added, bpjs.bpu + members - officials)
    assert snaps["35.26.01"].workforce and snaps[ROOT_CODE].ucj_active >= ucj
    assert snaps[ROOT_CODE].target_percent == Decimal("52.15")
    # Every district and village of the demo regions has a snapshot that says what it lacks.
    assert all(code in snaps for code in ("35.26.02.2001", "51.03.01", "17.01"))
    assert not StaleRegion.objects.exists()


@pytest.mark.django_db
def test_seed_demo_gives_bangkalan_a_target_a_year_of_history_and_sources_in_indonesian(client, capsys):
    call_command("seed_demo")
    today = timezone.localdate()
    history = list(CoverageSnapshot.objects.filter(region_id="35.26").order_by("date"))
    # 13 month-ends from BPJS's monthly figures, then today: the trend has data, each month
    # moves, and "since last month" compares with last month's end.
    assert len(history) == 14 and history[-1].date == today and history[-1].is_current
    assert all(a.percent < b.percent for a, b in itertools.pairwise(history))
    assert all(s.target_percent is not None and s.gap_points is not None for s in history)
    assert history[-2].date == today.replace(day=1) - dt.timedelta(days=1)
    # A district's history follows the same figures.
    assert CoverageSnapshot.objects.filter(region_id="35.26.02").count() == 14
    # The sources are Indonesian, and no date is written twice (the page writes the figure's date).
    sources = [s.get("source", "") for s in history[-1].sources if s.get("source")]
    assert sources and all("reported" not in s and "as of" not in s and "2025-" not in s for s in sources)
    assert any("ilustratif" in s for s in sources)
    # The progress page: the change since last month, and this month's activations in "what
    # moves it" (the demo's batches were activated this month).
    bangkalan = Region.objects.get(code="35.26")
    headline = progress_headline(region=bangkalan)
    assert headline.previous.date == history[-2].date and headline.change_active > 0
    activated = BatchMember.objects.filter(
        state=MemberState.ACCEPTED, already_registered=False, covered_from__gte=today.replace(day=1)
    ).count()
    assert activated > 0 and progress_drivers(region=bangkalan).pipeline["activated_month"] == activated
    client.force_login(User.objects.get(username="supervisor"))
    page = client.get("/progress/35.26/").content.decode()
    assert 'data-figure="activated_month"' in page and "22,00" in page
    # Idempotent: a second run adds no history.
    call_command("seed_demo")
    assert CoverageSnapshot.objects.filter(region_id="35.26").count() == 14
