"""Outreach fixtures: an event logged by the Bangkalan field officer (tests/conftest.py `officer`,
districts 35.26.01 and 35.26.02) and a lead met there."""

import uuid

import pytest
from django.utils import timezone, translation

from outreach import services
from outreach.models import EventKind
from tests.enrollment.conftest import english  # noqa: F401

VILLAGE = "35.26.02.2001"  # Socah, Socah district (the officer's)


@pytest.fixture
def event_data():
    """EventData for a socialisation session in VILLAGE today with 12 farmers; override any field."""

    def make(**overrides):
        values = {
            "kind": EventKind.SOCIALISATION,
            "date": timezone.localdate(),
            "village_codes": [VILLAGE],
            "attendance": {"farmers": 12},
        }
        values.update(overrides)
        return services.EventData(**values)

    return make


@pytest.fixture
def logged_event(officer, event_data):
    event, _created = services.event_log(actor=officer, client_id=uuid.uuid4(), data=event_data())
    return event


@pytest.fixture
def lead(officer, logged_event):
    return services.lead_create(
        actor=officer,
        data=services.LeadData(name="Siti Aminah", village_code=VILLAGE, event_id=logged_event.pk, occupation="petani"),
    )


@pytest.fixture
def in_english(settings):
    """Messages in English for the pages and the API too (the default language is Indonesian):
    for tests that read them."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
