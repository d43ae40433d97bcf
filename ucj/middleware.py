"""Response headers Django 5.2 does not set itself."""

from django.conf import settings

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
