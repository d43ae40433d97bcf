"""An anonymous visitor gets nothing but the login page and the token endpoint: every other
route, found from the URL resolver so that a new one is covered without anyone remembering,
answers with a redirect to a login page or a 401/403."""

import pytest
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

OPEN = {
    "/accounts/login/",  # the login page
    "/api/v1/auth/token/",  # the token endpoint (POST only; GET is 405)
    "/i18n/setlang/",  # the language switch on the login page (POST, redirects back)
    "/accounts/logout/",  # logging out when not logged in changes nothing
    "/admin/login/",  # the admin site's own login page
}
SAMPLE = {"code": "35.26", "format": "json", "url": "x", "app_label": "ucj", "path": "x"}


def _routes(patterns, namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _routes(p.url_patterns, f"{namespace}{p.namespace}:" if p.namespace else namespace)
        elif isinstance(p, URLPattern) and p.name:
            yield namespace + p.name, list(p.pattern.regex.groupindex)


def all_paths():
    """Every named route, reversed with sample arguments (a region code, an id)."""
    paths = set()
    for name, groups in _routes(get_resolver().url_patterns):
        try:
            paths.add(reverse(name, kwargs={g: SAMPLE.get(g, "1") for g in groups}))
        except NoReverseMatch:
            paths.add(reverse(name, kwargs={g: SAMPLE.get(g, "1") for g in groups if g != "format"}))
    return sorted(paths)


def test_the_sweep_finds_the_routes():
    paths = all_paths()
    assert {"/", "/regions/35.26/", "/api/v1/regions/35.26/", "/api/schema/"} <= set(paths)


@pytest.mark.django_db
@pytest.mark.parametrize("path", all_paths())
def test_anonymous_gets_only_a_login_or_a_refusal(client, path):
    if path in OPEN:
        return
    for method in ("get", "post"):
        response = getattr(client, method)(path)
        location = response.headers.get("Location", "")
        assert response.status_code in (301, 302, 401, 403, 405), (method, path, response.status_code)
        if response.status_code in (301, 302):
            assert "/login/" in location, (method, path, location)
        if response.status_code == 200:  # pragma: no cover - the assertion above already fails
            raise AssertionError(path)


@pytest.mark.django_db
@pytest.mark.parametrize("path", [p for p in all_paths() if "35.26" in p])
def test_an_outsider_gets_404_on_every_route_of_a_bangkalan_region(client, outsider, path):
    client.force_login(outsider)
    assert client.get(path).status_code == 404
    assert client.get(path.replace("35.26", "51.03")).status_code == 200
