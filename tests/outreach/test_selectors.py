"""Outreach reads: scoped querysets, follow-ups, and village visit coverage (arithmetic on
hand-made data, and a query-count bound on a whole regency)."""

import datetime as dt
import random
import uuid
from collections import Counter

import pytest
from django.utils import timezone

from outreach import selectors, services
from outreach.models import EventKind, EventVillage, Lead, LeadStatus, OutreachEvent
from tests.factories import user_with
from tests.outreach.conftest import VILLAGE
from ucj.models import Assignment, Region, Role
from ucj.scope import forget

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def day(days_ago: int) -> dt.date:
    return TODAY() - dt.timedelta(days=days_ago)


def log(actor, kind, days_ago, villages, *, people=0, officers=(), **extra):
    event, _ = services.event_log(
        actor=actor,
        client_id=uuid.uuid4(),
        data=services.EventData(
            kind=kind,
            date=day(days_ago),
            village_codes=villages,
            attendance={"farmers": people},
            officer_ids=[o.pk for o in officers],
            **extra,
        ),
    )
    return event


def socah(n: int) -> str:
    return f"35.26.02.20{n:02d}"


# --- Scoped querysets -----------------------------------------------------------------------------


def test_events_are_seen_through_their_villages_and_by_their_author(officer, clerk, outsider, supervisor):
    mine = log(officer, EventKind.VILLAGE_VISIT, 1, [VILLAGE])
    arosbaya = log(clerk, EventKind.VILLAGE_VISIT, 1, ["35.26.05.2001"])
    shared = log(clerk, EventKind.SOCIALISATION, 1, ["35.26.05.2002", socah(3)])
    assert set(selectors.events_visible_to(officer)) == {mine, shared}
    assert set(selectors.events_visible_to(clerk)) == {mine, arosbaya, shared}
    assert set(selectors.events_visible_to(supervisor)) == {mine, arosbaya, shared}
    assert not selectors.events_visible_to(outsider).exists()


def move(user, role, *codes):
    Assignment.objects.filter(user=user).delete()
    for code in codes:
        Assignment.objects.create(user=user, role=role, region_id=code)
    forget(user)


def test_the_author_keeps_an_event_only_while_logging_in_its_regency(officer, clerk):
    mine = log(officer, EventKind.VILLAGE_VISIT, 1, [VILLAGE])
    arosbaya = log(clerk, EventKind.VILLAGE_VISIT, 1, ["35.26.05.2001"])
    # Moved to another district of the regency: still a field officer there, so still the
    # author of what they logged in Socah (and a reader of Arosbaya through its villages).
    move(officer, Role.FIELD_OFFICER, "35.26.05")
    assert set(selectors.events_visible_to(officer)) == {mine, arosbaya}
    # Moved to another regency, made a supervisor of one district, or left with no assignment:
    # nothing of Bangkalan any more, their own events included.
    move(officer, Role.FIELD_OFFICER, "35.28.01")
    assert not selectors.events_visible_to(officer).exists()
    move(officer, Role.SUPERVISOR, "35.26.05")
    assert list(selectors.events_visible_to(officer)) == [arosbaya]
    move(officer, Role.FIELD_OFFICER)
    assert not selectors.events_visible_to(officer).exists()


def test_leads_and_loggable_villages_follow_the_scope(officer, clerk, supervisor, outsider, lead):
    assert list(selectors.leads_visible_to(clerk)) == [lead]
    assert not selectors.leads_visible_to(outsider).exists()
    villages = selectors.loggable_villages(officer)
    assert villages.count() == 13 + 11  # districts Bangkalan and Socah
    assert all(v.code.startswith(("35.26.01.", "35.26.02.")) and v.level == Region.Level.VILLAGE for v in villages)
    assert (
        selectors.loggable_villages(clerk).count()
        == Region.objects.filter(code__startswith="35.26.", level=Region.Level.VILLAGE).count()
    )
    assert not selectors.loggable_villages(supervisor).exists()


def test_follow_ups_are_the_officers_own_interested_leads_by_date(officer, clerk):
    today = TODAY()

    def lead(name, follow_up, *, actor=officer, status=LeadStatus.INTERESTED):
        return services.lead_create(
            actor=actor,
            data=services.LeadData(name=name, village_code=VILLAGE, next_follow_up=follow_up, status=status),
        )

    due = lead("Due", today)
    late = lead("Late", today - dt.timedelta(days=3))
    later = lead("Later", today - dt.timedelta(days=1))
    soon = lead("Soon", today + dt.timedelta(days=2))
    lead("No date", None)
    lead("Declined", today, status=LeadStatus.DECLINED)
    lead("Clerk's", today, actor=clerk)
    added = lead("Added", today)
    Lead.objects.filter(pk=added.pk).update(status=LeadStatus.ADDED)
    lists = selectors.follow_ups(user=officer, day=today)
    assert {k: list(v) for k, v in lists.items()} == {"due_today": [due], "overdue": [late, later], "upcoming": [soon]}


