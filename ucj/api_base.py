"""What every API endpoint shares: the error shape of DESIGN §4 and pagination."""

from types import SimpleNamespace

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import exception_handler as drf_exception_handler

from ucj import scope
from ucj.errors import ApplicationError
from ucj.proxies import ClientAddressThrottle
from ucj.services import personal_data_viewed


class ErrorSerializer(serializers.Serializer):
    """The error shape of every endpoint (DESIGN §4), for the OpenAPI schema."""

    detail = serializers.CharField()
    errors = serializers.JSONField(required=False)


class Pagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class PersonalDataLog:
    """For viewsets whose answers may show full NIKs: their serializers note whom they showed in
    full (`context["personal_shown"]`: ("participant" or "lead", id) pairs) and one audit event
    records it after a successful answer (`ucj.services.personal_data_viewed`)."""

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not hasattr(self, "_personal_shown"):
            self._personal_shown = []
        context["personal_shown"] = self._personal_shown
        return context

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        shown = getattr(self, "_personal_shown", None)
        if shown and 200 <= response.status_code < 300:
            personal_data_viewed(
                actor=request.user,
                where=request.get_full_path(),
                participant_ids=[pk for kind, pk in shown if kind == "participant"],
                lead_ids=[pk for kind, pk in shown if kind == "lead"],
            )
        return response


class NikLookupThrottle(ClientAddressThrottle, SimpleRateThrottle):
    """Look-ups by a whole NIK, per user, for users who see NIKs masked somewhere: a look-up that
    finds someone confirms the hidden digits, so guessing them (a masked NIK, a birth year and a
    sex leave a few hundred candidates) must run into a limit. The rate is
    `DEFAULT_THROTTLE_RATES["nik_lookup"]` (env NIK_LOOKUP_RATE); pages count on the same counter
    (`nik_lookup_wait`). A view opts in with `nik_looked_up(request)`, the NIK it is asked for."""

    scope = "nik_lookup"

    def get_rate(self):
        # Read when asked, not when the class was defined: settings may change (tests do).
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def get_cache_key(self, request, view):
        looked_up = getattr(view, "nik_looked_up", None)
        user = request.user
        if looked_up is None or not looked_up(request) or not scope.sees_masked_personal_data(user):
            return None
        return self.cache_format % {"scope": self.scope, "ident": user.pk}


def nik_lookup_wait(request, nik: str | None) -> float | None:
    """For pages: count a look-up of `nik` by the signed-in user on the API's counter. None when
    it may go ahead (or is no look-up, or the user sees NIKs in full everywhere), else the seconds
    to wait."""
    throttle = NikLookupThrottle()
    if throttle.allow_request(request, SimpleNamespace(nik_looked_up=lambda _request: nik)):
        return None
    return throttle.wait() or 1.0


def nik_lookup_refusal(wait: float) -> str:
    minutes = max(1, round(wait / 60))
    return _(
        "Too many look-ups by NIK. To protect people's data, NIK look-ups are limited; "
        "try again in %(minutes)s minutes, or search by name."
    ) % {"minutes": minutes}


def exception_handler(exc, context):
    """Every error is JSON with a `detail`; per-field or per-row specifics go in `errors`.

    400 bad input, 401 no identity, 403 a role that may not do this, 404 anything outside the
    user's regions, 409 a wrong state or a budget that does not cover it.
    """
    if isinstance(exc, ApplicationError):
        body = {"detail": exc.message}
        if exc.details is not None:
            body["errors"] = exc.details
        return Response(body, status=exc.status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        data = response.data
        if isinstance(data, dict) and set(data) == {"non_field_errors"}:
            detail = " ".join(str(m) for m in data["non_field_errors"])
        else:
            detail = str(exceptions.ValidationError.default_detail)
        response.data = {"detail": detail, "errors": data}
        response.status_code = status.HTTP_400_BAD_REQUEST
    elif not isinstance(response.data, dict) or "detail" not in response.data:
        response.data = {"detail": str(exc), "errors": response.data}
    return response
