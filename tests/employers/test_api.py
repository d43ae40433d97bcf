"""The employer-compliance REST API (DESIGN §4 `employers`, `compliance-cases`): scope (a field
officer sees the employers of their districts, outsiders get 404 and empty lists, anonymous 401),
roles (403 for those who only read), bad input and bad filters (400 naming the field), the
escalation order (409), closing a case marks the employer's village stale, bounded list queries."""

import datetime as dt
import io

import pytest
from django.utils import timezone

from enrollment import services
from enrollment.models import CaseState, ComplianceCase, Employer
from enrollment.serializers.employers import IMPORT_KINDS
from tests.employers.conftest import BADUNG_VILLAGE, MONDAY, OTHER_DISTRICT_VILLAGE, VILLAGE
from ucj.models import StaleRegion

pytestmark = pytest.mark.django_db

EMPLOYERS = "/api/v1/employers/"
CASES = "/api/v1/compliance-cases/"
IMPORT = "/api/v1/employers/import/"
# 10 working days after MONDAY (2025-03-03), no holiday configured: the first step's deadline, and
# that of a written warning given on MONDAY.
FIRST_STEP_DUE = dt.date(2025, 3, 17)
OTHER_VILLAGE = "35.26.02.2001"  # the officer's second district


def as_user(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def employer_url(employer) -> str:
    return f"{EMPLOYERS}{employer.pk}/"


def case_url(case, action: str = "") -> str:
    return f"{CASES}{case.pk}/" + (f"{action}/" if action else "")


def ids(response) -> set[int]:
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


@pytest.fixture
def far_employer(make_employer):
    """Bangkalan, in district 35.26.03: the labour office's, not the field officer's."""
    return make_employer(name="UD Tambak Kwanyar", village=OTHER_DISTRICT_VILLAGE, bpjs_workers=None, npp="")


@pytest.fixture
def open_case(clerk, employer):
    return services.case_open(actor=clerk, employer_id=employer.pk, finding="pds_workers", opened_on=MONDAY)


# --- Employers: reading ---------------------------------------------------------------------------


def test_labour_office_lists_employers_with_both_sides_figures_and_findings(api_client, clerk, employer):
    response = as_user(api_client, clerk).get(EMPLOYERS)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["id"] == employer.pk and row["name"] == "CV Sumber Rejeki"
    assert row["village"] == VILLAGE and row["regency"] == "35.26" and row["village_name"]
    assert row["npp"] == employer.npp and row["sector"] == "manufacturing" and row["size"] == "small"
    assert row["reported"]["workers"] == 10 and row["reported"]["wages"] == 30_000_000
    assert row["reported"]["source"] and row["reported"]["as_of"] == timezone.localdate().isoformat()
    assert row["bpjs"]["workers"] == 6 and row["bpjs"]["wages"] == 18_000_000
    assert row["bpjs"]["programmes"] == ["jkk", "jkm", "jht"]
    assert row["status"] == "findings" and row["findings"] == ["pds_workers"]
    assert row["gap_workers"] == 4 and row["gap_wages"] == 12_000_000
    assert "assessment" not in row and "cases" not in row


def test_employer_detail_explains_the_findings_and_lists_the_cases(api_client, clerk, make_employer):
    employer = make_employer(name="PT Dua Temuan", bpjs_workers=6, bpjs_wages=9_000_000, bpjs_programmes=["jkk"])
    case = services.case_open(actor=clerk, employer_id=employer.pk, finding="pds_workers", opened_on=MONDAY)
    response = as_user(api_client, clerk).get(employer_url(employer))
    assert response.status_code == 200
    body = response.json()
    assert body["findings"] == ["pds_workers", "pds_wages", "pds_programme"]
    assessment = body["assessment"]
    assert assessment["status"] == "findings" and assessment["unknown"] == []
    by_code = {f["finding"]: f for f in assessment["findings"]}
    assert by_code["pds_workers"]["gap_workers"] == 4 and by_code["pds_workers"]["gap_wages"] == 12_000_000
    assert (
        by_code["pds_wages"]["gap_wages"] == 9_000_000
    )  # Rp1,500,000 a worker below the Rp3,000,000 average, for 6 workers
    assert by_code["pds_programme"]["missing_programmes"] == ["jkm", "jht"]
    assert all(f["label"] and f["explanation"] for f in assessment["findings"])
    assert body["cases"] == [
        {
            "id": case.pk,
            "finding": "pds_workers",
            "state": "open",
            "opened_on": MONDAY.isoformat(),
            "last_step": "",
            "bpjs_step": "",
            "inspection_step": "",
            "due_on": FIRST_STEP_DUE.isoformat(),
            "overdue": True,
            "fine_amount": None,
            "closed_on": None,
        }
    ]


def test_unassessed_employer_says_what_is_unknown(api_client, clerk, make_employer):
    employer = make_employer(name="PT Baru", reported_workers=None, reported_wages=None, bpjs_workers=None, npp="")
    body = as_user(api_client, clerk).get(employer_url(employer)).json()
    assert body["status"] == "unassessed" and body["findings"] == []
    assert body["assessment"]["unknown"]


def test_officer_reads_the_employers_of_their_districts_only(api_client, officer, employer, far_employer):
    client = as_user(api_client, officer)
    assert ids(client.get(EMPLOYERS)) == {employer.pk}
    assert client.get(employer_url(employer)).status_code == 200
    assert client.get(employer_url(far_employer)).status_code == 404


def test_supervisor_reads_every_employer_of_the_province(api_client, supervisor, employer, far_employer):
    client = as_user(api_client, supervisor)
    assert ids(client.get(EMPLOYERS)) == {employer.pk, far_employer.pk}
    assert client.get(employer_url(far_employer)).status_code == 200


def test_outsider_sees_no_employer_of_bangkalan(api_client, outsider, employer, badung_employer):
    client = as_user(api_client, outsider)
    assert ids(client.get(EMPLOYERS)) == {badung_employer.pk}
    response = client.get(employer_url(employer))
    assert response.status_code == 404
    assert "Sumber" not in response.content.decode()
    assert client.patch(employer_url(employer), {"name": "Diubah"}, format="json").status_code == 404
    assert Employer.objects.get(pk=employer.pk).name == "CV Sumber Rejeki"


def test_an_unknown_employer_id_is_404(api_client, clerk):
    client = as_user(api_client, clerk)
    assert client.get(f"{EMPLOYERS}999999/").status_code == 404
    assert client.get(f"{EMPLOYERS}{2**70}/").status_code == 404


@pytest.mark.parametrize(
    "method, url",
    [
        ("get", EMPLOYERS),
        ("get", f"{EMPLOYERS}1/"),
        ("post", EMPLOYERS),
        ("patch", f"{EMPLOYERS}1/"),
        ("post", IMPORT),
        ("get", CASES),
        ("get", f"{CASES}1/"),
        ("post", CASES),
        ("post", f"{CASES}1/steps/"),
        ("post", f"{CASES}1/close/"),
    ],
)
def test_anonymous_is_401_everywhere(api_client, employer, method, url):
    response = getattr(api_client, method)(url, {}, format="json")
    assert response.status_code == 401
    assert response.json()["detail"]


def test_employer_list_queries_do_not_grow_with_the_rows(
    api_client, clerk, make_employer, django_assert_max_num_queries
):
    for n in range(25):
        make_employer(name=f"PT Pabrik {n:02d}", village=VILLAGE if n % 2 else OTHER_VILLAGE, bpjs_workers=n % 10)
    client = as_user(api_client, clerk)
    with django_assert_max_num_queries(4):
        response = client.get(EMPLOYERS)
    assert response.json()["count"] == 25 and len(response.json()["results"]) == 25


# --- Employers: filters ---------------------------------------------------------------------------


@pytest.fixture
def spread(make_employer, clerk):
    """Employers across statuses, sectors, districts; one with an overdue case."""
    made = {
        "compliant": make_employer(name="PT Patuh", sector="trade"),
        "pds_workers": make_employer(name="CV Sebagian", bpjs_workers=6, bpjs_wages=18_000_000),
        "pwbd": make_employer(
            name="UD Belum Daftar", village=OTHER_DISTRICT_VILLAGE, bpjs_workers=None, bpjs_wages=None, npp=""
        ),
        "unassessed": make_employer(
            name="PT Tanpa Laporan", village=OTHER_VILLAGE, nib="1234567890123", reported_workers=None, npp=""
        ),
    }
    services.case_open(actor=clerk, employer_id=made["pwbd"].pk, finding="pwbd", opened_on=MONDAY)
    return made


@pytest.mark.parametrize(
    "query, expected",
    [
        ("status=compliant", {"compliant"}),
        ("status=findings", {"pds_workers", "pwbd"}),
        ("status=unassessed", {"unassessed"}),
        ("status=pds_workers", {"pds_workers"}),
        ("status=pwbd", {"pwbd"}),
        ("status=pds_wages", set()),
        ("sector=trade", {"compliant"}),
        ("district=35.26.03", {"pwbd"}),
        (f"village={OTHER_VILLAGE}", {"unassessed"}),
        ("overdue=1", {"pwbd"}),
        ("overdue=0", {"compliant", "pds_workers", "pwbd", "unassessed"}),
        ("q=sebagian", {"pds_workers"}),
        ("q=1234567890123", {"unassessed"}),
        ("status=findings&district=35.26.01", {"pds_workers"}),
    ],
)
def test_employer_filters(api_client, clerk, spread, query, expected):
    response = as_user(api_client, clerk).get(f"{EMPLOYERS}?{query}")
    assert ids(response) == {spread[key].pk for key in expected}


def test_employer_search_by_npp(api_client, clerk, spread):
    npp = spread["pds_workers"].npp
    assert ids(as_user(api_client, clerk).get(f"{EMPLOYERS}?q={npp.lower()}")) == {spread["pds_workers"].pk}


@pytest.mark.parametrize(
    "query, field",
    [
        ("status=bogus", "status"),
        ("sector=fishing", "sector"),
        ("district=35.26", "district"),
        ("district=banana", "district"),
        ("village=35.26.01", "village"),
        ("overdue=maybe", "overdue"),
        ("q=" + "x" * 201, "q"),
    ],
)
def test_bad_employer_filter_values_are_400_naming_the_filter(api_client, clerk, employer, query, field):
    response = as_user(api_client, clerk).get(f"{EMPLOYERS}?{query}")
    assert response.status_code == 400
    assert response.json()["detail"] and field in response.json()["errors"]


# --- Employers: writing ---------------------------------------------------------------------------

NEW_EMPLOYER = {
    "name": "PT Garam Socah",
    "village": VILLAGE,
    "npp": "12345678",
    "nib": "9120001234567",
    "address": "Jl. Raya Socah 1",
    "sector": "manufacturing",
    "size": "medium",
    "reported_workers": 40,
    "reported_wages": 120_000_000,
    "reported_source": "WLKP 2025",
    "reported_as_of": "2025-01-31",
    "bpjs_workers": 30,
    "bpjs_wages": 90_000_000,
    "bpjs_programmes": ["jkk", "jkm", "jht", "jp"],
    "bpjs_source": "BPJS Bangkalan",
    "bpjs_as_of": "2025-02-28",
}


def test_labour_office_registers_an_employer(api_client, clerk):
    response = as_user(api_client, clerk).post(EMPLOYERS, NEW_EMPLOYER, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert response["Location"].endswith(f"{EMPLOYERS}{body['id']}/")
    assert body["npp"] == "12345678" and body["nib"] == "9120001234567" and body["regency"] == "35.26"
    assert body["reported"] == {"workers": 40, "wages": 120_000_000, "source": "WLKP 2025", "as_of": "2025-01-31"}
    assert body["bpjs"]["programmes"] == ["jkk", "jkm", "jht", "jp"] and body["bpjs"]["as_of"] == "2025-02-28"
    assert body["status"] == "findings" and body["findings"] == ["pds_workers"] and body["gap_workers"] == 10
    assert body["assessment"]["findings"][0]["finding"] == "pds_workers" and body["cases"] == []
    assert Employer.objects.get(pk=body["id"]).name_key == "GARAM SOCAH"


def test_admin_registers_an_employer(api_client, admin_user):
    response = as_user(api_client, admin_user).post(EMPLOYERS, NEW_EMPLOYER, format="json")
    assert response.status_code == 201, response.json()


@pytest.mark.parametrize("who", ["officer", "supervisor"])
def test_readers_may_not_register_or_change_employers(api_client, request, employer, who):
    client = as_user(api_client, request.getfixturevalue(who))
    response = client.post(EMPLOYERS, NEW_EMPLOYER, format="json")
    assert response.status_code == 403 and response.json()["detail"]
    response = client.patch(employer_url(employer), {"bpjs_workers": 10}, format="json")
    assert response.status_code == 403
    assert not Employer.objects.filter(npp="12345678").exists()
    assert Employer.objects.get(pk=employer.pk).bpjs_workers == 6


@pytest.mark.parametrize(
    "change, field",
    [
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"village": ""}, "village"),
        ({"village": "35.26.01"}, "village"),
        ({"village": BADUNG_VILLAGE}, "village"),
        ({"village": "not-a-code"}, "village"),
        ({"npp": "12-34"}, "npp"),
        ({"nib": "12345"}, "nib"),
        ({"sector": "fishing"}, "sector"),
        ({"size": "huge"}, "size"),
        ({"reported_workers": -1}, "reported_workers"),
        ({"reported_workers": "many"}, "reported_workers"),
        ({"bpjs_wages": 10**16}, "bpjs_wages"),
        ({"reported_as_of": "31-01-2025"}, "reported_as_of"),
        ({"bpjs_as_of": (timezone.localdate() + dt.timedelta(days=1)).isoformat()}, "bpjs_as_of"),
        ({"bpjs_programmes": ["jkk", "jkp"]}, "bpjs_programmes"),
        ({"bpjs_programmes": "jkk"}, "bpjs_programmes"),
        ({"status": "compliant"}, "status"),
        ({"reported_worker": 40}, "reported_worker"),
    ],
)
def test_employer_create_with_bad_data_is_400_naming_the_field(api_client, clerk, change, field):
    response = as_user(api_client, clerk).post(EMPLOYERS, {**NEW_EMPLOYER, **change}, format="json")
    assert response.status_code == 400, response.json()
    assert response.json()["detail"] and field in response.json()["errors"]
    assert not Employer.objects.exists()