# --- Village visit coverage -----------------------------------------------------------------------


@pytest.fixture
def socah_season(officer, clerk):
    """Socah district (11 desa) over 95 days: a session reaching three Socah villages and one of
    another district, repeat visits, visits just inside and outside the period, an employer visit
    (not a village visit), and events elsewhere in the regency."""
    return {
        "session": log(
            officer, EventKind.SOCIALISATION, 10, [socah(1), socah(2), socah(3), "35.26.01.2008"],
            people=30, officers=[clerk],
        ),
        "again": log(officer, EventKind.VILLAGE_VISIT, 5, [socah(1)], people=7),
        "old": log(officer, EventKind.VILLAGE_VISIT, 100, [socah(4)], people=9),
        "day89": log(officer, EventKind.VILLAGE_VISIT, 89, [socah(6)], people=5),
        "day90": log(officer, EventKind.FERTILISER, 90, [socah(7)], people=60, planting_season="rendeng",
                     distribution_point_kind="kiosk", distribution_point="Kios Tani Makmur"),
        "employer": log(clerk, EventKind.EMPLOYER_VISIT, 3, [socah(5)], people=4, employer_name="UD Batik"),
        "elsewhere": log(officer, EventKind.VILLAGE_VISIT, 2, ["35.26.01.2009"], people=11),
    }  # fmt: skip


def test_visit_coverage_of_a_district(officer, clerk, socah_season):
    district = Region.objects.get(code="35.26.02")
    cov = selectors.village_visit_coverage(region=district, since=day(95), until=TODAY(), stale_days=90)
    # Visited in the period: 1 (twice), 2, 3 (the session), 6 (day 89) and 7 (day 90). Village 4
    # was visited before the period, 5 only by an employer visit.
    assert (cov.villages, cov.visited, cov.percent) == (11, 5, 45.5)
    assert (cov.desa.villages, cov.desa.visited, cov.desa.percent) == (11, 5, 45.5)
    assert (cov.kelurahan.villages, cov.kelurahan.visited, cov.kelurahan.percent) == (0, 0, None)
    rows = {v.code: v for v in cov.per_village}
    assert [v.code for v in cov.per_village] == [socah(n) for n in range(1, 12)]
    assert (rows[socah(1)].last_visit, rows[socah(1)].visits, rows[socah(1)].days_since) == (day(5), 2, 5)
    assert (rows[socah(4)].last_visit, rows[socah(4)].visits, rows[socah(4)].days_since) == (day(100), 0, 100)
    assert (rows[socah(5)].last_visit, rows[socah(5)].days_since) == (None, None)
    assert (rows[socah(1)].district_code, rows[socah(1)].district_name, rows[socah(1)].kind) == (
        "35.26.02",
        "Socah",
        "desa",
    )
    # Not visited for 90 days: never (5, 8-11), 100 days ago (4), exactly 90 days ago (7); 89 is recent.
    assert [v.code for v in cov.stale] == [socah(n) for n in (4, 5, 7, 8, 9, 10, 11)]

    # Per month and kind: the session reaching three Socah villages counts once, with its 30
    # people; the event elsewhere in the regency and the one before the period do not count.
    s = socah_season
    counted = [s["session"], s["again"], s["day89"], s["day90"], s["employer"]]
    expected = Counter()
    people = Counter()
    for e in counted:
        key = (e.date.replace(day=1), e.kind)
        expected[key] += 1
        people[key] += e.attendance_total
    assert {(r.month, r.kind): (r.events, r.attendance) for r in cov.per_month_kind} == {
        k: (n, people[k]) for k, n in expected.items()
    }
    assert sum(r.events for r in cov.per_month_kind) == 5

    # Per officer: the officer was at four events (villages 1, 2, 3, 6, 7 of Socah: the session's
    # village in another district does not count); the clerk at the session and the employer visit.
    by_officer = {r.username: (r.events, r.attendance, r.villages) for r in cov.per_officer}
    assert by_officer == {"officer": (4, 30 + 7 + 5 + 60, 5), "clerk": (2, 30 + 4, 4)}


