"""Leads go into a new draft batch created on the spot (issue 25 point 3): the leads page offers
"a new draft batch" beside the user's drafts, each draft named plainly; the new draft has the
default terms (vulnerable workers, from the next month to the end of its budget year, the leads'
district) and is not kept when nobody could be added."""

import re

from django.urls import reverse

from enrollment import selectors as enrollment_selectors
from enrollment.models import BatchKind, BatchMember, BatchState, EnrollmentBatch
from outreach import services
from outreach.models import LeadStatus
from tests.enrollment.conftest import make_nik, new_batch
from tests.outreach.conftest import VILLAGE


def lead_with_nik(officer, serial: int, name: str, village: str = VILLAGE):
    data = services.LeadData(name=name, village_code=village, nik=make_nik(serial), occupation="petani")
    return services.lead_create(actor=officer, data=data)


def test_the_leads_page_offers_a_new_draft_beside_the_drafts_named_plainly(client, officer, logged_event):
    lead = lead_with_nik(officer, 21, "Warga Baru")
    draft = new_batch(officer, area="35.26.02", title="Petani Socah")
    client.force_login(officer)
    page = client.get("/leads/?tab=all").content.decode()
    select = re.search(r'<select[^>]*name="batch"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert '<option value="new">' in select
    assert f'<option value="{draft.pk}" selected>#{draft.pk} — Petani Socah, Socah</option>' in select
    assert "<optgroup" in select
    assert f'name="lead" value="{lead.pk}"' in page


def test_with_no_draft_the_leads_can_still_be_ticked_for_a_new_one(client, officer, logged_event):
    lead = lead_with_nik(officer, 22, "Warga Baru")
    client.force_login(officer)
    page = client.get("/leads/?tab=all").content.decode()
    assert f'name="lead" value="{lead.pk}"' in page and '<option value="new">' in page


def test_leads_go_into_a_new_draft_created_on_the_spot(client, officer, logged_event):
    first = lead_with_nik(officer, 23, "Warga Satu")
    second = lead_with_nik(officer, 24, "Warga Dua")
    client.force_login(officer)
    response = client.post(reverse("outreach:leads-to-batch"), {"lead": [first.pk, second.pk], "batch": "new"})
    assert response.status_code == 200
    batch = EnrollmentBatch.objects.get()
    year, start, end = enrollment_selectors.batch_default_period()
    assert (batch.state, batch.kind, batch.area_id, batch.created_by) == (
        BatchState.DRAFT,
        BatchKind.VULNERABLE_WORKERS,
        "35.26.02",
        officer,
    )
    assert (batch.year, batch.period_start, batch.period_end) == (year, start, end)
    assert response.context["batch"] == batch
    assert sorted(lead.pk for lead in response.context["added"]) == [first.pk, second.pk]
    assert BatchMember.objects.filter(batch=batch).count() == 2
    first.refresh_from_db()
    assert (first.status, first.batch_id) == (LeadStatus.ADDED, batch.pk)
    assert batch.get_absolute_url() in response.content.decode()


def test_no_empty_draft_is_kept_when_nobody_could_be_added(client, officer, logged_event):
    no_nik = services.lead_create(actor=officer, data=services.LeadData(name="Tanpa NIK", village_code=VILLAGE))
    client.force_login(officer)
    response = client.post(reverse("outreach:leads-to-batch"), {"lead": [no_nik.pk], "batch": "new"})
    assert response.status_code == 200
    assert response.context["batch"] is None
    assert [r["lead"] for r in response.context["refused"]] == [no_nik.pk]
    assert not EnrollmentBatch.objects.exists()


def test_an_outsider_cannot_make_a_new_draft_of_someone_elses_leads(client, officer, outsider, logged_event):
    lead = lead_with_nik(officer, 25, "Warga Satu")
    client.force_login(outsider)
    response = client.post(reverse("outreach:leads-to-batch"), {"lead": [lead.pk], "batch": "new"})
    assert response.status_code in (302, 404)
    assert not EnrollmentBatch.objects.exists()
    lead.refresh_from_db()
    assert lead.status == LeadStatus.INTERESTED
