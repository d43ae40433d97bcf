"""The coverage-figures page (/coverage/facts/) and the fact admins: who may use them, an upload
that works, one that is refused with every row's problem, the scoped list, and saves and deletes
in the admin going through the services."""

import base64
import csv
import datetime as dt
import io

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.coverage.conftest import BANGKALAN, SOCAH, VILLAGE, target, workforce
from tests.coverage.test_facts import SAKERNAS, WORKFORCE_EN, csv_bytes, workforce_rows
from ucj.models import AuditEvent, CoverageTarget, StaleRegion, WorkforceEstimate

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

URL = "/coverage/facts/"


@pytest.fixture(autouse=True)
def _english_pages(client):
    """Pages in English (LANGUAGE_CODE is "id"), for tests that read their messages."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def upload(client, content, *, kind="workforce", name="figures.csv", source=""):
    file = SimpleUploadedFile(name, content, content_type="text/csv")
    return client.post(URL, {"kind": kind, "file": file, "source": source})


def test_the_page_has_its_stable_address():
    assert reverse("coverage-facts") == URL


def test_anonymous_is_sent_to_login(client):
    for response in (client.get(URL), client.post(URL)):
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("who", ["officer", "supervisor"])
def test_roles_that_do_not_record_figures_are_refused(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL).status_code == 403
    response = upload(client, csv_bytes(WORKFORCE_EN, workforce_rows((SOCAH, 1))))
    assert response.status_code == 403
    assert not WorkforceEstimate.objects.exists()


def test_the_nav_links_the_page_for_the_labour_office_only(client, clerk, officer):
    client.force_login(clerk)
    assert f'href="{URL}"' in client.get("/").content.decode()
    client.force_login(officer)
    assert f'href="{URL}"' not in client.get("/").content.decode()


def test_an_upload_saves_every_row_and_says_so(client, clerk):
    client.force_login(clerk)
    content = csv_bytes(WORKFORCE_EN, workforce_rows((BANGKALAN, 500_000), (SOCAH, 41_000)))
    response = upload(client, content)
    assert response.status_code == 302 and response["Location"] == f"{URL}?kind=workforce"
    page = client.get(response["Location"])
    assert "figures.csv: 2 new, 0 changed, 0 unchanged." in page.content.decode()
    assert WorkforceEstimate.objects.count() == 2
    assert AuditEvent.objects.get(action="coverage.workforce_import").actor == clerk
    assert {BANGKALAN, SOCAH} <= set(StaleRegion.objects.values_list("region_id", flat=True))


def test_the_default_source_field_fills_rows_without_a_source(client, clerk):
    client.force_login(clerk)
    content = csv_bytes(["kode wilayah", "tahun", "bekerja", "tanggal"], [[BANGKALAN, 2024, 500_000, "31/08/2024"]])
    assert upload(client, content, source=SAKERNAS).status_code == 302
    assert WorkforceEstimate.objects.get().source == SAKERNAS


def test_a_refused_upload_shows_every_problem_with_its_row_and_saves_nothing(client, clerk):
    client.force_login(clerk)
    rows = workforce_rows((BANGKALAN, 500_000), (SOCAH, "-1"), ("51.03", 3), (VILLAGE, "banyak"))
    response = upload(client, csv_bytes(WORKFORCE_EN, rows))
    assert response.status_code == 200
    html = response.content.decode()
    assert "3 of 4 rows have problems; nothing was saved." in html
    assert [(e["row"], e["column"]) for e in response.context["errors"]] == [
        (3, "workers"),
        (4, "region_code"),
        (5, "workers"),
    ]
    assert "The region 51.03 is outside your regions." in html
    assert not WorkforceEstimate.objects.exists()
    report = response.context["error_report"]
    assert report.startswith("data:text/csv;charset=utf-8;base64,")
    lines = list(csv.reader(io.StringIO(base64.b64decode(report.split(",", 1)[1]).decode("utf-8-sig")), delimiter=";"))
    assert lines[0] == ["row", "column", "message"] and [line[0] for line in lines[1:]] == ["3", "4", "5"]


def test_a_file_missing_a_column_says_which(client, clerk):
    client.force_login(clerk)
    response = upload(client, csv_bytes(["kode wilayah", "tahun"], [[BANGKALAN, 2024]]))
    assert response.status_code == 200
    assert "Missing column(s): workers, source, as_of" in response.content.decode()


def test_an_upload_without_a_file_is_a_form_error(client, clerk):
    client.force_login(clerk)
    response = client.post(URL, {"kind": "workforce"})
    assert response.status_code == 200 and response.context["upload"].errors["file"]


def test_the_list_shows_only_the_users_regions(client, clerk, outsider):
    workforce(BANGKALAN, 500_000)
    workforce(SOCAH, 41_000)
    workforce("51.03", 300_000)
    client.force_login(clerk)
    response = client.get(URL)
    assert {f.region_id for f in response.context["page"]} == {BANGKALAN, SOCAH}
    client.force_login(outsider)
    response = client.get(URL)
    assert [f.region_id for f in response.context["page"]] == ["51.03"]
    assert "Bangkalan" not in response.content.decode()


def test_the_list_writes_numbers_the_indonesian_way(client, clerk):
    workforce(BANGKALAN, 1_873_899, year=2025)
    target(BANGKALAN, "58.68", year=2025)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
    client.force_login(clerk)
    html = client.get(URL).content.decode()
    assert "1.873.899" in html and "<td>2025</td>" in html and "31/08/2025" in html
    assert "58,68" in client.get(URL, {"kind": "targets"}).content.decode()


def test_the_list_filters_by_kind_and_region(client, clerk):
    workforce(BANGKALAN, 500_000)
    workforce(SOCAH, 41_000)
    target(BANGKALAN, 48)
    client.force_login(clerk)
    assert [f.region_id for f in client.get(URL, {"region": SOCAH}).context["page"]] == [SOCAH]
    response = client.get(URL, {"kind": "targets"})
    assert [(f.region_id, f.percent) for f in response.context["page"]] == [(BANGKALAN, 48)]
    assert client.get(URL, {"kind": "membership"}).context["page"].paginator.count == 0


def test_the_list_runs_a_bounded_number_of_queries(client, clerk, django_assert_max_num_queries):
    districts = [f"35.26.{i:02d}" for i in range(1, 19)]
    for year in (2022, 2023, 2024):
        for code in districts:
            workforce(code, 10_000, year=year)
    client.force_login(clerk)
    with django_assert_max_num_queries(10):
        response = client.get(URL)
    assert response.status_code == 200 and len(response.context["page"]) == 50


# --- Admin ----------------------------------------------------------------------------------------


def test_an_admin_save_goes_through_the_service(client, admin_user):
    client.force_login(admin_user)
    data = {"region": BANGKALAN, "year": 2025, "percent": "48", "source": "Kemendagri", "as_of": "2025-01-02"}
    response = client.post(reverse("admin:ucj_coveragetarget_add"), data)
    assert response.status_code == 302
    fact = CoverageTarget.objects.get()
    assert AuditEvent.objects.filter(action="coverage.target_save", target_id=str(fact.pk)).exists()
    assert StaleRegion.objects.filter(region_id=BANGKALAN).exists()
    change = reverse("admin:ucj_coveragetarget_change", args=[fact.pk])
    response = client.post(change, {"percent": "52.15", "source": "Kemendagri", "as_of": "2025-01-02"})
    assert response.status_code == 302
    fact.refresh_from_db()
    assert str(fact.percent) == "52.15" and CoverageTarget.objects.count() == 1


def test_an_admin_save_that_breaks_a_rule_is_a_form_error(client, admin_user):
    client.force_login(admin_user)
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    data = {"region": BANGKALAN, "year": 2024, "workers": 1, "source": SAKERNAS, "as_of": tomorrow}
    response = client.post(reverse("admin:ucj_workforceestimate_add"), data)
    assert response.status_code == 200 and "in the future" in response.content.decode()
    assert not WorkforceEstimate.objects.exists()


def test_admin_deletes_go_through_the_service(client, admin_user):
    one, two = workforce(BANGKALAN, 1), workforce(SOCAH, 2)
    client.force_login(admin_user)
    response = client.post(reverse("admin:ucj_workforceestimate_delete", args=[one.pk]), {"post": "yes"})
    assert response.status_code == 302
    changelist = reverse("admin:ucj_workforceestimate_changelist")
    response = client.post(changelist, {"action": "delete_selected", "_selected_action": [two.pk], "post": "yes"})
    assert response.status_code == 302
    assert not WorkforceEstimate.objects.exists()
    assert AuditEvent.objects.filter(action="coverage.workforce_delete").count() == 2
    assert {BANGKALAN, SOCAH} <= set(StaleRegion.objects.values_list("region_id", flat=True))
