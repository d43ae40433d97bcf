"""The enrollment REST API (DESIGN §4): participants, funding allocations, batches and their life
cycle, member and confirmation uploads.

Thin by rule: every list and object comes from a scoped selector (an outsider gets 404 on every
detail route and action), every write is one service call, and the services' domain errors become
400/403/409 in `ucj.api_base.exception_handler`.

Imports: an upload answers 200 with the finished job when it ran within the request, or 202 with
the queued job and its `status_url`, `GET /api/v1/batches/{id}/imports/{job_id}/` (a detail
action, so the job is reached only through a batch the user may see)."""

import django_filters
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from enrollment import importers, selectors, services, tasks
from enrollment.models import (
    BatchKind,
    BatchMember,
    BatchState,
    EnrollmentBatch,
    FundingAllocation,
    FundingSource,
    ImportKind,
    ImportState,
    OccupationGroup,
    Participant,
    Sex,
)
from enrollment.serializers import (
    MAX_YEAR,
    MIN_YEAR,
    AllocationSerializer,
    AuditEventSerializer,
    BatchMemberSerializer,
    BatchSerializer,
    ExportQuerySerializer,
    ImportJobSerializer,
    ParticipantCorrectionSerializer,
    ParticipantSerializer,
    ReasonSerializer,
    UploadSerializer,
    VerifySerializer,
)
from ucj.api_base import ErrorSerializer, NikLookupThrottle, PersonalDataLog, nik_lookup_refusal
from ucj.errors import ValidationFailed
from ucj.services import personal_data_looked_up

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Bad input; `errors` holds per-field or per-row details."),
    403: OpenApiResponse(ErrorSerializer, description="Your role may not do this here."),
    404: OpenApiResponse(ErrorSerializer, description="Not found, or outside your regions."),
    409: OpenApiResponse(ErrorSerializer, description="Wrong state, a duplicate, or a budget that does not cover it."),
}


def _errors(*codes: int) -> dict:
    return {code: ERRORS[code] for code in codes}


def _valid(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- Participants ---------------------------------------------------------------------------------


class ParticipantFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_q",
        help_text="Part of the name, or the NIK: all 16 digits (a look-up: logged, and limited per user for "
        "roles that see NIKs masked, 429 beyond it), or its start where you see NIKs in full",
    )
    village = django_filters.CharFilter(field_name="village_id", help_text="Village code, e.g. 35.26.02.2001")
    sex = django_filters.ChoiceFilter(choices=Sex.choices)
    occupation_group = django_filters.ChoiceFilter(choices=OccupationGroup.choices)

    class Meta:
        model = Participant
        fields = ["q", "village", "sex", "occupation_group"]

    def filter_q(self, queryset, name, value):
        return queryset & selectors.participant_search(user=self.request.user, query=value)


@extend_schema_view(
    list=extend_schema(
        responses={
            200: ParticipantSerializer(many=True),
            **_errors(400),
            429: OpenApiResponse(ErrorSerializer, description="Too many look-ups by NIK; try again later."),
        }
    ),
    partial_update=extend_schema(
        request=ParticipantCorrectionSerializer,
        responses={200: ParticipantSerializer, **_errors(400, 403, 404, 409)},
        description="The labour office of the region the person lives in corrects their name, sex, birth date "
        "or village (a village of its own region); the old and new values go on the person's history. "
        "Everyone else: 403, or 404 outside their regions.",
    ),
)
class ParticipantViewSet(PersonalDataLog, viewsets.ReadOnlyModelViewSet):
    """People in the user's regions. NIK, phone and birth date are masked unless the user's role
    needs them (the labour office and administrators). A look-up by a whole NIK is logged, and
    counted for users who see NIKs masked (NikLookupThrottle)."""

    serializer_class = ParticipantSerializer
    filterset_class = ParticipantFilter
    lookup_value_regex = r"[0-9]+"
    throttle_classes = [NikLookupThrottle]

    def get_queryset(self):
        user = self.request.user
        memberships = BatchMember.objects.filter(batch__in=selectors.batches_visible_to(user)).select_related("batch")
        return selectors.participants_visible_to(user).prefetch_related(Prefetch("memberships", queryset=memberships))

    def nik_looked_up(self, request) -> str | None:
        return selectors.nik_looked_up(request.query_params.get("q")) if self.action == "list" else None

    def throttled(self, request, wait):
        raise exceptions.Throttled(wait, detail=nik_lookup_refusal(wait or 60))

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        nik = self.nik_looked_up(request)
        if nik and response.status_code == status.HTTP_200_OK:
            found = [row["id"] for row in response.data.get("results", [])]
            personal_data_looked_up(actor=request.user, nik=nik, where=request.path, participant_ids=found)
        return response

    def partial_update(self, request, *args, **kwargs):
        participant = self.get_object()
        changes = _valid(ParticipantCorrectionSerializer, request.data)
        services.participant_correct(actor=request.user, participant_id=participant.pk, changes=changes)
        return Response(self.get_serializer(self.get_queryset().get(pk=participant.pk)).data)


