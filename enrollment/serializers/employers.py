"""Serializers of the employer-compliance API (DESIGN §4: `employers`, `compliance-cases`).

Input serializers check types and shapes only; the rules (who, which region, the escalation order,
the figures' consistency) are the services' and come back as 400/403/409 through the API's
exception handler.

The OpenAPI schema names an enum after its field, so each choice set appears as an enum under one
field name only (`sector`, `size`, `finding`, `outcome`, `bpjs_programmes`), and the codes that
share a field name with other sets (`status` beside the leads' status, `state` beside the batches',
`kind` beside the events') are enums in one place only: the employer list's `status`, the case
list's `state`, a step's `kind`, the import's `kind`. Everywhere else those codes are plain text
that says where they are listed (as on `MembershipSerializer.state`).
"""

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from enrollment.models import (
    MAX_FINE_MONTHS,
    STEP_LEGAL_BASIS,
    CaseOutcome,
    CaseState,
    CaseStep,
    ComplianceCase,
    Employer,
    EmployerProgramme,
    EmployerSize,
    Finding,
    Sector,
    StepKind,
)
from enrollment.selectors import case_actions_for, case_steps, case_tracks, employer_assess, employer_cases
from enrollment.serializers.collective import region_code_field
from enrollment.services.employers import MAX_WAGES, MAX_WORKERS

__all__ = [
    "AssessmentSerializer",
    "BpjsFiguresSerializer",
    "CaseCloseSerializer",
    "CaseOpenSerializer",
    "CaseStepSerializer",
    "ComplianceCaseDetailSerializer",
    "ComplianceCaseSerializer",
    "EmployerCaseSerializer",
    "EmployerCreateSerializer",
    "EmployerDetailSerializer",
    "EmployerImportReportSerializer",
    "EmployerImportSerializer",
    "EmployerSerializer",
    "EmployerWriteSerializer",
    "FindingDetailSerializer",
    "ReportedFiguresSerializer",
]

# The largest primary key the database holds: a larger id is "no such row", never an overflow.
MAX_ID = 2**63 - 1
MAX_NOTES = 10_000

IMPORT_KINDS = [
    ("labour_office", _("the labour office's company list (WLKP)")),
    ("bpjs", _("BPJS's list of registered employers")),
]


