"""Issue 25 point 4: every audit action the code can write has words in ucj.audit, translated into
Indonesian, so no history shows `outreach.leads.add_to_batch`; and an import made on someone's
behalf says what it was ("from 2 leads"), not the name of a file nobody uploaded."""

import ast
import runpy
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from enrollment.models import StepKind
from outreach import services as outreach
from tests.enrollment.conftest import make_nik, new_batch
from ucj.audit import ACTION_LABELS, action_label
from ucj.coverage.facts import KINDS

ID = runpy.run_path(str(Path(__file__).resolve().parents[2] / "locale" / "id_translations.py"))["ID"]
APPS = ("ucj", "enrollment", "outreach")
WRITERS = {"audit_record", "AuditEvent"}  # a call with action=… writes an audit event


def _python_files():
    root = Path(settings.BASE_DIR)
    for app in APPS:
        for path in sorted((root / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _name(func) -> str:
    return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""


def _pattern(node: ast.JoinedStr) -> str:
    """An f-string with its placeholders as {…}: `batch.{action}`, `case.step.{kind}`."""
    return "".join(
        part.value if isinstance(part, ast.Constant) else "{" + ast.unparse(part.value) + "}" for part in node.values
    )


def actions_the_code_writes() -> set[str]:
    """Every action string that audit_record(…) or AuditEvent(…) is given across the apps:
    literals, module constants (PARTICIPANT_MOVE…), and the f-strings whose parts are known
    (each below); an f-string this test does not know fails, to be taught here."""
    trees = list(_python_files())
    constants = {}
    for _path, tree in trees:
        for node in tree.body:
            named = isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
            if named and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                constants[node.targets[0].id] = node.value.value
    transitions = set()
    found, patterns = set(), set()
    for path, tree in trees:
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            action = next((k.value for k in node.keywords if k.arg == "action"), None)
            if action is None:
                continue
            if _name(node.func) == "_transition" and isinstance(action, ast.Constant):
                transitions.add(action.value)  # batches.py: audit_record(action=f"batch.{action}")
                continue
            if _name(node.func) not in WRITERS:
                continue
            if isinstance(action, ast.Constant):
                found.add(action.value)
            elif isinstance(action, ast.Name):
                assert action.id in constants, f"{path}: the action {action.id} is not a module constant"
                found.add(constants[action.id])
            elif isinstance(action, ast.JoinedStr):
                patterns.add(_pattern(action))
            else:
                raise AssertionError(f"{path}:{node.lineno}: an action this test cannot read")
    fact_actions = {kind.action for kind in KINDS.values()}
    known = {
        "batch.{action}": {f"batch.{a}" for a in transitions},
        "coverage.{kind.action}_save": {f"coverage.{a}_save" for a in fact_actions},
        "coverage.{kind.action}_delete": {f"coverage.{a}_delete" for a in fact_actions},
        "coverage.{spec.action}_import": {f"coverage.{a}_import" for a in fact_actions},
        "case.step.{kind}": {f"case.step.{k}" for k in StepKind.values},
    }
    unknown = patterns - set(known)
    assert not unknown, f"teach this test what these actions can be: {sorted(unknown)}"
    for pattern in patterns:
        found |= known[pattern]
    return found


def test_every_audit_action_the_code_writes_has_a_label():
    actions = actions_the_code_writes()
    assert {"outreach.leads.add_to_batch", "participant.move", "batch.approve", "case.step.fine"} <= actions
    assert len(actions) > 40
    missing = sorted(a for a in actions if a not in ACTION_LABELS)
    assert not missing, f"audit actions without words in ucj.audit.ACTION_LABELS: {missing}"


def test_every_label_is_translated_into_indonesian():
    with translation.override("en"):
        untranslated = sorted(str(label) for label in ACTION_LABELS.values() if str(label) not in ID)
    assert not untranslated


def test_the_case_steps_read_as_the_steps_are_called():
    with translation.override("en"):
        assert {k: str(ACTION_LABELS[f"case.step.{k}"]) for k in StepKind.values} == {
            k: str(StepKind(k).label) for k in StepKind.values
        }
    assert action_label("something.old") == "something.old"  # an unknown action as written


@pytest.mark.django_db
def test_the_batch_history_names_leads_put_on_it_and_no_file_or_code_word(client, officer):
    batch = new_batch(officer)
    leads = [
        outreach.lead_create(
            actor=officer,
            data=outreach.LeadData(name=f"Warga {n}", village_code="35.26.02.2001", nik=make_nik(n)),
        )
        for n in (1, 2)
    ]
    outreach.leads_add_to_batch(actor=officer, lead_ids=[lead.pk for lead in leads], batch_id=batch.pk)
    client.force_login(officer)
    client.post(reverse("set_language"), {"language": "en"})
    page = client.get(reverse("enrollment:batch-detail", args=[batch.pk])).content.decode()
    assert "outreach.leads" not in page and "leads.csv" not in page
    assert "members added from leads" in page and "from 2 leads: 2 accepted, 0 rejected." in page
    assert "leads put on the batch" in page
    assert page.count("from 2 leads") == 2  # the import's card says so too


@pytest.mark.django_db
def test_the_api_history_and_the_admin_carry_the_words(api_client, officer, admin_user, client):
    batch = new_batch(officer)
    api_client.force_authenticate(officer)
    [created] = api_client.get(f"/api/v1/batches/{batch.pk}/history/", HTTP_ACCEPT_LANGUAGE="en").json()["results"]
    assert (created["action"], created["label"]) == ("batch.create", "created")
    client.force_login(admin_user)
    page = client.get(reverse("admin:ucj_auditevent_changelist")).content.decode()
    assert "dibuat" in page or "created" in page
