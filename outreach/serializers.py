"""Serializers of the outreach API (DESIGN §4 `events` and `leads`). They check types and shapes and
keep every value inside its column (a 500 is never an answer); the rules (which villages an
officer may log in, dates in the future, the edit window, what may go into a batch) are the
services' and come back as 400/403/404/409 through the API's exception handler.

One serializer per resource for reading and writing, so that the OpenAPI schema describes each
choice set once (`EventKindEnum`, not one name per direction)."""

from decimal import ROUND_HALF_EVEN, Decimal

from django.db.models import prefetch_related_objects
from django.db.models.manager import BaseManager
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from enrollment.models import Sex, mask_nik, mask_phone
from enrollment.serializers import PersonalDataMixin, region_code_field
from outreach.models import (
    ATTENDANCE_GROUPS,
    DistributionPoint,
    EventKind,
    FollowUpChannel,
    FollowUpOutcome,
    Lead,
    LeadFollowUp,
    LeadStatus,
    OutreachEvent,
    PartnerAgency,
    PlantingSeason,
)
from outreach.services import event_may_edit

# Bounds that keep values inside their columns on every backend.
MAX_ID = 2**63 - 1
# Per group and event: a large festival, not a typo of a phone keyboard (or an integer overflow).
MAX_ATTENDANCE = 100_000
# A session may gather many villages (a regency-wide festival); Bangkalan has 281.
MAX_VILLAGES = 400
MAX_OFFICERS = 50
MAX_NOTES = 5000


def _user(serializer):
    return getattr(serializer.context.get("request"), "user", None)


class CoordinateField(serializers.DecimalField):
    """Degrees, as a JSON number. A phone's GPS gives more decimals than the column keeps (six,
    about 11 cm): they are rounded, not refused."""

    def __init__(self, *, limit: int, **kwargs):
        super().__init__(
            max_digits=9,
            decimal_places=6,
            min_value=Decimal(-limit),
            max_value=Decimal(limit),
            coerce_to_string=False,
            required=False,
            allow_null=True,
            **kwargs,
        )

    def validate_precision(self, value):
        # Only a value of sensible size is rounded; a huge one fails the digit check below.
        if abs(value) < 1000:
            value = value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_EVEN)
        return super().validate_precision(value)


class RelatedListField(serializers.ListField):
    """A list written as plain values (codes, usernames) and read from a to-many relation
    (prefetched by the view) as the same values."""

    def __init__(self, *, attr: str, **kwargs):
        self.attr = attr
        super().__init__(**kwargs)

    def to_representation(self, data):
        return [getattr(item, self.attr) for item in data.all()]


