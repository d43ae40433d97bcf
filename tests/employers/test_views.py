"""Employer-compliance pages: the employer list and its filters, the employer page, registering,
editing and importing employers, the labour office's work list and the case page with its
escalation — who sees what, and that refusals come back on the page."""

import datetime as dt
import re

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from enrollment.models import CaseState, CaseStep, ComplianceCase, ComplianceStatus, Employer, Finding, StepKind
from enrollment.services import case_close, case_open, case_step_record
from outreach.models import EventKind, OutreachEvent
from tests.employers.conftest import MONDAY, OTHER_DISTRICT_VILLAGE, VILLAGE
from tests.outreach.conftest import in_english  # noqa: F401
from ucj.models import AuditEvent, Holiday, StaleRegion

pytestmark = pytest.mark.django_db

LIST = reverse("enrollment:employer-list")
COMPLIANCE = reverse("enrollment:compliance-list")
NEW = reverse("enrollment:employer-create")
IMPORT = reverse("enrollment:employer-import")
# BPJS's written warning I given on MONDAY gives the employer 10 working days: until Monday 17 March.
WARNING_DEADLINE = MONDAY + dt.timedelta(days=14)


def detail_url(employer):
    return reverse("enrollment:employer-detail", args=[employer.pk])


def edit_url(employer):
    return reverse("enrollment:employer-edit", args=[employer.pk])


def open_url(employer):
    return reverse("enrollment:case-open", args=[employer.pk])


def case_url(case):
    return reverse("enrollment:case-detail", args=[case.pk])


def step_url(case):
    return reverse("enrollment:case-step", args=[case.pk])


