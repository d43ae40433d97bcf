"""Serializers of the enrollment API (DESIGN §4). Input serializers check types and shapes only;
the rules (who, which state, which region, the budget) are the services' and come back as
400/403/409 through the API's exception handler."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from enrollment import importers
from enrollment.models import (
    DEFAULT_PROGRAMMES,
    BatchKind,
    BatchMember,
    EnrollmentBatch,
    FundingAllocation,
    FundingSource,
    ImportJob,
    Participant,
    Programme,
    Sex,
    mask_nik,
    mask_phone,
)
from enrollment.selectors import batch_actions_for
from ucj import scope
from ucj.audit import action_label
from ucj.models import REGION_CODE_PATTERN, AuditEvent

REGION_CODE_REGEX = rf"^(?:{REGION_CODE_PATTERN})$"
# Bounds that keep every value inside its database column on every backend (a 500 is never an answer).
MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_RUPIAH = 10**15
MAX_INCOME = 2_000_000_000


def region_code_field(**kwargs) -> serializers.RegexField:
    return serializers.RegexField(
        REGION_CODE_REGEX,
        max_length=20,
        error_messages={"invalid": _("Enter a region code such as 35.26.")},
        **kwargs,
    )


def _user(serializer) -> object:
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class PersonalDataMixin:
    """NIK and phone in full only for whoever `scope.may_see_personal_data` allows in the region
    (the labour office and administrators); masked for everyone else."""

    def _full(self, region_code: str) -> bool:
        user = _user(self)
        return user is not None and scope.may_see_personal_data(user, region_code)

    def _shown(self, pk: int, kind: str = "participant") -> None:
        """Note a person (a participant, or a lead) whose NIK this answer shows in full
        (ucj.api_base.PersonalDataLog records them)."""
        shown = self.context.get("personal_shown")
        if shown is not None:
            shown.append((kind, pk))


# --- Participants ---------------------------------------------------------------------------------


class MembershipSerializer(serializers.ModelSerializer):
    # Plain text: the member-state enum is described once, on BatchMember.
    state = serializers.CharField(read_only=True)
    batch_state = serializers.CharField(source="batch.state", read_only=True)
    batch_kind = serializers.CharField(source="batch.kind", read_only=True)
    period_start = serializers.DateField(source="batch.period_start", read_only=True)
    period_end = serializers.DateField(source="batch.period_end", read_only=True)

    class Meta:
        model = BatchMember
        fields = ["batch", "state", "reason", "position", "batch_state", "batch_kind", "period_start", "period_end"]
        read_only_fields = fields

    def get_label(self, obj: AuditEvent) -> str:
        return action_label(obj.action)


class ParticipantSerializer(PersonalDataMixin, serializers.ModelSerializer):
    nik = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    # The full date only with the full NIK: the masked digits are the birth date.
    birth_date = serializers.SerializerMethodField()
    birth_year = serializers.SerializerMethodField()
    village = serializers.CharField(source="village_id", read_only=True)
    village_name = serializers.CharField(source="village.name", read_only=True)
    memberships = MembershipSerializer(many=True, read_only=True, help_text="Batches of this person you may see.")

    class Meta:
        model = Participant
        fields = [
            "id",
            "nik",
            "name",
            "sex",
            "birth_date",
            "birth_year",
            "village",
            "village_name",
            "occupation",
            "occupation_group",
            "phone",
            "kpj",
            "memberships",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.STR)
    def get_nik(self, obj: Participant) -> str:
        if self._full(obj.village_id):
            self._shown(obj.pk)
            return obj.nik
        return mask_nik(obj.nik)

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_birth_date(self, obj: Participant):
        return obj.birth_date.isoformat() if self._full(obj.village_id) else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_birth_year(self, obj: Participant) -> int | None:
        # Null with the masked NIK, as the date: the year narrows the hidden digits (mask_birth_date).
        return obj.birth_date.year if self._full(obj.village_id) else None

    @extend_schema_field(OpenApiTypes.STR)
    def get_phone(self, obj: Participant) -> str:
        return obj.phone if self._full(obj.village_id) else mask_phone(obj.phone)


class ParticipantCorrectionSerializer(serializers.Serializer):
    """What the labour office may correct (any of them; the rules are the service's)."""

    name = serializers.CharField(max_length=150, required=False)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False)
    birth_date = serializers.DateField(required=False)
    village = region_code_field(required=False, help_text="A village code of your region, e.g. 35.26.02.2001")


