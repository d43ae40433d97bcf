"""Pages of outreach: events (the mobile form, list, calendar), leads and village visits."""

from django.urls import path

from outreach import views

app_name = "outreach"

urlpatterns = [
    path("events/", views.event_list, name="event-list"),
    path("events/new/", views.event_new, name="event-new"),
    path("events/<int:pk>/", views.event_detail, name="event-detail"),
    path("events/<int:pk>/edit/", views.event_edit, name="event-edit"),
    path("events/<int:pk>/leads/new/", views.lead_new, name="lead-new"),
    path("leads/", views.lead_list, name="lead-list"),
    path("leads/to-batch/", views.leads_to_batch, name="leads-to-batch"),
    path("leads/<int:pk>/", views.lead_detail, name="lead-detail"),
    path("leads/<int:pk>/edit/", views.lead_edit, name="lead-edit"),
    path("leads/<int:pk>/follow-ups/", views.lead_follow_up, name="lead-follow-up"),
    path("outreach/visits/", views.visits_index, name="visits"),
    path("outreach/visits/<region:code>/", views.visits, name="visits-region"),
]
