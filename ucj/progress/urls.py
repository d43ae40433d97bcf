"""Progress pages: coverage against target from the country down to the village (DESIGN §4:
`/progress/` and `/progress/{code}/`), their exports and print view."""

from django.urls import path

from ucj.progress import views

urlpatterns = [
    path("progress/", views.progress_index, name="progress-index"),
    path("progress/<region:code>/", views.progress_region, name="progress-region"),
    path("progress/<region:code>/export/", views.progress_export_file, name="progress-export"),
]
