"""Shared fixtures. The test database gets the region trees of Jawa Timur (35: Bangkalan, Pamekasan)
and Bali (51: Badung, Bangli) once per session; every test runs in a transaction on top of them.

People, per CONVENTIONS: an officer, a labour-office clerk and a supervisor of Bangkalan, and an
outsider (the labour office of Badung, Bali) who must see nothing of Bangkalan; `kadis`, a second
labour-office user of Bangkalan, approves what the clerk verified (four eyes)."""

import datetime as dt
import os
from importlib import import_module

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import PASSWORD, user_with
from ucj.celery import app as celery_app
from ucj.models import ROOT_CODE, HolidayYear, Region, Role
from ucj.services import regions_load

BASE_PROVINCES = ["35", "51"]
BANGKALAN, BADUNG = "35.26", "51.03"


def services_required() -> bool:
    """CI sets UCJ_REQUIRE_SERVICES=1: tests that need PostgreSQL or Redis must then fail, not skip."""
    return os.environ.get("UCJ_REQUIRE_SERVICES") == "1"


def load_base_regions():
    regions_load(provinces=BASE_PROVINCES)


def mark_holiday_years_loaded():
    """Every year a test dates something in counts as loaded (with no holidays unless the test
    adds them), as after `load_holidays` in a deployment: working-day deadlines are refused in a
    year that is not (tests of that refusal delete the year)."""
    HolidayYear.objects.bulk_create(
        [HolidayYear(year=year, source="tests") for year in range(2013, dt.date.today().year + 3)],
        ignore_conflicts=True,
    )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_base_regions()
        mark_holiday_years_loaded()


def pytest_collection_modifyitems(config, items):
    """Tests that need committed writes (other processes, row locks) use `committed_db`: they are
    marked transactional here (so pytest-django always creates the test database for them, even
    when they are the only tests selected) and run last, as Django runs TransactionTestCase after
    TestCase, because their flush empties every table the other tests read."""
    committed = [item for item in items if "committed_db" in getattr(item, "fixturenames", ())]
    for item in committed:
        item.add_marker(pytest.mark.django_db(transaction=True))
    ids = {id(item) for item in committed}
    items[:] = [item for item in items if id(item) not in ids] + committed


def restore_base_data():
    """What a transactional flush removes and the tests rely on: the base regions, and the premium
    rates and declared income levels that data migrations wrote (0010 restates 0002's BPU rates
    with their scheme, beside the PU rates, the JP wage caps and the BPU income levels)."""
    if not Region.objects.filter(code=BANGKALAN).exists():
        load_base_regions()
    mark_holiday_years_loaded()
    import_module("enrollment.migrations.0010_pu_premiums_income_levels_paid_from").add_rates(django_apps, None)


@pytest.fixture
def committed_db(request):
    """Writes of the test are really committed, visible to other connections and processes."""
    marker = request.node.get_closest_marker("django_db")
    assert marker and marker.kwargs.get("transaction"), "collected without the transactional marker"
    restore_base_data()


@pytest.fixture(autouse=True)
def _eager_celery(request):
    """Eager Celery unless the test is about the real worker."""
    if request.node.get_closest_marker("real_celery"):
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters live in the (local-memory) cache; no test inherits another's."""
    if settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
        cache.clear()


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def officer(db):
    return user_with(Role.FIELD_OFFICER, "35.26.01", "35.26.02", username="officer")


@pytest.fixture
def clerk(db):
    return user_with(Role.LABOUR_OFFICE, BANGKALAN, username="clerk")


@pytest.fixture
def kadis(db):
    """A second labour-office user of Bangkalan, the head of the office (Kepala Dinas): four eyes
    on money mean the clerk who verified a batch does not approve it (DESIGN §3)."""
    return user_with(Role.LABOUR_OFFICE, BANGKALAN, username="kadis")


@pytest.fixture
def supervisor(db):
    return user_with(Role.SUPERVISOR, "35", username="supervisor")


@pytest.fixture
def outsider(db):
    return user_with(Role.LABOUR_OFFICE, BADUNG, username="outsider")


@pytest.fixture
def admin_user(db):
    user = user_with(Role.ADMIN, ROOT_CODE, username="administrator")
    user.is_staff = user.is_superuser = True  # as ucj.services.user_assign makes an administrator
    user.save()
    return user


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def is_postgres():
    return settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