# --- Allocations ----------------------------------------------------------------------------------


# The allocation's `source` lists the same funding sources as a batch's `funding_source`, under its
# own short labels: the schema then has one enum per field name instead of one set under two names.
ALLOCATION_SOURCES = [
    (FundingSource.APBD, "APBD"),
    (FundingSource.DBHCHT, "DBHCHT"),
    (FundingSource.DANA_DESA, "APBDes / Dana Desa"),
    (FundingSource.OTHER, _("other source")),
]


class AllocationSerializer(serializers.ModelSerializer):
    """Money set aside, with what approved and active batches have committed of it. Create with
    `region`, `year`, `source`, `amount` (and a `note`); afterwards only `amount` and `note` change."""

    region = region_code_field(
        source="region_id", help_text="A regency (APBD, DBHCHT, other) or a village (Dana Desa), e.g. 35.26"
    )
    region_name = serializers.CharField(source="region.name", read_only=True)
    year = serializers.IntegerField(min_value=MIN_YEAR, max_value=MAX_YEAR)
    source = serializers.ChoiceField(choices=ALLOCATION_SOURCES)
    amount = serializers.IntegerField(min_value=0, max_value=MAX_RUPIAH, help_text="Rupiah")
    note = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    committed = serializers.IntegerField(read_only=True, help_text="Rupiah reserved by approved and active batches")
    remaining = serializers.SerializerMethodField()
    reason = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, write_only=True, help_text="Why the amount changes"
    )

    class Meta:
        model = FundingAllocation
        fields = [
            "id",
            "region",
            "region_name",
            "year",
            "source",
            "amount",
            "note",
            "committed",
            "remaining",
            "reason",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        validators = []  # a duplicate is the service's 409, not a 400 here

    def get_remaining(self, obj: FundingAllocation) -> int:
        return obj.amount - (getattr(obj, "committed", 0) or 0)

    def _unchanged(self, value, attr: str):
        if self.instance is not None and value != getattr(self.instance, attr):
            raise serializers.ValidationError(_("This cannot change; create another allocation instead."))
        return value

    def validate_region(self, value):
        return self._unchanged(value, "region_id")

    def validate_year(self, value):
        return self._unchanged(value, "year")

    def validate_source(self, value):
        return self._unchanged(value, "source")


# --- Batches --------------------------------------------------------------------------------------


class BatchSerializer(serializers.ModelSerializer):
    """A batch. Create (POST) with its terms; `kind`, `regency`, `funding_source`, `year`,
    `period_start` and `period_end` are required. A draft's terms change with PATCH; its regency
    never does. Everything else is read-only and kept by the services."""

    url = serializers.SerializerMethodField()
    kind = serializers.ChoiceField(choices=BatchKind.choices)
    regency = region_code_field(source="regency_id", help_text="Regency or city code, e.g. 35.26")
    regency_name = serializers.CharField(source="regency.name", read_only=True)
    area = region_code_field(
        source="area_id",
        required=False,
        allow_null=True,
        help_text="The part of the regency the batch covers (the regency, a district or a village); "
        "by default the regency, or a field officer's one district in it.",
    )
    area_name = serializers.CharField(source="area.name", read_only=True)
    funding_source = serializers.ChoiceField(choices=FundingSource.choices)
    year = serializers.IntegerField(min_value=MIN_YEAR, max_value=MAX_YEAR, help_text="Budget year")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    months = serializers.IntegerField(read_only=True)
    declared_income = serializers.IntegerField(
        min_value=1,
        max_value=MAX_INCOME,
        default=1_000_000,
        help_text="Declared monthly income (Rp) of vulnerable workers (BPU): one of the levels of PP 44/2015 "
        "Lampiran II, the lowest Rp1,000,000 (another value is 400 naming the levels). Village officials' "
        "premiums are on each member's `wage` instead.",
    )
    programmes = serializers.ListField(
        child=serializers.ChoiceField(choices=Programme.choices),
        max_length=len(Programme.choices),
        default=lambda: list(DEFAULT_PROGRAMMES),
        help_text="JKK and JKM always; JHT optional; JP (pension) optional for village officials only.",
    )
    monthly_premium = serializers.IntegerField(
        read_only=True,
        help_text="Rupiah a month at the rates of the period's first month: per member for vulnerable workers "
        "(on the declared income); for village officials, whose premiums follow each one's pay, the sum "
        "of the members' `monthly_premium`.",
    )
    total_cost = serializers.IntegerField(
        read_only=True,
        help_text="Rupiah for the months paid, each month at its own rates: the period, from the activation "
        "month when activated after the period began (paid_from), up to paid_until when cancelled.",
    )
    paid_from = serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text="Set when the batch was activated after its period began: the first day of the activation "
        "month (BPJS does not backdate protection); the months before it were released.",
    )
    decree_number = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    title = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    # Four eyes: who took each step (null until it is taken; a return to draft clears the first two).
    submitted_by = serializers.CharField(source="submitted_by.username", read_only=True, allow_null=True)
    verified_by = serializers.CharField(source="verified_by.username", read_only=True, allow_null=True)
    approved_by = serializers.CharField(source="approved_by.username", read_only=True, allow_null=True)
    paid_until = serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text="Set when an active batch is cancelled: the end of the month of cancellation, the last day "
        "paid; total_cost then counts the months up to it.",
    )
    allowed_actions = serializers.SerializerMethodField()

    class Meta:
        model = EnrollmentBatch
        fields = [
            "id",
            "url",
            "kind",
            "state",
            "regency",
            "regency_name",
            "area",
            "area_name",
            "funding_source",
            "year",
            "period_start",
            "period_end",
            "months",
            "declared_income",
            "programmes",
            "monthly_premium",
            "member_count",
            "total_cost",
            "decree_number",
            "title",
            "allocation",
            "created_by",
            "created_at",
            "updated_at",
            "state_changed_at",
            "last_reason",
            "submitted_by",
            "verified_by",
            "approved_by",
            "paid_until",
            "paid_from",
            "allowed_actions",
        ]
        read_only_fields = [
            "id",
            "state",
            "monthly_premium",
            "member_count",
            "total_cost",
            "allocation",
            "created_at",
            "updated_at",
            "state_changed_at",
            "last_reason",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, obj: EnrollmentBatch) -> str:
        return reverse("api:batch-detail", args=[obj.pk], request=self.context.get("request"))

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_actions(self, obj: EnrollmentBatch) -> list[str]:
        user = _user(self)
        return batch_actions_for(user=user, batch=obj) if user is not None else []

    def validate_regency(self, value):
        if self.instance is not None and value != self.instance.regency_id:
            raise serializers.ValidationError(_("The regency of a batch cannot change."))
        return value


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why; required to return or reject a batch.",
    )


