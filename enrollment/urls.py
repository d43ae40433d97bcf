"""Pages of enrollment (batches, allocations, participants)."""

from django.urls import path

from enrollment import views

app_name = "enrollment"

# One route per transition and per export format, all under one name each: reverse them with
# keywords, e.g. {% url "enrollment:batch-transition" pk=batch.pk action="submit" %}.
transitions = [
    path(f"batches/<int:pk>/{action}/", views.batch_transition, {"action": action}, name="batch-transition")
    for action in views.TRANSITIONS
]
exports = [
    path(f"batches/<int:pk>/export.{fmt}", views.batch_export, {"fmt": fmt}, name="batch-export")
    for fmt in views.EXPORT_FORMATS
]

urlpatterns = [
    path("batches/", views.batch_list, name="batch-list"),
    path("batches/new/", views.batch_create, name="batch-create"),
    path("batches/<int:pk>/", views.batch_detail, name="batch-detail"),
    path("batches/<int:pk>/edit/", views.batch_edit, name="batch-edit"),
    path("batches/<int:pk>/import/", views.batch_import, name="batch-import"),
    path("batches/<int:pk>/activate/", views.batch_activate, name="batch-activate"),
    path("batches/<int:pk>/members/remove/", views.batch_members_remove, name="batch-members-remove"),
    *transitions,
    *exports,
    path("imports/<int:pk>/", views.import_status, name="import-status"),
    path("imports/<int:pk>/errors.csv", views.import_errors, name="import-errors"),
    path("allocations/", views.allocation_list, name="allocation-list"),
    path("allocations/<int:pk>/edit/", views.allocation_edit, name="allocation-edit"),
    path("participants/", views.participant_list, name="participant-list"),
]
