"""The access sweep (issue 9): every route of the URL resolver and every path of the OpenAPI
schema, tried by a user of every role from another regency (Badung, Bali) against Bangkalan's
objects and regions, with every method.

For each route and user the answer must be exactly the one a missing object gets (so it says
nothing about what exists), never 2xx or 5xx, and it must carry none of Bangkalan's data
(names, NIKs, the decree number); lists and exports must leave Bangkalan's objects out; and
nothing of Bangkalan may have changed afterwards. A route the sweep does not know how to fill
fails `test_every_route_is_swept`: a new endpoint is covered by adding one line here, not by
someone remembering to write a test. Anonymous visitors: tests/ucj/test_anonymous.py."""

import datetime as dt
import re
import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from enrollment import services as enrollment
from enrollment.models import (
    BatchMember,
    ComplianceCase,
    Employer,
    EnrollmentBatch,
    FundingAllocation,
    FundingSource,
    ImportJob,
    Participant,
)
from enrollment.selectors import employer_assess
from outreach import services as outreach
from outreach.models import EventKind, Lead, LeadFollowUp, OutreachEvent
from tests.factories import user_with
from ucj.models import Role

NIK = "3526024405900001"  # a woman born 4 May 1990, Socah district
NAME = "Rahasia Bangkalan"  # on every named object, so that a page or file that leaks one shows it
DECREE = "188/RAHASIA/KPTS/433.013/2026"
VILLAGE = "35.26.02.2001"
MISSING_PK, MISSING_CODE = 987654, "35.99"

# Every route that names an object: the kind of object its `pk` is (and `job_id`, an import).
OBJECT_ROUTES = {
    "enrollment:batch-detail": "batch",
    "enrollment:batch-edit": "batch",
    "enrollment:batch-import": "batch",
    "enrollment:batch-activate": "batch",
    "enrollment:batch-members-remove": "batch",
    "enrollment:batch-transition": "batch",
    "enrollment:batch-export": "batch",
    "enrollment:import-status": "job",
    "enrollment:import-errors": "job",
    "enrollment:allocation-edit": "allocation",
    "enrollment:participant-edit": "participant",
    "enrollment:employer-detail": "employer",
    "enrollment:employer-edit": "employer",
    "enrollment:case-open": "employer",
    "enrollment:case-detail": "case",
    "enrollment:case-step": "case",
    "enrollment:case-close": "case",
    "outreach:event-detail": "event",
    "outreach:event-edit": "event",
    "outreach:lead-new": "event",
    "outreach:lead-detail": "lead",
    "outreach:lead-edit": "lead",
    "outreach:lead-follow-up": "lead",
    "api:participant-detail": "participant",
    "api:allocation-detail": "allocation",
    "api:batch-detail": "batch",
    "api:batch-activate": "batch",
    "api:batch-approve": "batch",
    "api:batch-cancel": "batch",
    "api:batch-export": "batch",
    "api:batch-history": "batch",
    "api:batch-import-status": "batch",
    "api:batch-imports": "batch",
    "api:batch-members": "batch",
    "api:batch-members-import": "batch",
    "api:batch-reject": "batch",
    "api:batch-return": "batch",
    "api:batch-submit": "batch",
    "api:batch-verify": "batch",
    "api:employer-detail": "employer",
    "api:compliance-case-detail": "case",
    "api:compliance-case-close": "case",
    "api:compliance-case-steps": "case",
    "api:event-detail": "event",
    "api:lead-detail": "lead",
    "api:lead-follow-ups": "lead",
}
# Routes outside the sweep, and why.
NOT_SWEPT = {
    "admin": "Django's admin: national administrators only (test_a_clerk_cannot_add_figures_through_the_admin_site)",
    "set_language": "the language switch: no data",
    "login": "the login page",
    "logout": "logging out",
    "password_change": "one's own password",
    "password_change_done": "one's own password",
    "api:api-token": "the token endpoint: one's own credentials",
    "api-schema": "the API's description: no data",
    "api-docs": "the API's description: no data",
}
METHODS = ("get", "post", "put", "patch", "delete")
OUTSIDERS = {  # one user of every role, all of them in Bali
    Role.FIELD_OFFICER: "51.03.01",
    Role.LABOUR_OFFICE: "51.03",
    Role.SUPERVISOR: "51",
    Role.ADMIN: "51",
}


def all_routes() -> list[tuple[str, str, tuple[str, ...]]]:
    """(name, route, kwargs) of every URL pattern; Django's admin as one entry."""

    def walk(patterns, prefix, namespace):
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.app_name == "admin":
                    yield "admin", prefix + str(p.pattern), ()
                    continue
                inner = f"{namespace}{p.namespace}:" if p.namespace else namespace
                yield from walk(p.url_patterns, prefix + str(p.pattern), inner)
            elif isinstance(p, URLPattern):
                yield namespace + (p.name or ""), prefix + str(p.pattern), tuple(p.pattern.regex.groupindex)

    return sorted(set(walk(get_resolver().url_patterns, "", "")))