class VerifySerializer(ReasonSerializer):
    acknowledge_warnings = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Required `true` while members carry unacknowledged warnings (a sex or birth date that "
        "disagrees with the NIK, a NIK of another or a former district), else 409 listing them: the "
        "verifier has checked them against the KTP. Recorded with who acknowledged.",
    )


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV (comma or semicolon, UTF-8) or XLSX.")


# Not `format`: DRF reserves that query parameter for its own choice of renderer. `as` is a Python
# keyword, hence the class is built by name.
ExportQuerySerializer = type(
    "ExportQuerySerializer",
    (serializers.Serializer,),
    {"as": serializers.ChoiceField(choices=[("csv", "CSV"), ("xlsx", "XLSX")], default="csv")},
)


class BatchMemberSerializer(PersonalDataMixin, serializers.ModelSerializer):
    participant = serializers.IntegerField(source="participant_id", read_only=True)
    nik = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    name = serializers.CharField(source="participant.name", read_only=True)
    sex = serializers.CharField(source="participant.sex", read_only=True)
    birth_date = serializers.SerializerMethodField()
    birth_year = serializers.SerializerMethodField()
    village = serializers.CharField(source="participant.village_id", read_only=True)
    village_name = serializers.CharField(source="participant.village.name", read_only=True)
    occupation = serializers.CharField(source="participant.occupation", read_only=True)
    kpj = serializers.CharField(source="participant.kpj", read_only=True)
    # Not personal data in the NIK's sense: shown to masked roles too (they draft and verify it).
    wage = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="A village official's fixed monthly pay (siltap), rupiah."
    )
    monthly_premium = serializers.SerializerMethodField()
    already_registered = serializers.BooleanField(
        read_only=True, help_text="BPJS already had this person: protected, but not counted again in coverage."
    )

    class Meta:
        model = BatchMember
        fields = [
            "id",
            "participant",
            "nik",
            "name",
            "sex",
            "birth_date",
            "birth_year",
            "village",
            "village_name",
            "occupation",
            "phone",
            "kpj",
            "state",
            "reason",
            "position",
            "wage",
            "monthly_premium",
            "already_registered",
            "warnings",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField())
    def get_monthly_premium(self, obj: BatchMember) -> int:
        """Rupiah a month: a village official's own (on their wage), else the batch's."""
        return obj.monthly_premium if obj.monthly_premium is not None else obj.batch.monthly_premium

    def _batch_regency(self, obj: BatchMember) -> str:
        # The batch's regency decides (the labour office that verifies the list), as on the pages.
        return self.context.get("regency_code") or obj.batch.regency_id

    @extend_schema_field(OpenApiTypes.STR)
    def get_nik(self, obj: BatchMember) -> str:
        nik = obj.participant.nik
        if self._full(self._batch_regency(obj)):
            self._shown(obj.participant_id)
            return nik
        return mask_nik(nik)

    @extend_schema_field(OpenApiTypes.STR)
    def get_phone(self, obj: BatchMember) -> str:
        phone = obj.participant.phone
        return phone if self._full(self._batch_regency(obj)) else mask_phone(phone)

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_birth_date(self, obj: BatchMember):
        return obj.participant.birth_date.isoformat() if self._full(self._batch_regency(obj)) else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_birth_year(self, obj: BatchMember) -> int | None:
        return obj.participant.birth_date.year if self._full(self._batch_regency(obj)) else None


