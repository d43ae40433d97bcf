"""The employer compliance demo: some forty employers of Bangkalan across every status and finding,
the labour office's cases at every step of PP 86/2013 (overdue, due in the next days, closed with
workers registered, which coverage counts as wage earners), outreach's employer visits linked to
them, the holidays the deadlines skip, and a second run that adds nothing."""

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from enrollment.demo import NIB_PREFIX
from enrollment.models import CaseState, CaseStep, ComplianceCase, ComplianceStatus, Employer, Finding, StepKind
from enrollment.selectors.employers import cases_due, cases_overdue
from outreach.models import EventKind, OutreachEvent
from ucj.models import AuditEvent, CoverageSnapshot, Holiday, MembershipCount

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_every_status_and_step_and_a_second_run_adds_nothing(capsys):
    call_command("seed_demo")

    employers = Employer.objects.filter(nib__startswith=NIB_PREFIX)
    assert 35 <= employers.count() <= 45
    assert all(e.regency_id == "35.26" and len(e.nib) == 13 and e.nib.isdigit() for e in employers)
    assert employers.values("village__parent").distinct().count() >= 12  # spread over the districts
    # Registered employers have their NPP; the unregistered ones are PWBD or not assessed.
    assert not employers.filter(npp="", bpjs_workers__gt=0).exists()
    assert all(e.status == ComplianceStatus.UNASSESSED or e.pwbd for e in employers.filter(npp=""))
    statuses = set(employers.values_list("status", flat=True))
    assert statuses == set(ComplianceStatus.values)
    for finding in Finding.values:
        assert employers.filter(**{finding: True}).exists(), finding
    assert any(len(e.findings) >= 3 for e in employers) and any(len(e.findings) == 2 for e in employers)
    # Both sides' figures carry their source and date.
    assert not employers.filter(reported_workers__isnull=False, reported_source="").exists()
    assert not employers.filter(bpjs_workers__isnull=False, bpjs_as_of__isnull=True).exists()

    cases = ComplianceCase.objects.filter(employer__nib__startswith=NIB_PREFIX)
    open_cases = cases.filter(state=CaseState.OPEN)
    assert cases_overdue(open_cases).count() >= 3 and cases_due(open_cases).count() >= 2
    assert open_cases.filter(last_step="").exists()
    # Open cases stand at every step of both tracks (inspection note I is passed on the way to II).
    last_steps = set(open_cases.values_list("last_step", flat=True))
    assert last_steps == {"", *StepKind.values} - {StepKind.NOTA_1}
    assert set(CaseStep.objects.filter(case__in=open_cases).values_list("kind", flat=True)) == set(StepKind.values)
    assert open_cases.exclude(inspection_step="").exists() and open_cases.filter(fine_amount__gt=0).exists()
    assert CaseStep.objects.filter(document_number="").count() == 0
    closed = cases.filter(state=CaseState.CLOSED, workers_added__gt=0)
    assert closed.count() == 3
    assert AuditEvent.objects.filter(action="case.open").count() == cases.count()
    # Workers registered through the closed cases count as wage earners (PU): in their villages
    # (BPJS gives no village figure: UCJ's own count) and on top of BPJS's count of the regency.
    for case in closed:
        village = CoverageSnapshot.objects.get(region_id=case.employer.village_id, is_current=True)
        assert village.ucj_active >= case.workers_added
    bpjs = MembershipCount.objects.filter(region_id="35.26").latest("as_of")
    regency = CoverageSnapshot.objects.get(region_id="35.26", is_current=True)
    # BPJS's monthly figure already holds those registered before it; the later ones come on top.
    assert regency.pu >= bpjs.pu + sum(case.workers_added for case in closed if case.closed_on > bpjs.as_of)

    # Outreach's employer visits point at the demo's employers, or one found in the field.
    visits = OutreachEvent.objects.filter(kind=EventKind.EMPLOYER_VISIT).select_related("employer")
    assert visits.count() >= 4 and all(v.employer_id for v in visits)
    batik = visits.get(employer__name="UD Batik Tulis Tanjung Bumi")
    assert batik.employer.nib.startswith(NIB_PREFIX) and batik.employer.pwbd
    found = Employer.objects.filter(nib="", visits__isnull=False).distinct()
    assert found.count() == 1 and found.get().status == ComplianceStatus.UNASSESSED
    assert Holiday.objects.exists()

    def state():
        return (
            Employer.objects.count(),
            ComplianceCase.objects.count(),
            CaseStep.objects.count(),
            Holiday.objects.count(),
            OutreachEvent.objects.count(),
            dict(AuditEvent.objects.values_list("action").annotate(n=Count("id")).order_by()),
        )

    before = state()
    call_command("seed_demo")
    assert "Employer demo: already there." in capsys.readouterr().out
    after = state()
    assert after[:5] == before[:5]
    assert {k: v for k, v in after[5].items() if k.startswith(("employer.", "case."))} == {
        k: v for k, v in before[5].items() if k.startswith(("employer.", "case."))
    }


@pytest.mark.django_db
def test_seed_demo_dates_each_cases_history_on_the_days_it_happened(capsys):
    """A case opened weeks ago must not say in its history that it was opened today."""
    call_command("seed_demo")
    cases = ComplianceCase.objects.filter(employer__nib__startswith=NIB_PREFIX).prefetch_related("steps")
    for case in cases:
        history = AuditEvent.objects.filter(target_type="enrollment.compliancecase", target_id=str(case.pk))
        opened = history.get(action="case.open")
        assert timezone.localtime(opened.at).date() == case.opened_on
        for step in case.steps.all():
            recorded = history.filter(action=f"case.step.{step.kind}").get()
            assert timezone.localtime(recorded.at).date() == step.taken_on
        if case.state == CaseState.CLOSED:
            assert timezone.localtime(history.get(action="case.close").at).date() == case.closed_on