def _user(serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


def _codes(help_text: str) -> serializers.CharField:
    """A code of a choice set described as an enum elsewhere in the schema (see the module doc)."""
    return serializers.CharField(read_only=True, help_text=help_text)


def case_overdue(case: ComplianceCase, today: dt.date | None = None) -> bool:
    """Open, and the employer's deadline has passed with no next step taken (as
    `selectors.cases_overdue`)."""
    today = today or timezone.localdate()
    return case.state == CaseState.OPEN and case.due_on is not None and case.due_on < today


# --- Employers ------------------------------------------------------------------------------------


class ReportedFiguresSerializer(serializers.Serializer):
    """What the employer reported to the labour office (WLKP), with its source and date."""

    workers = serializers.IntegerField(source="reported_workers", read_only=True, allow_null=True)
    wages = serializers.IntegerField(
        source="reported_wages", read_only=True, allow_null=True, help_text="Monthly wage bill (Rp)"
    )
    source = serializers.CharField(source="reported_source", read_only=True)
    as_of = serializers.DateField(source="reported_as_of", read_only=True, allow_null=True)


class BpjsFiguresSerializer(serializers.Serializer):
    """What is registered with BPJS Ketenagakerjaan, with its source and date."""

    workers = serializers.IntegerField(source="bpjs_workers", read_only=True, allow_null=True)
    wages = serializers.IntegerField(
        source="bpjs_wages", read_only=True, allow_null=True, help_text="Monthly wages registered (Rp)"
    )
    programmes = serializers.ListField(
        source="bpjs_programmes",
        child=serializers.CharField(),
        read_only=True,
        help_text="Programme codes, as `bpjs_programmes` when writing: jkk, jkm, jht, jp.",
    )
    source = serializers.CharField(source="bpjs_source", read_only=True)
    as_of = serializers.DateField(source="bpjs_as_of", read_only=True, allow_null=True)


class EmployerSerializer(serializers.ModelSerializer):
    """An employer with both sides' figures and the findings derived from them (kept by the
    services whenever a figure changes)."""

    village = serializers.CharField(source="village_id", read_only=True, help_text="Village code")
    village_name = serializers.CharField(source="village.name", read_only=True)
    regency = serializers.CharField(source="regency_id", read_only=True, help_text="Regency code")
    reported = ReportedFiguresSerializer(source="*", read_only=True)
    bpjs = BpjsFiguresSerializer(source="*", read_only=True)
    findings = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Codes of the employer's current findings, as a case's `finding` (none when compliant or "
        "not assessed).",
    )
    gap_workers = serializers.IntegerField(read_only=True, help_text="Workers not registered")
    gap_wages = serializers.IntegerField(read_only=True, help_text="Monthly wages not registered (Rp)")

    class Meta:
        model = Employer
        fields = [
            "id",
            "npp",
            "nib",
            "name",
            "village",
            "village_name",
            "regency",
            "address",
            "sector",
            "size",
            "reported",
            "bpjs",
            "status",
            "findings",
            "gap_workers",
            "gap_wages",
            "updated_at",
        ]
        read_only_fields = fields


class FindingDetailSerializer(serializers.Serializer):
    finding = serializers.ChoiceField(choices=Finding.choices, read_only=True)
    label = serializers.CharField(read_only=True)
    gap_workers = serializers.IntegerField(read_only=True)
    gap_wages = serializers.IntegerField(read_only=True, help_text="Rupiah a month")
    missing_programmes = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Programme codes (PDS programme only)."
    )
    explanation = serializers.CharField(read_only=True)


class AssessmentSerializer(serializers.Serializer):
    """The findings explained, computed from the figures as they are now."""

    status = _codes("compliant, findings or unassessed (as the employer's `status`).")
    findings = FindingDetailSerializer(many=True, read_only=True)
    unknown = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="What could not be compared, and why."
    )


class EmployerCaseSerializer(serializers.ModelSerializer):
    state = _codes("open or closed (as a compliance case's `state`).")
    last_step = _codes("A step kind (as a case step's `kind`), empty before the first step.")
    bpjs_step = _codes("The last step of BPJS's track (a step `kind`), empty before its first.")
    inspection_step = _codes("The last step of the labour inspection's track (a step `kind`), empty before its first.")
    fine_amount = serializers.IntegerField(read_only=True, allow_null=True, help_text="BPJS's fine (Rp), once recorded")
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = ComplianceCase
        fields = [
            "id",
            "finding",
            "state",
            "opened_on",
            "last_step",
            "bpjs_step",
            "inspection_step",
            "due_on",
            "overdue",
            "fine_amount",
            "closed_on",
        ]
        read_only_fields = fields

    def get_overdue(self, obj: ComplianceCase) -> bool:
        return case_overdue(obj)


class EmployerDetailSerializer(EmployerSerializer):
    status = _codes("compliant, findings or unassessed (as in the employer list).")
    assessment = serializers.SerializerMethodField()
    cases = serializers.SerializerMethodField()

    class Meta(EmployerSerializer.Meta):
        fields = [*EmployerSerializer.Meta.fields, "assessment", "cases"]
        read_only_fields = fields

    @extend_schema_field(AssessmentSerializer)
    def get_assessment(self, obj: Employer) -> dict:
        return AssessmentSerializer(employer_assess(obj)).data

    @extend_schema_field(EmployerCaseSerializer(many=True))
    def get_cases(self, obj: Employer) -> list:
        return EmployerCaseSerializer(employer_cases(obj), many=True).data