# --- Allocations ----------------------------------------------------------------------------------


class AllocationFilter(django_filters.FilterSet):
    year = django_filters.NumberFilter(min_value=MIN_YEAR, max_value=MAX_YEAR)
    source = django_filters.ChoiceFilter(choices=FundingSource.choices)
    region = django_filters.CharFilter(field_name="region_id", help_text="Region code, e.g. 35.26")

    class Meta:
        model = FundingAllocation
        fields = ["year", "source", "region"]


@extend_schema_view(
    list=extend_schema(responses={200: AllocationSerializer(many=True), **_errors(400)}),
    retrieve=extend_schema(responses={200: AllocationSerializer, **_errors(404)}),
)
class AllocationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Money a regency (or a village, for its own officials) sets aside per year and source, with
    what approved and active batches have committed of it."""

    serializer_class = AllocationSerializer
    filterset_class = AllocationFilter
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        return selectors.allocations_visible_to(self.request.user)

    def _answer(self, allocation_id: int, code=status.HTTP_200_OK) -> Response:
        allocation = self.get_queryset().get(pk=allocation_id)
        return Response(self.get_serializer(allocation).data, status=code)

    @extend_schema(
        responses={201: AllocationSerializer, **_errors(400, 403, 409)},
        description="Labour office of the regency. A second allocation for the same region, year and source is 409.",
    )
    def create(self, request, **kwargs):
        data = _valid(AllocationSerializer, request.data)
        allocation = services.allocation_create(
            actor=request.user,
            region_code=data["region_id"],
            year=data["year"],
            source=data["source"],
            amount=data["amount"],
            note=data["note"],
        )
        return self._answer(allocation.pk, status.HTTP_201_CREATED)

    @extend_schema(
        responses={200: AllocationSerializer, **_errors(400, 403, 404, 409)},
        description="Change the amount or the note (with a `reason` for the history). Below what approved "
        "batches have committed is 409; region, year and source cannot change.",
    )
    def partial_update(self, request, pk=None, **kwargs):
        allocation = self.get_object()
        data = _valid(AllocationSerializer, request.data, instance=allocation, partial=True)
        services.allocation_update(
            actor=request.user,
            allocation_id=allocation.pk,
            amount=data.get("amount", allocation.amount),
            note=data.get("note"),
            reason=data.get("reason", ""),
        )
        return self._answer(allocation.pk)


# --- Batches --------------------------------------------------------------------------------------


class BatchFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=BatchState.choices)
    kind = django_filters.ChoiceFilter(choices=BatchKind.choices)
    funding_source = django_filters.ChoiceFilter(choices=FundingSource.choices)
    year = django_filters.NumberFilter(min_value=MIN_YEAR, max_value=MAX_YEAR)
    regency = django_filters.CharFilter(field_name="regency_id", help_text="Regency code, e.g. 35.26")
    area = django_filters.CharFilter(field_name="area_id", help_text="Area code (regency, district or village)")

    class Meta:
        model = EnrollmentBatch
        fields = ["state", "kind", "funding_source", "year", "regency", "area"]


# Serializer data (by source) → BatchTerms.
TERMS = {
    "kind": "kind",
    "regency_id": "regency_code",
    "funding_source": "funding_source",
    "year": "year",
    "period_start": "period_start",
    "period_end": "period_end",
    "declared_income": "declared_income",
    "programmes": "programmes",
    "decree_number": "decree_number",
    "title": "title",
    "area_id": "area_code",
}


def _terms(data: dict, batch: EnrollmentBatch | None = None) -> services.BatchTerms:
    """BatchTerms from the API's field names; on an update, what the request leaves out stays."""
    values = {}
    if batch is not None:
        values = {attr: getattr(batch, name) for name, attr in TERMS.items()}
    values.update({TERMS[name]: value for name, value in data.items()})
    return services.BatchTerms(**values)


