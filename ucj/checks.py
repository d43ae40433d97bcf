"""System checks of UCJ's own settings (`manage.py check --deploy`)."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def client_address_behind_proxy(app_configs, **kwargs):
    """HTTPS=1 means a deployment behind a reverse proxy. Without NUM_PROXIES every request comes
    from the proxy's address, and the login lockout and the throttles, which count per address,
    would count all clients as one (ucj.proxies)."""
    if settings.HTTPS and not settings.NUM_PROXIES:
        return [
            checks.Warning(
                "HTTPS=1 (behind a reverse proxy) but NUM_PROXIES is 0: login lockouts and throttles "
                "would count every client as the proxy's address.",
                hint="Set NUM_PROXIES to the number of reverse proxies in front of UCJ (1 for one nginx).",
                id="ucj.W001",
            )
        ]
    return []
