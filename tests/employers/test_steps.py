"""Case steps as PP 86/2013 has them: BPJS's track (written warnings I and II, the fine, the denial
of certain public services) beside the labour inspectors' (notes I and II, referral), each in its
own order; deadlines in the working days of the employer's regency, refused past the loaded
years; the fine's arithmetic; what the pages and the API offer; beat loading next year's holidays."""

import datetime as dt
import runpy
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from enrollment.models import CaseStep, ComplianceCase, Finding, StepActor, StepKind
from enrollment.selectors import fine_for
from enrollment.services import case_open, case_step_record
from tests.employers.conftest import MONDAY
from tests.outreach.conftest import in_english  # noqa: F401
from ucj.errors import Conflict, ValidationFailed
from ucj.models import Holiday, HolidayYear, Region
from ucj.tasks import holidays_load_next_year
from ucj.workdays import HolidaysNotLoaded, WorkingCalendar, add_working_days

ID = runpy.run_path(str(Path(__file__).resolve().parents[2] / "locale" / "id_translations.py"))["ID"]
WEDNESDAY = MONDAY + dt.timedelta(days=2)
# 10 working days after MONDAY (2025-03-03) with no holiday: Monday 17 March.
WARNING_DUE = MONDAY + dt.timedelta(days=14)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def opened(clerk, employer):
    return case_open(actor=clerk, employer_id=employer.pk, finding=Finding.PDS_WORKERS, opened_on=MONDAY)


def step(clerk, case, kind, day, **extra):
    return case_step_record(
        actor=clerk, case_id=case.pk, kind=kind, taken_on=day, document_number=f"560/{kind}", **extra
    )


# --- The two tracks, each in its order ------------------------------------------------------------


def test_bpjs_track_runs_warning_i_ii_fine_then_denial_each_after_the_deadline_before(clerk, employer):
    case = opened(clerk, employer)
    with pytest.raises(Conflict, match=r"the next step of BPJS Ketenagakerjaan's sanctions .* is written warning I\."):
        step(clerk, case, StepKind.WARNING_2, MONDAY)
    first = step(clerk, case, StepKind.WARNING_1, MONDAY)
    assert first.due_on == WARNING_DUE
    with pytest.raises(Conflict, match="already"):
        step(clerk, case, StepKind.WARNING_1, MONDAY)
    with pytest.raises(Conflict, match="has until 17-03-2025"):
        step(clerk, case, StepKind.WARNING_2, WARNING_DUE)
    second = step(clerk, case, StepKind.WARNING_2, WARNING_DUE + dt.timedelta(days=1))
    # The fine only after warning II has run out (PP 86/2013 art. 7(2)), and with its facts.
    with pytest.raises(Conflict, match="has until"):
        step(clerk, case, StepKind.FINE, second.due_on, premiums_owed=10_000_000, fine_months=3)
    after = second.due_on + dt.timedelta(days=1)
    with pytest.raises(ValidationFailed) as caught:
        step(clerk, case, StepKind.FINE, after)
    assert set(caught.value.details) == {"premiums_owed", "fine_months"}
    fine = step(clerk, case, StepKind.FINE, after, premiums_owed=10_000_000, fine_months=3)
    assert (fine.fine_amount, fine.due_on) == (30_000, None)
    denial = step(clerk, case, StepKind.SERVICE_DENIAL, after)
    case.refresh_from_db()
    assert case.bpjs_step == StepKind.SERVICE_DENIAL and case.fine_amount == 30_000
    assert case.next_steps == [StepKind.NOTA_1] and case.due_on is None
    assert denial.actor == "government" and fine.actor == first.actor == "bpjs"
    with pytest.raises(Conflict, match="already"):
        step(clerk, case, StepKind.WARNING_1, after)


def test_the_inspection_track_runs_beside_bpjs_and_keeps_its_own_order(clerk, employer):
    case = opened(clerk, employer)
    with pytest.raises(Conflict, match="the next step of labour inspection is inspection note I"):
        step(clerk, case, StepKind.REFERRAL, MONDAY)
    # A note gives the deadline written in it; BPJS's warning runs at the same time.
    note = step(clerk, case, StepKind.NOTA_1, MONDAY, due_on=MONDAY + dt.timedelta(days=30))
    warning = step(clerk, case, StepKind.WARNING_1, MONDAY + dt.timedelta(days=1))
    case.refresh_from_db()
    assert (case.inspection_due_on, case.bpjs_due_on) == (note.due_on, warning.due_on)
    assert case.due_on == warning.due_on  # the earliest deadline that runs
    assert note.actor == "inspectors" and note.track == "inspection"
    with pytest.raises(Conflict, match="has until"):
        step(clerk, case, StepKind.NOTA_2, note.due_on)
    second = step(clerk, case, StepKind.NOTA_2, note.due_on + dt.timedelta(days=1))
    assert second.due_on == add_working_days(second.taken_on, settings.UCJ_CASE_STEP_WORKING_DAYS)
    with pytest.raises(ValidationFailed) as caught:
        step(clerk, case, StepKind.WARNING_2, warning.due_on + dt.timedelta(days=1), due_on=dt.date(2025, 6, 1))
    assert "due_on" in caught.value.details
    step(clerk, case, StepKind.REFERRAL, second.due_on + dt.timedelta(days=1))
    case.refresh_from_db()
    assert case.inspection_step == StepKind.REFERRAL and case.inspection_due_on is None
    assert case.next_steps == [StepKind.WARNING_2]


