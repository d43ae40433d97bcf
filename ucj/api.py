"""The core's REST API: regions (scoped), their coverage, and token authentication."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from ucj import scope
from ucj.api_base import ErrorSerializer
from ucj.coverage import selectors as coverage_selectors
from ucj.errors import ValidationFailed
from ucj.models import REGION_CODE_PATTERN, Region
from ucj.proxies import ClientAddressThrottle
from ucj.selectors import regions_with_child_counts
from ucj.serializers import CoverageDetailSerializer, CoverageQuerySerializer, RegionSerializer


class RegionFilter(django_filters.FilterSet):
    parent = django_filters.CharFilter(field_name="parent_id", help_text="Code of the parent region, e.g. 35.26")
    level = django_filters.TypedChoiceFilter(choices=Region.Level.choices, coerce=int)
    kind = django_filters.ChoiceFilter(choices=Region.Kind.choices)
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", help_text="Part of the name")

    class Meta:
        model = Region
        fields = ["parent", "level", "kind", "q"]


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """Regions the user may see: their assigned regions and everything below them."""

    serializer_class = RegionSerializer
    filterset_class = RegionFilter
    lookup_field = "code"
    lookup_value_regex = REGION_CODE_PATTERN

    def get_queryset(self):
        return regions_with_child_counts(scope.regions_for(self.request.user)).order_by("code")


class CoverageViewSet(viewsets.ViewSet):
    """Coverage of a region the user may see: its current snapshot with its children's."""

    lookup_field = "code"
    lookup_value_regex = REGION_CODE_PATTERN

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "code",
                str,
                OpenApiParameter.PATH,
                pattern=f"^(?:{REGION_CODE_PATTERN})$",
                description="Region code, e.g. 35.26",
            ),
            CoverageQuerySerializer,
        ],
        responses={
            200: CoverageDetailSerializer,
            400: OpenApiResponse(ErrorSerializer, description="A query parameter is not valid."),
            404: OpenApiResponse(ErrorSerializer, description="Not found, or outside your regions."),
        },
        description="The region's current coverage (UCJ % with its denominator, target, gap, band and "
        "sources) and its children's. A region never computed has `as_of: null`, null figures and "
        '`missing: [{"figure": "snapshot"}]`. `?history=1` adds one point per day, from `since` if given.',
    )
    def retrieve(self, request, code=None, format=None):
        region = scope.get_region_or_404(request.user, code)
        query = CoverageQuerySerializer(data=request.query_params)
        if not query.is_valid():
            raise ValidationFailed(
                " ".join(f"{field}: {' '.join(map(str, errors))}" for field, errors in query.errors.items()),
                details=query.errors,
            )
        body = {
            "region": region,
            "snapshot": coverage_selectors.coverage_current(region=region),
            "children": coverage_selectors.coverage_children(region=region),
        }
        if query.validated_data["history"]:
            body["history"] = coverage_selectors.coverage_history(
                region=region, since=query.validated_data.get("since")
            )
        return Response(CoverageDetailSerializer(body, context={"request": request}).data)


class TokenThrottle(ClientAddressThrottle, ScopedRateThrottle):
    """Attempts per client address (`throttle_scope`'s rate), however X-Forwarded-For is set."""


class TokenView(ObtainAuthToken):
    """Exchange a username and password for an API token (sent as `Authorization: Token …`)."""

    throttle_classes = [TokenThrottle]
    throttle_scope = "token"

    @extend_schema(
        request=inline_serializer(
            "TokenRequest", {"username": serializers.CharField(), "password": serializers.CharField()}
        ),
        responses=inline_serializer("TokenResponse", {"token": serializers.CharField()}),
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError:
            # django-axes refuses a locked-out login by making authenticate() fail; say so
            # plainly instead of "wrong password".
            if getattr(request, "axes_locked_out", False):
                raise LoginLocked() from None
            raise


class LoginLocked(APIException):
    status_code = 429
    default_detail = _("Too many failed logins: this account is locked here for a while. Try again later.")
    default_code = "login_locked"