class ImportRowIssueSerializer(serializers.Serializer):
    row = serializers.JSONField(help_text="Row number as the spreadsheet shows it (the header is row 1).")
    column = serializers.CharField(help_text="The column's title as the file writes it (e.g. JENIS KELAMIN).")
    field = serializers.CharField(required=False, help_text="The member field of that column (e.g. sex).")
    name = serializers.CharField(required=False, help_text="The row's person, as the file writes the name.")
    nik = serializers.CharField(
        required=False, help_text="The row's NIK, masked unless the caller sees NIKs in full or uploaded the file."
    )
    message = serializers.CharField()


class ImportJobSerializer(serializers.ModelSerializer):
    status_url = serializers.SerializerMethodField()
    percent = serializers.IntegerField(read_only=True)
    finished = serializers.BooleanField(read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    errors = ImportRowIssueSerializer(many=True, read_only=True)
    warnings = ImportRowIssueSerializer(many=True, read_only=True)

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "batch",
            "kind",
            "source",
            "state",
            "filename",
            "total_rows",
            "processed_rows",
            "percent",
            "finished",
            "accepted",
            "rejected",
            "skipped",
            "new_participants",
            "already_registered",
            "errors",
            "warnings",
            "message",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
            "status_url",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_status_url(self, obj: ImportJob) -> str:
        return reverse("api:batch-import-status", args=[obj.batch_id, obj.pk], request=self.context.get("request"))

    def to_representation(self, instance: ImportJob) -> dict:
        data = super().to_representation(instance)
        user = _user(self)
        if data["errors"] and (user is None or not self._rows_in_full(user, instance)):
            data["errors"] = importers.issues_shown(data["errors"], full=False)
        return data

    def _rows_in_full(self, user, job: ImportJob) -> bool:
        # The batch's regency once per batch: a list of a batch's imports reads it once.
        regencies = self.context.setdefault("_import_regencies", {})
        if job.batch_id not in regencies:
            regencies[job.batch_id] = EnrollmentBatch.objects.values_list("regency_id", flat=True).get(pk=job.batch_id)
        return importers.rows_in_full(user, job, regency_code=regencies[job.batch_id])


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", read_only=True, allow_null=True, default=None)
    label = serializers.SerializerMethodField(help_text="The action in words, in the caller's language.")

    class Meta:
        model = AuditEvent
        fields = ["id", "at", "actor", "action", "label", "reason", "data"]
        read_only_fields = fields

    def get_label(self, obj: AuditEvent) -> str:
        return action_label(obj.action)
