"""The client's address behind reverse proxies (`ucj.proxies.client_ip`), and the two things that
count by it: django-axes' lockout after failed logins (per user name and address, on the login
page and the API token) and the token endpoint's throttle.

Requests come as through a proxy at PROXY: REMOTE_ADDR is the proxy's, and X-Forwarded-For ends
with the address the proxy was reached from (what a client sends itself comes before it)."""

import itertools

import pytest
from django.test import RequestFactory
from django.urls import get_resolver

from ucj.proxies import ClientAddressThrottle, client_ip

PROXY = "10.0.0.2"
ATTACKER, CLERK_DESK = "203.0.113.66", "198.51.100.7"
LOGIN, TOKEN = "/accounts/login/", "/api/v1/auth/token/"
TOKEN_RATE = 20  # DEFAULT_THROTTLE_RATES["token"]: 20/min


def through_proxy(client_address: str, sent: str = "") -> dict:
    """What the proxy passes on: its own address as REMOTE_ADDR, the client's appended."""
    forwarded = f"{sent}, {client_address}" if sent else client_address
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded}


def request_with(**meta):
    return RequestFactory().get("/", **meta)


# --- The resolver ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, None, "10.0.0.2"),
        (0, "203.0.113.66", "10.0.0.2"),  # no proxy configured: anyone can write the header
        (1, None, "10.0.0.2"),
        (1, "203.0.113.66", "203.0.113.66"),
        (1, "1.1.1.1, 203.0.113.66", "203.0.113.66"),  # what the client wrote comes first
        (1, "1.1.1.1,203.0.113.66 ", "203.0.113.66"),
        (2, "1.1.1.1, 203.0.113.66, 10.0.0.9", "203.0.113.66"),
        (2, "203.0.113.66", "10.0.0.2"),  # fewer entries than proxies: none is trustworthy
        (1, "1.1.1.1, not-an-address", "10.0.0.2"),
        (1, "::ffff:203.0.113.66", "203.0.113.66"),
        (1, "2001:DB8:0:0::1", "2001:db8::1"),
    ],
)
def test_the_client_is_the_address_the_outermost_proxy_recorded(settings, proxies, forwarded, expected):
    settings.NUM_PROXIES = proxies
    meta = {"REMOTE_ADDR": PROXY}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    assert client_ip(request_with(**meta)) == expected