def routes() -> list[tuple[str, tuple[str, ...]]]:
    return sorted({(name, groups) for name, _route, groups in all_routes()})


def test_every_route_is_swept():
    unknown = []
    for name, groups in routes():
        if name in NOT_SWEPT or name in OBJECT_ROUTES:
            continue
        if set(groups) - {"code", "format"}:
            unknown.append(name)
        if not name:
            unknown.append(f"an unnamed route with {groups}")
    assert not unknown, f"routes the sweep cannot fill: add them to OBJECT_ROUTES or NOT_SWEPT: {unknown}"
    assert not set(OBJECT_ROUTES) - {name for name, _groups in routes()}, "OBJECT_ROUTES names a route that is gone"


def test_every_path_of_the_api_schema_is_a_swept_route():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    missing = []
    for path in schema["paths"]:
        sample = re.sub(r"\{[^}]+\}", "1", path.replace("{code}", "35.26"))
        name = resolve(sample).view_name
        if name not in OBJECT_ROUTES and re.search(r"\{(?!code\})", path):
            missing.append(path)
        if name in NOT_SWEPT and name != "api:api-token":
            missing.append(path)
    assert not missing, missing


# --- Bangkalan's objects --------------------------------------------------------------------------


@pytest.fixture
def bangkalan(officer, clerk):
    """One object of every kind in Bangkalan, each carrying NAME (or NIK, DECREE) where it has a
    name, made through the services as the officer and the clerk would."""
    from tests.enrollment.conftest import rows_csv

    today = timezone.localdate()
    allocation = enrollment.allocation_create(
        actor=clerk, region_code="35.26", year=today.year, source=FundingSource.DBHCHT, amount=1_000_000_000
    )
    batch = enrollment.batch_create(
        actor=officer,
        terms=enrollment.BatchTerms(
            kind="vulnerable_workers", regency_code="35.26", funding_source=FundingSource.DBHCHT, year=today.year,
            period_start=today.replace(day=1), period_end=dt.date(today.year, 12, 31), decree_number=DECREE,
        ),
    )  # fmt: skip
    row = {"nik": NIK, "name": NAME, "sex": "P", "birth_date": "04/05/1990", "village_code": VILLAGE}
    job = enrollment.import_run(
        job_id=enrollment.import_create(
            actor=officer, batch_id=batch.pk, filename="members.csv", content=rows_csv([row])
        ).pk
    )
    assert job.accepted == 1, job.errors
    employer = enrollment.employer_create(
        actor=clerk,
        data={
            "name": f"PT {NAME}", "village": VILLAGE, "sector": "manufacturing", "size": "small", "nib": "",
            "npp": "NN00000001", "reported_workers": 10, "reported_wages": 30_000_000, "bpjs_workers": 6,
            "bpjs_wages": 18_000_000, "bpjs_programmes": ["jkk", "jkm", "jht"],
        },
    )  # fmt: skip
    finding = employer_assess(employer).findings[0].finding
    case = enrollment.case_open(actor=clerk, employer_id=employer.pk, finding=finding, notes=NAME)
    event, _created = outreach.event_log(
        actor=officer,
        client_id=uuid.uuid4(),
        data=outreach.EventData(
            kind=EventKind.SOCIALISATION, date=today, village_codes=[VILLAGE], attendance={"farmers": 12},
            notes=NAME,
        ),
    )  # fmt: skip
    lead = outreach.lead_create(
        actor=officer, data=outreach.LeadData(name=NAME, village_code=VILLAGE, event_id=event.pk, nik=NIK)
    )
    return {
        "batch": batch,
        "job": job,
        "participant": Participant.objects.get(nik=NIK),
        "allocation": allocation,
        "employer": employer,
        "case": case,
        "event": event,
        "lead": lead,
    }


SWEPT_MODELS = (
    EnrollmentBatch, BatchMember, ImportJob, Participant, FundingAllocation, Employer, ComplianceCase,
    OutreachEvent, Lead, LeadFollowUp,
)  # fmt: skip


def _state() -> dict:
    """Every row of the swept tables, every column: what a write that got through would change."""
    return {m.__name__: list(m.objects.order_by("pk").values()) for m in SWEPT_MODELS}


def _event_body(objects):
    return {
        "client_id": str(uuid.uuid4()), "kind": "socialisation", "date": timezone.localdate().isoformat(),
        "villages": [VILLAGE if objects else "35.26.02.9999"], "attendance": {"farmers": 3},
    }  # fmt: skip


