"""A draft's edit stays inside the editor's regions: moving its area to a district the editor is
not assigned to is answered as a missing object (404), on the page and in the API, and nothing
of the change is saved."""

import pytest
from django.urls import reverse

from enrollment.models import EnrollmentBatch
from tests.enrollment.conftest import YEAR
from ucj.models import AuditEvent

pytestmark = pytest.mark.django_db

# Bangkalan's district 35.26.03 (Arosbaya): inside the regency, outside the officer's 35.26.01-02.
UNASSIGNED_DISTRICT = "35.26.03"


def _columns(batch: EnrollmentBatch) -> dict:
    return {f.attname: getattr(batch, f.attname) for f in EnrollmentBatch._meta.concrete_fields}


def test_patching_the_area_outside_the_officers_districts_is_404_and_saves_nothing(api_client, officer, draft_batch):
    before = _columns(EnrollmentBatch.objects.get(pk=draft_batch.pk))
    audit = AuditEvent.objects.count()
    api_client.force_authenticate(officer)
    response = api_client.patch(
        f"/api/v1/batches/{draft_batch.pk}/", {"area": UNASSIGNED_DISTRICT, "title": "Pindah"}, format="json"
    )
    assert response.status_code == 404, response.content
    assert _columns(EnrollmentBatch.objects.get(pk=draft_batch.pk)) == before
    assert AuditEvent.objects.count() == audit


def test_patching_the_area_to_one_of_the_officers_districts_still_works(api_client, officer, draft_batch):
    api_client.force_authenticate(officer)
    response = api_client.patch(f"/api/v1/batches/{draft_batch.pk}/", {"area": "35.26.01"}, format="json")
    assert response.status_code == 200, response.content
    assert EnrollmentBatch.objects.get(pk=draft_batch.pk).area_id == "35.26.01"


def test_the_edit_page_moving_the_area_outside_the_officers_districts_is_404_and_saves_nothing(
    client, officer, draft_batch
):
    before = _columns(EnrollmentBatch.objects.get(pk=draft_batch.pk))
    client.force_login(officer)
    response = client.post(
        reverse("enrollment:batch-edit", args=[draft_batch.pk]),
        {
            "kind": draft_batch.kind,
            "funding_source": draft_batch.funding_source,
            "year": YEAR,
            "period_start": f"{YEAR}-06-01",
            "period_end": f"{YEAR}-12-31",
            "declared_income": "2.000.000",
            "programmes": ["jkk", "jkm"],
            "decree_number": draft_batch.decree_number,
            "title": "Pindah",
            "area": UNASSIGNED_DISTRICT,
        },
    )
    assert response.status_code == 404
    assert _columns(EnrollmentBatch.objects.get(pk=draft_batch.pk)) == before