@extend_schema_field(
    {
        "type": "object",
        "properties": {
            group: {"type": "integer", "minimum": 0, "maximum": MAX_ATTENDANCE} for group in ATTENDANCE_GROUPS
        },
        "additionalProperties": False,
    }
)
class AttendanceField(serializers.DictField):
    """`{"farmers": 40, "fishers": 3, …}`: groups from ATTENDANCE_GROUPS, whole numbers from 0.
    A group left out counts 0 (on PATCH: stays as it was)."""

    def __init__(self, **kwargs):
        super().__init__(child=serializers.IntegerField(min_value=0, max_value=MAX_ATTENDANCE), **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = {
                str(key): [
                    _("Not an attendance group; use one of: %(groups)s.") % {"groups": ", ".join(ATTENDANCE_GROUPS)}
                ]
                for key in data
                if key not in ATTENDANCE_GROUPS
            }
            if unknown:
                raise serializers.ValidationError(unknown)
        return super().to_internal_value(data)


class EmployerNameField(serializers.CharField):
    """Written: the name of the employer visited (found among the employers of the event's
    villages, or added to them); read: the name of the event's employer."""

    def get_attribute(self, instance: OutreachEvent) -> str:
        return instance.employer.name if instance.employer_id else ""


class EventListSerializer(serializers.ListSerializer):
    """A page of events with their employers read in one query (not one per employer visit)."""

    def to_representation(self, data):
        events = list(data.all() if isinstance(data, BaseManager) else data)
        prefetch_related_objects(events, "employer")
        return super().to_representation(events)


class EventSerializer(serializers.ModelSerializer):
    """An outreach event. Create (POST) with `client_id` (a UUID the phone makes once per event
    and sends again on every retry), `kind`, `date` and `villages`; the rest is optional. PATCH
    changes what it names within the edit window (a supervisor at any time)."""

    client_id = serializers.UUIDField(
        help_text="Made by the client once per event; a retry with the same value returns the same event."
    )
    kind = serializers.ChoiceField(choices=EventKind.choices)
    date = serializers.DateField(help_text="Not in the future.")
    time = serializers.TimeField(required=False, allow_null=True, default=None)
    regency = serializers.CharField(source="regency_id", read_only=True, help_text="Derived from the villages.")
    regency_name = serializers.CharField(source="regency.name", read_only=True)
    villages = RelatedListField(
        attr="code",
        child=region_code_field(),
        allow_empty=False,
        min_length=1,
        max_length=MAX_VILLAGES,
        help_text="Village codes (desa/kelurahan) of one regency, e.g. 35.26.02.2001.",
    )
    village_names = RelatedListField(
        attr="name", source="villages", child=serializers.CharField(), read_only=True, help_text="Same order."
    )
    attendance = AttendanceField(
        required=False,
        default=dict,
        help_text=f"People per group ({', '.join(ATTENDANCE_GROUPS)}); each 0 to {MAX_ATTENDANCE:,}.",
    )
    attendance_total = serializers.IntegerField(read_only=True)
    partner = serializers.CharField(
        max_length=150, required=False, allow_blank=True, default="", help_text="Free text, e.g. Dinas Pertanian."
    )
    partner_agency = serializers.ChoiceField(
        choices=PartnerAgency.choices, required=False, allow_blank=True, default=""
    )
    notes = serializers.CharField(max_length=MAX_NOTES, required=False, allow_blank=True, default="")
    latitude = CoordinateField(limit=90)
    longitude = CoordinateField(limit=180)
    planting_season = serializers.ChoiceField(
        choices=PlantingSeason.choices, required=False, allow_blank=True, default="", help_text="Fertiliser tie-ins."
    )
    distribution_point_kind = serializers.ChoiceField(
        choices=DistributionPoint.choices, required=False, allow_blank=True, default="", help_text="Fertiliser tie-ins."
    )
    distribution_point = serializers.CharField(
        max_length=150, required=False, allow_blank=True, default="", help_text="The kiosk or farmer group."
    )
    employer = serializers.IntegerField(
        source="employer_id",
        required=False,
        allow_null=True,
        min_value=1,
        max_value=MAX_ID,
        help_text="Employer visits: the id of the employer visited (one of `/api/v1/employers/` in one of the "
        "event's villages). Or give `employer_name` instead.",
    )
    employer_name = EmployerNameField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="Employer visits: the employer's name, when its id is not known. The employer of that name in "
        "the event's villages is taken; if there is none, it is added to the employers of the first village "
        "(by code), without figures. Reading: the name of the event's employer.",
    )
    officers = RelatedListField(
        attr="username",
        child=serializers.CharField(max_length=150),
        required=False,
        default=list,
        max_length=MAX_OFFICERS,
        help_text="Usernames of the officers who took part besides the one logging (reading: everyone on "
        "the event, the one who logged it included).",
    )
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    may_edit = serializers.SerializerMethodField()

    class Meta:
        model = OutreachEvent
        fields = [
            "id",
            "client_id",
            "kind",
            "date",
            "time",
            "regency",
            "regency_name",
            "villages",
            "village_names",
            "attendance",
            "attendance_total",
            "partner",
            "partner_agency",
            "notes",
            "latitude",
            "longitude",
            "planting_season",
            "distribution_point_kind",
            "distribution_point",
            "employer",
            "employer_name",
            "officers",
            "created_by",
            "created_at",
            "updated_at",
            "may_edit",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        validators = []  # a client_id already taken is the service's answer (same event, or 409)
        list_serializer_class = EventListSerializer

    def get_may_edit(self, obj: OutreachEvent) -> bool:
        user = _user(self)
        return user is not None and event_may_edit(user, obj)

    def validate_client_id(self, value):
        if self.instance is not None and value != self.instance.client_id:
            raise serializers.ValidationError(_("The client id of an event cannot change."))
        return value

    def validate_villages(self, value):
        return list(dict.fromkeys(value))  # a code sent twice is one village

    def validate_officers(self, value):
        return list(dict.fromkeys(value))


class LeadSerializer(PersonalDataMixin, serializers.ModelSerializer):
    """A person met at an event who may enroll. NIK and phone are masked, and the birth date
    shown as a year, unless the user's role needs them (the labour office, administrators) or the
    user is the lead's own officer; the officer sends them in full. A masked value sent back
    unchanged on PATCH keeps the stored one."""

    name = serializers.CharField(max_length=150)
    village = region_code_field(source="village_id", help_text="Village code, e.g. 35.26.02.2001")
    village_name = serializers.CharField(source="village.name", read_only=True)
    event = serializers.IntegerField(
        source="event_id",
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=MAX_ID,
        help_text="The event where the person was met.",
    )
    nik = serializers.CharField(
        max_length=32, required=False, allow_blank=True, default="", help_text="16 digits, if the person gave it."
    )
    sex = serializers.ChoiceField(choices=Sex.choices, required=False, allow_blank=True, default="")
    birth_date = serializers.DateField(required=False, allow_null=True, default=None)
    birth_year = serializers.SerializerMethodField()
    phone = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default="", help_text="E.g. +6281234567812 or 081234567812."
    )
    occupation = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    status = serializers.ChoiceField(choices=LeadStatus.choices, required=False, default=LeadStatus.INTERESTED)
    next_follow_up = serializers.DateField(required=False, allow_null=True, default=None)
    notes = serializers.CharField(max_length=MAX_NOTES, required=False, allow_blank=True, default="")
    officer = serializers.CharField(source="officer.username", read_only=True)
    batch = serializers.IntegerField(source="batch_id", read_only=True, allow_null=True)

    class Meta:
        model = Lead
        fields = [
            "id",
            "event",
            "name",
            "nik",
            "sex",
            "birth_date",
            "birth_year",
            "phone",
            "village",
            "village_name",
            "occupation",
            "occupation_group",
            "status",
            "next_follow_up",
            "batch",
            "officer",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "occupation_group", "created_at", "updated_at"]
        validators = []

    def to_representation(self, instance: Lead):
        data = super().to_representation(instance)
        # The officer who met the person calls them back: they see what they wrote, as on the pages.
        request = self.context.get("request")
        own = request is not None and instance.officer_id == request.user.pk
        if not own and not self._full(instance.village_id):
            data["nik"] = mask_nik(instance.nik) if instance.nik else ""
            data["phone"] = mask_phone(instance.phone)
            # The hidden digits of a masked NIK are the birth date: not even its year
            # (enrollment.models.mask_birth_date).
            data["birth_date"] = data["birth_year"] = None
        elif instance.nik:
            self._shown(instance.pk, "lead")
        return data

    def get_birth_year(self, obj: Lead) -> int | None:
        return obj.birth_date.year if obj.birth_date else None

    # The NIK's and the phone's rules (16 digits that agree with sex and birth date; a number the
    # importer accepts) are the service's, as for an imported row.
    def validate_nik(self, value):
        if self.instance is not None and self.instance.nik and value == mask_nik(self.instance.nik):
            return self.instance.nik
        return value

    def validate_phone(self, value):
        if self.instance is not None and self.instance.phone and value == mask_phone(self.instance.phone):
            return self.instance.phone
        return value


