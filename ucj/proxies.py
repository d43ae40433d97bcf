"""The client's address, decided in one place for everything that counts requests per address:
django-axes (failed logins, `AXES_CLIENT_IP_CALLABLE`) and the API's throttles
(`ClientAddressThrottle`).

Behind reverse proxies, REMOTE_ADDR is the nearest proxy's address, shared by every client, and
each proxy appends the address it was reached from to X-Forwarded-For. Only the entries the
deployment's own proxies wrote can be trusted; whatever a client sends comes before them. So with
`NUM_PROXIES` = N (the number of proxies in front of UCJ), the client is the N-th address from the
right of X-Forwarded-For; with N = 0 (the default: UCJ reached directly, or in its embedded mode)
the header is ignored, as any client can write it.
"""

import ipaddress

from django.conf import settings
from rest_framework.throttling import BaseThrottle


def _normalised(address: str) -> str | None:
    """The address in its one canonical text, or None when it is not an address: `::FFFF:10.0.0.1`
    and `10.0.0.1` are one client, as are the spellings of one IPv6 address."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ip)


def client_ip(request) -> str | None:
    """The address of the client of `request` (a Django or DRF request), as the deployment's own
    proxies saw it. Falls back to REMOTE_ADDR when X-Forwarded-For holds fewer addresses than
    there are proxies, or no address where the client's should be: nothing of it can be trusted."""
    remote = _normalised(request.META.get("REMOTE_ADDR") or "")
    proxies = getattr(settings, "NUM_PROXIES", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not proxies or not forwarded:
        return remote
    addresses = forwarded.split(",")
    if len(addresses) < proxies:
        return remote
    return _normalised(addresses[-proxies]) or remote


class ClientAddressThrottle(BaseThrottle):
    """Base of every throttle of UCJ (mix it in first: `class X(ClientAddressThrottle,
    ScopedRateThrottle)`): an anonymous client is counted by `client_ip`, not by DRF's own
    reading, which takes all of a client's X-Forwarded-For when NUM_PROXIES is unset, so that a
    client varying the header would never be throttled."""

    def get_ident(self, request):
        return client_ip(request) or ""
