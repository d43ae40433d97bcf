"""A lead is a person who may enroll as a worker: BPS counts working people from 15, so a lead
younger than 15 today is refused, by the lead's own birth date when it has one, else by the NIK's;
a birth date in the future is refused (issue 20, as the member import refuses them)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from outreach import services
from outreach.models import Lead
from tests.enrollment.conftest import make_nik
from tests.outreach.conftest import VILLAGE
from ucj.errors import ValidationFailed

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_english")]

LEADS = "/api/v1/leads/"


def years_ago(years: int, days: int = 0) -> dt.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years, day=min(today.day, 28)) + dt.timedelta(days=days)


def test_a_lead_of_15_is_saved_and_one_of_14_refused(officer):
    lead = services.lead_create(
        actor=officer,
        data=services.LeadData(name="Ahmad", village_code=VILLAGE, birth_date=years_ago(15, days=-1)),
    )
    assert lead.pk
    with pytest.raises(ValidationFailed) as exc:
        services.lead_create(
            actor=officer,
            data=services.LeadData(name="Rofiq", village_code=VILLAGE, birth_date=years_ago(15, days=1)),
        )
    assert exc.value.details == {
        "birth_date": "Aged 14: only people aged 15 or older can be enrolled (BPS working age)."
    }


def test_a_lead_without_a_birth_date_is_aged_by_the_niks(officer):
    nik = make_nik(5, birth=years_ago(12))
    with pytest.raises(ValidationFailed) as exc:
        services.lead_create(actor=officer, data=services.LeadData(name="Rofiq", village_code=VILLAGE, nik=nik))
    assert "Aged 12" in exc.value.details["nik"]


def test_the_lead_api_refuses_under_15_and_a_future_birth_date(api_client, officer):
    api_client.force_authenticate(officer)
    for birth in (years_ago(14), timezone.localdate() + dt.timedelta(days=1)):
        body = {"name": "Siti", "village": VILLAGE, "birth_date": birth.isoformat()}
        response = api_client.post(LEADS, body, format="json")
        assert response.status_code == 400, response.json()
        assert "birth_date" in response.json()["errors"]
    body = {"name": "Siti", "village": VILLAGE, "birth_date": years_ago(30).isoformat()}
    assert api_client.post(LEADS, body, format="json").status_code == 201
    assert Lead.objects.count() == 1


def test_the_lead_form_refuses_under_15(client, officer, logged_event):
    client.force_login(officer)
    url = reverse("outreach:lead-new", args=[logged_event.pk])
    response = client.post(url, {"name": "Budi", "village": VILLAGE, "birth_date": years_ago(14).isoformat()})
    assert response.status_code == 200
    [message] = response.context["form"].errors["birth_date"]
    assert "only people aged 15 or older" in message
    assert not Lead.objects.exists()


def test_lokals_refusal_of_a_nik_reaches_the_lead_form_in_english(client, officer, logged_event):
    client.force_login(officer)
    url = reverse("outreach:lead-new", args=[logged_event.pk])
    response = client.post(url, {"name": "Budi", "village": VILLAGE, "nik": "3526020113900002"})
    assert response.context["form"].errors["nik"] == ["The birth date in the NIK is not a real date."]
