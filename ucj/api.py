"""The core's REST API: regions (scoped) and token authentication."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.throttling import ScopedRateThrottle

from ucj import scope
from ucj.models import REGION_CODE_PATTERN, Region
from ucj.selectors import regions_with_child_counts
from ucj.serializers import RegionSerializer


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


class TokenView(ObtainAuthToken):
    """Exchange a username and password for an API token (sent as `Authorization: Token …`)."""

    throttle_classes = [ScopedRateThrottle]
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
