"""Village visits tell the truth (issue 25 point 6): the headline is the share of villages visited
within a window (90 days unless `?days=` says otherwise), with the never-visited and the
not-visited-for-that-long beside it, and an officer of several districts sees all of them at once
with the villages waiting longest."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from outreach import selectors, services
from outreach.models import EventKind
from ucj.models import Region

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]

SOCAH = "35.26.02"  # 11 villages, the officer's
BANGKALAN_DISTRICT = "35.26.01"  # the officer's other district


def visit(officer, villages, *, days_ago=0):
    day = timezone.localdate() - dt.timedelta(days=days_ago)
    data = services.EventData(kind=EventKind.VILLAGE_VISIT, date=day, village_codes=list(villages))
    return services.event_log(actor=officer, client_id=uuid.uuid4(), data=data)[0]


def socah_villages() -> list[str]:
    return list(Region.objects.filter(parent_id=SOCAH).order_by("code").values_list("code", flat=True))


def test_the_headline_counts_only_villages_visited_within_the_window(officer):
    codes = socah_villages()
    visit(officer, codes[:6], days_ago=200)  # visited this year, long ago
    visit(officer, codes[:1], days_ago=5)
    today = timezone.localdate()
    coverage = selectors.village_visit_coverage(
        region=Region.objects.get(code=SOCAH), since=today - dt.timedelta(days=365), until=today
    )
    assert coverage.visited == 6 and coverage.villages == 11  # the period's count stays as it was
    assert (coverage.recent, coverage.never, coverage.lapsed) == (1, 5, 5)
    assert coverage.recent_percent == 9.1


def test_the_visits_page_headline_follows_the_days_choice(client, officer):
    codes = socah_villages()
    visit(officer, codes[:6], days_ago=100)
    visit(officer, codes[6:7], days_ago=10)
    client.force_login(officer)
    page = client.get(f"/outreach/visits/{SOCAH}/", {"since": f"{timezone.localdate().year - 1}-01-01"})
    html = page.content.decode()
    assert 'id="visited-percent">9.1 %<' in html  # 1 of 11 within 90 days, not 7 of 11
    assert "4 never visited" in html and "6 not visited for 90 days or more" in html
    assert "days=180" in html and "days=365" in html  # the window choices
    wide = client.get(f"/outreach/visits/{SOCAH}/", {"days": 180, "since": f"{timezone.localdate().year - 1}-01-01"})
    assert wide.context["coverage"].recent == 7
    assert 'id="visited-percent">63.6 %<' in wide.content.decode()


def test_an_officer_sees_all_their_districts_with_the_villages_waiting_longest(client, officer):
    codes = socah_villages()
    visit(officer, codes, days_ago=3)
    visit(officer, ["35.26.01.2008"], days_ago=120)
    client.force_login(officer)
    response = client.get("/outreach/visits/")
    overview = response.context["overview"]
    by_code = {r.region.code: r for r in overview.regions}
    assert by_code[SOCAH].percent == 100.0 and by_code[SOCAH].never == 0
    district = by_code[BANGKALAN_DISTRICT]
    assert district.recent == 0 and district.lapsed == 1 and district.never == district.villages - 1
    waiting = overview.waiting
    assert waiting[0].last_visit is None and all(v.code.startswith(BANGKALAN_DISTRICT) for v in waiting)
    assert waiting[-1].code == "35.26.01.2008" or overview.waiting_total > len(waiting)
    html = response.content.decode()
    assert 'id="visit-areas"' in html and 'id="visit-waiting"' in html


def test_the_overview_runs_a_fixed_number_of_queries(client, officer, django_assert_max_num_queries):
    visit(officer, socah_villages()[:3], days_ago=1)
    client.force_login(officer)
    with django_assert_max_num_queries(10):
        assert client.get("/outreach/visits/", {"days": 30}).status_code == 200


def test_a_user_of_one_regency_still_opens_on_it(client, clerk):
    client.force_login(clerk)
    response = client.get("/outreach/visits/")
    assert response.context["region"].code == "35.26" and "overview" not in response.context
