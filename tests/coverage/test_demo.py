"""The demo shows the figures of the news reports in shared/seeds."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from enrollment.models import BatchKind, BatchMember, CaseState, ComplianceCase, MemberState
from ucj.models import ROOT_CODE, CoverageSnapshot, StaleRegion


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
    # Bangkalan: BPJS's 71,500 of 500,000 (14.3 %) plus the demo's members active through UCJ.
    today = timezone.localdate()
    counting = BatchMember.objects.filter(
        state=MemberState.ACCEPTED,
        covered_from__lte=today,
        covered_until__gte=today,
        participant__village__code__startswith="35.26.",
    )
    officials = counting.filter(batch__kind=BatchKind.VILLAGE_OFFICIALS).count()  # wage earners (PU)
    members = counting.count()
    # Workers employers registered when the demo's compliance cases closed: wage earners (PU) too.
    added = ComplianceCase.objects.filter(state=CaseState.CLOSED).aggregate(n=Sum("workers_added"))["n"]
    assert added > 0
    ucj = members + added
    bangkalan = snaps["35.26"]
    assert bangkalan.workforce == 500_000
    assert bangkalan.active == 71_500 + ucj and bangkalan.ucj_active == ucj
    assert round(bangkalan.percent, 1) == Decimal("14.3")
    assert (bangkalan.pu, bangkalan.bpu) == (41_000 + officials + added, 30_500 + members - officials)
    assert snaps["35.26.01"].workforce and snaps[ROOT_CODE].ucj_active == ucj
    assert snaps[ROOT_CODE].target_percent == Decimal("52.15")
    # Every district and village of the demo regions has a snapshot that says what it lacks.
    assert all(code in snaps for code in ("35.26.02.2001", "51.03.01", "17.01"))
    assert not StaleRegion.objects.exists()