class StrictFieldsMixin:
    """A field the serializer does not know is an error, not silently dropped: a typo such as
    `reported_worker` must not look like a saved figure."""

    def validate(self, attrs):
        data = self.initial_data
        unknown = sorted(set(data) - set(self.fields)) if hasattr(data, "keys") else []
        if unknown:
            raise serializers.ValidationError({name: _("Unknown field.") for name in unknown})
        return super().validate(attrs)


class EmployerWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    """Create (POST: `name` and `village` required) or change (PATCH: only the fields given) an
    employer. Figures typed in without a source or date get the clerk as source and today as date."""

    npp = serializers.CharField(max_length=40, allow_blank=True, required=False, help_text="Empty if unregistered")
    nib = serializers.CharField(max_length=40, allow_blank=True, required=False, help_text="13 digits")
    name = serializers.CharField(max_length=200, required=False)
    village = region_code_field(required=False, help_text="Village code, e.g. 35.26.01.2001")
    address = serializers.CharField(max_length=255, allow_blank=True, required=False)
    sector = serializers.ChoiceField(choices=Sector.choices, required=False)
    size = serializers.ChoiceField(choices=EmployerSize.choices, required=False)
    reported_workers = serializers.IntegerField(min_value=0, max_value=MAX_WORKERS, allow_null=True, required=False)
    reported_wages = serializers.IntegerField(
        min_value=0, max_value=MAX_WAGES, allow_null=True, required=False, help_text="Monthly wage bill (Rp)"
    )
    reported_source = serializers.CharField(max_length=120, allow_blank=True, required=False)
    reported_as_of = serializers.DateField(allow_null=True, required=False)
    bpjs_workers = serializers.IntegerField(min_value=0, max_value=MAX_WORKERS, allow_null=True, required=False)
    bpjs_wages = serializers.IntegerField(
        min_value=0, max_value=MAX_WAGES, allow_null=True, required=False, help_text="Monthly wages (Rp)"
    )
    bpjs_programmes = serializers.ListField(
        child=serializers.ChoiceField(choices=EmployerProgramme.choices),
        max_length=len(EmployerProgramme.choices) * 2,
        required=False,
    )
    bpjs_source = serializers.CharField(max_length=120, allow_blank=True, required=False)
    bpjs_as_of = serializers.DateField(allow_null=True, required=False)


class EmployerCreateSerializer(EmployerWriteSerializer):
    name = serializers.CharField(max_length=200)
    village = region_code_field(help_text="Village code, e.g. 35.26.01.2001")


class EmployerImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV (comma or semicolon, UTF-8) or XLSX, English or Indonesian headers.")
    regency = region_code_field(help_text="The regency the list covers, e.g. 35.26")
    kind = serializers.ChoiceField(choices=IMPORT_KINDS)
    source = serializers.CharField(
        max_length=120, required=False, allow_blank=True, default="", help_text="By default the file name."
    )
    as_of = serializers.DateField(required=False, allow_null=True, default=None, help_text="By default today.")


class EmployerImportReportSerializer(serializers.Serializer):
    kind = _codes("labour_office or bpjs, as sent.")
    rows = serializers.IntegerField(help_text="Data rows read")
    created = serializers.IntegerField(help_text="Employers created (the labour office's list only)")
    updated = serializers.IntegerField(help_text="Employers whose figures or ids changed")
    unchanged = serializers.IntegerField()
    older_than_record = serializers.IntegerField(
        help_text="Employers whose figures on record are newer than the list: kept (a missing NPP/NIB is still linked)"
    )
    skipped_other_regency = serializers.IntegerField(
        help_text="Rows of other regencies in a BPJS branch's list, skipped"
    )
    matched_by = serializers.DictField(
        child=serializers.IntegerField(), help_text="Rows matched per key: npp, nib, name (with the village)."
    )
    unmatched = serializers.ListField(
        child=serializers.DictField(),
        help_text="Rows that matched no employer and were not imported: row, npp, nib, name, village, reason.",
    )


# --- Compliance cases -----------------------------------------------------------------------------


