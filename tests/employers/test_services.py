"""Employers and compliance cases through the services: working days, the escalation order of
PP 86/2013, closing a case, scope."""

import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils import timezone, translation

from enrollment.models import CaseState, ComplianceCase, ComplianceStatus, Employer, Finding, StepKind
from enrollment.selectors import employer_cases
from enrollment.services import case_close, case_open, case_step_record, employer_update, employers_reassess
from enrollment.services import employers as services_module
from enrollment.services.employers import name_key
from tests.employers.conftest import MONDAY, OTHER_DISTRICT_VILLAGE
from ucj.errors import Conflict, ValidationFailed
from ucj.models import AuditEvent, Holiday, StaleRegion
from ucj.services import holidays_load
from ucj.workdays import WorkingCalendar, add_working_days, working_days_between

FRIDAY = MONDAY + dt.timedelta(days=4)


@pytest.fixture(autouse=True)
def _english():
    """The tests read the services' messages (Indonesian by default)."""
    with translation.override("en"):
        yield


# --- Working days ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_working_days_skip_the_weekend():
    assert add_working_days(FRIDAY, 1) == FRIDAY + dt.timedelta(days=3)  # Monday
    assert add_working_days(MONDAY, 10) == MONDAY + dt.timedelta(days=14)  # two weeks later
    assert add_working_days(MONDAY, 0) == MONDAY


def test_working_days_skip_a_configured_holiday(holiday):
    # Wednesday is off: 10 working days from Monday end on the Tuesday after next.
    assert add_working_days(MONDAY, 10) == MONDAY + dt.timedelta(days=15)
    assert working_days_between(MONDAY, MONDAY + dt.timedelta(days=15)) == 10
    assert working_days_between(MONDAY + dt.timedelta(days=15), MONDAY) == -10


def test_the_calendar_counts_like_a_walk_through_the_days_across_weekends_and_a_holiday(holiday):
    def walked(start, end):  # the plain definition: weekdays after start up to end, minus the holiday
        sign, (a, b) = (1, (start, end)) if start <= end else (-1, (end, start))
        days = (a + dt.timedelta(days=i) for i in range(1, (b - a).days + 1))
        return sign * sum(1 for d in days if d.weekday() < 5 and d != holiday.date)

    days = [MONDAY + dt.timedelta(days=n) for n in range(-3, 20)]
    calendar = WorkingCalendar(days, MONDAY + dt.timedelta(days=16))
    for start in days:
        for end in days:
            assert calendar.between(start, end) == walked(start, end), (start, end)
    assert calendar.late(MONDAY) == 11  # Wednesday is off
    assert calendar.left(MONDAY + dt.timedelta(days=18)) == 2
    assert working_days_between(MONDAY, MONDAY + dt.timedelta(days=15)) == 10


def test_a_holiday_not_observed_is_a_working_day(holiday):
    holiday.observed = False
    holiday.save()
    assert add_working_days(MONDAY, 10) == MONDAY + dt.timedelta(days=14)


@pytest.mark.django_db
def test_holidays_load_brings_lebaran_and_cuti_bersama_and_keeps_corrections():
    added = holidays_load(years=[2026])
    assert added > 15
    assert Holiday.objects.get(date=dt.date(2026, 3, 21)).name == "Hari Raya Idul Fitri"
    leave = Holiday.objects.get(date=dt.date(2026, 3, 23))
    assert leave.kind == Holiday.Kind.COLLECTIVE_LEAVE
    leave.observed = False
    leave.save()
    assert holidays_load(years=[2026]) == 0
    leave.refresh_from_db()
    assert leave.observed is False
    # Around Nyepi and Lebaran 2026, Wednesday 18 to Tuesday 24 March are off: one working day
    # after Tuesday 17 March is Wednesday 25 March, or Monday 23 March once that leave is not observed.
    assert add_working_days(dt.date(2026, 3, 17), 1) == dt.date(2026, 3, 23)
    leave.observed = True
    leave.save()
    assert add_working_days(dt.date(2026, 3, 17), 1) == dt.date(2026, 3, 25)


