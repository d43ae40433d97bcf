"""API routes of outreach, included under /api/v1/ in the "api" namespace."""

from rest_framework.routers import DefaultRouter

from outreach import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("events", api.EventViewSet, basename="event")
router.register("leads", api.LeadViewSet, basename="lead")

urlpatterns = router.urls
