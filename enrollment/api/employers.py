"""The employer-compliance REST API (DESIGN §4): `employers` and `compliance-cases`.

Thin by rule: every list and object comes from a scoped selector (an outsider gets 404 on every
detail route and action, and never a row in a list), every write is one service call, and the
services' domain errors become 400/403/409 in `ucj.api_base.exception_handler`. Filters refuse a
value they do not know (400 naming the filter) instead of ignoring it.

Reading: everyone whose regions hold the employer (a field officer the employers of their
villages). Writing figures and running cases: the labour office of the employer's regency and
administrators (the services decide; others get 403)."""

import django_filters
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.reverse import reverse

from enrollment import selectors, services
from enrollment.models import CaseState, ComplianceCase, ComplianceStatus, Employer, Finding, Sector
from enrollment.serializers.employers import (
    MAX_ID,
    CaseCloseSerializer,
    CaseOpenSerializer,
    CaseStepSerializer,
    ComplianceCaseDetailSerializer,
    ComplianceCaseSerializer,
    EmployerCreateSerializer,
    EmployerDetailSerializer,
    EmployerImportReportSerializer,
    EmployerImportSerializer,
    EmployerSerializer,
    EmployerWriteSerializer,
)
from ucj import scope
from ucj.api_base import ErrorSerializer
from ucj.errors import ValidationFailed
from ucj.sheets import MAX_FILE_BYTES

__all__ = ["ComplianceCaseViewSet", "EmployerViewSet"]

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Bad input; `errors` names each field (or row) and why."),
    403: OpenApiResponse(ErrorSerializer, description="Your role may not do this here."),
    404: OpenApiResponse(ErrorSerializer, description="Not found, or outside your regions."),
    409: OpenApiResponse(
        ErrorSerializer,
        description="A duplicate NPP or NIB, a step out of order in its track or taken twice, a closed case, a case "
        "already open for the finding, a finding the employer no longer has, a deadline in a year whose holidays "
        "are not loaded.",
    ),
}
NO_FILTERS = {"filter_backends": []}
DISTRICT_CODE = r"^[0-9]{2}\.[0-9]{2}\.[0-9]{2}$"
VILLAGE_CODE = r"^[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}$"


def _errors(*codes: int) -> dict:
    return {code: ERRORS[code] for code in codes}


def _messages(errors, path: str = "") -> list[str]:
    """Serializer errors as 'field: message' lines."""
    if isinstance(errors, dict):
        return [m for key, value in errors.items() for m in _messages(value, f"{path}.{key}" if path else str(key))]
    if isinstance(errors, list):
        return [m for value in errors for m in _messages(value, path)]
    return [f"{path}: {errors}" if path and path != "non_field_errors" else str(errors)]


def _valid(serializer) -> dict:
    """Validated data, or a 400 whose `detail` already says which field and why (`errors` keeps
    the per-field structure)."""
    if not serializer.is_valid():
        raise ValidationFailed(" ".join(_messages(serializer.errors)), details=serializer.errors)
    return serializer.validated_data


# --- Filters --------------------------------------------------------------------------------------


class FilterBackend(DjangoFilterBackend):
    """django-filter's backend, with a 400 whose `detail` says which filter and why, as for bodies."""

    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        if not filterset.is_valid():
            errors = translate_validation(filterset.errors).detail
            raise ValidationFailed(" ".join(_messages(errors)), details=errors)
        return filterset.qs


class FlagField(forms.NullBooleanField):
    """`1`/`true` or `0`/`false`; anything else is an error (a NullBooleanField reads it as "no
    filter", which would answer a typo with the whole list)."""

    # The raw text: NullBooleanSelect would turn "1" into None before to_python sees it.
    widget = forms.TextInput

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in ("1", "true", "yes"):
            return True
        if text in ("0", "false", "no"):
            return False
        raise DjangoValidationError(_("Use 1 (yes) or 0 (no)."), code="invalid")

    def validate(self, value):
        pass


class FlagFilter(django_filters.BooleanFilter):
    field_class = FlagField


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


def _code_filter(pattern: str, message, help_text: str, **kwargs) -> django_filters.CharFilter:
    return django_filters.CharFilter(validators=[RegexValidator(pattern, message)], help_text=help_text, **kwargs)


STATUS_CHOICES = [*ComplianceStatus.choices, *Finding.choices]


