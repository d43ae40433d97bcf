"""UCJ's URLs plus `bench/trivial/`: a DRF view with the API's own authentication, permission
and renderer that reads nothing and returns {"ok": true} — the framework's own ceiling, which
bench/api.py measures beside the real endpoints. Not part of the product (bench/api_settings.py)."""

from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView


class Trivial(APIView):
    def get(self, request):
        return Response({"ok": True})


urlpatterns = [path("bench/trivial/", Trivial.as_view()), path("", include("ucj.urls"))]