# Writes whose target is named in the body, not the path: (method, path, body with Bangkalan's
# objects or with missing ones, who in Bangkalan gets past the scope with the same body).
BODY_WRITES = {
    "api:event-list": ("post", "/api/v1/events/", _event_body, "officer"),
    "api:lead-list": (
        "post", "/api/v1/leads/",
        lambda o: {"name": "Warga Baru", "village": VILLAGE if o else "35.26.02.9999"}, "officer",
    ),
    "api:lead-add-to-batch": (
        "post", "/api/v1/leads/add-to-batch/",
        lambda o: {"leads": [o["lead"].pk if o else MISSING_PK], "batch": o["batch"].pk if o else MISSING_PK},
        "officer",
    ),
    "api:compliance-case-list": (
        "post", "/api/v1/compliance-cases/",
        lambda o: {"employer": o["employer"].pk if o else MISSING_PK, "finding": "pds_workers"}, "clerk",
    ),
    "outreach:leads-to-batch": (
        "post", "/leads/to-batch/",
        lambda o: {"lead": [o["lead"].pk if o else MISSING_PK], "batch": o["batch"].pk if o else MISSING_PK},
        "officer",
    ),
}  # fmt: skip


def _send(client, method, path, body):
    if path.startswith("/api/"):
        return getattr(client, method)(path, body, format="json")
    return getattr(client, method)(path, body)


def _value(name: str, group: str, objects: dict | None):
    """A route's argument: Bangkalan's object (or region), or one that does not exist (None)."""
    if group == "code":
        return "35.26" if objects else MISSING_CODE
    if group == "format":
        return "json"
    if group == "job_id":
        return objects["job"].pk if objects else MISSING_PK
    return objects[OBJECT_ROUTES[name]].pk if objects else MISSING_PK


def swept_paths(objects: dict | None) -> list[tuple[str, str, bool]]:
    """(route name, path, names an object or region) of every route outside NOT_SWEPT, filled
    with `objects` or with missing ones. A name shared by several paths (the six batch
    transitions, the two export formats) gives each of them."""
    out = []
    for name, route, groups in all_routes():
        if name in NOT_SWEPT:
            continue
        kwargs = {g: _value(name, g, objects) for g in groups}
        if "(?P<" in route or "^" in route:  # a DRF router's pattern: one name, one path
            path = reverse(name, kwargs=kwargs)
        else:
            path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m, kw=kwargs: str(kw[m.group(1)]), route)
        out.append((name, path, bool(set(groups) - {"format"})))
    return out


@pytest.mark.django_db
def test_no_user_of_another_regency_reads_or_changes_anything_of_bangkalan(bangkalan):
    before = _state()
    real, missing = swept_paths(bangkalan), swept_paths(None)
    assert len(real) > 80
    problems, answers = [], {}
    for role, region in OUTSIDERS.items():
        client = APIClient()
        client.force_login(user_with(role, region, username=f"bali-{role}"))
        for (name, path, names_object), (_name, missing_path, _names) in zip(real, missing, strict=True):
            for method in METHODS:
                response = getattr(client, method)(path)
                status = response.status_code
                where = f"{role} {method.upper()} {path}"
                if names_object:
                    # Exactly what a missing object gets: nothing to tell what exists.
                    expected = getattr(client, method)(missing_path).status_code
                    answers.setdefault(status, set()).add(name)
                    if status != expected or not 400 <= status < 500:
                        problems.append(f"{where}: {status} (a missing one: {expected})")
                elif status >= 500:
                    problems.append(f"{where}: {status}")
                body = response.content.decode("utf-8", "replace")
                problems += [f"{where}: shows {secret!r}" for secret in (NAME, NIK, DECREE) if secret in body]
        for method, path, make_body, _insider in BODY_WRITES.values():
            response = _send(client, method, path, make_body(bangkalan))
            expected = _send(client, method, path, make_body(None)).status_code
            where = f"{role} {method.upper()} {path} naming Bangkalan's objects"
            if response.status_code != expected or response.status_code < 300 or response.status_code >= 500:
                problems.append(f"{where}: {response.status_code} (missing ones: {expected})")
            body_text = response.content.decode("utf-8", "replace")
            problems += [f"{where}: shows {secret!r}" for secret in (NAME, NIK, DECREE) if secret in body_text]
    assert not problems, "\n".join(problems)
    assert _state() == before, "a refused request changed Bangkalan's data"
    assert set(answers) <= {403, 404, 405}, {status: sorted(names) for status, names in answers.items()}


@pytest.mark.django_db
def test_the_writes_named_in_a_body_reach_their_object_for_a_user_of_bangkalan(bangkalan, officer, clerk):
    """The bodies BODY_WRITES sends are real requests: the same body from a user of Bangkalan
    gets past the scope (a success, or a refusal about the object itself), so the outsiders'
    refusals above are refusals of the region, not of a malformed body."""
    users = {"officer": officer, "clerk": clerk}
    for name, (method, path, make_body, insider) in BODY_WRITES.items():
        client = APIClient()
        client.force_login(users[insider])
        response = _send(client, method, path, make_body(bangkalan))
        assert response.status_code not in (400, 403, 404) and response.status_code < 500, (
            name,
            response.status_code,
            response.content[:300],
        )
