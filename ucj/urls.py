from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path, register_converter
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from ucj import api, views
from ucj.models import REGION_CODE_PATTERN
from ucj.progress.api import CoverageMapView


class RegionCodeConverter:
    regex = REGION_CODE_PATTERN

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value


register_converter(RegionCodeConverter, "region")

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("regions", api.RegionViewSet, basename="region")
router.register("coverage", api.CoverageViewSet, basename="coverage")

api_v1 = [
    path("auth/token/", api.TokenView.as_view(), name="api-token"),
    path("coverage/<region:code>/map/", CoverageMapView.as_view(), name="coverage-map"),
    path("", include(router.urls)),
    path("", include("enrollment.api_urls")),
    path("", include("outreach.api_urls")),
]

urlpatterns = [
    path("", include("ucj.todo.urls")),  # home: the user's to-do list; /todo/count/
    path("regions/", views.region_index, name="region-index"),
    path("regions/<region:code>/", views.region_detail, name="region-detail"),
    path("", include("enrollment.urls")),
    path("", include("outreach.urls")),
    path("", include("ucj.coverage.urls")),
    path("", include("ucj.progress.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    # The language switch must work on the login page too.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

handler404 = "ucj.views.not_found"
handler500 = "ucj.views.server_error"
