import re

import pytest

from ucj.models import Region


@pytest.mark.django_db
def test_anonymous_api_call_gets_401_with_a_detail(api_client):
    response = api_client.get("/api/v1/regions/")
    assert response.status_code == 401
    assert "detail" in response.json()
    assert response["WWW-Authenticate"].startswith("Token")


@pytest.mark.django_db
def test_anonymous_cannot_read_the_schema_or_docs(api_client):
    assert api_client.get("/api/schema/").status_code == 401
    assert api_client.get("/api/docs/").status_code == 401


@pytest.mark.django_db
def test_token_for_a_good_password_and_a_clear_400_for_a_bad_one(api_client, clerk, password):
    good = api_client.post("/api/v1/auth/token/", {"username": "clerk", "password": password}, format="json")
    assert good.status_code == 200 and good.json()["token"]
    bad = api_client.post("/api/v1/auth/token/", {"username": "clerk", "password": "nope"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["detail"]

    api_client.credentials(HTTP_AUTHORIZATION=f"Token {good.json()['token']}")
    assert api_client.get("/api/v1/regions/35.26/").status_code == 200


@pytest.mark.django_db
def test_regions_list_is_scoped_and_filtered_by_parent(api_client, clerk, django_assert_max_num_queries):
    api_client.force_authenticate(clerk)
    with django_assert_max_num_queries(4):
        body = api_client.get("/api/v1/regions/", {"parent": "35.26"}).json()
    assert body["count"] == 18
    assert {r["parent"] for r in body["results"]} == {"35.26"}
    socah = next(r for r in body["results"] if r["code"] == "35.26.02")
    assert socah["children_count"] == 11 and socah["kind"] == "kecamatan"

    everything = api_client.get("/api/v1/regions/", {"page_size": 1000}).json()
    assert everything["count"] == Region.objects.filter(code__startswith="35.26").count()
    assert all(r["code"].startswith("35.26") for r in everything["results"])


@pytest.mark.django_db
def test_regions_filter_by_level_and_name(api_client, supervisor):
    api_client.force_authenticate(supervisor)
    body = api_client.get("/api/v1/regions/", {"level": 2, "q": "pamekasan"}).json()
    assert [r["code"] for r in body["results"]] == ["35.28"]


@pytest.mark.django_db
@pytest.mark.parametrize("code", ["51.03", "51", "35", "ID", "99.99"])
def test_region_outside_scope_or_unknown_is_404(api_client, clerk, code):
    api_client.force_authenticate(clerk)
    response = api_client.get(f"/api/v1/regions/{code}/")
    assert response.status_code == 404
    assert "detail" in response.json()


@pytest.mark.django_db
def test_outsider_lists_nothing_of_bangkalan(api_client, outsider):
    api_client.force_authenticate(outsider)
    assert api_client.get("/api/v1/regions/", {"parent": "35.26"}).json()["count"] == 0
    assert api_client.get("/api/v1/regions/35.26.02.2001/").status_code == 404


@pytest.mark.django_db
def test_a_bad_filter_value_is_a_400_with_the_field(api_client, clerk):
    api_client.force_authenticate(clerk)
    response = api_client.get("/api/v1/regions/", {"level": "seven"})
    assert response.status_code == 400
    assert "level" in response.json()["errors"]


@pytest.mark.django_db
def test_regions_are_read_only(api_client, admin_user):
    api_client.force_authenticate(admin_user)
    assert api_client.post("/api/v1/regions/", {"code": "99"}, format="json").status_code == 405
    assert api_client.delete("/api/v1/regions/35/").status_code == 405


@pytest.mark.django_db
def test_schema_and_docs_for_a_signed_in_user(api_client, clerk):
    api_client.force_authenticate(clerk)
    schema = api_client.get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/regions/" in paths and "/api/v1/regions/{code}/" in paths and "/api/v1/auth/token/" in paths
    docs = api_client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    # Swagger UI comes from the installed sidecar package, never from a CDN.
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)


@pytest.mark.django_db
def test_unknown_api_path_answers_json_404(client, clerk):
    client.force_login(clerk)
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["detail"]


@pytest.mark.django_db
def test_unknown_page_answers_a_page_404_in_indonesian(client, clerk):
    client.force_login(clerk)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Halaman tidak ditemukan" in response.content.decode()
