"""Settings of the server bench/api.py loads: UCJ's own, plus one route of its own
(bench/api_urls.py), so that the trivial endpoint runs in the same server as the real ones."""

from ucj.settings import *  # noqa: F403

ROOT_URLCONF = "api_urls"