def close_url(case):
    return reverse("enrollment:case-close", args=[case.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def names_in(response) -> set[str]:
    """The employer names linked from a list page."""
    return set(re.findall(r'href="/employers/\d+/">([^<]+)</a>', response.content.decode()))


def iso(day: dt.date) -> str:
    return day.isoformat()


@pytest.fixture
def open_case(clerk, employer):
    """A PDS-workers case opened on MONDAY, BPJS's written warning I given the same day."""
    case = case_open(actor=clerk, employer_id=employer.pk, finding=Finding.PDS_WORKERS, opened_on=MONDAY)
    case_step_record(actor=clerk, case_id=case.pk, kind=StepKind.WARNING_1, taken_on=MONDAY, document_number="560/1")
    return ComplianceCase.objects.get(pk=case.pk)


@pytest.fixture
def mixed_employers(make_employer):
    """One employer per status in the officer's village, one in another district of Bangkalan."""
    return {
        "compliant": make_employer(name="UD Kerupuk Tenggiri"),
        "pds_workers": make_employer(name="CV Tembakau Madura", bpjs_workers=6, bpjs_wages=18_000_000),
        "pds_wages": make_employer(name="PT Batik Tanjung Bumi", bpjs_wages=20_000_000, sector="trade"),
        "pds_programme": make_employer(name="PT Garam Kwanyar", bpjs_programmes=["jkk", "jkm"], nib="9120001234567"),
        "pwbd": make_employer(name="Toko Roti Barokah", bpjs_workers=None, bpjs_wages=None, bpjs_programmes=[]),
        "unassessed": make_employer(name="Bengkel Las Sumber", reported_workers=None, reported_wages=None),
        "elsewhere": make_employer(name="PT Kapal Nelayan", village=OTHER_DISTRICT_VILLAGE, bpjs_workers=3),
    }


# --- Every page renders for the people it is for --------------------------------------------------


@pytest.mark.parametrize("who", ["officer", "clerk", "supervisor", "admin_user"])
def test_every_page_renders_in_indonesian_for_the_roles_of_bangkalan(client, request, who, open_case):
    client.force_login(request.getfixturevalue(who))
    for url in [LIST, detail_url(open_case.employer), COMPLIANCE, case_url(open_case)]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Language"] == "id"
        assert "CV Sumber Rejeki" in response.content.decode(), url


def test_the_pages_render_in_english(client, clerk, open_case, in_english):  # noqa: F811
    client.force_login(clerk)
    page = client.get(detail_url(open_case.employer)).content.decode()
    assert "Reported to the labour office" in page
    assert "Registered with BPJS Ketenagakerjaan" in page
    assert "4 reported workers are not registered (Rp12,000,000 of wages a month)." in page
    assert "Employers" in client.get(LIST).content.decode()
    case_page = client.get(case_url(open_case)).content.decode()
    # Only the next step of each track is offered, with who acts at it.
    assert "Record the next step: written warning II (BPJS Ketenagakerjaan)" in case_page
    assert "Record the next step: inspection note I (labour inspectors)" in case_page
    assert 'name="kind" value="fine"' not in case_page and 'name="kind" value="nota_2"' not in case_page


def test_nav_links_to_employers_for_all_and_to_cases_for_the_labour_office(client, officer, clerk):
    client.force_login(officer)
    page = client.get("/").content.decode()
    assert f'href="{LIST}"' in page
    assert f'href="{COMPLIANCE}"' not in page
    client.force_login(clerk)
    page = client.get("/").content.decode()
    assert f'href="{LIST}"' in page and f'href="{COMPLIANCE}"' in page


# --- Scope ----------------------------------------------------------------------------------------


def test_an_outsider_gets_404_on_every_page_of_a_bangkalan_employer(client, outsider, open_case):
    employer = open_case.employer
    client.force_login(outsider)
    for url in [detail_url(employer), edit_url(employer), case_url(open_case)]:
        assert client.get(url).status_code == 404, url
    posts = [
        (edit_url(employer), {"name": "Taken over"}),
        (open_url(employer), {"finding": Finding.PDS_WORKERS}),
        (step_url(open_case), {"kind": StepKind.WARNING_2, "taken_on": iso(WARNING_DEADLINE + dt.timedelta(days=1))}),
        (close_url(open_case), {"outcome": "complied", "workers_added": "4", "wages_added": "0"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    assert ComplianceCase.objects.get(pk=open_case.pk).last_step == StepKind.WARNING_1
    assert Employer.objects.get(pk=employer.pk).name == "CV Sumber Rejeki"


def test_an_outsider_lists_only_the_employers_and_cases_of_badung(client, outsider, open_case, badung_employer):
    client.force_login(outsider)
    assert names_in(client.get(LIST)) == {"PT Bali Surf"}
    assert "CV Sumber Rejeki" not in client.get(COMPLIANCE).content.decode()
    assert "CV Sumber Rejeki" not in client.get(LIST + "?q=Sumber").content.decode()


def test_a_field_officer_sees_the_employers_of_his_districts_only(client, officer, mixed_employers):
    client.force_login(officer)
    names = names_in(client.get(LIST))
    assert "CV Tembakau Madura" in names
    assert "PT Kapal Nelayan" not in names
    assert client.get(detail_url(mixed_employers["elsewhere"])).status_code == 404


def test_only_the_labour_office_gets_the_write_pages_and_buttons(client, officer, supervisor, open_case):
    employer = open_case.employer
    for user in (officer, supervisor):
        client.force_login(user)
        page = client.get(detail_url(employer)).content.decode()
        assert edit_url(employer) not in page
        assert open_url(employer) not in page
        assert client.get(NEW).status_code == 403
        assert client.get(IMPORT).status_code == 403
        assert client.get(edit_url(employer)).status_code == 403
        assert client.post(open_url(employer), {"finding": Finding.PDS_WORKERS}).status_code == 403
        later = iso(WARNING_DEADLINE + dt.timedelta(days=1))
        data = {"kind": StepKind.WARNING_2, "taken_on": later, "document_number": "560/2"}
        assert client.post(step_url(open_case), data).status_code == 403
        case_page = client.get(case_url(open_case)).content.decode()
        assert step_url(open_case) not in case_page and close_url(open_case) not in case_page
    assert not CaseStep.objects.filter(kind=StepKind.WARNING_2).exists()


# --- The employer list ----------------------------------------------------------------------------


def test_the_list_filters_by_status_and_by_each_finding(client, clerk, mixed_employers):
    client.force_login(clerk)
    expected = {
        "compliant": {"UD Kerupuk Tenggiri"},
        "findings": {"CV Tembakau Madura", "PT Batik Tanjung Bumi", "PT Garam Kwanyar", "Toko Roti Barokah"}
        | {"PT Kapal Nelayan"},
        "unassessed": {"Bengkel Las Sumber"},
        Finding.PDS_WORKERS: {"CV Tembakau Madura", "PT Kapal Nelayan"},
        Finding.PDS_WAGES: {"PT Batik Tanjung Bumi"},
        Finding.PDS_PROGRAMME: {"PT Garam Kwanyar"},
        Finding.PWBD: {"Toko Roti Barokah"},
    }
    for status, names in expected.items():
        assert names_in(client.get(LIST, {"status": status})) == names, status


def test_the_list_filters_by_sector_district_and_text(client, clerk, mixed_employers):
    client.force_login(clerk)
    assert names_in(client.get(LIST, {"sector": "trade"})) == {"PT Batik Tanjung Bumi"}
    assert names_in(client.get(LIST, {"district": "35.26.03"})) == {"PT Kapal Nelayan"}
    assert names_in(client.get(LIST, {"q": "garam"})) == {"PT Garam Kwanyar"}
    assert names_in(client.get(LIST, {"q": "9120001234567"})) == {"PT Garam Kwanyar"}
    npp = mixed_employers["pds_wages"].npp
    assert names_in(client.get(LIST, {"q": npp.lower()})) == {"PT Batik Tanjung Bumi"}


def test_the_district_filter_offers_the_users_districts(client, officer, clerk):
    client.force_login(officer)
    page = client.get(LIST).content.decode()
    offered = set(re.findall(r'<option value="(35\.26\.\d\d)"', page))
    assert offered == {"35.26.01", "35.26.02"}
    client.force_login(clerk)
    offered = set(re.findall(r'<option value="(35\.26\.\d\d)"', client.get(LIST).content.decode()))
    assert {"35.26.01", "35.26.03"} <= offered and len(offered) > 10


def test_the_list_filters_employers_with_an_overdue_case(client, clerk, make_employer, open_case, in_english):  # noqa: F811
    make_employer(name="PT Tanpa Kasus", bpjs_workers=5, bpjs_wages=15_000_000)
    client.force_login(clerk)
    response = client.get(LIST, {"overdue": "on"})
    assert names_in(response) == {"CV Sumber Rejeki"}
    assert "1 overdue" in response.content.decode()


def test_the_list_shows_the_gaps_in_indonesian_format(client, clerk, make_employer):
    make_employer(
        name="PT Besar",
        reported_workers=2_000,
        reported_wages=6_000_000_000,
        bpjs_workers=1_000,
        bpjs_wages=3_000_000_000,
    )
    client.force_login(clerk)
    page = client.get(LIST).content.decode()
    assert "1.000" in page and "3.000.000.000" in page


def test_the_list_pages_in_a_bounded_number_of_queries(client, clerk, make_employer, django_assert_max_num_queries):
    for i in range(30):
        employer = make_employer(name=f"PT Nomor {i:02d}", bpjs_workers=5, bpjs_wages=15_000_000)
        if i % 3 == 0:
            case_open(actor=clerk, employer_id=employer.pk, finding=Finding.PDS_WORKERS, opened_on=MONDAY)
    client.force_login(clerk)
    with django_assert_max_num_queries(10):
        response = client.get(LIST, {"status": Finding.PDS_WORKERS, "sector": "manufacturing"})
    assert len(names_in(response)) == 30
    with django_assert_max_num_queries(10):
        response = client.get(LIST, {"overdue": "on"})
    assert len(names_in(response)) == 10


# --- The employer page ----------------------------------------------------------------------------


def test_the_employer_page_shows_both_sides_the_findings_and_the_unknowns(client, clerk, make_employer):
    employer = make_employer(
        name="PT Dua Temuan",
        bpjs_workers=6,
        bpjs_wages=12_000_000,
        bpjs_programmes=["jkk", "jkm"],
        reported_source="WLKP 2025",
        reported_as_of=dt.date(2025, 1, 31),
    )
    client.force_login(clerk)
    page = client.get(detail_url(employer)).content.decode()
    assert "WLKP 2025" in page and "31/01/2025" in page
    assert "Rp30.000.000" in page and "Rp12.000.000" in page
    assert "Rp3.000.000" in page  # the reported average wage
    for finding in (Finding.PDS_WORKERS, Finding.PDS_WAGES, Finding.PDS_PROGRAMME):
        assert f'name="finding" value="{finding}"' in page
    assert 'value="pwbd"' not in page
    unassessed = make_employer(name="PT Belum Lapor", reported_workers=None, reported_wages=None)
    page = client.get(detail_url(unassessed)).content.decode()
    assert 'name="finding"' not in page
    assert 'class="small text-body-secondary mb-0 unknown"' in page


def test_an_open_case_replaces_the_open_button_by_a_link(client, clerk, open_case):
    client.force_login(clerk)
    page = client.get(detail_url(open_case.employer)).content.decode()
    assert case_url(open_case) in page
    assert f'value="{Finding.PDS_WORKERS}"' not in page


def test_the_employer_page_lists_the_visits_from_outreach(client, clerk, officer, employer):
    for day in (MONDAY, MONDAY + dt.timedelta(days=7)):
        event = OutreachEvent.objects.create(
            kind=EventKind.EMPLOYER_VISIT, date=day, regency_id="35.26", created_by=officer, employer=employer
        )
        event.officers.add(clerk)
    client.force_login(clerk)
    page = client.get(detail_url(employer)).content.decode()
    visits = page[page.index('id="visits"') :]
    assert visits.index("10/03/2025") < visits.index("03/03/2025")
    assert reverse("outreach:event-detail", args=[event.pk]) in visits
    assert "officer" in visits and "clerk" in visits


def test_the_employer_page_queries_do_not_grow_with_visits_and_cases(
    client, clerk, officer, employer, django_assert_max_num_queries
):
    for _i in range(25):
        event = OutreachEvent.objects.create(
            kind=EventKind.EMPLOYER_VISIT, date=MONDAY, regency_id="35.26", created_by=officer, employer=employer
        )
        event.officers.add(officer, clerk)
    case = case_open(actor=clerk, employer_id=employer.pk, finding=Finding.PDS_WORKERS, opened_on=MONDAY)
    case_close(actor=clerk, case_id=case.pk, outcome="partly", workers_added=1, wages_added=3_000_000, closed_on=MONDAY)
    case_open(actor=clerk, employer_id=employer.pk, finding=Finding.PDS_WORKERS, opened_on=MONDAY)
    client.force_login(clerk)
    with django_assert_max_num_queries(8):
        assert client.get(detail_url(employer)).status_code == 200


# --- Registering and editing ----------------------------------------------------------------------


def employer_post(**overrides) -> dict:
    data = {
        "name": "PT Garam Sejahtera",
        "village": VILLAGE,
        "address": "Jl. Raya Sembilangan 1",
        "npp": "",
        "nib": "1234567890123",
        "sector": "manufacturing",
        "size": "small",
        "reported_workers": "25",
        "reported_wages": "75.000.000",
        "reported_source": "",
        "reported_as_of": "",
        "bpjs_workers": "",
        "bpjs_wages": "",
        "bpjs_source": "",
        "bpjs_as_of": "",
    }
    data.update(overrides)
    return data


def test_the_labour_office_registers_an_employer(client, clerk):
    client.force_login(clerk)
    page = client.get(NEW).content.decode()
    assert f'<option value="{VILLAGE}"' in page
    assert '<option value="51.03.01.1002"' not in page
    response = client.post(NEW, employer_post())
    employer = Employer.objects.get(name="PT Garam Sejahtera")
    assert response.status_code == 302 and response.url == detail_url(employer)
    assert employer.reported_wages == 75_000_000
    assert employer.status == ComplianceStatus.FINDINGS and employer.pwbd
    assert "(clerk)" in employer.reported_source and employer.reported_as_of == timezone.localdate()


def test_the_service_refusals_land_on_the_form_fields(client, clerk, employer, in_english):  # noqa: F811
    client.force_login(clerk)
    response = client.post(NEW, employer_post(nib="12345", npp="x", reported_wages="75000000"))
    assert response.status_code == 200
    page = response.content.decode()
    form = response.context["form"]
    assert form.errors["nib"] == ["A NIB has 13 digits."]
    assert form.errors["npp"] == ["An NPP has 8 to 20 letters and digits."]
    assert page.count('class="invalid-feedback d-block"') == 2
    response = client.post(NEW, employer_post(npp=employer.npp, nib="", reported_wages="75000000"))
    assert response.context["form"].errors["npp"] == ["Another employer has this NPP."]
    assert not Employer.objects.filter(name="PT Garam Sejahtera").exists()


def test_editing_changes_only_the_touched_figures(client, clerk, make_employer):
    employer = make_employer(
        name="PT Edit", bpjs_workers=6, bpjs_source="BPJS Cabang Bangkalan", bpjs_as_of=dt.date(2025, 2, 1)
    )
    client.force_login(clerk)
    form = client.get(edit_url(employer)).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data["reported_workers"] = "8"
    data["reported_as_of"] = iso(dt.date(2025, 1, 1))
    data["bpjs_as_of"] = iso(dt.date(2025, 2, 1))
    response = client.post(edit_url(employer), data)
    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    employer.refresh_from_db()
    assert employer.reported_workers == 8
    assert employer.bpjs_source == "BPJS Cabang Bangkalan"  # the BPJS side was not touched
    assert employer.status == ComplianceStatus.FINDINGS and employer.pds_workers
    event = AuditEvent.objects.filter(action="employer.update").get()
    assert set(event.data["after"]) == {"reported_workers", "reported_as_of"}


# --- Import ---------------------------------------------------------------------------------------


def sheet(text: str, name="wlkp.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def test_the_import_page_reports_what_it_did_and_what_did_not_match(client, clerk, employer):
    client.force_login(clerk)
    page = client.get(IMPORT).content.decode()
    assert "NAMA PERUSAHAAN" in page and '<option value="35.26"' in page
    wlkp = (
        "NIB;NAMA PERUSAHAAN;KODE DESA;SEKTOR;SKALA USAHA;JUMLAH TENAGA KERJA;TOTAL UPAH\n"
        f"1111111111111;PT Baru Sekali;{VILLAGE};industri;kecil;12;36000000\n"
    )
    response = client.post(
        IMPORT, {"regency": "35.26", "kind": "labour_office", "file": sheet(wlkp), "source": "WLKP 2025"}
    )
    assert response.status_code == 200
    assert Employer.objects.get(name="PT Baru Sekali").reported_source == "WLKP 2025"
    bpjs = f"NPP;NAMA PERUSAHAAN;KODE DESA;TK AKTIF;UPAH\nZZ99999999;PT Tidak Dikenal;{VILLAGE};3;9000000\n"
    response = client.post(IMPORT, {"regency": "35.26", "kind": "bpjs", "file": sheet(bpjs, "bpjs.csv")})
    report = response.context["report"]
    assert report.unmatched and report.unmatched[0]["name"] == "PT Tidak Dikenal"
    page = response.content.decode()
    assert 'class="table table-sm small mb-0 unmatched"' in page and "PT Tidak Dikenal" in page
    assert not Employer.objects.filter(name="PT Tidak Dikenal").exists()


def test_the_import_page_lists_every_row_problem_and_saves_nothing(client, clerk):
    client.force_login(clerk)
    wlkp = (
        "NIB;NAMA PERUSAHAAN;KODE DESA;SEKTOR;SKALA USAHA;JUMLAH TENAGA KERJA;TOTAL UPAH\n"
        f"1111111111111;PT Baik;{VILLAGE};industri;kecil;12;36000000\n"
        f"2222222222222;PT Salah;51.03.01.1002;industri;raksasa;dua belas;36000000\n"
    )
    response = client.post(IMPORT, {"regency": "35.26", "kind": "labour_office", "file": sheet(wlkp)})
    assert response.status_code == 200
    errors = response.context["errors"]
    assert errors and all(e["row"] == 3 for e in errors)
    page = response.content.decode()
    assert 'class="table table-sm small mb-1 import-errors"' in page
    assert "data:text/csv" in page
    assert not Employer.objects.filter(name__in=["PT Baik", "PT Salah"]).exists()


def test_the_import_refuses_a_regency_the_user_does_not_run(client, clerk):
    client.force_login(clerk)
    wlkp = "NIB;NAMA PERUSAHAAN;KODE DESA;SEKTOR;SKALA USAHA;JUMLAH TENAGA KERJA;TOTAL UPAH\n"
    response = client.post(IMPORT, {"regency": "51.03", "kind": "labour_office", "file": sheet(wlkp)})
    assert response.status_code == 200
    assert response.context["form"].errors["regency"]


# --- The work list --------------------------------------------------------------------------------


def test_the_work_list_puts_overdue_cases_first_with_their_working_days_late(
    client,
    clerk,
    make_employer,
    open_case,
    in_english,  # noqa: F811
):
    recent = make_employer(name="PT Baru Dibuka", bpjs_workers=5, bpjs_wages=15_000_000)
    today = timezone.localdate()
    case_open(actor=clerk, employer_id=recent.pk, finding=Finding.PDS_WORKERS, opened_on=today)
    client.force_login(clerk)
    response = client.get(COMPLIANCE)
    sections = {s["key"]: s for s in response.context["sections"]}
    assert [c.pk for c in sections["overdue"]["cases"]] == [open_case.pk]
    late = sections["overdue"]["cases"][0].days_late
    assert late > 100  # warning I's deadline was in March 2025
    assert [c.employer.name for c in sections["open"]["cases"]] == ["PT Baru Dibuka"]
    page = response.content.decode()
    assert page.index("CV Sumber Rejeki") < page.index("PT Baru Dibuka")
    assert f"{late} working days late" in page


def test_the_work_list_shows_cases_due_in_the_next_working_days(client, clerk, employer, settings):
    settings.UCJ_CASE_STEP_WORKING_DAYS = 1
    case = case_open(actor=clerk, employer_id=employer.pk, finding=Finding.PDS_WORKERS)
    client.force_login(clerk)
    sections = {s["key"]: s for s in client.get(COMPLIANCE).context["sections"]}
    assert [c.pk for c in sections["due"]["cases"]] == [case.pk]
    assert sections["due"]["cases"][0].days_left == 1


def test_the_work_list_answers_in_a_bounded_number_of_queries(
    client, clerk, make_employer, django_assert_max_num_queries
):
    today = timezone.localdate()
    for i in range(24):
        employer = make_employer(name=f"PT Kasus {i:02d}", bpjs_workers=5, bpjs_wages=15_000_000)
        case_open(
            actor=clerk, employer_id=employer.pk, finding=Finding.PDS_WORKERS, opened_on=MONDAY if i % 2 else today
        )
    client.force_login(clerk)
    with django_assert_max_num_queries(10):
        response = client.get(COMPLIANCE)
    assert sum(s["count"] for s in response.context["sections"]) == 24


# --- A case from opening to closing through the pages ---------------------------------------------


def test_a_full_case_journey_through_the_pages(client, clerk, employer):
    client.force_login(clerk)
    response = client.post(open_url(employer), {"finding": Finding.PDS_WORKERS, "opened_on": iso(MONDAY)})
    case = ComplianceCase.objects.get(employer=employer)
    assert response.status_code == 302 and response.url == case_url(case)
    page = client.get(case_url(case)).content.decode()
    assert 'name="kind" value="warning_1"' in page and 'name="kind" value="nota_1"' in page

    data = {"kind": "warning_1", "taken_on": iso(MONDAY), "document_number": "560/11/2025", "notes": "Teguran"}
    response = client.post(step_url(case), data)
    assert response.status_code == 302
    after = iso(WARNING_DEADLINE + dt.timedelta(days=1))
    response = client.post(step_url(case), {"kind": "warning_2", "taken_on": after, "document_number": "560/12/2025"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.last_step == case.bpjs_step == StepKind.WARNING_2
    page = client.get(case_url(case)).content.decode()
    assert "560/12/2025" in page and 'name="kind" value="fine"' in page  # warning II's deadline has passed

    data = {"outcome": "complied", "workers_added": "4", "wages_added": "12.000.000", "closed_on": after}
    response = client.post(close_url(case), data)
    assert response.status_code == 302
    case.refresh_from_db()
    employer.refresh_from_db()
    assert case.state == CaseState.CLOSED and case.workers_added == 4 and case.wages_added == 12_000_000
    assert employer.bpjs_workers == 10 and employer.status == ComplianceStatus.COMPLIANT
    assert StaleRegion.objects.filter(region_id=VILLAGE).exists()
    page = client.get(case_url(case)).content.decode()
    assert step_url(case) not in page and close_url(case) not in page
    history = page[page.index('id="history-title"') :]
    assert history.count("list-group-item") == 4  # opened, warning I, warning II, closed


def test_a_step_out_of_order_is_refused_with_the_reason(client, clerk, open_case, in_english):  # noqa: F811
    client.force_login(clerk)
    later = iso(WARNING_DEADLINE + dt.timedelta(days=1))
    data = {"kind": "fine", "taken_on": later, "document_number": "1", "premiums_owed": "1000000", "fine_months": "1"}
    response = client.post(step_url(open_case), data)
    assert response.status_code == 200
    reason = (
        "fine cannot come now: the next step of BPJS Ketenagakerjaan's sanctions (PP 86/2013) is written warning II."
    )
    assert reason in messages_of(response)[0]
    assert escape(reason) in response.content.decode()
    assert not CaseStep.objects.filter(case=open_case, kind=StepKind.FINE).exists()


def test_a_warning_before_the_employers_deadline_is_refused_on_the_date_field(client, clerk, open_case):
    client.force_login(clerk)
    early = iso(MONDAY + dt.timedelta(days=7))
    response = client.post(step_url(open_case), {"kind": "warning_2", "taken_on": early, "document_number": "560/2"})
    assert response.status_code == 200
    form = response.context["step_form"]
    assert "17-03-2025" in form.errors["taken_on"][0]
    assert "is-invalid" in response.content.decode()
    assert ComplianceCase.objects.get(pk=open_case.pk).last_step == StepKind.WARNING_1


def test_a_written_warning_without_its_letter_number_is_refused_on_the_field(client, clerk, open_case):
    client.force_login(clerk)
    later = iso(WARNING_DEADLINE + dt.timedelta(days=1))
    response = client.post(step_url(open_case), {"kind": "warning_2", "taken_on": later, "document_number": ""})
    assert response.status_code == 200
    assert response.context["step_form"].errors["document_number"]
    assert ComplianceCase.objects.get(pk=open_case.pk).last_step == StepKind.WARNING_1


def test_closing_with_bad_figures_shows_the_errors_on_the_close_form(client, clerk, open_case):
    client.force_login(clerk)
    response = client.post(close_url(open_case), {"outcome": "complied", "workers_added": "0", "wages_added": "0"})
    assert response.status_code == 200
    assert response.context["close_form"].errors["workers_added"]
    assert ComplianceCase.objects.get(pk=open_case.pk).state == CaseState.OPEN


def test_opening_a_second_case_for_the_same_finding_comes_back_as_a_message(client, clerk, open_case):
    client.force_login(clerk)
    response = client.post(open_url(open_case.employer), {"finding": Finding.PDS_WORKERS})
    assert response.status_code == 302 and response.url == detail_url(open_case.employer)
    assert len(messages_of(response)) == 1
    assert ComplianceCase.objects.filter(employer=open_case.employer).count() == 1


def test_a_deadline_passed_with_no_working_day_since_is_overdue_not_today(client, clerk, open_case, in_english):  # noqa: F811
    # Yesterday's deadline, and today is off (a weekend or a holiday): no working day has passed,
    # but the employer's deadline has, so the case is overdue on the list and on its page.
    today = timezone.localdate()
    Holiday.objects.update_or_create(date=today, region=None, defaults={"name": "Libur uji", "observed": True})
    ComplianceCase.objects.filter(pk=open_case.pk).update(due_on=today - dt.timedelta(days=1))
    client.force_login(clerk)
    response = client.get(COMPLIANCE)
    sections = {s["key"]: s for s in response.context["sections"]}
    assert [c.pk for c in sections["overdue"]["cases"]] == [open_case.pk]
    page = response.content.decode()
    assert 'text-bg-danger">overdue</span>' in page
    assert 'text-bg-warning">today</span>' not in page and "working day late" not in page
    case_page = client.get(case_url(open_case)).content.decode()
    assert 'text-bg-danger">overdue</span>' in case_page


def test_the_pages_refuse_dates_before_2013_on_their_fields(client, clerk, open_case, in_english):  # noqa: F811
    client.force_login(clerk)
    earliest = ["A date on or after 01-01-2013."]
    closing = {"outcome": "partly", "workers_added": "0", "wages_added": "0", "closed_on": "0001-01-01"}
    response = client.post(close_url(open_case), closing)
    assert response.status_code == 200 and response.context["close_form"].errors["closed_on"] == earliest
    step = {"kind": "warning_2", "taken_on": "0001-01-01", "document_number": "560/2"}
    response = client.post(step_url(open_case), step)
    assert response.status_code == 200 and response.context["step_form"].errors["taken_on"] == earliest
    employer = open_case.employer
    form = client.get(edit_url(employer)).context["form"]
    data = {k: ("" if v is None else v) for k, v in ((name, form[name].value()) for name in form.fields)}
    response = client.post(edit_url(employer), {**data, "reported_as_of": "1015-06-30"})
    assert response.status_code == 200 and response.context["form"].errors["reported_as_of"] == earliest
    open_case.refresh_from_db()
    assert open_case.state == CaseState.OPEN and open_case.last_step == StepKind.WARNING_1


def test_the_close_form_registers_the_programmes_the_employer_added(client, clerk, make_employer, in_english):  # noqa: F811
    employer = make_employer(bpjs_programmes=["jkk", "jkm"])  # a small business owes JHT as well
    case = case_open(actor=clerk, employer_id=employer.pk, finding=Finding.PDS_PROGRAMME, opened_on=MONDAY)
    client.force_login(clerk)
    assert 'name="programmes_added" value="jht"' in client.get(case_url(case)).content.decode()
    closing = {"outcome": "complied", "workers_added": "0", "wages_added": "0", "closed_on": iso(MONDAY)}
    response = client.post(close_url(case), closing)
    assert response.status_code == 200 and response.context["close_form"].errors["programmes_added"]
    response = client.post(close_url(case), {**closing, "programmes_added": ["jht"]})
    assert response.status_code == 302
    employer.refresh_from_db()
    assert employer.bpjs_programmes == ["jkk", "jkm", "jht"] and employer.status == ComplianceStatus.COMPLIANT
    assert "JHT (old-age savings)" in client.get(case_url(case)).content.decode()


def test_closing_workers_without_their_wages_is_refused_on_the_wages_field(client, clerk, open_case):
    client.force_login(clerk)
    response = client.post(close_url(open_case), {"outcome": "complied", "workers_added": "4", "wages_added": "0"})
    assert response.status_code == 200
    assert response.context["close_form"].errors["wages_added"]
    assert ComplianceCase.objects.get(pk=open_case.pk).state == CaseState.OPEN
