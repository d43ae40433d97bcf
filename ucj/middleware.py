"""Response headers Django 5.2 does not set itself, and one transaction per write request."""

from django.conf import settings
from django.db import transaction

# Scripts, styles, images and connections from this site only (Bootstrap, htmx and Chart.js are
# vendored under static/). Styles may be inline: a progress bar's width is a style attribute,
# and htmx adds its indicator style. No page may be framed, and forms post only here.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicy:
    """Adds the Content-Security-Policy to every response that has none. The API's browsable
    docs (Swagger UI, drf-spectacular's page with an inline script) are left out."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.exempt = tuple(getattr(settings, "CSP_EXEMPT_PATHS", ()))

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response and not request.path.startswith(self.exempt):
            response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response


# What RFC 9110 calls safe: these only read, and run outside any transaction (on SQLite, a
# transaction would take the write lock for every page view).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class AtomicWrites:
    """Runs every unsafe request (POST, PUT, PATCH, DELETE) in one transaction, rolled back when the
    answer is a 5xx: an unhandled exception (which Django's handler has already turned into the
    500 or 503 of `ucj.views.server_error` when it gets here) or a view that answers 5xx itself.
    So a write request either commits whole or leaves nothing, even where a view writes outside
    its services' transactions.

    A handled refusal (4xx) still commits what it wrote: django-axes counts a failed login in
    the very request that answers 400 or 429. Work queued with `transaction.on_commit` (Celery
    tasks) is sent after the commit and dropped with a rollback. Not ATOMIC_REQUESTS: that
    would wrap reads too. A streaming answer's body is produced after the commit."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in SAFE_METHODS:
            return self.get_response(request)
        with transaction.atomic():
            response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
        return response