def test_employer_create_without_name_and_village_names_both(api_client, clerk):
    response = as_user(api_client, clerk).post(EMPLOYERS, {"sector": "trade"}, format="json")
    assert response.status_code == 400
    assert {"name", "village"} <= set(response.json()["errors"])


def test_a_taken_npp_is_409(api_client, clerk, employer):
    response = as_user(api_client, clerk).post(EMPLOYERS, {**NEW_EMPLOYER, "npp": employer.npp}, format="json")
    assert response.status_code == 409
    assert "npp" in response.json()["errors"]


def test_labour_office_corrects_figures_and_the_findings_follow(api_client, clerk, employer):
    response = as_user(api_client, clerk).patch(
        employer_url(employer),
        {"bpjs_workers": 10, "bpjs_wages": 30_000_000, "bpjs_source": "Surat BPJS"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "compliant" and body["findings"] == [] and body["gap_workers"] == 0
    assert body["bpjs"]["workers"] == 10 and body["bpjs"]["source"] == "Surat BPJS"
    assert body["name"] == "CV Sumber Rejeki"  # what the request leaves out stays


@pytest.mark.parametrize(
    "change, field",
    [
        ({"village": BADUNG_VILLAGE}, "village"),
        ({"village": "35.28.01.2001"}, "village"),  # Pamekasan: another regency
        ({"reported_workers": -5}, "reported_workers"),
        ({"name": "  "}, "name"),
    ],
)
def test_employer_patch_with_bad_data_is_400_naming_the_field(api_client, clerk, employer, change, field):
    response = as_user(api_client, clerk).patch(employer_url(employer), change, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]


def test_labour_office_of_another_regency_cannot_change_an_employer_it_cannot_see(api_client, clerk, badung_employer):
    response = as_user(api_client, clerk).patch(employer_url(badung_employer), {"bpjs_workers": 1}, format="json")
    assert response.status_code == 404


# --- Employers: import ----------------------------------------------------------------------------


def upload(content: bytes, name: str = "wlkp.csv"):
    f = io.BytesIO(content)
    f.name = name
    return f


LABOUR_OFFICE_CSV = (
    "nib,npp,name,village_code,sector,size,workers,wages\r\n"
    f"9120000000001,,PT Impor Satu,{VILLAGE},trade,small,12,36000000\r\n"
    f"9120000000002,,CV Impor Dua,{OTHER_VILLAGE},services,micro,3,6000000\r\n"
).encode()


@pytest.fixture
def employer_imports():
    return pytest.importorskip("enrollment.services.employer_imports")


def test_labour_office_imports_its_company_list(api_client, clerk, employer_imports):
    response = as_user(api_client, clerk).post(
        IMPORT,
        {"file": upload(LABOUR_OFFICE_CSV), "regency": "35.26", "kind": "labour_office", "as_of": "2025-01-31"},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    report = response.json()
    assert report["kind"] == "labour_office" and report["rows"] == 2 and report["created"] == 2
    assert report["updated"] == 0 and report["unmatched"] == []
    created = Employer.objects.get(nib="9120000000001")
    assert created.reported_workers == 12 and created.reported_as_of == dt.date(2025, 1, 31)
    assert created.reported_source == "wlkp.csv" and created.status == "findings"  # PWBD: no NPP


def test_bpjs_list_reports_rows_that_match_no_employer(api_client, clerk, employer, employer_imports):
    content = (
        "npp,name,village_code,workers,wages,programmes\r\n"
        f"{employer.npp},CV Sumber Rejeki,{VILLAGE},10,30000000,JKK;JKM;JHT\r\n"
        f"ZZ99999999,PT Tidak Dikenal,{VILLAGE},5,10000000,JKK;JKM\r\n"
    ).encode()
    response = as_user(api_client, clerk).post(
        IMPORT, {"file": upload(content, "bpjs.csv"), "regency": "35.26", "kind": "bpjs"}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    report = response.json()
    assert report["updated"] == 1 and report["created"] == 0 and report["matched_by"]["npp"] == 1
    assert [row["row"] for row in report["unmatched"]] == [3]
    employer.refresh_from_db()
    assert employer.bpjs_workers == 10 and employer.status == "compliant"


def test_an_import_with_bad_rows_is_400_with_each_row_and_saves_nothing(api_client, clerk, employer_imports):
    content = (
        "nib,name,village_code,sector,size,workers,wages\r\n"
        f"9120000000001,PT Baik,{VILLAGE},trade,small,12,36000000\r\n"
        f"9120000000002,PT Salah,{BADUNG_VILLAGE},trade,small,banyak,36000000\r\n"
    ).encode()
    response = as_user(api_client, clerk).post(
        IMPORT, {"file": upload(content), "regency": "35.26", "kind": "labour_office"}, format="multipart"
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert isinstance(errors, list) and errors and all(e["row"] == 3 for e in errors)
    assert not Employer.objects.exists()


@pytest.mark.parametrize("who", ["outsider", "officer"])
def test_an_import_into_a_regency_outside_the_users_regions_is_404(api_client, request, who, employer_imports):
    response = as_user(api_client, request.getfixturevalue(who)).post(
        IMPORT, {"file": upload(LABOUR_OFFICE_CSV), "regency": "35.26", "kind": "labour_office"}, format="multipart"
    )
    assert response.status_code == 404
    assert not Employer.objects.exists()


def test_a_supervisor_may_not_import(api_client, supervisor, employer_imports):
    response = as_user(api_client, supervisor).post(
        IMPORT, {"file": upload(LABOUR_OFFICE_CSV), "regency": "35.26", "kind": "labour_office"}, format="multipart"
    )
    assert response.status_code == 403
    assert not Employer.objects.exists()


def test_the_import_kinds_offered_are_the_services():
    assert [code for code, _label in IMPORT_KINDS] == list(services.IMPORT_KINDS)


@pytest.mark.parametrize(
    "data, field",
    [
        ({"regency": "35.26", "kind": "labour_office"}, "file"),
        ({"file": "x", "regency": "35.26", "kind": "wlkp"}, "kind"),
        ({"file": "x", "kind": "bpjs"}, "regency"),
        ({"file": "x", "regency": "35.26", "kind": "bpjs", "as_of": "kemarin"}, "as_of"),
    ],
)
def test_import_request_with_bad_fields_is_400(api_client, clerk, data, field):
    if data.get("file") == "x":
        data = {**data, "file": upload(LABOUR_OFFICE_CSV)}
    response = as_user(api_client, clerk).post(IMPORT, data, format="multipart")
    assert response.status_code == 400
    assert field in response.json()["errors"]


# --- Cases: the escalation ------------------------------------------------------------------------


def test_a_case_runs_its_escalation_in_order_and_closing_marks_the_village_stale(api_client, clerk, employer):
    client = as_user(api_client, clerk)
    response = client.post(
        CASES, {"employer": employer.pk, "finding": "pds_workers", "opened_on": MONDAY.isoformat()}, format="json"
    )
    assert response.status_code == 201, response.json()
    case = response.json()
    url = f"{CASES}{case['id']}/"
    assert response["Location"].endswith(url)
    assert case["state"] == "open" and case["next_steps"] == ["warning_1", "nota_1"] and case["last_step"] == ""
    assert case["gap_workers"] == 4 and case["employer"] == employer.pk and case["employer_name"] == employer.name
    assert case["due_on"] == FIRST_STEP_DUE.isoformat() and case["actions"] == ["warning_1", "nota_1", "close"]
    assert case["opened_by"] == "clerk" and case["steps"] == [] and case["fine_amount"] is None
    bpjs, inspection = case["tracks"]
    assert (bpjs["track"], bpjs["next_step"], bpjs["next_actor"]) == ("bpjs", "warning_1", "bpjs")
    assert (inspection["track"], inspection["next_step"], inspection["next_actor"]) == (
        "inspection",
        "nota_1",
        "inspectors",
    )

    skipped = client.post(url + "steps/", {"kind": "warning_2", "document_number": "560/1"}, format="json")
    assert skipped.status_code == 409 and skipped.json()["detail"]

    warning = {"kind": "warning_1", "taken_on": MONDAY.isoformat(), "document_number": "560/12/433.201/2025"}
    response = client.post(url + "steps/", {**warning, "notes": "Diantar"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["last_step"] == "warning_1" and body["next_steps"] == ["warning_2", "nota_1"]
    assert body["due_on"] == FIRST_STEP_DUE.isoformat()
    step = body["steps"][0]
    assert step["kind"] == "warning_1" and step["recorded_by"] == "clerk" and step["actor"] == "bpjs"
    assert step["track"] == "bpjs" and "PP 86/2013" in step["legal_basis"] and step["fine_amount"] is None
    assert step["taken_on"] == MONDAY.isoformat() and step["recorded_at"]
    assert step["document_number"] == "560/12/433.201/2025"

    twice = client.post(url + "steps/", {**warning, "taken_on": FIRST_STEP_DUE.isoformat()}, format="json")
    assert twice.status_code == 409

    too_early = {"kind": "warning_2", "taken_on": FIRST_STEP_DUE.isoformat(), "document_number": "560/2"}
    response = client.post(url + "steps/", too_early, format="json")
    assert response.status_code == 409 and "taken_on" in response.json()["errors"]

    after = (FIRST_STEP_DUE + dt.timedelta(days=1)).isoformat()
    response = client.post(url + "steps/", {"kind": "warning_2", "taken_on": after}, format="json")
    assert response.status_code == 400 and "document_number" in response.json()["errors"]

    response = client.post(url + "steps/", {**too_early, "taken_on": after}, format="json")
    assert response.status_code == 201, response.json()
    assert [s["kind"] for s in response.json()["steps"]] == ["warning_1", "warning_2"]

    assert not StaleRegion.objects.filter(region_id=VILLAGE).exists()
    closing = {"outcome": "complied", "workers_added": 4, "wages_added": 12_000_000, "notes": "Sudah didaftarkan"}
    response = client.post(url + "close/", closing, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["state"] == "closed" and body["outcome"] == "complied" and body["workers_added"] == 4
    assert body["closed_on"] == timezone.localdate().isoformat() and body["closed_by"] == "clerk"
    assert body["actions"] == [] and body["next_steps"] == [] and body["overdue"] is False
    assert StaleRegion.objects.filter(region_id=VILLAGE).exists()
    employer.refresh_from_db()
    assert employer.bpjs_workers == 10 and employer.status == "compliant"

    fine = {"kind": "fine", "document_number": "x", "premiums_owed": 1_000_000, "fine_months": 1}
    assert client.post(url + "steps/", fine, format="json").status_code == 409
    assert client.post(url + "close/", {"outcome": "complied", "workers_added": 1}, format="json").status_code == 409


def test_closing_without_workers_added_leaves_coverage_alone(api_client, clerk, open_case):
    response = as_user(api_client, clerk).post(case_url(open_case, "close"), {"outcome": "not_obliged"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["workers_added"] == 0
    assert not StaleRegion.objects.filter(region_id=VILLAGE).exists()


@pytest.mark.parametrize(
    "data, field",
    [
        ({"outcome": "won"}, "outcome"),
        ({}, "outcome"),
        ({"outcome": "partly", "workers_added": -1}, "workers_added"),
        ({"outcome": "partly", "wages_added": "banyak"}, "wages_added"),
        ({"outcome": "complied", "workers_added": 0}, "workers_added"),  # a workers finding needs workers
        ({"outcome": "partly", "closed_on": "2020-01-01"}, "closed_on"),  # before the case was opened
        ({"outcome": "partly", "reason": "x"}, "reason"),
    ],
)
def test_closing_with_bad_data_is_400_naming_the_field(api_client, clerk, open_case, data, field):
    response = as_user(api_client, clerk).post(case_url(open_case, "close"), data, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert ComplianceCase.objects.get(pk=open_case.pk).state == CaseState.OPEN


@pytest.mark.parametrize(
    "data, field",
    [
        ({"kind": "sanction"}, "kind"),
        ({}, "kind"),
        ({"kind": "reminder"}, "kind"),  # a step before PP 86/2013's steps were followed
        ({"kind": "warning_1", "taken_on": "2020-01-01", "document_number": "1"}, "taken_on"),  # before opening
        ({"kind": "warning_1", "taken_on": "besok"}, "taken_on"),
        ({"kind": "fine", "document_number": "1", "premiums_owed": 0, "fine_months": 1}, "premiums_owed"),
        ({"kind": "nota_1", "document_number": "1", "premiums_owed": 1000}, "premiums_owed"),
        ({"kind": "warning_1", "document_number": "1", "due_on": "2025-04-01"}, "due_on"),  # only a note gives one
    ],
)
def test_recording_a_step_with_bad_data_is_400_naming_the_field(api_client, clerk, open_case, data, field):
    response = as_user(api_client, clerk).post(case_url(open_case, "steps"), data, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["errors"]
    assert not open_case.steps.exists()


@pytest.mark.parametrize(
    "data, field",
    [
        ({"finding": "pds_workers"}, "employer"),
        ({"employer": "satu", "finding": "pds_workers"}, "employer"),
        ({"employer": None, "finding": "pwbd"}, "finding"),
        ({"employer": None, "finding": "tax"}, "finding"),
        ({"employer": None, "finding": "pds_workers", "opened_on": "2099-01-01"}, "opened_on"),
    ],
)
def test_opening_a_case_with_bad_data_names_the_field(api_client, clerk, employer, data, field):
    if "employer" in data and data["employer"] is None:
        data = {**data, "employer": employer.pk}
    response = as_user(api_client, clerk).post(CASES, data, format="json")
    assert response.status_code in (400, 409), response.json()
    assert field in response.json()["errors"]
    assert not ComplianceCase.objects.exists()


def test_a_finding_the_employer_does_not_have_is_409(api_client, clerk, employer):
    response = as_user(api_client, clerk).post(CASES, {"employer": employer.pk, "finding": "pwbd"}, format="json")
    assert response.status_code == 409


def test_a_second_open_case_for_the_same_finding_is_409(api_client, clerk, employer, open_case):
    response = as_user(api_client, clerk).post(
        CASES, {"employer": employer.pk, "finding": "pds_workers"}, format="json"
    )
    assert response.status_code == 409
    assert ComplianceCase.objects.count() == 1


# --- Cases: who may do what -----------------------------------------------------------------------


def test_officer_reads_cases_of_their_districts_but_may_not_run_them(
    api_client, clerk, officer, open_case, far_employer
):
    far_case = services.case_open(actor=clerk, employer_id=far_employer.pk, finding="pwbd", opened_on=MONDAY)
    client = as_user(api_client, officer)
    assert ids(client.get(CASES)) == {open_case.pk}
    response = client.get(case_url(open_case))
    assert response.status_code == 200 and response.json()["actions"] == []
    assert client.get(case_url(far_case)).status_code == 404
    assert (
        client.post(
            case_url(far_case, "steps"), {"kind": "warning_1", "document_number": "1"}, format="json"
        ).status_code
        == 404
    )
    assert (
        client.post(
            case_url(open_case, "steps"), {"kind": "warning_1", "document_number": "1"}, format="json"
        ).status_code
        == 403
    )
    assert client.post(case_url(open_case, "close"), {"outcome": "partly"}, format="json").status_code == 403
    employer_id = open_case.employer_id
    response = client.post(CASES, {"employer": employer_id, "finding": "pds_workers"}, format="json")
    assert response.status_code == 403
    assert not open_case.steps.exists() and ComplianceCase.objects.get(pk=open_case.pk).state == "open"


def test_supervisor_reads_cases_and_may_not_run_them(api_client, supervisor, open_case):
    client = as_user(api_client, supervisor)
    assert ids(client.get(CASES)) == {open_case.pk}
    assert client.get(case_url(open_case)).json()["actions"] == []
    assert (
        client.post(
            case_url(open_case, "steps"), {"kind": "warning_1", "document_number": "1"}, format="json"
        ).status_code
        == 403
    )
    assert client.post(case_url(open_case, "close"), {"outcome": "partly"}, format="json").status_code == 403


def test_outsider_sees_no_case_of_bangkalan(api_client, outsider, open_case, employer, badung_employer):
    badung_case = services.case_open(actor=outsider, employer_id=badung_employer.pk, finding="pds_workers")
    client = as_user(api_client, outsider)
    assert ids(client.get(CASES)) == {badung_case.pk}
    assert ids(client.get(f"{CASES}?employer={employer.pk}")) == set()
    for response in (
        client.get(case_url(open_case)),
        client.post(case_url(open_case, "steps"), {"kind": "warning_1", "document_number": "1"}, format="json"),
        client.post(case_url(open_case, "close"), {"outcome": "partly"}, format="json"),
        client.post(CASES, {"employer": employer.pk, "finding": "pds_workers"}, format="json"),
    ):
        assert response.status_code == 404
        assert "Sumber" not in response.content.decode()
    assert not open_case.steps.exists() and ComplianceCase.objects.filter(employer=employer).count() == 1


def test_labour_office_cannot_open_a_case_on_an_employer_it_cannot_see(api_client, clerk, badung_employer):
    response = as_user(api_client, clerk).post(
        CASES, {"employer": badung_employer.pk, "finding": "pds_workers"}, format="json"
    )
    assert response.status_code == 404
    assert not ComplianceCase.objects.exists()


# --- Cases: lists and filters ---------------------------------------------------------------------


def test_case_list_has_the_contract_fields(api_client, clerk, open_case):
    response = as_user(api_client, clerk).get(CASES)
    assert response.status_code == 200
    row = response.json()["results"][0]
    assert row == {
        "id": open_case.pk,
        "employer": open_case.employer_id,
        "employer_name": "CV Sumber Rejeki",
        "village": VILLAGE,
        "village_name": row["village_name"],
        "finding": "pds_workers",
        "state": "open",
        "gap_workers": 4,
        "gap_wages": 12_000_000,
        "opened_on": MONDAY.isoformat(),
        "last_step": "",
        "next_steps": ["warning_1", "nota_1"],
        "tracks": row["tracks"],
        "due_on": FIRST_STEP_DUE.isoformat(),
        "fine_amount": None,
        "overdue": True,
        "closed_on": None,
        "outcome": "",
        "workers_added": 0,
        "wages_added": 0,
    }
    assert row["village_name"]


def test_case_list_queries_do_not_grow_with_the_rows(api_client, clerk, make_employer, django_assert_max_num_queries):
    for n in range(22):
        employer = make_employer(name=f"PT Kasus {n:02d}", bpjs_workers=5, bpjs_wages=15_000_000)
        case = services.case_open(actor=clerk, employer_id=employer.pk, finding="pds_workers", opened_on=MONDAY)
        if n % 3 == 0:
            services.case_close(actor=clerk, case_id=case.pk, outcome="partly", workers_added=1, wages_added=3_000_000)
    client = as_user(api_client, clerk)
    with django_assert_max_num_queries(4):
        response = client.get(CASES)
    assert response.json()["count"] == 22
    assert sum(row["state"] == "closed" for row in response.json()["results"]) == 8


@pytest.fixture
def cases(clerk, make_employer):
    """An overdue PDS-workers case in 35.26.01, a PWBD case due today in 35.26.02, a closed one."""
    workers = make_employer(name="CV Kurang Daftar", bpjs_workers=6, bpjs_wages=18_000_000)
    unregistered = make_employer(
        name="UD Belum", village=OTHER_VILLAGE, bpjs_workers=None, bpjs_wages=None, npp="", nib="9120000000009"
    )
    closing = make_employer(name="PT Tutup", bpjs_workers=1)
    made = {
        "overdue": services.case_open(actor=clerk, employer_id=workers.pk, finding="pds_workers", opened_on=MONDAY),
        "due": services.case_open(actor=clerk, employer_id=unregistered.pk, finding="pwbd"),
        "closed": services.case_open(actor=clerk, employer_id=closing.pk, finding="pds_workers", opened_on=MONDAY),
    }
    # Due today: the deadline of a case opened 10 working days ago, without waiting for the calendar.
    ComplianceCase.objects.filter(pk=made["due"].pk).update(due_on=timezone.localdate())
    services.case_close(actor=clerk, case_id=made["closed"].pk, outcome="closed_business")
    return made


@pytest.mark.parametrize(
    "query, expected",
    [
        ("state=open", {"overdue", "due"}),
        ("state=closed", {"closed"}),
        ("finding=pwbd", {"due"}),
        ("overdue=1", {"overdue"}),
        ("overdue=true", {"overdue"}),
        ("due=1", {"due"}),
        ("district=35.26.02", {"due"}),
        ("district=35.26.03", set()),
        ("state=open&district=35.26.01", {"overdue"}),
    ],
)
def test_case_filters(api_client, clerk, cases, query, expected):
    response = as_user(api_client, clerk).get(f"{CASES}?{query}")
    assert ids(response) == {cases[key].pk for key in expected}


def test_case_filter_by_employer(api_client, clerk, cases):
    employer_id = cases["due"].employer_id
    assert ids(as_user(api_client, clerk).get(f"{CASES}?employer={employer_id}")) == {cases["due"].pk}


def test_overdue_and_due_are_flagged_in_the_list(api_client, clerk, cases):
    rows = {row["id"]: row for row in as_user(api_client, clerk).get(CASES).json()["results"]}
    assert rows[cases["overdue"].pk]["overdue"] is True
    assert rows[cases["due"].pk]["overdue"] is False
    assert rows[cases["closed"].pk]["overdue"] is False and rows[cases["closed"].pk]["outcome"] == "closed_business"


@pytest.mark.parametrize(
    "query, field",
    [
        ("state=pending", "state"),
        ("finding=tax", "finding"),
        ("employer=abc", "employer"),
        ("employer=0", "employer"),
        (f"employer={2**70}", "employer"),
        ("overdue=perhaps", "overdue"),
        ("due=2", "due"),
        ("district=35", "district"),
    ],
)
def test_bad_case_filter_values_are_400_naming_the_filter(api_client, clerk, open_case, query, field):
    response = as_user(api_client, clerk).get(f"{CASES}?{query}")
    assert response.status_code == 400
    assert response.json()["detail"] and field in response.json()["errors"]


def test_closing_registers_the_programmes_added(api_client, clerk, make_employer):
    employer = make_employer(bpjs_programmes=["jkk", "jkm"])  # a small business owes JHT as well
    case = services.case_open(actor=clerk, employer_id=employer.pk, finding="pds_programme", opened_on=MONDAY)
    client = as_user(api_client, clerk)
    response = client.post(case_url(case, "close"), {"outcome": "complied"}, format="json")
    assert response.status_code == 400 and "programmes_added" in response.json()["errors"]
    response = client.post(case_url(case, "close"), {"outcome": "complied", "programmes_added": ["jht"]}, format="json")
    assert response.status_code == 200, response.json()
    employer.refresh_from_db()
    assert employer.bpjs_programmes == ["jkk", "jkm", "jht"] and employer.status == "compliant"
