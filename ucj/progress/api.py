"""The progress map's read for the API: `GET /api/v1/coverage/{code}/map/` (DESIGN §4)."""

from django.http import HttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.gzip import gzip_page
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, OpenApiTypes, extend_schema
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from ucj import scope
from ucj.api_base import ErrorSerializer
from ucj.models import REGION_CODE_PATTERN
from ucj.progress import maps

GEOJSON_TYPE = "application/geo+json"


class GeoJSONRenderer(JSONRenderer):
    """Lets a client ask for `Accept: application/geo+json` (errors then come as JSON too)."""

    media_type = GEOJSON_TYPE
    format = "geojson"


# Compressed here rather than left to a proxy: the country's 38 provinces are 46 KB of text and
# 14 KB gzipped, and a field office's link is slow. The answer holds no secret and no echo of
# the request, so compressing it gives a BREACH-style attack nothing to guess.
@method_decorator(gzip_page, name="dispatch")
class CoverageMapView(APIView):
    """The children of a region the user may see, as GeoJSON shaded by coverage band."""

    renderer_classes = [JSONRenderer, GeoJSONRenderer]

    @extend_schema(
        operation_id="coverage_map",
        parameters=[
            OpenApiParameter(
                "code",
                str,
                OpenApiParameter.PATH,
                pattern=f"^(?:{REGION_CODE_PATTERN})$",
                description="Region code, e.g. 35.26",
            )
        ],
        responses={
            (200, GEOJSON_TYPE): OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="A GeoJSON FeatureCollection of the region's children that have a shape, each with "
                "properties `code`, `name`, `percent`, `band`, `band_label`, `target_percent`, `gap_points` and "
                "`url` (the child's progress page); beside the features: `code` and `name` of the region, "
                "`missing` (children without a shape, `{code, name}`), `outline` (the region's own geometry, "
                "or null) and `credits` (`{source, licence, as_of, changes}` of the shapes shown). "
                "No shapes at all: no features, every child in `missing`.",
            ),
            404: OpenApiResponse(ErrorSerializer, description="Not found, or outside your regions."),
        },
    )
    def get(self, request, code):
        region = scope.get_region_or_404(request.user, code)
        body = maps.coverage_map_geojson(maps.coverage_map(region=region))
        response = HttpResponse(body.encode(), content_type=GEOJSON_TYPE)
        response["Cache-Control"] = "private, max-age=60"
        return response