@pytest.mark.parametrize(
    "owed, months, fine",
    [(10_000_000, 3, 30_000), (10_000_000, 1, 10_000), (1_234_567, 2, 2_469), (500, 1, 1), (499, 1, 0)],
)
def test_the_fine_is_a_tenth_of_a_percent_a_month_of_the_premiums_owed(owed, months, fine):
    assert fine_for(premiums_owed=owed, months=months) == fine


# --- Working days of the employer's region ---------------------------------------------------------


@pytest.mark.django_db
def test_a_regency_holiday_counts_for_its_employers_only():
    Holiday.objects.create(date=WEDNESDAY, name="Hari jadi Kabupaten Bangkalan", kind="regional", region_id="35.26")
    Holiday.objects.create(date=MONDAY + dt.timedelta(days=3), name="Hari raya provinsi", region_id="51")
    assert add_working_days(MONDAY, 10, region="35.26") == WARNING_DUE + dt.timedelta(days=1)
    assert add_working_days(MONDAY, 10, region="35.26.01.2008") == WARNING_DUE + dt.timedelta(days=1)
    assert add_working_days(MONDAY, 10, region="35.28") == WARNING_DUE  # Pamekasan: a working day
    assert add_working_days(MONDAY, 10) == WARNING_DUE  # national only
    assert add_working_days(MONDAY, 10, region="51.03") == WARNING_DUE + dt.timedelta(days=1)  # Bali's own
    calendar = WorkingCalendar([MONDAY, WARNING_DUE], WARNING_DUE, regions={"35.26", "35.28"})
    assert calendar.between(MONDAY, WARNING_DUE, "35.26") == 9
    assert calendar.between(MONDAY, WARNING_DUE, "35.28") == 10


def test_a_case_deadline_skips_its_regencys_holiday_not_anothers(clerk, outsider, employer, badung_employer):
    Holiday.objects.create(date=WEDNESDAY, name="Hari jadi Kabupaten Bangkalan", kind="regional", region_id="35.26")
    bangkalan = opened(clerk, employer)
    badung = case_open(actor=outsider, employer_id=badung_employer.pk, finding=Finding.PDS_WORKERS, opened_on=MONDAY)
    assert bangkalan.due_on == WARNING_DUE + dt.timedelta(days=1)
    assert badung.due_on == WARNING_DUE
    warning = step(clerk, bangkalan, StepKind.WARNING_1, MONDAY)
    assert warning.due_on == WARNING_DUE + dt.timedelta(days=1)


@pytest.mark.django_db
def test_counting_working_days_is_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        add_working_days(MONDAY, 10, region="35.26.01.2008")
    with django_assert_num_queries(1):
        WorkingCalendar([MONDAY, WARNING_DUE], WARNING_DUE, regions={"35.26", "51.03"})


def test_a_regional_holiday_belongs_to_a_province_or_regency(db):
    from django.core.exceptions import ValidationError

    holiday = Holiday(date=WEDNESDAY, name="Hari desa", region=Region.objects.get(code="35.26.01"))
    with pytest.raises(ValidationError):
        holiday.full_clean()
    Holiday(date=WEDNESDAY, name="Galungan", kind="regional", region=Region.objects.get(code="51")).full_clean()


# --- Years whose holidays are not loaded ----------------------------------------------------------


def test_a_deadline_past_the_loaded_years_is_refused_with_the_command_to_run(clerk, employer):
    last_day = dt.date(2025, 12, 24)
    HolidayYear.objects.filter(year=2026).delete()
    with pytest.raises(HolidaysNotLoaded) as caught:
        add_working_days(last_day, 10, region="35.26")
    assert str(caught.value) == (
        "Holidays for 2026 are not loaded yet; an administrator runs load_holidays --year 2026."
    )
    assert isinstance(caught.value, Conflict)
    assert add_working_days(dt.date(2025, 12, 1), 10) == dt.date(2025, 12, 15)  # within 2025: counted
    case = opened(clerk, employer)
    with pytest.raises(Conflict, match="load_holidays --year 2026"):
        step(clerk, case, StepKind.WARNING_1, last_day)
    assert not CaseStep.objects.filter(case=case).exists()
    HolidayYear.objects.create(year=2026)  # loaded, even with no holiday at all
    assert step(clerk, case, StepKind.WARNING_1, last_day).due_on == dt.date(2026, 1, 7)


def test_the_api_answers_409_when_the_holidays_are_not_loaded(api_client, clerk, employer):
    HolidayYear.objects.filter(year=2025).delete()
    api_client.force_authenticate(clerk)
    response = api_client.post(
        "/api/v1/compliance-cases/",
        {"employer": employer.pk, "finding": "pds_workers", "opened_on": MONDAY.isoformat()},
        format="json",
    )
    assert response.status_code == 409
    assert "load_holidays --year 2025" in response.json()["detail"]