TRANSITION = {"request": ReasonSerializer, "responses": {200: BatchSerializer, **_errors(400, 403, 404, 409)}}
UPLOAD = {
    "request": {"multipart/form-data": UploadSerializer},
    "responses": {
        200: OpenApiResponse(ImportJobSerializer, description="The file was processed within the request."),
        202: OpenApiResponse(ImportJobSerializer, description="Queued; poll `status_url`."),
        **_errors(400, 403, 404, 409),
    },
}
NO_FILTERS = {"filter_backends": []}


@extend_schema_view(
    list=extend_schema(responses={200: BatchSerializer(many=True), **_errors(400)}),
    retrieve=extend_schema(responses={200: BatchSerializer, **_errors(404)}),
)
class BatchViewSet(PersonalDataLog, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Collective enrollments and their life cycle: draft → submitted → verified → approved →
    active, with return, reject and cancel. `allowed_actions` lists what the user may do now."""

    serializer_class = BatchSerializer
    filterset_class = BatchFilter
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        return selectors.batches_visible_to(self.request.user).select_related(
            "regency", "area", "created_by", "submitted_by", "verified_by", "approved_by"
        )

    def _answer(self, batch_id: int, code=status.HTTP_200_OK, **kwargs) -> Response:
        batch = self.get_queryset().get(pk=batch_id)
        return Response(self.get_serializer(batch).data, status=code, **kwargs)

    @extend_schema(
        responses={201: BatchSerializer, **_errors(400, 403)},
        description="A draft. Field officers and the labour office of the area.",
    )
    def create(self, request, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        batch = services.batch_create(actor=request.user, terms=_terms(data))
        response = self._answer(batch.pk, status.HTTP_201_CREATED)
        response["Location"] = response.data["url"]
        return response

    @extend_schema(
        responses={200: BatchSerializer, **_errors(400, 403, 404, 409)},
        description="Change a draft's terms; members stay and are re-costed. The regency cannot change.",
    )
    def partial_update(self, request, pk=None, **kwargs):
        batch = self.get_object()
        data = _valid(
            BatchSerializer, request.data, instance=batch, partial=True, context=self.get_serializer_context()
        )
        services.batch_update(actor=request.user, batch_id=batch.pk, terms=_terms(data, batch))
        return self._answer(batch.pk)

    # Transitions: one service each; the reason is optional except to return or reject.

    def _transition(self, request, service) -> Response:
        batch = self.get_object()
        reason = _valid(ReasonSerializer, request.data)["reason"]
        service(actor=request.user, batch_id=batch.pk, reason=reason)
        return self._answer(batch.pk)

    @extend_schema(**TRANSITION)
    @action(detail=True, methods=["post"], **NO_FILTERS)
    def submit(self, request, pk=None, **kwargs):
        return self._transition(request, services.batch_submit)

    @extend_schema(
        request=VerifySerializer,
        responses=TRANSITION["responses"],
        description="409 lists the members with unacknowledged warnings (`errors`: `member`, `name`, "
        "`warnings`) unless `acknowledge_warnings` is true.",
    )
    @action(detail=True, methods=["post"], **NO_FILTERS)
    def verify(self, request, pk=None, **kwargs):
        batch = self.get_object()
        data = _valid(VerifySerializer, request.data)
        services.batch_verify(
            actor=request.user,
            batch_id=batch.pk,
            reason=data["reason"],
            acknowledge_warnings=data["acknowledge_warnings"],
        )
        return self._answer(batch.pk)

    @extend_schema(**TRANSITION)
    @action(detail=True, methods=["post"], **NO_FILTERS)
    def approve(self, request, pk=None, **kwargs):
        return self._transition(request, services.batch_approve)

    @extend_schema(**TRANSITION, description="Back to draft; `reason` is required.")
    @action(detail=True, methods=["post"], url_path="return", url_name="return", **NO_FILTERS)
    def return_(self, request, pk=None, **kwargs):
        return self._transition(request, services.batch_return)

    @extend_schema(**TRANSITION, description="Final; `reason` is required.")
    @action(detail=True, methods=["post"], **NO_FILTERS)
    def reject(self, request, pk=None, **kwargs):
        return self._transition(request, services.batch_reject)

    @extend_schema(**TRANSITION)
    @action(detail=True, methods=["post"], **NO_FILTERS)
    def cancel(self, request, pk=None, **kwargs):
        return self._transition(request, services.batch_cancel)

    # Uploads: both go through tasks.import_submit, inline when small, to a worker when large.

    def _upload(self, request, kind: str) -> Response:
        batch = self.get_object()
        upload = _valid(UploadSerializer, request.data)["file"]
        # One byte more than the limit is enough for the service to refuse a file as too large.
        content = upload.read(importers.MAX_FILE_BYTES + 1)
        job = tasks.import_submit(
            actor=request.user, batch_id=batch.pk, filename=upload.name, content=content, kind=kind
        )
        if not job.finished:
            # An eager worker (the embedded mode) may have run it already.
            job = selectors.batch_imports(batch=batch).get(pk=job.pk)
        if job.state == ImportState.FAILED:
            raise ValidationFailed(job.message, details=job.errors)
        data = ImportJobSerializer(job, context=self.get_serializer_context()).data
        if job.finished:
            return Response(data)
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["status_url"]})

    @extend_schema(
        **UPLOAD,
        description="The BPJS confirmation (`nik`, `kpj` columns) of an approved batch: confirmed members become "
        "active with their card number, the others are rejected. Labour office.",
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser], **NO_FILTERS)
    def activate(self, request, pk=None, **kwargs):
        return self._upload(request, ImportKind.ACTIVATION)

    @extend_schema(
        **UPLOAD,
        description="A spreadsheet of members (DESIGN §4) into a draft. A file that cannot be read at all is 400; "
        "otherwise the job lists every rejected row with its row number, column and reason.",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="members/import",
        url_name="members-import",
        parser_classes=[MultiPartParser, FormParser],
        **NO_FILTERS,
    )
    def members_import(self, request, pk=None, **kwargs):
        return self._upload(request, ImportKind.MEMBERS)

    # Reads about one batch.

    def _page(self, queryset, serializer_class, **context) -> Response:
        page = self.paginate_queryset(queryset)
        serializer = serializer_class(page, many=True, context={**self.get_serializer_context(), **context})
        return self.get_paginated_response(serializer.data)

    @extend_schema(responses={200: BatchMemberSerializer(many=True), **_errors(404)})
    @action(detail=True, methods=["get"], **NO_FILTERS)
    def members(self, request, pk=None, **kwargs):
        batch = self.get_object()
        return self._page(selectors.batch_members(batch=batch), BatchMemberSerializer, regency_code=batch.regency_id)

    @extend_schema(responses={200: ImportJobSerializer(many=True), **_errors(404)})
    @action(detail=True, methods=["get"], **NO_FILTERS)
    def imports(self, request, pk=None, **kwargs):
        return self._page(selectors.batch_imports(batch=self.get_object()), ImportJobSerializer)

    @extend_schema(
        parameters=[OpenApiParameter("job_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={200: ImportJobSerializer, **_errors(404)},
        description="Progress and outcome of one upload to this batch (poll it while `finished` is false).",
    )
    @action(
        detail=True, methods=["get"], url_path=r"imports/(?P<job_id>[0-9]+)", url_name="import-status", **NO_FILTERS
    )
    def import_status(self, request, pk=None, job_id=None, **kwargs):
        job = selectors.batch_imports(batch=self.get_object()).filter(pk=job_id).first()
        if job is None:
            raise Http404(_("Not found."))
        return Response(ImportJobSerializer(job, context=self.get_serializer_context()).data)

    @extend_schema(responses={200: AuditEventSerializer(many=True), **_errors(404)})
    @action(detail=True, methods=["get"], **NO_FILTERS)
    def history(self, request, pk=None, **kwargs):
        return self._page(selectors.batch_history(batch=self.get_object()), AuditEventSerializer)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "as", OpenApiTypes.STR, enum=["csv", "xlsx"], default="csv", description="File type (not `format`)"
            )
        ],
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY,
            **_errors(400, 403, 404, 409),
        },
        description="The member list for the BPJS branch, with full NIKs: labour office and administrators, "
        "approved or active batches only.",
    )
    @action(detail=True, methods=["get"], **NO_FILTERS)
    def export(self, request, pk=None, **kwargs):
        batch = self.get_object()
        kind = _valid(ExportQuerySerializer, request.query_params)["as"]
        export = services.batch_export(actor=request.user, batch_id=batch.pk, fmt=kind)
        response = HttpResponse(export.content, content_type=export.content_type)
        response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
        response["Cache-Control"] = "no-store"
        return response
