"""API routes of enrollment, included under /api/v1/ in the "api" namespace."""

from rest_framework.routers import DefaultRouter

from enrollment import api

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("participants", api.ParticipantViewSet, basename="participant")
router.register("allocations", api.AllocationViewSet, basename="allocation")
router.register("batches", api.BatchViewSet, basename="batch")
router.register("employers", api.EmployerViewSet, basename="employer")
router.register("compliance-cases", api.ComplianceCaseViewSet, basename="compliance-case")

urlpatterns = router.urls