# --- Beat loads next year's holidays every December -----------------------------------------------


def test_beat_loads_next_years_holidays_every_day_of_december():
    entry = settings.CELERY_BEAT_SCHEDULE["holidays-next-year"]
    assert entry["task"] == "ucj.tasks.holidays_load_next_year"
    schedule = entry["schedule"]
    assert schedule.month_of_year == {12} and len(schedule.day_of_month) == 31 and schedule.hour == {2}
    assert holidays_load_next_year.name == entry["task"]


@pytest.mark.django_db
def test_the_beat_task_loads_next_year_and_marks_it_loaded_even_twice():
    HolidayYear.objects.filter(year=2027).delete()
    with mock.patch("ucj.tasks.timezone.localdate", return_value=dt.date(2026, 12, 1)):
        added = holidays_load_next_year.delay().get()
        again = holidays_load_next_year.delay().get()
    assert added > 10 and again == 0
    assert HolidayYear.objects.filter(year=2027).exists()
    assert Holiday.objects.filter(date__year=2027, region__isnull=True, date=dt.date(2027, 8, 17)).exists()


# --- Pages and API offer only the next step of each track -------------------------------------------


def test_the_case_page_offers_the_next_step_of_each_track_with_who_acts(client, clerk, employer, in_english):  # noqa: F811
    case = opened(clerk, employer)
    step(clerk, case, StepKind.WARNING_1, MONDAY)
    step(clerk, case, StepKind.WARNING_2, WARNING_DUE + dt.timedelta(days=1))
    client.force_login(clerk)
    page = client.get(reverse("enrollment:case-detail", args=[case.pk])).content.decode()
    offered = {kind for kind in StepKind.values if f'name="kind" value="{kind}"' in page}
    assert offered == {StepKind.FINE, StepKind.NOTA_1}
    assert "Record the next step: fine (BPJS Ketenagakerjaan)" in page
    assert 'name="premiums_owed"' in page and 'name="fine_months"' in page
    assert "labour inspectors" in page and "regional government" in page and "PP 86/2013 art. 5(2)c" in page
    # The fine recorded shows its arithmetic.
    response = client.post(
        reverse("enrollment:case-step", args=[case.pk]),
        {
            "kind": "fine",
            "taken_on": "2025-04-10",
            "document_number": "B/1",
            "premiums_owed": "10000000",
            "fine_months": "3",
        },
    )
    assert response.status_code == 302, response.context["step_form"].errors
    page = client.get(reverse("enrollment:case-detail", args=[case.pk])).content.decode()
    assert "Rp30,000" in page and "Rp10,000,000" in page
    offered = {kind for kind in StepKind.values if f'name="kind" value="{kind}"' in page}
    assert offered == {StepKind.SERVICE_DENIAL, StepKind.NOTA_1}
    work_list = client.get(reverse("enrollment:compliance-list")).content.decode()
    assert "Fine: Rp30,000" in work_list and "denial of certain public services" in work_list


def test_the_steps_have_their_indonesian_names():
    # The pages are Indonesian by default; `make messages` compiles these into the catalogue.
    names = {ID[str(label)] for label in [*(kind.label for kind in StepKind), *(a.label for a in StepActor)]}
    for words in (
        "teguran tertulis I",
        "teguran tertulis II",
        "denda",
        "penghentian pelayanan publik tertentu",
        "nota pemeriksaan I",
        "nota pemeriksaan II",
        "pengawas ketenagakerjaan",
    ):
        assert any(words in name for name in names), words


def test_the_api_offers_only_the_steps_that_may_come_now(api_client, clerk, employer):
    case = opened(clerk, employer)
    step(clerk, case, StepKind.WARNING_1, timezone.localdate())  # its deadline runs
    api_client.force_authenticate(clerk)
    body = api_client.get(f"/api/v1/compliance-cases/{case.pk}/").json()
    assert body["actions"] == ["nota_1", "close"]  # warning II waits for warning I's deadline
    assert body["next_steps"] == ["warning_2", "nota_1"]
    bpjs = body["tracks"][0]
    assert bpjs["waiting"] is True and bpjs["next_step"] == "warning_2" and bpjs["next_actor"] == "bpjs"


def test_an_outsider_gets_404_on_the_case_its_steps_and_its_page(api_client, client, clerk, outsider, employer):
    case = opened(clerk, employer)
    api_client.force_authenticate(outsider)
    assert api_client.get(f"/api/v1/compliance-cases/{case.pk}/").status_code == 404
    data = {"kind": "warning_1", "document_number": "1", "taken_on": MONDAY.isoformat()}
    assert api_client.post(f"/api/v1/compliance-cases/{case.pk}/steps/", data, format="json").status_code == 404
    client.force_login(outsider)
    assert client.get(reverse("enrollment:case-detail", args=[case.pk])).status_code == 404
    assert client.post(reverse("enrollment:case-step", args=[case.pk]), data).status_code == 404
    assert not ComplianceCase.objects.get(pk=case.pk).last_step