class EmployerFilter(django_filters.FilterSet):
    """The employer list's filters, with the meaning the pages give them (`selectors.employers_filter`)."""

    status = django_filters.ChoiceFilter(
        choices=STATUS_CHOICES,
        method="filter_status",
        help_text="A status (compliant, findings, unassessed) or a finding (pds_workers, pds_wages, pds_programme, "
        "pwbd)",
    )
    sector = django_filters.ChoiceFilter(choices=Sector.choices)
    district = _code_filter(
        DISTRICT_CODE,
        gettext_lazy("Enter a district code such as 35.26.01."),
        "District code, e.g. 35.26.01",
        method="filter_district",
    )
    village = _code_filter(
        VILLAGE_CODE,
        gettext_lazy("Enter a village code such as 35.26.01.2001."),
        "Village code, e.g. 35.26.01.2001",
        field_name="village_id",
    )
    overdue = FlagFilter(method="filter_overdue", help_text="1: only employers with an overdue open case")
    q = django_filters.CharFilter(method="filter_q", max_length=200, help_text="Part of the name, or the NPP or NIB")

    class Meta:
        model = Employer
        fields = ["status", "sector", "district", "village", "overdue", "q"]

    def filter_status(self, queryset, name, value: str):
        return selectors.employers_filter(queryset, status=value)

    def filter_district(self, queryset, name, value: str):
        return selectors.employers_filter(queryset, district=value)

    def filter_overdue(self, queryset, name, value: bool):
        return selectors.employers_filter(queryset, overdue=True) if value else queryset

    def filter_q(self, queryset, name, value: str):
        return selectors.employers_filter(queryset, query=value)


class CaseFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=CaseState.choices)
    finding = django_filters.ChoiceFilter(choices=Finding.choices)
    employer = IdFilter(field_name="employer_id", min_value=1, max_value=MAX_ID, help_text="Employer id")
    overdue = FlagFilter(method="filter_overdue", help_text="1: open cases whose deadline has passed")
    due = FlagFilter(method="filter_due", help_text="1: open cases due today or in the next few working days")
    district = _code_filter(
        DISTRICT_CODE,
        gettext_lazy("Enter a district code such as 35.26.01."),
        "District code of the employer's village, e.g. 35.26.01",
        method="filter_district",
    )

    class Meta:
        model = ComplianceCase
        fields = ["state", "finding", "employer", "overdue", "due", "district"]

    def filter_overdue(self, queryset, name, value: bool):
        return selectors.cases_overdue(queryset) if value else queryset

    def filter_due(self, queryset, name, value: bool):
        return selectors.cases_due(queryset) if value else queryset

    def filter_district(self, queryset, name, value: str):
        return queryset.filter(employer__village__code__startswith=value + ".")


# --- Employers ------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(responses={200: EmployerSerializer(many=True), **_errors(400)}),
    retrieve=extend_schema(responses={200: EmployerDetailSerializer, **_errors(404)}),
)
class EmployerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Employers in the user's regions with both sides' figures (reported to the labour office,
    registered with BPJS) and the compliance findings derived from them. The detail adds the
    findings explained and the employer's cases."""

    serializer_class = EmployerSerializer
    filter_backends = [FilterBackend]
    filterset_class = EmployerFilter
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        return selectors.employers_visible_to(self.request.user)

    def get_serializer_class(self):
        if self.action == "list":
            return EmployerSerializer
        return EmployerDetailSerializer

    def _answer(self, employer_id: int, code=status.HTTP_200_OK) -> Response:
        employer = self.get_queryset().get(pk=employer_id)
        response = Response(EmployerDetailSerializer(employer, context=self.get_serializer_context()).data, code)
        response["Location"] = reverse("api:employer-detail", args=[employer.pk], request=self.request)
        return response

    @extend_schema(
        request=EmployerCreateSerializer,
        responses={201: EmployerDetailSerializer, **_errors(400, 403, 409)},
        description="Register an employer (labour office of its regency, administrators). `name` and `village` "
        "are required. A taken NPP or NIB is 409.",
    )
    def create(self, request, **kwargs):
        data = _valid(EmployerCreateSerializer(data=request.data))
        employer = services.employer_create(actor=request.user, data=dict(data))
        return self._answer(employer.pk, status.HTTP_201_CREATED)

    @extend_schema(
        request=EmployerWriteSerializer,
        responses={200: EmployerDetailSerializer, **_errors(400, 403, 404, 409)},
        description="Change the fields given (labour office of the employer's regency, administrators); the "
        "findings are derived again. An employer does not move to another regency.",
    )
    def partial_update(self, request, pk=None, **kwargs):
        employer = self.get_object()
        data = _valid(EmployerWriteSerializer(data=request.data, partial=True))
        services.employer_update(actor=request.user, employer_id=employer.pk, changes=dict(data))
        return self._answer(employer.pk)

    @extend_schema(
        request={"multipart/form-data": EmployerImportSerializer},
        responses={200: EmployerImportReportSerializer, **_errors(400, 403, 404)},
        description="Import the labour office's company list (`kind=labour_office`: creates and updates "
        "employers) or BPJS's list of registered employers (`kind=bpjs`: updates matched employers, reports "
        "the others) for one regency. Rows match on NPP, then NIB, then name and village. All or nothing: "
        "any bad row is 400 with every bad row's number, column and reason, and nothing is saved.",
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        url_name="import",
        parser_classes=[MultiPartParser, FormParser],
        **NO_FILTERS,
    )
    def import_(self, request, **kwargs):
        data = _valid(EmployerImportSerializer(data=request.data))
        region = scope.get_region_or_404(request.user, data["regency"])
        upload = data["file"]
        # One byte more than the limit is enough for the reader to refuse a file as too large.
        content = upload.read(MAX_FILE_BYTES + 1)
        report = services.employers_import(
            actor=request.user,
            regency_code=region.code,
            kind=data["kind"],
            content=content,
            filename=upload.name,
            source=data["source"],
            as_of=data["as_of"],
        )
        return Response(EmployerImportReportSerializer(report).data)


