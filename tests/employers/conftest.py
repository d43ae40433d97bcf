"""Employer compliance fixtures: employers of Bangkalan with hand-made figures, one of Badung for
the outsider, and working-day calendars pinned to known weeks."""

import datetime as dt

import pytest

from enrollment.models import Employer
from enrollment.services import employer_create
from ucj.models import Holiday

VILLAGE = "35.26.01.2008"  # in the field officer's district 35.26.01
OTHER_DISTRICT_VILLAGE = "35.26.03.2001"  # Bangkalan, outside the field officer's districts
BADUNG_VILLAGE = "51.03.01.1002"
# A Monday well before "today" whatever day the suite runs, so that every step date is in the past.
MONDAY = dt.date(2025, 3, 3)


def figures(**overrides) -> dict:
    """A small employer whose two sides agree: 10 workers on Rp30,000,000 a month, all four
    programmes of a medium business registered."""
    data = {
        "name": "PT Garam Madura Jaya",
        "village": VILLAGE,
        "sector": "manufacturing",
        "size": "small",
        "nib": "",
        "npp": "",
        "reported_workers": 10,
        "reported_wages": 30_000_000,
        "bpjs_workers": 10,
        "bpjs_wages": 30_000_000,
        "bpjs_programmes": ["jkk", "jkm", "jht"],
    }
    data.update(overrides)
    return data


@pytest.fixture
def make_employer(clerk):
    """make_employer(**overrides) → an Employer created through the service, as the clerk."""
    counter = {"n": 0}

    def make(actor=None, **overrides) -> Employer:
        counter["n"] += 1
        data = figures(**overrides)
        if "npp" not in overrides and data.get("bpjs_workers"):
            data["npp"] = f"NN{counter['n']:08d}"
        return employer_create(actor=actor or clerk, data=data)

    return make


@pytest.fixture
def employer(make_employer):
    """A PDS-workers employer: 10 workers reported, 6 registered."""
    return make_employer(name="CV Sumber Rejeki", bpjs_workers=6, bpjs_wages=18_000_000)


@pytest.fixture
def badung_employer(outsider):
    data = figures(name="PT Bali Surf", village=BADUNG_VILLAGE, npp="BB00000001", bpjs_workers=2, bpjs_wages=6_000_000)
    return employer_create(actor=outsider, data=data)


@pytest.fixture
def holiday(db):
    """Wednesday of MONDAY's week is a holiday."""
    return Holiday.objects.create(date=MONDAY + dt.timedelta(days=2), name="Hari libur uji", source="test")
