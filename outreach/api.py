"""The outreach REST API (DESIGN §4): `events` and `leads`, for the field officer's phone.

Thin by rule: every list and object comes from a scoped selector (an outsider gets 404 on every
detail route), every write is one service call, and the services' domain errors become
400/403/404/409 in `ucj.api_base.exception_handler`.

`POST /api/v1/events/` is idempotent on `client_id`: a phone on a bad connection sends the same
request again until it sees an answer, and gets the event it made the first time (200, the same
body) instead of a second one (201 only the first time). Another event under a client_id already
used is 409."""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import RegexValidator
from django.db.models import Exists, F, OuterRef, Prefetch, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.reverse import reverse

from outreach import selectors, services
from outreach.models import ATTENDANCE_GROUPS, EventKind, EventVillage, Lead, LeadStatus, OutreachEvent
from outreach.serializers import (
    MAX_ID,
    EventSerializer,
    LeadFollowUpSerializer,
    LeadSerializer,
    LeadsToBatchResultSerializer,
    LeadsToBatchSerializer,
)
from ucj.api_base import ErrorSerializer, PersonalDataLog
from ucj.errors import ValidationFailed
from ucj.models import REGION_CODE_PATTERN, Region
from ucj.scope import subtree_q

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="Bad input; `errors` names each field and why."),
    403: OpenApiResponse(ErrorSerializer, description="Your role may not do this (now)."),
    404: OpenApiResponse(ErrorSerializer, description="Not found, or outside your regions."),
    409: OpenApiResponse(
        ErrorSerializer,
        description="A client_id someone else used or already used for another event, or a batch not in draft.",
    ),
}
NO_FILTERS = {"filter_backends": []}
ME = "me"


def _errors(*codes: int) -> dict:
    return {code: ERRORS[code] for code in codes}


def _messages(errors, path: str = "") -> list[str]:
    """Serializer errors as 'field: message' lines, nested fields dotted (attendance.fishers)."""
    if isinstance(errors, dict):
        return [m for key, value in errors.items() for m in _messages(value, f"{path}.{key}" if path else str(key))]
    if isinstance(errors, list):
        return [m for value in errors for m in _messages(value, path)]
    return [f"{path}: {errors}" if path and path != "non_field_errors" else str(errors)]


def _valid(serializer) -> dict:
    """Validated data, or a 400 whose `detail` already says which field and why (a phone shows
    the detail; `errors` keeps the per-field structure)."""
    if not serializer.is_valid():
        raise ValidationFailed(" ".join(_messages(serializer.errors)), details=serializer.errors)
    return serializer.validated_data


def _officers(usernames: list[str]) -> dict:
    """Usernames → EventData's `officer_ids`, and the names of no user as `unknown_officers`: the
    service refuses those with the message of a user who may not be named, so that the answer does
    not tell whether a username exists. Inactive users are resolved too: the service keeps one
    already on the event and refuses one newly named."""
    found = dict(get_user_model().objects.filter(username__in=usernames).values_list("username", "id"))
    return {
        "officer_ids": [found[name] for name in usernames if name in found],
        "unknown_officers": [name for name in usernames if name not in found],
    }


def _region_filter() -> django_filters.CharFilter:
    return django_filters.CharFilter(
        method="filter_region",
        validators=[
            RegexValidator(rf"^(?:{REGION_CODE_PATTERN})$", gettext_lazy("Enter a region code such as 35.26."))
        ],
        help_text="Region code (regency, district or village), e.g. 35.26.02",
    )


class IdFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


# --- Events ---------------------------------------------------------------------------------------


class EventFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=EventKind.choices)
    date_from = django_filters.DateFilter(field_name="date", lookup_expr="gte", help_text="From this date (inclusive)")
    date_to = django_filters.DateFilter(field_name="date", lookup_expr="lte", help_text="Up to this date (inclusive)")
    region = _region_filter()
    officer = django_filters.CharFilter(
        method="filter_officer",
        max_length=150,
        help_text="Events logged by or with this officer: a username, or `me`",
    )

    class Meta:
        model = OutreachEvent
        fields = ["kind", "date_from", "date_to", "region", "officer"]

    def filter_region(self, queryset, name, value):
        villages = EventVillage.objects.filter(subtree_q([value], "village__code"), event=OuterRef("pk"))
        return queryset.filter(Exists(villages))

    def filter_officer(self, queryset, name, value):
        who = {"user": self.request.user} if value == ME else {"user__username": value}
        co_officer = OutreachEvent.officers.through.objects.filter(outreachevent=OuterRef("pk"), **who)
        logged_by = {"created_by": self.request.user} if value == ME else {"created_by__username": value}
        return queryset.filter(Q(**logged_by) | Exists(co_officer))