# --- Compliance cases -----------------------------------------------------------------------------


CASE_ANSWER = {200: ComplianceCaseDetailSerializer, **_errors(400, 403, 404, 409)}


@extend_schema_view(
    list=extend_schema(responses={200: ComplianceCaseSerializer(many=True), **_errors(400)}),
    retrieve=extend_schema(responses={200: ComplianceCaseDetailSerializer, **_errors(404)}),
)
class ComplianceCaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Compliance cases of the employers in the user's regions, newest first: one finding followed
    through two tracks: BPJS's sanctions of PP 86/2013 (written warnings I and II with 10 working
    days each, the fine, the denial of certain public services by the regional government on
    BPJS's request) and the labour inspectors' notes I and II and referral. `tracks` says where
    each stands and who acts next; the detail adds the steps and `actions`, what the user may do
    now (only the next step of each track)."""

    serializer_class = ComplianceCaseSerializer
    filter_backends = [FilterBackend]
    filterset_class = CaseFilter
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        return selectors.cases_visible_to(self.request.user).select_related("opened_by", "closed_by")

    def get_serializer_class(self):
        if self.action == "list":
            return ComplianceCaseSerializer
        return ComplianceCaseDetailSerializer

    def _answer(self, case_id: int, code=status.HTTP_200_OK) -> Response:
        case = self.get_queryset().get(pk=case_id)
        response = Response(ComplianceCaseDetailSerializer(case, context=self.get_serializer_context()).data, code)
        response["Location"] = reverse("api:compliance-case-detail", args=[case.pk], request=self.request)
        return response

    @extend_schema(
        request=CaseOpenSerializer,
        responses={201: ComplianceCaseDetailSerializer, **_errors(400, 403, 404, 409)},
        description="Open a case for one of the employer's current findings (labour office of its regency). "
        "An employer outside your regions is 404; a finding it does not have, or one with a case open, is 409.",
    )
    def create(self, request, **kwargs):
        data = _valid(CaseOpenSerializer(data=request.data))
        employer = selectors.employers_visible_to(request.user).filter(pk=data["employer"]).first()
        if employer is None:
            raise exceptions.NotFound(_("No such employer."))
        case = services.case_open(
            actor=request.user,
            employer_id=employer.pk,
            finding=data["finding"],
            opened_on=data.get("opened_on"),
            notes=data["notes"],
        )
        return self._answer(case.pk, status.HTTP_201_CREATED)

    @extend_schema(
        request=CaseStepSerializer,
        responses={201: ComplianceCaseDetailSerializer, **_errors(400, 403, 404, 409)},
        description="Record the next step of one of the case's two tracks: BPJS's sanctions of PP 86/2013 "
        "(warning_1, warning_2, fine, service_denial) and the labour inspection (nota_1, nota_2, referral). In each "
        "track steps come in order, each once (409 naming the step that comes next); a step after one that gave "
        "the employer a deadline waits until that deadline has passed (409). Every step needs `document_number`; "
        "a `fine` needs `premiums_owed` and `fine_months` (the fine is 0.1 % a month of the premiums owed); an "
        "inspection note may give its `due_on`. A deadline in a year whose holidays are not loaded is 409.",
    )
    @action(detail=True, methods=["post"], **NO_FILTERS)
    def steps(self, request, pk=None, **kwargs):
        case = self.get_object()
        data = _valid(CaseStepSerializer(data=request.data))
        services.case_step_record(
            actor=request.user,
            case_id=case.pk,
            kind=data["kind"],
            taken_on=data.get("taken_on"),
            document_number=data["document_number"],
            notes=data["notes"],
            due_on=data.get("due_on"),
            premiums_owed=data.get("premiums_owed"),
            fine_months=data.get("fine_months"),
        )
        return self._answer(case.pk, status.HTTP_201_CREATED)

    @extend_schema(
        request=CaseCloseSerializer,
        responses=CASE_ANSWER,
        description="Close the case with its outcome. Workers, wages and programmes added raise the employer's "
        "BPJS figures; workers (PWBD and PDS workers cases only, at most the employer's gap) count as wage earners "
        "(PU) in the coverage of the employer's village on the closing day.",
    )
    @action(detail=True, methods=["post"], **NO_FILTERS)
    def close(self, request, pk=None, **kwargs):
        case = self.get_object()
        data = _valid(CaseCloseSerializer(data=request.data))
        services.case_close(
            actor=request.user,
            case_id=case.pk,
            outcome=data["outcome"],
            workers_added=data["workers_added"],
            wages_added=data["wages_added"],
            programmes_added=data["programmes_added"],
            closed_on=data.get("closed_on"),
            notes=data["notes"],
        )
        return self._answer(case.pk)