# --- Employers ------------------------------------------------------------------------------------


def test_create_derives_the_findings(make_employer):
    employer = make_employer(bpjs_workers=6, bpjs_wages=18_000_000, bpjs_programmes=["jkk", "jkm"])
    assert employer.status == ComplianceStatus.FINDINGS
    assert employer.findings == [Finding.PDS_WORKERS, Finding.PDS_PROGRAMME]
    assert (employer.gap_workers, employer.gap_wages) == (4, 12_000_000)
    assert employer.regency_id == "35.26"
    assert employer.name_key == "GARAM MADURA JAYA"
    assert employer.reported_as_of == timezone.localdate() and "clerk" in employer.reported_source


def test_update_rederives_and_audits(clerk, employer):
    employer = employer_update(
        actor=clerk, employer_id=employer.pk, changes={"bpjs_workers": 10, "bpjs_wages": 30_000_000}
    )
    assert employer.status == ComplianceStatus.COMPLIANT
    event = AuditEvent.objects.get(action="employer.update", target_id=str(employer.pk))
    assert event.data["before"]["bpjs_workers"] == 6 and event.data["after"]["bpjs_workers"] == 10


def test_bad_figures_are_refused_per_field(clerk, employer):
    with pytest.raises(ValidationFailed) as caught:
        employer_update(
            actor=clerk,
            employer_id=employer.pk,
            changes={
                "nib": "12",
                "reported_workers": -1,
                "bpjs_programmes": ["jkk", "xyz"],
                "village": "51.03.01.1002",
            },
        )
    assert set(caught.value.details) == {"nib", "reported_workers", "bpjs_programmes", "village"}
    employer.refresh_from_db()
    assert employer.reported_workers == 10


def test_two_employers_cannot_share_an_npp(make_employer):
    make_employer(npp="AB12345678")
    with pytest.raises(Conflict) as caught:
        make_employer(npp="ab 1234-5678", name="Lain")
    assert "npp" in caught.value.details


def test_a_field_officer_cannot_change_figures(officer, employer):
    with pytest.raises(PermissionDenied):
        employer_update(actor=officer, employer_id=employer.pk, changes={"bpjs_workers": 10})


def test_an_outsider_cannot_register_an_employer_in_bangkalan(make_employer, outsider):
    with pytest.raises(ValidationFailed) as caught:
        make_employer(actor=outsider)
    assert "village" in caught.value.details


def test_name_key_drops_legal_forms_and_punctuation():
    assert name_key("PT. Garam Madura Jaya, Tbk") == name_key("garam madura jaya") == "GARAM MADURA JAYA"
    assert name_key("CV  Sumber-Rejeki") == "SUMBER REJEKI"
    assert name_key("P.T. Garam Madura Jaya") == "GARAM MADURA JAYA"


def test_reassess_after_a_tolerance_change(settings, make_employer):
    employer = make_employer(bpjs_wages=28_800_000)  # 4 % below: compliant at 5 %
    assert employer.status == ComplianceStatus.COMPLIANT
    settings.UCJ_PDS_WAGE_TOLERANCE = 2
    assert employers_reassess() == 1
    assert Employer.objects.get(pk=employer.pk).pds_wages is True


# --- Cases ----------------------------------------------------------------------------------------


def open_case(clerk, employer, **kwargs):
    return case_open(actor=clerk, employer_id=employer.pk, finding=Finding.PDS_WORKERS, opened_on=MONDAY, **kwargs)


def test_opening_a_case_keeps_the_gap_and_sets_the_first_deadline(clerk, employer, holiday):
    case = open_case(clerk, employer)
    assert (case.gap_workers, case.gap_wages) == (4, 12_000_000)
    assert case.next_steps == [StepKind.WARNING_1, StepKind.NOTA_1]
    assert case.due_on == MONDAY + dt.timedelta(days=15)  # 10 working days, the holiday skipped