def test_visit_coverage_of_the_regency_counts_every_district(officer, socah_season):
    regency = Region.objects.get(code="35.26")
    cov = selectors.village_visit_coverage(region=regency, since=None, until=TODAY(), stale_days=90)
    total = Region.objects.filter(code__startswith="35.26.", level=Region.Level.VILLAGE)
    kelurahan = total.filter(kind=Region.Kind.KELURAHAN).count()
    assert (cov.villages, cov.kelurahan.villages, cov.desa.villages) == (
        total.count(),
        kelurahan,
        total.count() - kelurahan,
    )
    # Without a start, every visit up to today counts: Socah 1, 2, 3, 4, 6, 7 and two villages of
    # Bangkalan district (the employer visit to Socah 5 is not a village visit).
    assert cov.visited == 8
    assert sum(r.events for r in cov.per_month_kind) == 7


def test_visit_coverage_of_pamekasan_counts_desa_and_kelurahan_apart():
    """Pamekasan has 178 desa and 11 kelurahan; the news counted desa."""
    clerk = user_with(Role.LABOUR_OFFICE, "35.28", username="pamekasan")
    villages = Region.objects.filter(code__startswith="35.28.", level=Region.Level.VILLAGE)
    desa = list(villages.exclude(kind=Region.Kind.KELURAHAN).order_by("code").values_list("code", flat=True))
    kelurahan = list(villages.filter(kind=Region.Kind.KELURAHAN).order_by("code").values_list("code", flat=True))
    assert (len(desa), len(kelurahan)) == (178, 11)
    for code in desa[:30]:
        log(clerk, EventKind.VILLAGE_VISIT, 20, [code], people=10)
    log(clerk, EventKind.SOCIALISATION, 15, kelurahan[:2], people=40)
    cov = selectors.village_visit_coverage(
        region=Region.objects.get(code="35.28"), since=day(30), until=TODAY(), stale_days=90
    )
    assert (cov.desa.villages, cov.desa.visited, cov.desa.percent) == (178, 30, 16.9)
    assert (cov.kelurahan.villages, cov.kelurahan.visited, cov.kelurahan.percent) == (11, 2, 18.2)
    assert (cov.villages, cov.visited, cov.percent) == (189, 32, 16.9)
    assert len(cov.stale) == 189 - 32


def test_visit_coverage_of_one_village(officer, socah_season):
    cov = selectors.village_visit_coverage(
        region=Region.objects.get(code=socah(1)), since=day(30), until=TODAY(), stale_days=90
    )
    assert (cov.villages, cov.visited, [v.visits for v in cov.per_village]) == (1, 1, [2])


def test_visit_coverage_of_a_regency_takes_a_handful_of_queries(django_assert_max_num_queries, officer, clerk):
    """All 281 villages of Bangkalan, 400 events of three officers over 150 days, some reaching
    several villages."""
    rng = random.Random(5)
    codes = list(
        Region.objects.filter(code__startswith="35.26.", level=Region.Level.VILLAGE).values_list("code", flat=True)
    )
    third = user_with(Role.FIELD_OFFICER, "35.26.05", username="third")
    officers = [officer, clerk, third]
    events = OutreachEvent.objects.bulk_create(
        [
            OutreachEvent(
                kind=rng.choice(EventKind.values), date=day(rng.randint(0, 150)), regency_id="35.26",
                created_by=rng.choice(officers), farmers=rng.randint(0, 80), fishers=rng.randint(0, 5),
            )
            for _ in range(400)
        ]
    )  # fmt: skip
    if events[0].pk is None:  # backends that do not return ids from bulk_create
        events = list(OutreachEvent.objects.order_by("pk"))
    links, through = [], []
    for e in events:
        for code in rng.sample(codes, rng.choice([1, 1, 1, 2, 5])):
            links.append(EventVillage(event=e, village_id=code, date=e.date, kind=e.kind))
        through.append(OutreachEvent.officers.through(outreachevent_id=e.pk, user_id=e.created_by_id))
    EventVillage.objects.bulk_create(links)
    OutreachEvent.officers.through.objects.bulk_create(through)

    regency = Region.objects.get(code="35.26")
    with django_assert_max_num_queries(5):
        cov = selectors.village_visit_coverage(region=regency, since=day(150), until=TODAY())
    assert cov.villages == len(codes) and sum(r.events for r in cov.per_month_kind) == 400
    assert sum(r.events for r in cov.per_officer) == 400
    visit_villages = {link.village_id for link in links if link.kind != EventKind.EMPLOYER_VISIT}
    assert cov.visited == len(visit_villages)
    district = Region.objects.get(code="35.26.02")
    with django_assert_max_num_queries(5):
        selectors.village_visit_coverage(region=district, since=day(150), until=TODAY())
