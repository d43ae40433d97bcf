"""Pages of enrollment (batches, allocations, participants) and of employer compliance
(employers, compliance cases)."""

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
    path("participants/<int:pk>/edit/", views.participant_edit, name="participant-edit"),
    path("employers/", views.employer_list, name="employer-list"),
    path("employers/new/", views.employer_create, name="employer-create"),
    path("employers/import/", views.employer_import, name="employer-import"),
    path("employers/<int:pk>/", views.employer_detail, name="employer-detail"),
    path("employers/<int:pk>/edit/", views.employer_edit, name="employer-edit"),
    path("employers/<int:pk>/cases/new/", views.case_open, name="case-open"),
    path("compliance/", views.compliance_list, name="compliance-list"),
    path("compliance/cases/<int:pk>/", views.case_detail, name="case-detail"),
    path("compliance/cases/<int:pk>/step/", views.case_step, name="case-step"),
    path("compliance/cases/<int:pk>/close/", views.case_close, name="case-close"),
]