def test_a_case_needs_a_current_finding(clerk, employer):
    with pytest.raises(Conflict):
        case_open(actor=clerk, employer_id=employer.pk, finding=Finding.PWBD)


def test_one_open_case_per_finding(clerk, employer):
    open_case(clerk, employer)
    with pytest.raises(Conflict):
        open_case(clerk, employer)


def test_a_step_cannot_be_dated_in_the_future_or_before_the_case(clerk, employer):
    case = open_case(clerk, employer)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    with pytest.raises(ValidationFailed):
        case_step_record(
            actor=clerk, case_id=case.pk, kind=StepKind.WARNING_1, taken_on=tomorrow, document_number="560/1"
        )
    with pytest.raises(ValidationFailed):
        case_step_record(
            actor=clerk,
            case_id=case.pk,
            kind=StepKind.WARNING_1,
            taken_on=MONDAY - dt.timedelta(days=1),
            document_number="560/1",
        )


def test_only_the_labour_office_runs_cases(officer, supervisor, clerk, employer):
    for user in (officer, supervisor):
        with pytest.raises(PermissionDenied):
            open_case(user, employer)
    case = open_case(clerk, employer)
    with pytest.raises(PermissionDenied):
        case_step_record(
            actor=officer, case_id=case.pk, kind=StepKind.WARNING_1, taken_on=MONDAY, document_number="560/1"
        )


def test_closing_with_workers_added_updates_the_figures_and_marks_coverage_stale(clerk, employer):
    case = open_case(clerk, employer)
    StaleRegion.objects.all().delete()
    closed = case_close(
        actor=clerk, case_id=case.pk, outcome="complied", workers_added=4, wages_added=12_000_000, closed_on=MONDAY
    )
    assert closed.state == CaseState.CLOSED and closed.due_on is None
    employer.refresh_from_db()
    assert (employer.bpjs_workers, employer.bpjs_wages) == (10, 30_000_000)
    assert employer.status == ComplianceStatus.COMPLIANT
    assert employer.bpjs_as_of == MONDAY and f"#{case.pk}" in employer.bpjs_source
    assert StaleRegion.objects.filter(region_id=employer.village_id).exists()
    with pytest.raises(Conflict):
        case_step_record(
            actor=clerk, case_id=case.pk, kind=StepKind.WARNING_1, taken_on=MONDAY, document_number="560/1"
        )
    with pytest.raises(Conflict):
        case_close(actor=clerk, case_id=case.pk, outcome="complied", workers_added=1)


def test_closing_without_workers_leaves_coverage_alone(clerk, employer):
    case = open_case(clerk, employer)
    StaleRegion.objects.all().delete()
    case_close(actor=clerk, case_id=case.pk, outcome="closed_business")
    assert not StaleRegion.objects.exists()


def test_closing_refuses_bad_outcomes_and_full_compliance_without_workers(clerk, employer):
    case = open_case(clerk, employer)
    with pytest.raises(ValidationFailed) as caught:
        case_close(actor=clerk, case_id=case.pk, outcome="maybe", workers_added=-3)
    assert set(caught.value.details) == {"outcome", "workers_added"}
    with pytest.raises(ValidationFailed) as caught:
        case_close(actor=clerk, case_id=case.pk, outcome="complied")
    assert "workers_added" in caught.value.details
    case.refresh_from_db()
    assert case.state == CaseState.OPEN


def test_a_case_in_another_district_is_run_by_the_regency_labour_office(clerk, make_employer):
    employer = make_employer(village=OTHER_DISTRICT_VILLAGE, bpjs_workers=3, bpjs_wages=9_000_000)
    assert open_case(clerk, employer).regency_id == "35.26"


def test_reassess_command_reports_the_changes(settings, make_employer):
    make_employer(bpjs_wages=28_800_000)
    settings.UCJ_PDS_WAGE_TOLERANCE = 2
    out = StringIO()
    call_command("reassess_employers", stdout=out)
    assert "1 changed" in out.getvalue()