def _event_changes(data: dict) -> dict:
    """The API's fields as EventData field names, only those the request names (on a PATCH the
    service merges them into the event under its row lock; attendance per group)."""
    changes = {}
    for name, value in data.items():
        if name == "client_id":
            continue
        if name == "villages":
            changes["village_codes"] = value
        elif name == "officers":
            changes.update(_officers(value))
        else:
            changes[name] = value
    return changes


def _event_data(data: dict) -> services.EventData:
    """EventData of a new event from the API's fields (a group left out of attendance counts 0)."""
    values = _event_changes(data)
    attendance = values.get("attendance") or {}
    values["attendance"] = {group: attendance.get(group, 0) for group in ATTENDANCE_GROUPS}
    return services.EventData(**values)


@extend_schema_view(
    list=extend_schema(responses={200: EventSerializer(many=True), **_errors(400)}),
    retrieve=extend_schema(responses={200: EventSerializer, **_errors(404)}),
)
class EventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Outreach events in the user's regions (any of their villages), and those the user logged;
    newest first. `may_edit` says whether the user may still change the event."""

    serializer_class = EventSerializer
    filterset_class = EventFilter
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        return (
            selectors.events_visible_to(self.request.user)
            .select_related("regency", "created_by")
            .prefetch_related(
                Prefetch("villages", queryset=Region.objects.only("code", "name")),
                Prefetch("officers", queryset=get_user_model().objects.only("id", "username")),
            )
            .order_by("-date", F("time").desc(nulls_last=True), "-id")
        )

    def _answer(self, event_id: int, code=status.HTTP_200_OK) -> Response:
        event = self.get_queryset().filter(pk=event_id).first()
        if event is None:
            raise Http404(_("Not found."))
        response = Response(self.get_serializer(event).data, status=code)
        response["Location"] = reverse("api:event-detail", args=[event.pk], request=self.request)
        return response

    @extend_schema(
        responses={
            201: OpenApiResponse(EventSerializer, description="Logged."),
            200: OpenApiResponse(EventSerializer, description="A retry: the event this client_id logged before."),
            **_errors(400, 403, 404, 409),
        },
        description="Log an event. Idempotent on `client_id`: the same event again under the same client_id "
        "answers 200 with the event logged the first time (as it is now); other data under a client_id already "
        "used, or a client_id someone else used, is 409 (send a new event with a new client_id). A village "
        "outside your area, a date in the future or a negative attendance is 400 naming the field.",
    )
    def create(self, request, **kwargs):
        data = _valid(self.get_serializer(data=request.data))
        event, created = services.event_log(actor=request.user, client_id=data["client_id"], data=_event_data(data))
        return self._answer(event.pk, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        responses={200: EventSerializer, **_errors(400, 403, 404)},
        description="Change what the request names; the rest stays as it is at that moment (two changes at "
        "once both land). The officers who logged the event may, within the edit window (OUTREACH_EDIT_HOURS "
        "after it was logged); afterwards a supervisor only (403 otherwise). Co-officers already on the event "
        "stay even if they work elsewhere now; those newly named must work in one of its villages.",
    )
    def partial_update(self, request, pk=None, **kwargs):
        event = self.get_object()
        data = _valid(self.get_serializer(event, data=request.data, partial=True))
        services.event_update(actor=request.user, event_id=event.pk, changes=_event_changes(data))
        return self._answer(event.pk)


# --- Leads ----------------------------------------------------------------------------------------


class LeadFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=LeadStatus.choices)
    due = django_filters.ChoiceFilter(
        choices=[("today", "today"), ("overdue", "overdue")],
        method="filter_due",
        help_text="Interested leads whose next follow-up is today, or before today",
    )
    region = _region_filter()
    event = IdFilter(field_name="event_id", min_value=1, max_value=MAX_ID, help_text="Event id")
    officer = django_filters.CharFilter(
        method="filter_officer", max_length=150, help_text="The officer following the lead up: a username, or `me`"
    )

    class Meta:
        model = Lead
        fields = ["status", "due", "region", "event", "officer"]

    def filter_due(self, queryset, name, value):
        today = timezone.localdate()
        day = Q(next_follow_up=today) if value == "today" else Q(next_follow_up__lt=today)
        return queryset.filter(day, status=LeadStatus.INTERESTED)

    def filter_region(self, queryset, name, value):
        return queryset.filter(subtree_q([value], "village__code"))

    def filter_officer(self, queryset, name, value):
        if value == ME:
            return queryset.filter(officer=self.request.user)
        return queryset.filter(officer__username=value)


def _lead_data(data: dict, lead: Lead | None = None) -> services.LeadData:
    """LeadData from the API's fields (by source); on a PATCH, what the request leaves out stays."""
    values = {}
    if lead is not None:
        values = {
            "name": lead.name,
            "village_code": lead.village_id,
            "event_id": lead.event_id,
            **{
                name: getattr(lead, name)
                for name in ("nik", "sex", "birth_date", "phone", "occupation", "status", "next_follow_up", "notes")
            },
        }
    renamed = {"village_id": "village_code"}
    values.update({renamed.get(name, name): value for name, value in data.items()})
    return services.LeadData(**values)


