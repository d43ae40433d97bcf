import datetime as dt
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from ucj import scope
from ucj.models import AuditEvent, CoverageTarget, MembershipCount, Role, WorkforceEstimate

User = get_user_model()
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_add_user_creates_assigns_and_is_idempotent():
    call_command("add_user", "siti", "--role", "field_officer", "--region", "35.26.01", "--region", "35.26.02.2001",
                 "--password", "Bangkalan-2025!")  # fmt: skip
    call_command("add_user", "siti", "--role", "field_officer", "--region", "35.26.01")
    siti = User.objects.get(username="siti")
    assert siti.check_password("Bangkalan-2025!")
    assert sorted(siti.assignments.values_list("region_id", flat=True)) == ["35.26.01", "35.26.02.2001"]
    assert scope.root_codes(siti) == ["35.26.01", "35.26.02.2001"]
    assert AuditEvent.objects.filter(action="user.assign", target_id=str(siti.pk)).count() == 1


@pytest.mark.django_db
def test_add_user_refuses_a_role_at_the_wrong_level_and_an_unknown_region():
    with pytest.raises(CommandError, match=r"35\.26\.01"):
        call_command("add_user", "x", "--role", "labour_office", "--region", "35.26.01")
    with pytest.raises(CommandError, match=r"99\.99"):
        call_command("add_user", "x", "--role", "supervisor", "--region", "99.99")
    assert not User.objects.filter(username="x").exists()


@pytest.mark.django_db
def test_add_user_refuses_a_weak_password():
    with pytest.raises(CommandError):
        call_command("add_user", "x", "--role", "supervisor", "--region", "35", "--password", "123")
    assert not User.objects.filter(username="x").exists()


@pytest.mark.django_db
def test_admin_defaults_to_the_country_and_gets_the_admin_site():
    call_command("add_user", "root", "--role", "admin", "--password", "Very-long-pass-1")
    root = User.objects.get(username="root")
    assert root.is_staff and root.is_superuser
    assert scope.root_codes(root) == ["ID"]


@pytest.mark.django_db
def test_seed_demo_builds_bangkalan_and_running_it_twice_is_safe(capsys):
    call_command("seed_demo")
    facts_once = (WorkforceEstimate.objects.count(), MembershipCount.objects.count())
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "ucj-demo-2025" in out
    for name, role, code in [("officer", Role.FIELD_OFFICER, "35.26.02"), ("disnaker", Role.LABOUR_OFFICE, "35.26"),
                             ("supervisor", Role.SUPERVISOR, "35"), ("admin", Role.ADMIN, "ID")]:  # fmt: skip
        user = User.objects.get(username=name)
        assert user.check_password("ucj-demo-2025")
        assert scope.has_role(user, role, code)
    workforce = WorkforceEstimate.objects.get(region_id="35.26", year=2025)
    # The report's figure (March 2025); the demo's monthly history continues from it.
    cited = dt.date(2025, 3, 14)
    count = MembershipCount.objects.get(region_id="35.26", as_of=cited)
    assert workforce.workers == 500_000
    assert (count.total, count.pu) == (71_500, 41_000)
    assert round(count.total / workforce.workers * 100, 1) == 14.3
    assert CoverageTarget.objects.get(region_id="51", year=2025).percent == Decimal("67.28")
    # Bangkalan, its 18 districts, Bali, Badung, Bangli, Bengkulu: once each, and nothing doubled by a
    # second run.
    assert WorkforceEstimate.objects.count() == 1 + 18 + 4
    assert (WorkforceEstimate.objects.count(), MembershipCount.objects.count()) == facts_once
    districts = MembershipCount.objects.filter(region__parent_id="35.26", as_of=cited)
    assert sum(districts.values_list("total", flat=True)) == 71_500
    assert sum(WorkforceEstimate.objects.filter(region__parent_id="35.26").values_list("workers", flat=True)) == (
        500_000
    )


def test_seed_demo_refuses_a_deployment_without_force(settings):
    settings.HTTPS = True
    with pytest.raises(CommandError, match="HTTPS"):
        call_command("seed_demo")


def test_check_deploy_is_clean_with_production_variables():
    env = {
        **os.environ,
        "HTTPS": "1",
        "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-0123456789",
        "ALLOWED_HOSTS": "ucj.example.go.id",
        "DEBUG": "0",
        "NUM_PROXIES": "1",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_a_deployment_without_secret_key_refuses_to_start():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"} | {"HTTPS": "1"}
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)  # fmt: skip
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