# --- Closing: what a case may add, and when ------------------------------------------------------


def close(clerk, case, **kwargs):
    kwargs.setdefault("closed_on", MONDAY)
    return case_close(actor=clerk, case_id=case.pk, **kwargs)


def test_closing_refuses_workers_on_a_case_whose_finding_registers_nobody(clerk, make_employer):
    # PDS wages: every worker is registered already; workers "added" would be counted as new PU.
    employer = make_employer(bpjs_wages=20_000_000)
    case = case_open(actor=clerk, employer_id=employer.pk, finding=Finding.PDS_WAGES, opened_on=MONDAY)
    with pytest.raises(ValidationFailed) as caught:
        close(clerk, case, outcome="partly", workers_added=2, wages_added=1_000_000)
    assert caught.value.details == {"workers_added": "Workers are added only by closing a PWBD or PDS workers case."}
    employer.refresh_from_db()
    assert employer.bpjs_workers == 10


@pytest.mark.parametrize("outcome", ["not_obliged", "closed_business"])
def test_closing_refuses_additions_when_the_employer_was_not_obliged_or_closed(clerk, employer, outcome):
    case = open_case(clerk, employer)
    with pytest.raises(ValidationFailed) as caught:
        close(clerk, case, outcome=outcome, workers_added=4, wages_added=12_000_000)
    assert set(caught.value.details) == {"workers_added", "wages_added"}
    assert ComplianceCase.objects.get(pk=case.pk).state == CaseState.OPEN


def test_closing_caps_the_workers_at_the_employers_gap_now(clerk, employer):
    case = open_case(clerk, employer)  # 4 workers not registered at opening
    # BPJS's list brings 3 of them meanwhile: 1 is left for the case to register.
    employer_update(actor=clerk, employer_id=employer.pk, changes={"bpjs_workers": 9, "bpjs_wages": 27_000_000})
    with pytest.raises(ValidationFailed) as caught:
        close(clerk, case, outcome="complied", workers_added=4, wages_added=12_000_000)
    assert caught.value.details == {
        "workers_added": "At most 1: the workers reported to the labour office and not registered with BPJS."
    }
    close(clerk, case, outcome="complied", workers_added=1, wages_added=3_000_000)
    employer.refresh_from_db()
    assert (employer.bpjs_workers, employer.status) == (10, ComplianceStatus.COMPLIANT)


def test_two_cases_cannot_register_the_same_workers_twice(clerk, employer):
    first = open_case(clerk, employer)
    close(clerk, first, outcome="partly", workers_added=3, wages_added=9_000_000)
    second = open_case(clerk, employer)
    with pytest.raises(ValidationFailed) as caught:
        close(clerk, second, outcome="complied", workers_added=4, wages_added=12_000_000)
    assert "At most 1:" in caught.value.details["workers_added"]


def test_a_pwbd_case_registers_the_reported_workers_with_the_programmes(clerk, make_employer):
    employer = make_employer(bpjs_workers=None, bpjs_wages=None, bpjs_programmes=[])  # 10 reported, none registered
    case = case_open(actor=clerk, employer_id=employer.pk, finding=Finding.PWBD, opened_on=MONDAY)
    with pytest.raises(ValidationFailed) as caught:
        close(clerk, case, outcome="complied", workers_added=11, wages_added=33_000_000)
    assert caught.value.details["workers_added"].startswith("At most 10:")
    closed = close(
        clerk,
        case,
        outcome="complied",
        workers_added=10,
        wages_added=30_000_000,
        programmes_added=["jkm", "jkk", "jht"],
    )
    assert closed.programmes_added == ["jkk", "jkm", "jht"] and closed.village_id == employer.village_id
    employer.refresh_from_db()
    assert (employer.bpjs_workers, employer.bpjs_wages) == (10, 30_000_000)
    assert employer.bpjs_programmes == ["jkk", "jkm", "jht"]
    assert employer.status == ComplianceStatus.COMPLIANT