def _as_api_fields(call):
    """Run a lead service; its field errors come back under the API's field names."""
    try:
        return call()
    except ValidationFailed as exc:
        if isinstance(exc.details, dict) and "village_code" in exc.details:
            exc.details = {("village" if k == "village_code" else k): v for k, v in exc.details.items()}
        raise


@extend_schema_view(
    list=extend_schema(responses={200: LeadSerializer(many=True), **_errors(400)}),
    retrieve=extend_schema(responses={200: LeadSerializer, **_errors(404)}),
)
class LeadViewSet(PersonalDataLog, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """People met at events who may enroll, in the user's villages, by next follow-up date."""

    serializer_class = LeadSerializer
    filterset_class = LeadFilter
    lookup_value_regex = r"[0-9]+"

    def get_queryset(self):
        return selectors.leads_visible_to(self.request.user).select_related("village", "officer")

    def _answer(self, lead_id: int, code=status.HTTP_200_OK) -> Response:
        lead = self.get_queryset().filter(pk=lead_id).first()
        if lead is None:
            raise Http404(_("Not found."))
        response = Response(self.get_serializer(lead).data, status=code)
        if code == status.HTTP_201_CREATED:
            response["Location"] = reverse("api:lead-detail", args=[lead.pk], request=self.request)
        return response

    @extend_schema(
        responses={201: LeadSerializer, **_errors(400, 403, 404)},
        description="A village outside your area, or an event you may not see, is 400 naming the field.",
    )
    def create(self, request, **kwargs):
        data = _valid(self.get_serializer(data=request.data))
        lead = _as_api_fields(lambda: services.lead_create(actor=request.user, data=_lead_data(data)))
        return self._answer(lead.pk, status.HTTP_201_CREATED)

    @extend_schema(responses={200: LeadSerializer, **_errors(400, 403, 404)})
    def partial_update(self, request, pk=None, **kwargs):
        lead = self.get_object()
        data = _valid(self.get_serializer(lead, data=request.data, partial=True))
        _as_api_fields(lambda: services.lead_update(actor=request.user, lead_id=lead.pk, data=_lead_data(data, lead)))
        return self._answer(lead.pk)

    @extend_schema(
        methods=["GET"],
        responses={200: LeadFollowUpSerializer(many=True), **_errors(404)},
        description="The lead's follow-up log, newest first.",
    )
    @extend_schema(
        methods=["POST"],
        request=LeadFollowUpSerializer,
        responses={201: LeadFollowUpSerializer, **_errors(400, 403, 404)},
        description="Record a contact with the lead. The lead follows its latest entry: `declined` or "
        "`enrolled` closes it (status of that name, no next follow-up); any other outcome keeps it interested "
        "with the entry's `next_date` (left out: a week from today). A lead on a batch stays `added`.",
    )
    @action(detail=True, methods=["get", "post"], url_path="follow-ups", url_name="follow-ups", **NO_FILTERS)
    def follow_ups(self, request, pk=None, **kwargs):
        lead = self.get_object()
        if request.method == "GET":
            page = self.paginate_queryset(selectors.lead_follow_ups(lead=lead))
            return self.get_paginated_response(LeadFollowUpSerializer(page, many=True).data)
        data = _valid(LeadFollowUpSerializer(data=request.data))
        next_date = data["next_date"] if "next_date" in data else services.follow_up_default_next()
        entry = services.lead_follow_up_record(
            lead_id=lead.pk,
            actor=request.user,
            data=services.FollowUpData(
                date=data["date"],
                channel=data["channel"],
                outcome=data["outcome"],
                notes=data["notes"],
                next_date=next_date,
            ),
        )
        entry = selectors.lead_follow_ups(lead=lead).get(pk=entry.pk)
        return Response(LeadFollowUpSerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=LeadsToBatchSerializer,
        responses={200: LeadsToBatchResultSerializer, **_errors(400, 403, 404, 409)},
        description="Add leads to a draft batch of vulnerable workers. Each lead is checked like an imported "
        "row: those that pass are added (and marked `added`), with what the check noted about them in "
        "`warnings`; the others are listed in `refused` with the field and the reason. A lead or batch outside "
        "your regions is 404; a batch of village officials is 400; a batch not in draft is 409.",
    )
    @action(detail=False, methods=["post"], url_path="add-to-batch", url_name="add-to-batch", **NO_FILTERS)
    def add_to_batch(self, request, **kwargs):
        data = _valid(LeadsToBatchSerializer(data=request.data))
        result = services.leads_add_to_batch(
            actor=request.user, lead_ids=list(dict.fromkeys(data["leads"])), batch_id=data["batch"]
        )
        body = {"added": [lead.pk for lead in result.added], "refused": result.refused, "warnings": result.warnings}
        return Response(LeadsToBatchResultSerializer(body).data)
