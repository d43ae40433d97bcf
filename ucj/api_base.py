"""What every API endpoint shares: the error shape of DESIGN §4 and pagination."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ucj.errors import ApplicationError
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