def test_workers_added_need_their_wages_when_the_employer_reports_wages(clerk, employer):
    case = open_case(clerk, employer)
    with pytest.raises(ValidationFailed) as caught:
        close(clerk, case, outcome="complied", workers_added=4)
    assert set(caught.value.details) == {"wages_added"}
    employer.refresh_from_db()
    assert (employer.bpjs_workers, employer.pds_wages) == (6, False)


def test_workers_added_to_an_employer_without_wage_figures_leave_its_wages_unknown(clerk, make_employer):
    employer = make_employer(reported_wages=None, bpjs_workers=6, bpjs_wages=None)
    case = open_case(clerk, employer)
    close(clerk, case, outcome="complied", workers_added=4)
    employer.refresh_from_db()
    assert employer.bpjs_workers == 10
    assert employer.bpjs_wages is None  # not 0: that would be registered wages of nothing a month


def test_a_pds_programme_case_complied_in_full_needs_the_missing_programmes(clerk, make_employer):
    employer = make_employer(bpjs_programmes=["jkk", "jkm"])  # a small business owes JHT as well
    case = case_open(actor=clerk, employer_id=employer.pk, finding=Finding.PDS_PROGRAMME, opened_on=MONDAY)
    with pytest.raises(ValidationFailed) as caught:
        close(clerk, case, outcome="complied")
    assert caught.value.details == {
        "programmes_added": "Complying in full means registering the missing programmes: JHT (old-age savings)."
    }
    with pytest.raises(ValidationFailed) as caught:
        close(clerk, case, outcome="complied", programmes_added=["jht", "jkn"])
    assert caught.value.details == {"programmes_added": "Unknown programmes: jkn."}
    closed = close(clerk, case, outcome="complied", programmes_added=["jht"])
    assert closed.programmes_added == ["jht"]
    employer.refresh_from_db()
    assert employer.bpjs_programmes == ["jkk", "jkm", "jht"] and f"#{case.pk}" in employer.bpjs_source
    assert employer.status == ComplianceStatus.COMPLIANT and not employer.pds_programme


def test_a_pds_wages_case_complied_in_full_needs_wages_added(clerk, make_employer):
    employer = make_employer(bpjs_wages=20_000_000)
    case = case_open(actor=clerk, employer_id=employer.pk, finding=Finding.PDS_WAGES, opened_on=MONDAY)
    with pytest.raises(ValidationFailed) as caught:
        close(clerk, case, outcome="complied")
    assert set(caught.value.details) == {"wages_added"}
    close(clerk, case, outcome="complied", wages_added=10_000_000)
    employer.refresh_from_db()
    assert employer.bpjs_wages == 30_000_000 and employer.status == ComplianceStatus.COMPLIANT


def test_a_case_cannot_be_closed_before_its_last_step(clerk, employer):
    case = open_case(clerk, employer)
    step_day = MONDAY + dt.timedelta(days=7)
    case_step_record(actor=clerk, case_id=case.pk, kind=StepKind.WARNING_1, taken_on=step_day, document_number="560/1")
    with pytest.raises(ValidationFailed) as caught:
        close(clerk, case, outcome="partly", closed_on=step_day - dt.timedelta(days=1))
    assert caught.value.details == {"closed_on": "The case cannot be closed before its last step (10-03-2025)."}
    assert close(clerk, case, outcome="partly", closed_on=step_day).closed_on == step_day


# --- Dates ----------------------------------------------------------------------------------------

ANCIENT = dt.date(1, 1, 1)
EARLIEST = "A date on or after 01-01-2013."