def test_axes_and_every_throttle_of_the_api_resolve_the_address_through_client_ip(settings):
    from axes.helpers import get_client_ip_address

    settings.NUM_PROXIES = 1
    assert get_client_ip_address(request_with(**through_proxy(ATTACKER, sent="1.1.1.1"))) == ATTACKER
    throttles = set(settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_CLASSES", ()))
    for pattern in _every_pattern(get_resolver()):
        view = getattr(pattern.callback, "cls", None)
        throttles.update(getattr(view, "throttle_classes", ()))
    assert throttles, "the token endpoint at least has a throttle"
    for throttle in throttles:
        assert issubclass(throttle, ClientAddressThrottle), throttle


def _every_pattern(resolver):
    for pattern in resolver.url_patterns:
        if hasattr(pattern, "url_patterns"):
            yield from _every_pattern(pattern)
        else:
            yield pattern


# --- Lockout: a stranger cannot lock the clerk out --------------------------------------------------


def _login(client, password, address, **extra):
    return client.post(LOGIN, {"username": "clerk", "password": password}, **through_proxy(address, **extra))


def _token(api_client, password, address, username="clerk", **extra):
    return api_client.post(
        TOKEN, {"username": username, "password": password}, format="json", **through_proxy(address, **extra)
    )


@pytest.mark.django_db
def test_five_wrong_passwords_behind_the_proxy_lock_that_client_not_the_clerk_at_her_desk(
    client, clerk, password, settings
):
    settings.NUM_PROXIES = 1
    for attempt in range(5):
        # Whatever the attacker puts in X-Forwarded-For, the proxy's entry is what counts.
        _login(client, "wrong", ATTACKER, sent=f"192.0.2.{attempt}")
    assert _login(client, password, ATTACKER).status_code == 429
    response = _login(client, password, CLERK_DESK)
    assert response.status_code == 302 and client.session["_auth_user_id"] == str(clerk.pk)


@pytest.mark.django_db
def test_five_wrong_passwords_behind_the_proxy_lock_the_token_for_that_client_only(
    api_client, clerk, password, settings
):
    settings.NUM_PROXIES = 1
    for attempt in range(5):
        _token(api_client, "wrong", ATTACKER, sent=f"192.0.2.{attempt}")
    locked = _token(api_client, password, ATTACKER)
    assert locked.status_code == 429 and "token" not in locked.json()
    response = _token(api_client, password, CLERK_DESK)
    assert response.status_code == 200 and response.json()["token"]


@pytest.mark.django_db
def test_without_a_proxy_a_forged_forwarded_for_does_not_dodge_the_lockout(client, clerk, password, settings):
    settings.NUM_PROXIES = 0
    for attempt in range(5):
        client.post(
            LOGIN,
            {"username": "clerk", "password": "wrong"},
            REMOTE_ADDR=ATTACKER,
            HTTP_X_FORWARDED_FOR=f"192.0.2.{attempt}",
        )
    response = client.post(
        LOGIN, {"username": "clerk", "password": password}, REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR="192.0.2.99"
    )
    assert response.status_code == 429
    # The clerk, from her own address, is not locked out.
    assert client.post(LOGIN, {"username": "clerk", "password": password}, REMOTE_ADDR=CLERK_DESK).status_code == 302


# --- The token endpoint's throttle ----------------------------------------------------------------


def _throttled(response) -> bool:
    # django-axes' lockout is a 429 too; the throttle's answer carries Retry-After.
    return response.status_code == 429 and "Retry-After" in response


@pytest.mark.django_db
def test_varying_x_forwarded_for_without_num_proxies_does_not_dodge_the_token_throttle(api_client, settings):
    settings.NUM_PROXIES = 0
    names = (f"guess{n}" for n in itertools.count())  # a new name each time: no lockout, only the rate
    for n in range(TOKEN_RATE):
        meta = {"REMOTE_ADDR": ATTACKER, "HTTP_X_FORWARDED_FOR": f"192.0.2.{n}"}
        response = api_client.post(TOKEN, {"username": next(names), "password": "x"}, format="json", **meta)
        assert not _throttled(response), n
    meta = {"REMOTE_ADDR": ATTACKER, "HTTP_X_FORWARDED_FOR": "192.0.2.250"}
    assert _throttled(api_client.post(TOKEN, {"username": next(names), "password": "x"}, format="json", **meta))


@pytest.mark.django_db
def test_with_one_proxy_the_token_throttle_counts_each_forwarded_client(api_client, settings):
    settings.NUM_PROXIES = 1
    names = (f"guess{n}" for n in itertools.count())
    for n in range(TOKEN_RATE):
        assert not _throttled(_token(api_client, "x", ATTACKER, username=next(names), sent=f"192.0.2.{n}")), n
    assert _throttled(_token(api_client, "x", ATTACKER, username=next(names), sent="192.0.2.250"))
    # Another client through the same proxy has its own count.
    assert not _throttled(_token(api_client, "x", CLERK_DESK, username=next(names)))


# --- The deployment says how many proxies there are --------------------------------------------------


def test_check_deploy_warns_when_a_deployment_behind_a_proxy_leaves_num_proxies_at_0(settings):
    from ucj.checks import client_address_behind_proxy

    settings.HTTPS, settings.NUM_PROXIES = True, 0
    assert [w.id for w in client_address_behind_proxy(None)] == ["ucj.W001"]
    settings.NUM_PROXIES = 1
    assert client_address_behind_proxy(None) == []
    settings.HTTPS, settings.NUM_PROXIES = False, 0  # the embedded mode: reached directly
    assert client_address_behind_proxy(None) == []