class TrackSerializer(serializers.Serializer):
    """Where a case stands in one of its two tracks: BPJS's sanctions (`bpjs`: written warning I,
    II, fine, denial of certain public services) and the labour inspection (`inspection`: note I,
    II, referral). Codes are plain text (a step's `kind` is the enum)."""

    track = serializers.CharField(read_only=True, help_text="bpjs or inspection")
    label = serializers.CharField(read_only=True)
    last_step = serializers.CharField(read_only=True, help_text="A step kind, empty before the track's first step")
    next_step = serializers.CharField(read_only=True, allow_null=True, help_text="null when the track is complete")
    next_step_label = serializers.CharField(read_only=True)
    next_actor = serializers.CharField(
        read_only=True, help_text="Who acts at the next step: bpjs, inspectors, government"
    )
    next_actor_label = serializers.CharField(read_only=True)
    next_legal_basis = serializers.CharField(read_only=True)
    due_on = serializers.DateField(read_only=True, allow_null=True, help_text="The employer's deadline running")
    waiting = serializers.BooleanField(read_only=True, help_text="The next step waits for `due_on` to pass")


class ComplianceCaseSerializer(serializers.ModelSerializer):
    """A case: one finding about one employer followed up to its end. `due_on` is the employer's
    deadline for the current step; `overdue` is true when it has passed with no next step."""

    employer = serializers.IntegerField(source="employer_id", read_only=True)
    employer_name = serializers.CharField(source="employer.name", read_only=True)
    village = serializers.CharField(source="employer.village_id", read_only=True, help_text="The employer's village")
    village_name = serializers.CharField(source="employer.village.name", read_only=True)
    gap_workers = serializers.IntegerField(read_only=True, help_text="Workers not registered when the case opened")
    gap_wages = serializers.IntegerField(read_only=True, help_text="Monthly wages not registered when opened (Rp)")
    last_step = _codes("The latest step of either track (a step `kind`), empty before the first step.")
    next_steps = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="The next step of each track (BPJS's first; a step `kind`), in the order of PP 86/2013 and of the "
        "inspection; empty when closed. `actions` says which of them the user may record now.",
    )
    tracks = serializers.SerializerMethodField()
    fine_amount = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="BPJS's fine (Rp): 0.1 % a month of the premiums owed; null before it",
    )
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = ComplianceCase
        fields = [
            "id",
            "employer",
            "employer_name",
            "village",
            "village_name",
            "finding",
            "state",
            "gap_workers",
            "gap_wages",
            "opened_on",
            "last_step",
            "next_steps",
            "tracks",
            "due_on",
            "overdue",
            "fine_amount",
            "closed_on",
            "outcome",
            "workers_added",
            "wages_added",
        ]
        read_only_fields = fields

    def get_overdue(self, obj: ComplianceCase) -> bool:
        return case_overdue(obj)

    @extend_schema_field(TrackSerializer(many=True))
    def get_tracks(self, obj: ComplianceCase) -> list:
        return TrackSerializer(case_tracks(obj), many=True).data


class CaseStepSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """A step of one track, in its order: BPJS's `warning_1`, `warning_2`, `fine`,
    `service_denial` (PP 86/2013); the labour inspectors' `nota_1`, `nota_2`, `referral`.
    Recording one: `kind`, `document_number` (the letter's or note's), and optionally `taken_on`
    (today by default) and `notes`; a `fine` needs `premiums_owed` (Rp) and `fine_months` (since
    written warning II ended), an inspection note may give its `due_on`. `track`, `actor` (who
    acts: bpjs, inspectors, government), `legal_basis` and `fine_amount` are read only."""

    kind = serializers.ChoiceField(choices=StepKind.choices)
    track = serializers.CharField(read_only=True, help_text="bpjs or inspection")
    actor = serializers.CharField(read_only=True, help_text="Who acts: bpjs, inspectors or government")
    actor_label = serializers.CharField(source="get_actor_display", read_only=True)
    legal_basis = serializers.SerializerMethodField()
    taken_on = serializers.DateField(required=False, allow_null=True, help_text="Today by default")
    due_on = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="The employer's deadline. Written: an inspection note's own deadline (default: as long as a "
        "warning); a warning's is counted by the server.",
    )
    document_number = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    premiums_owed = serializers.IntegerField(
        min_value=1, max_value=MAX_WAGES, required=False, allow_null=True, help_text="A fine's premiums owed (Rp)"
    )
    fine_months = serializers.IntegerField(
        min_value=1,
        max_value=MAX_FINE_MONTHS,
        required=False,
        allow_null=True,
        help_text="A fine's months since written warning II ended",
    )
    fine_amount = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="0.1 % a month of the premiums owed"
    )
    notes = serializers.CharField(max_length=MAX_NOTES, required=False, allow_blank=True, default="")
    recorded_by = serializers.CharField(source="recorded_by.username", read_only=True)

    class Meta:
        model = CaseStep
        fields = [
            "kind",
            "track",
            "actor",
            "actor_label",
            "legal_basis",
            "taken_on",
            "due_on",
            "document_number",
            "premiums_owed",
            "fine_months",
            "fine_amount",
            "notes",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = ["track", "actor", "actor_label", "legal_basis", "fine_amount", "recorded_by", "recorded_at"]

    def get_legal_basis(self, obj: CaseStep) -> str:
        return STEP_LEGAL_BASIS.get(obj.kind, "")


class ComplianceCaseDetailSerializer(ComplianceCaseSerializer):
    state = _codes("open or closed (as in the case list).")
    opened_by = serializers.CharField(source="opened_by.username", read_only=True)
    closed_by = serializers.CharField(source="closed_by.username", read_only=True, allow_null=True, default=None)
    steps = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    class Meta(ComplianceCaseSerializer.Meta):
        fields = [*ComplianceCaseSerializer.Meta.fields, "notes", "opened_by", "closed_by", "steps", "actions"]
        read_only_fields = fields

    @extend_schema_field(CaseStepSerializer(many=True))
    def get_steps(self, obj: ComplianceCase) -> list:
        return CaseStepSerializer(case_steps(obj), many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_actions(self, obj: ComplianceCase) -> list[str]:
        """What the user may do now: the next step of each track whose deadline is not running,
        and `close`."""
        user = _user(self)
        return case_actions_for(user=user, case=obj) if user is not None else []


class CaseOpenSerializer(StrictFieldsMixin, serializers.Serializer):
    employer = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="Employer id")
    finding = serializers.ChoiceField(choices=Finding.choices, help_text="One of the employer's current findings")
    opened_on = serializers.DateField(required=False, allow_null=True, help_text="Today by default")
    notes = serializers.CharField(max_length=MAX_NOTES, required=False, allow_blank=True, default="")


class CaseCloseSerializer(StrictFieldsMixin, serializers.Serializer):
    outcome = serializers.ChoiceField(choices=CaseOutcome.choices)
    workers_added = serializers.IntegerField(
        min_value=0, max_value=MAX_WORKERS, default=0, help_text="Workers the employer registered"
    )
    wages_added = serializers.IntegerField(
        min_value=0, max_value=MAX_WAGES, default=0, help_text="Monthly wages added (Rp)"
    )
    # Plain codes, not an enum: the programmes' enum is `bpjs_programmes`'s (see the module doc).
    programmes_added = serializers.ListField(
        child=serializers.CharField(max_length=10),
        max_length=len(EmployerProgramme.choices) * 2,
        required=False,
        default=list,
        help_text="Programmes the employer registered, as `bpjs_programmes`: jkk, jkm, jht, jp. Closing a PDS "
        "programme case as `complied` needs every missing mandatory one.",
    )
    closed_on = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="Today by default; not before the case's last step (nor its opening).",
    )
    notes = serializers.CharField(max_length=MAX_NOTES, required=False, allow_blank=True, default="")