def test_a_case_cannot_be_opened_stepped_or_closed_before_2013(clerk, employer):
    with pytest.raises(ValidationFailed) as caught:
        case_open(actor=clerk, employer_id=employer.pk, finding=Finding.PDS_WORKERS, opened_on=ANCIENT)
    assert caught.value.details == {"opened_on": EARLIEST}
    case = case_open(actor=clerk, employer_id=employer.pk, finding=Finding.PDS_WORKERS, opened_on=dt.date(2013, 1, 1))
    with pytest.raises(ValidationFailed) as caught:
        case_step_record(
            actor=clerk, case_id=case.pk, kind=StepKind.WARNING_1, taken_on=ANCIENT, document_number="560/1"
        )
    assert caught.value.details == {"taken_on": EARLIEST}
    with pytest.raises(ValidationFailed) as caught:
        close(clerk, case, outcome="partly", closed_on=dt.date(2012, 12, 31))
    assert caught.value.details == {"closed_on": EARLIEST}


@pytest.mark.parametrize("field", ["reported_as_of", "bpjs_as_of"])
def test_figures_cannot_be_dated_before_2013(clerk, employer, field):
    with pytest.raises(ValidationFailed) as caught:
        employer_update(actor=clerk, employer_id=employer.pk, changes={field: ANCIENT})
    assert caught.value.details == {field: EARLIEST}
    employer = employer_update(actor=clerk, employer_id=employer.pk, changes={field: dt.date(2013, 1, 1)})
    assert getattr(employer, field) == dt.date(2013, 1, 1)


def test_service_messages_write_numbers_in_indonesian(clerk, employer):
    with translation.override("id"), pytest.raises(ValidationFailed) as caught:
        employer_update(actor=clerk, employer_id=employer.pk, changes={"reported_workers": 2_000_000})
    assert "1.000.000" in caught.value.details["reported_workers"]
    case = open_case(clerk, employer)
    with translation.override("id"), pytest.raises(ValidationFailed) as caught:
        close(clerk, case, outcome="partly", workers_added=1_500_000)
    assert "1.000.000" in caught.value.details["workers_added"]


# --- Lists and re-derivation ----------------------------------------------------------------------


def test_an_employers_cases_come_open_first_then_newest(clerk, employer):
    oldest = open_case(clerk, employer)
    close(clerk, oldest, outcome="partly", workers_added=1, wages_added=3_000_000)
    newer = case_open(
        actor=clerk, employer_id=employer.pk, finding=Finding.PDS_WORKERS, opened_on=MONDAY + dt.timedelta(days=1)
    )
    close(clerk, newer, outcome="partly", workers_added=1, wages_added=3_000_000, closed_on=newer.opened_on)
    still_open = open_case(clerk, employer)  # opened on MONDAY, before the newer closed one
    assert [c.pk for c in employer_cases(employer)] == [still_open.pk, newer.pk, oldest.pk]


def test_reassess_never_writes_findings_from_figures_changed_meanwhile(settings, monkeypatch, clerk, make_employer):
    """An employer changed while the re-derivation runs keeps the findings of its new figures:
    each chunk is read under its locks and written at once (one employer a chunk here)."""
    first = make_employer(name="PT Satu", bpjs_wages=28_800_000)
    second = make_employer(name="PT Dua", bpjs_wages=28_800_000)  # 4 % below: PDS wages at 2 %
    settings.UCJ_PDS_WAGE_TOLERANCE = 2
    monkeypatch.setattr(services_module, "REASSESS_CHUNK", 1, raising=False)
    reassess = services_module.employer_reassess
    calls = []

    def reassess_while_a_clerk_edits(employer):
        calls.append(employer.pk)
        if len(calls) == 1:
            # The clerk corrects the second employer's wages while the first is re-derived.
            employer_update(actor=clerk, employer_id=second.pk, changes={"bpjs_wages": 30_000_000})
        return reassess(employer)

    monkeypatch.setattr(services_module, "employer_reassess", reassess_while_a_clerk_edits)
    employers_reassess(queryset=Employer.objects.filter(pk__in=[first.pk, second.pk]))
    assert Employer.objects.get(pk=first.pk).pds_wages is True
    second = Employer.objects.get(pk=second.pk)
    assert second.bpjs_wages == 30_000_000
    assert second.pds_wages is False and second.status == ComplianceStatus.COMPLIANT
