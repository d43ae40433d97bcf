"""The outreach demo: a season of events in Bangkalan, leads with follow-ups, logged through the
services, and safe to run twice."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from outreach.models import EventKind, EventVillage, Lead, LeadFollowUp, LeadStatus, OutreachEvent, PlantingSeason
from ucj.models import AuditEvent


@pytest.mark.django_db
def test_seed_demo_logs_a_season_in_bangkalan_and_a_second_run_adds_nothing(capsys):
    call_command("seed_demo")
    today = timezone.localdate()
    events = OutreachEvent.objects.all()
    counts = {kind: events.filter(kind=kind).count() for kind in EventKind.values}
    assert counts[EventKind.VILLAGE_VISIT] >= 15 and counts[EventKind.SOCIALISATION] >= 3
    assert counts[EventKind.FESTIVAL] == 1 and counts[EventKind.EMPLOYER_VISIT] == 5
    # Employer visits point at employers of their village: four of the employer demo, found by
    # name, and one found in the field.
    visits = events.filter(kind=EventKind.EMPLOYER_VISIT).select_related("employer")
    assert all(e.employer.village_id in {v.code for v in e.villages.all()} for e in visits)
    assert sum(1 for e in visits if e.employer.nib) == 4
    fertiliser = events.filter(kind=EventKind.FERTILISER)
    assert fertiliser.count() >= 5
    assert all(
        e.planting_season == PlantingSeason.RENDENG and e.date.month in (10, 11, 12) and e.distribution_point
        for e in fertiliser
    )
    assert all(e.regency_id == "35.26" and e.date <= today for e in events)
    assert min(e.date for e in events if e.kind != EventKind.FERTILISER) >= today - timezone.timedelta(days=150)
    # A session gathers the village heads of a whole district; its villages mirror the event.
    session = events.filter(kind=EventKind.SOCIALISATION, partner="Kecamatan Socah").get()
    assert EventVillage.objects.filter(event=session, date=session.date).count() == 11
    assert AuditEvent.objects.filter(action="outreach.event.create").count() == events.count()

    leads = Lead.objects.all()
    assert 25 <= leads.count() <= 35
    assert leads.filter(status=LeadStatus.INTERESTED, next_follow_up=today).exists()
    assert leads.filter(status=LeadStatus.INTERESTED, next_follow_up__lt=today).exists()
    added = leads.filter(status=LeadStatus.ADDED)
    assert added.count() == 2 and all(lead.batch.state == "draft" for lead in added)
    assert all(lead.batch.members.filter(participant__nik=lead.nik).exists() for lead in added)

    before = (events.count(), EventVillage.objects.count(), leads.count(), AuditEvent.objects.count())
    call_command("seed_demo")
    assert "Outreach demo: already there." in capsys.readouterr().out
    after = (OutreachEvent.objects.count(), EventVillage.objects.count(), Lead.objects.count())
    assert after == before[:3]


@pytest.mark.django_db
def test_seed_demo_logs_events_and_follow_ups_on_their_days_and_leaves_work_for_today(capsys):
    call_command("seed_demo")
    today = timezone.localdate()
    for event in OutreachEvent.objects.all():
        assert timezone.localtime(event.created_at).date() == event.date
    # Leads carry the contacts that brought them where they stand, recorded on their days, and
    # their status and next date follow the latest one.
    follow_ups = LeadFollowUp.objects.select_related("lead")
    assert follow_ups.count() >= 15
    assert set(follow_ups.values_list("outcome", flat=True)) >= {"declined", "reached", "will_enroll", "not_reached"}
    for entry in follow_ups:
        assert timezone.localtime(entry.created_at).date() == entry.date <= today
        latest = entry.lead.follow_ups.order_by("-date", "-id").first()
        if latest == entry and entry.lead.status != LeadStatus.ADDED:
            assert entry.lead.next_follow_up == entry.next_date
    assert Lead.objects.filter(status=LeadStatus.INTERESTED, next_follow_up__lte=today, officer__username="officer")