class LeadsToBatchSerializer(serializers.Serializer):
    leads = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        allow_empty=False,
        max_length=1000,
        help_text="Lead ids.",
    )
    batch = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="A draft batch.")


class RefusedLeadSerializer(serializers.Serializer):
    lead = serializers.IntegerField()
    name = serializers.CharField()
    column = serializers.CharField(help_text="The field that stops it, as in a member spreadsheet.")
    message = serializers.CharField()


class LeadWarningSerializer(serializers.Serializer):
    lead = serializers.IntegerField()
    name = serializers.CharField()
    column = serializers.CharField(help_text="The field the warning is about, as in a member spreadsheet.")
    message = serializers.CharField()


class LeadsToBatchResultSerializer(serializers.Serializer):
    added = serializers.ListField(child=serializers.IntegerField(), help_text="Ids of the leads now in the batch.")
    refused = RefusedLeadSerializer(many=True)
    warnings = LeadWarningSerializer(
        many=True, help_text="What the check noted about added leads (a NIK issued in another regency…)."
    )


class LeadFollowUpSerializer(serializers.ModelSerializer):
    """One contact with a lead. On create, `next_date` left out is proposed a week ahead (null: no
    next try); it is ignored when the outcome is `enrolled` or `declined`."""

    channel = serializers.ChoiceField(choices=FollowUpChannel.choices, help_text="visit, phone or whatsapp")
    outcome = serializers.ChoiceField(choices=FollowUpOutcome.choices)
    notes = serializers.CharField(max_length=MAX_NOTES, required=False, allow_blank=True, default="")
    next_date = serializers.DateField(required=False, allow_null=True)
    lead = serializers.IntegerField(source="lead_id", read_only=True)
    officer = serializers.CharField(source="officer.username", read_only=True)

    class Meta:
        model = LeadFollowUp
        fields = [
            "id",
            "lead",
            "date",
            "channel",
            "outcome",
            "notes",
            "next_date",
            "officer",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
