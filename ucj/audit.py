"""What each audit action is called where people read a history (a batch's, a case's, a person's,
the admin's list): every action the code writes has a label here, in the user's language, so no
page shows `outreach.leads.add_to_batch`. tests/ucj/test_audit_labels.py collects every action the
apps can write and fails on one without a label.

The words live in the core, beside the audit record, because the core's admin lists every app's
events; they are only words (the core imports no app)."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    # The core: access to personal data, users.
    "personal.view": _("personal data viewed"),
    "personal.lookup": _("looked up by NIK"),
    "user.assign": _("role assigned"),
    # Coverage figures (ucj.coverage.facts: coverage.<kind>_save / _delete / _import).
    "coverage.workforce_save": _("workforce figure saved"),
    "coverage.workforce_delete": _("workforce figure deleted"),
    "coverage.workforce_import": _("workforce figures imported"),
    "coverage.target_save": _("coverage target saved"),
    "coverage.target_delete": _("coverage target deleted"),
    "coverage.target_import": _("coverage targets imported"),
    "coverage.membership_save": _("BPJS membership count saved"),
    "coverage.membership_delete": _("BPJS membership count deleted"),
    "coverage.membership_import": _("BPJS membership counts imported"),
    "coverage.occupation_save": _("coverage by occupation saved"),
    "coverage.occupation_delete": _("coverage by occupation deleted"),
    "coverage.occupation_import": _("coverage by occupation imported"),
    # Funding and batches.
    "allocation.create": _("allocation created"),
    "allocation.update": _("allocation changed"),
    "batch.create": _("created"),
    "batch.update": _("terms changed"),
    "batch.import": _("members uploaded"),
    "batch.members_remove": _("members removed"),
    "batch.submit": _("submitted"),
    "batch.verify": _("verified"),
    "batch.approve": _("approved"),
    "batch.return": _("returned"),
    "batch.reject": _("rejected"),
    "batch.activate": _("activated"),
    "batch.cancel": _("cancelled"),
    "batch.export": _("exported"),
    # Participants.
    "participant.correct": _("record corrected"),
    "participant.move": _("domicile moved"),
    # Employers and compliance cases (case.step.<kind>: the steps of PP 86/2013 and the labour
    # inspectors', and the steps of cases recorded before them).
    "employer.create": _("employer registered"),
    "employer.update": _("employer changed"),
    "employer.discover": _("employer found on a visit"),
    "employer.import": _("employer list imported"),
    "case.open": _("case opened"),
    "case.close": _("case closed"),
    "case.step.warning_1": _("written warning I"),
    "case.step.warning_2": _("written warning II"),
    "case.step.fine": _("fine"),
    "case.step.service_denial": _("denial of certain public services"),
    "case.step.nota_1": _("inspection note I"),
    "case.step.nota_2": _("inspection note II"),
    "case.step.referral": _("referral for investigation (PPNS)"),
    "case.step.reminder": _("reminder / visit"),
    "case.step.inspector": _("referral to the labour inspector"),
    "case.step.sanction": _("recommendation to deny public services"),
    # Field work.
    "outreach.event.create": _("outreach event logged"),
    "outreach.event.update": _("outreach event changed"),
    "outreach.lead.create": _("lead recorded"),
    "outreach.lead.update": _("lead changed"),
    "outreach.lead.follow_up": _("lead followed up"),
    "outreach.leads.add_to_batch": _("leads put on the batch"),
}


def action_label(action: str) -> str:
    """The action in words; an action without a label (from an older version) as it is written."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action
