from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import InternalError, OperationalError
from django.urls import reverse
from django.utils import formats, translation
from psycopg import errors as psycopg_errors

from tests.factories import UserFactory, user_with
from ucj import scope
from ucj.models import CoverageSnapshot, Region, Role, WorkforceEstimate

PAGES = ["/", "/regions/", "/regions/35.26/", "/regions/51.03/", "/accounts/password/", "/admin/"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_anonymous_is_sent_to_the_login_page(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/") or response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_login_page_is_open_and_indonesian_by_default(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "id"
    assert "Masuk" in response.content.decode()


@pytest.mark.django_db
def test_language_switch_to_english_works_before_login(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302
    page = client.get("/accounts/login/").content.decode()
    assert "Log in" in page and "Masuk" not in page


@pytest.mark.django_db
def test_login_with_password_then_home(client, clerk, password):
    response = client.post("/accounts/login/", {"username": "clerk", "password": password})
    assert response.status_code == 302 and response["Location"] == "/"
    page = client.get("/").content.decode()
    assert "Kabupaten Bangkalan" in page
    assert "Dinas tenaga kerja" in page or "dinas tenaga kerja" in page


@pytest.mark.django_db
def test_clerk_browses_bangkalan_with_child_and_village_counts(client, clerk, django_assert_max_num_queries):
    client.force_login(clerk)
    assert client.get("/regions/")["Location"] == "/regions/35.26/"
    with django_assert_max_num_queries(10):  # constant: no query per child region
        response = client.get("/regions/35.26/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Socah" in page and "Galis" in page
    children = response.context["children"]
    assert len(children) == 18
    socah = next(c for c in children if c.code == "35.26.02")
    assert socah.children_count == 11
    assert response.context["totals"]["desa"] + response.context["totals"]["kelurahan"] == 281


@pytest.mark.django_db
def test_supervisor_sees_pamekasan_as_178_desa_and_11_kelurahan(client, supervisor):
    client.force_login(supervisor)
    response = client.get("/regions/35/")
    pamekasan = next(c for c in response.context["children"] if c.code == "35.28")
    assert (pamekasan.children_count, pamekasan.desa_count, pamekasan.kelurahan_count) == (13, 178, 11)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/regions/51.03/", "/regions/51/", "/regions/35/", "/regions/35.28/", "/regions/ID/"])
def test_bangkalan_clerk_cannot_open_other_regions(client, clerk, path):
    client.force_login(clerk)
    assert client.get(path).status_code == 404


@pytest.mark.django_db
def test_outsider_from_badung_cannot_open_bangkalan(client, outsider):
    client.force_login(outsider)
    assert client.get("/regions/35.26/").status_code == 404
    assert client.get("/regions/35.26.02.2001/").status_code == 404
    assert client.get("/regions/51.03/").status_code == 200


@pytest.mark.django_db
def test_officer_sees_own_districts_only(client, officer):
    client.force_login(officer)
    index = client.get("/regions/")
    assert index.status_code == 200
    assert [r.code for r in index.context["regions"]] == ["35.26.01", "35.26.02"]
    assert client.get("/regions/35.26.02.2001/").status_code == 200
    assert client.get("/regions/35.26.03/").status_code == 404
    assert client.get("/regions/35.26/").status_code == 404


@pytest.mark.django_db
def test_breadcrumbs_link_only_where_the_user_may_go(client, officer):
    client.force_login(officer)
    response = client.get("/regions/35.26.02.2001/")
    crumbs = [(r.code, can) for r, can in response.context["breadcrumbs"]]
    assert crumbs == [("ID", False), ("35", False), ("35.26", False), ("35.26.02", True)]
    assert 'href="/regions/35.26/"' not in response.content.decode()


@pytest.mark.django_db
def test_search_finds_villages_only_inside_the_users_regions(client, clerk):
    client.force_login(clerk)
    response = client.get("/regions/35.26/", {"q": "socah"})
    codes = {r.code for r in response.context["matches"]}
    assert "35.26.02" in codes and "35.26.02.2001" in codes
    assert all(c.startswith("35.26.") for c in codes)


@pytest.mark.django_db
def test_admin_home_shows_loaded_region_counts_in_indonesian_format(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/").content.decode()
    assert "Administrasi" in page
    villages = Region.objects.filter(level=Region.Level.VILLAGE).count()
    assert villages > 9000
    assert f"{villages:,}".replace(",", ".") in page  # Indonesian thousand separators


@pytest.mark.django_db
def test_user_without_role_is_told_to_ask_for_one(client):
    client.force_login(UserFactory())
    page = client.get("/").content.decode()
    assert "administrator" in page.lower()
    assert client.get("/regions/35.26/").status_code == 404


@pytest.mark.django_db
def test_password_change_page_works(client, clerk, password):
    client.force_login(clerk)
    response = client.post(
        reverse("password_change"),
        {"old_password": password, "new_password1": "a-new-Passw0rd!", "new_password2": "a-new-Passw0rd!"},
    )
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert clerk.check_password("a-new-Passw0rd!")


@pytest.mark.django_db
def test_a_clerk_cannot_add_figures_through_the_admin_site(client, clerk):
    client.force_login(clerk)
    assert client.get("/admin/ucj/workforceestimate/").status_code == 302
    response = client.post(
        "/admin/ucj/workforceestimate/add/",
        {"region": "35.26", "year": 2025, "workers": 1, "source": "x", "as_of": "2025-01-01"},
    )
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not WorkforceEstimate.objects.exists()


@pytest.mark.django_db
def test_odd_input_is_a_clear_answer_never_a_server_error(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/regions/35.26%00/").status_code == 404
    assert client.get("/regions/35.26.0/").status_code == 404
    response = client.get("/regions/35.26/", {"q": "abc\x00"})
    assert response.status_code == 200
    assert response.context["matches"] is None
    assert "null" in response.content.decode().lower() or response.context["search"].errors
    short = client.get("/regions/35.26/", {"q": "ab"})
    assert "3 huruf" in short.content.decode()


@pytest.mark.django_db
def test_region_page_shows_the_demo_coverage_in_indonesian_format(client, clerk):
    call_command("seed_demo")
    snapshot = CoverageSnapshot.objects.get(region_id="35.26", is_current=True)
    client.force_login(clerk)
    with translation.override("id"):
        page = client.get("/regions/35.26/").content.decode()
        percent = formats.number_format(snapshot.percent, 2)
        pu = formats.number_format(snapshot.pu, force_grouping=True)
    # BPJS's monthly figures continue the report's 14.3 % of 500,000, plus the demo's members
    # active through UCJ; the working population is still the report's.
    bpjs = formats.number_format(snapshot.active - snapshot.ucj_change, force_grouping=True)
    assert f"{percent} %" in page and snapshot.percent > Decimal("14.3")
    assert "500.000" in page and bpjs in page and f"PU</abbr> {pu}" in page
    assert "beritadata.id" in page and "14 Mar 2025" in page


@pytest.mark.django_db
def test_bali_target_is_written_the_indonesian_way(client, outsider):
    call_command("seed_demo")
    client.force_login(outsider)
    # The Badung clerk cannot open Bali's page; a Bali supervisor sees 67,28 %.
    assert client.get("/regions/51/").status_code == 404
    client.force_login(user_with(Role.SUPERVISOR, "51", username="bali"))
    page = client.get("/regions/51/").content.decode()
    assert "67,28 %" in page and "1.873.899" in page and "935.079" in page


@pytest.mark.django_db
def test_repeated_wrong_passwords_lock_the_login_then_even_the_right_one_is_refused(client, clerk, password):
    for _ in range(5):
        assert client.post("/accounts/login/", {"username": "clerk", "password": "wrong"}).status_code in (200, 429)
    locked = client.post("/accounts/login/", {"username": "clerk", "password": password})
    assert locked.status_code == 429
    assert "Terlalu banyak" in locked.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_repeated_wrong_passwords_lock_the_api_token_too(api_client, clerk, password):
    for _ in range(5):
        api_client.post("/api/v1/auth/token/", {"username": "clerk", "password": "wrong"}, format="json")
    response = api_client.post("/api/v1/auth/token/", {"username": "clerk", "password": password}, format="json")
    assert response.status_code == 429
    assert "token" not in response.json() and response.json()["detail"]


@pytest.mark.django_db
def test_even_the_administrator_cannot_edit_regions_or_the_audit_history(client, admin_user):
    client.force_login(admin_user)
    assert client.get("/admin/ucj/region/35.26/change/").status_code == 200  # view only
    response = client.post("/admin/ucj/region/35.26/change/", {"code": "35.99", "name": "X"})
    assert response.status_code == 403
    assert Region.objects.get(code="35.26").name == "Kabupaten Bangkalan"
    assert client.get("/admin/ucj/auditevent/add/").status_code == 403


@pytest.mark.parametrize(("path", "json"), [("/", False), ("/api/v1/regions/35.26/", True)])
def test_a_database_that_cannot_be_reached_is_a_503_asking_to_try_again(client, clerk, monkeypatch, path, json):
    """A restart or failover of PostgreSQL in the middle of a request: 503 with Retry-After (on
    pages and in the API), not a 500 that says the team was notified of a bug."""

    def unreachable(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")

    client.force_login(clerk)
    client.raise_request_exception = False
    monkeypatch.setattr(scope, "assignments_of", unreachable)
    response = client.get(path)
    assert response.status_code == 503
    assert response["Retry-After"] == "10"
    if json:
        assert "cannot be reached" in response.json()["detail"] or "tidak dapat" in response.json()["detail"]
    else:
        assert b"Connection refused" not in response.content


def test_pages_carry_a_content_security_policy_but_the_api_docs(client, clerk):
    client.force_login(clerk)
    policy = client.get("/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "Content-Security-Policy" in client.get("/api/v1/regions/35.26/")
    assert "Content-Security-Policy" not in client.get("/api/docs/")


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (psycopg_errors.ReadOnlySqlTransaction, 503),  # a standby after a failover
        (psycopg_errors.AdminShutdown, 503),  # the server shutting down
        (psycopg_errors.DeadlockDetected, 500),  # the request's own trouble: not "try again later"
    ],
)
def test_only_an_unavailable_database_is_a_503(client, clerk, monkeypatch, error, status):
    def fails(*args, **kwargs):
        wrapped = (
            InternalError("database error") if error is psycopg_errors.ReadOnlySqlTransaction else OperationalError("x")
        )
        raise wrapped from error("from the server")

    client.force_login(clerk)
    client.raise_request_exception = False
    monkeypatch.setattr(scope, "assignments_of", fails)
    assert client.get("/api/v1/regions/35.26/").status_code == status
