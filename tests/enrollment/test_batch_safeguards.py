"""Batch safeguards (issue 25 point 3): a new batch's period starts by default on the first day
of the next month (this month in its first week) and ends with its budget year; a period that has
already begun warns, on the form and on the batch page, with the months BPJS will not cover (it
does not backdate protection); the area is a search, not a select of hundreds of villages; the
labour office submits for verification, not "to the labour office"; approving asks first, with
the amount it reserves and what remains of the allocation."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from enrollment import selectors
from enrollment.models import BatchState, EnrollmentBatch
from tests.enrollment.conftest import YEAR, import_rows, member_row, new_batch, on_day
from ucj.errors import ValidationFailed

DECEMBER_8 = dt.date(YEAR, 12, 8)


@pytest.fixture
def in_english(settings):
    settings.LANGUAGE_CODE = "en"


def digits(text: str) -> str:
    return re.sub(r"[^0-9]", "", text)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (DECEMBER_8, (YEAR + 1, dt.date(YEAR + 1, 1, 1), dt.date(YEAR + 1, 12, 31))),
        (dt.date(YEAR, 3, 7), (YEAR, dt.date(YEAR, 3, 1), dt.date(YEAR, 12, 31))),  # still its first week
        (dt.date(YEAR, 3, 8), (YEAR, dt.date(YEAR, 4, 1), dt.date(YEAR, 12, 31))),
        (dt.date(YEAR, 1, 31), (YEAR, dt.date(YEAR, 2, 1), dt.date(YEAR, 12, 31))),
    ],
)
def test_a_new_period_starts_next_month_or_this_month_in_its_first_week(today, expected):
    assert selectors.batch_default_period(today) == expected


def test_the_form_offers_the_default_period_not_the_first_of_january(client, officer):
    client.force_login(officer)
    with on_day(dt.date(YEAR, 5, 20)):
        form = client.get(reverse("enrollment:batch-create")).context["form"]
    assert (form["year"].value(), form["period_start"].value(), form["period_end"].value()) == (
        YEAR,
        dt.date(YEAR, 6, 1),
        dt.date(YEAR, 12, 31),
    )


def test_the_months_already_begun_are_the_months_not_paid():
    months = selectors.months_not_paid(
        period_start=dt.date(YEAR, 8, 1), period_end=dt.date(YEAR, 12, 31), today=DECEMBER_8
    )
    assert months == [dt.date(YEAR, m, 1) for m in (8, 9, 10, 11)]
    december = selectors.months_not_paid(
        period_start=dt.date(YEAR, 12, 1), period_end=dt.date(YEAR, 12, 31), today=DECEMBER_8
    )
    ended = selectors.months_not_paid(
        period_start=dt.date(YEAR, 2, 1), period_end=dt.date(YEAR, 4, 30), today=DECEMBER_8
    )
    assert (december, ended) == ([], [dt.date(YEAR, m, 1) for m in (2, 3, 4)])


def test_the_services_keep_periods_in_whole_months(officer):
    with pytest.raises(ValidationFailed) as refused:
        new_batch(officer, period_start=dt.date(YEAR, 6, 15), period_end=dt.date(YEAR, 12, 15))
    assert {"period_start", "period_end"} <= set(refused.value.details)


def test_a_period_begun_in_the_past_warns_on_the_form_and_on_the_batch_page(client, officer, in_english):
    client.force_login(officer)
    data = {
        "kind": "vulnerable_workers",
        "regency": "35.26",
        "area": "35.26.02",
        "funding_source": "dbhcht",
        "year": YEAR,
        "period_start": f"{YEAR}-08-01",
        "period_end": f"{YEAR}-12-31",
        "declared_income": "1000000",
        "programmes": ["jkk", "jkm"],
    }
    with on_day(DECEMBER_8):
        # Refused for another reason: the form shows the warning beside the dates.
        form = client.post(reverse("enrollment:batch-create"), data | {"programmes": ["jkk"]})
        assert "4 months will not be covered or paid for" in form.context["late_warning"]
        assert 'id="late-start"' in form.content.decode()
        created = client.post(reverse("enrollment:batch-create"), data, follow=True)
        batch = EnrollmentBatch.objects.get()
        page = created.content.decode()
        assert (
            "4 months will not be covered or paid for (August 2026, September 2026, October 2026, November 2026)"
            in page
        )
        detail = client.get(batch.get_absolute_url())
        assert "4 months will not be covered or paid for" in detail.context["months_not_paid"]
        assert 'id="late-start"' in detail.content.decode()
        edit = client.get(reverse("enrollment:batch-edit", args=[batch.pk]))
        assert 'id="late-start"' in edit.content.decode()
    with on_day(dt.date(YEAR, 8, 3)):  # in its first month: nothing lost yet
        assert not client.get(batch.get_absolute_url()).context["months_not_paid"]


def test_an_active_batch_no_longer_warns(client, clerk, batch_in_state):
    active = batch_in_state(BatchState.ACTIVE)
    client.force_login(clerk)
    assert client.get(active.get_absolute_url()).context["months_not_paid"] == ""


def test_the_area_is_chosen_by_searching_a_datalist(client, officer):
    client.force_login(officer)
    page = client.get(reverse("enrollment:batch-create")).content.decode()
    assert '<select name="area"' not in page
    field = re.search(r'<input[^>]*name="area"[^>]*>', page).group(0)
    assert 'list="area-options"' in field
    datalist = re.search(r'<datalist id="area-options">(.*?)</datalist>', page, re.S).group(1)
    # The officer's villages and districts, each found by its name (and its district's).
    assert '<option value="35.26.02.2001">' in datalist and "Socah" in datalist
    assert '<option value="35.26.02">' in datalist
    assert "35.26.03." not in datalist  # not the officer's district


def test_the_area_typed_from_the_list_lands_on_the_batch(client, officer):
    client.force_login(officer)
    data = {
        "kind": "vulnerable_workers",
        "regency": "35.26",
        "area": "35.26.02.2001",
        "funding_source": "dbhcht",
        "year": YEAR,
        "period_start": f"{YEAR}-12-01",
        "period_end": f"{YEAR}-12-31",
        "declared_income": "1000000",
        "programmes": ["jkk", "jkm"],
    }
    assert client.post(reverse("enrollment:batch-create"), data).status_code == 302
    assert EnrollmentBatch.objects.get().area_id == "35.26.02.2001"


def test_the_labour_office_submits_for_verification_and_an_officer_to_the_labour_office(
    client, officer, clerk, in_english
):
    own = new_batch(clerk)
    import_rows(clerk, own, [member_row(1)])
    client.force_login(clerk)
    assert "then submit it for verification" in client.get(reverse("enrollment:batch-create")).content.decode()
    page = client.get(own.get_absolute_url()).content.decode()
    assert "Submit for verification" in page and "Submit to the labour office" not in page
    response = client.post(
        reverse("enrollment:batch-transition", kwargs={"pk": own.pk, "action": "submit"}), follow=True
    )
    assert f"Batch #{own.pk} submitted for verification." in response.content.decode()

    theirs = new_batch(officer, area="35.26.02")
    client.force_login(officer)
    assert "then submit it to the labour office" in client.get(reverse("enrollment:batch-create")).content.decode()
    page = client.get(theirs.get_absolute_url()).content.decode()
    assert "Submit to the labour office" in page and "Submit for verification" not in page


def test_approving_asks_first_with_the_amount_reserved_and_what_remains(client, kadis, batch_in_state, in_english):
    verified = batch_in_state(BatchState.VERIFIED)
    budget = selectors.batch_budget_effect(batch=verified)
    client.force_login(kadis)
    page = client.get(verified.get_absolute_url()).content.decode()
    confirm = re.search(r'<details class="action-details approve-confirm">(.*?)</details>', page, re.S).group(1)
    # The approve button is a second step inside the closed <details>, with the figures.
    assert "/approve/" in confirm and "<summary" in confirm
    figures = re.search(r'id="approve-figures">(.*?)</p>', confirm, re.S).group(1)
    assert "Approving reserves Rp" in figures
    assert digits(f"{verified.total_cost}") in digits(figures)
    assert digits(f"{budget.remaining_after}") in digits(figures)
    button = re.search(r'<button class="btn btn-success" type="submit">(.*?)</button>', confirm, re.S).group(1)
    assert digits(button) == digits(str(verified.total_cost))
