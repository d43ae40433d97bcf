"""Pages of coverage figures."""

from django.urls import path

from ucj.coverage import views

urlpatterns = [
    path("coverage/facts/", views.facts_page, name="coverage-facts"),
]
