from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ucj.coverage.selectors import NEVER_COMPUTED, coverage_band_label
from ucj.models import CoverageBand, CoverageSnapshot, Region


class RegionSerializer(serializers.ModelSerializer):
    parent = serializers.CharField(source="parent_id", read_only=True, allow_null=True)
    level_name = serializers.CharField(source="get_level_display", read_only=True)
    kind_name = serializers.CharField(source="get_kind_display", read_only=True)
    children_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Region
        fields = ["code", "name", "level", "level_name", "kind", "kind_name", "parent", "postal_code", "children_count"]
        read_only_fields = fields


# --- Coverage (DESIGN §4 "coverage read": the field names are a contract) -------------------------


def _count(**kwargs):
    return serializers.IntegerField(allow_null=True, **kwargs)


def _percent(**kwargs):
    # JSON numbers, not strings: clients chart and compare them.
    return serializers.DecimalField(max_digits=7, decimal_places=2, coerce_to_string=False, allow_null=True, **kwargs)


class CoverageSegmentsSerializer(serializers.Serializer):
    pu = _count(help_text="Wage earners (penerima upah).")
    bpu = _count(help_text="Non-wage earners, the informal sector (bukan penerima upah).")
    jakon = _count(help_text="Construction workers (jasa konstruksi).")
    pmi = _count(help_text="Migrant workers (pekerja migran Indonesia).")


def _shown(region: Region, snapshot: CoverageSnapshot | None) -> CoverageSnapshot:
    """The snapshot to represent: the current one, or for a region never computed an empty one
    whose figures are all null and whose `missing` says so."""
    if snapshot is None:
        return CoverageSnapshot(
            region=region,
            date=None,
            computed_at=None,
            ucj_active=None,
            ucj_change=None,
            sources=[],
            missing=NEVER_COMPUTED,
        )
    snapshot.region = region
    return snapshot


class CoverageSerializer(serializers.Serializer):
    """A region's current coverage. The instance is a pair (region, current snapshot or None)."""

    code = serializers.CharField(source="region.code")
    name = serializers.CharField(source="region.name")
    level = serializers.IntegerField(source="region.level")
    as_of = serializers.DateField(
        source="date", allow_null=True, help_text="Day of the snapshot; null if never computed."
    )
    computed_at = serializers.DateTimeField(allow_null=True)
    workforce = _count(help_text="Working population (the denominator).")
    workforce_year = _count()
    active = _count(help_text="Active BPJS Ketenagakerjaan participants (the numerator).")
    segments = CoverageSegmentsSerializer()
    ucj_active = _count(help_text="Participants active through UCJ batches.")
    ucj_change = _count(help_text="How UCJ batches moved the count since BPJS's figure (`bpjs_as_of`).")
    bpjs_as_of = serializers.DateField(allow_null=True)
    percent = _percent(help_text="UCJ % = active / workforce * 100.")
    target_percent = _percent()
    target_year = _count()
    gap_points = _percent(help_text="Target minus UCJ %, in percentage points; negative when ahead.")
    gap_people = _count(help_text="People still to enroll to reach the target; negative when ahead.")
    band = serializers.ChoiceField(choices=CoverageBand.choices, allow_null=True)
    band_label = serializers.SerializerMethodField()
    sources = serializers.ListField(child=serializers.DictField(), help_text="Each figure's source, as stored.")
    missing = serializers.ListField(child=serializers.DictField(), help_text="Figures that could not be given.")

    def to_representation(self, instance):
        region, snapshot = instance
        return super().to_representation(_shown(region, snapshot))

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_band_label(self, snapshot) -> str | None:
        return coverage_band_label(snapshot.band) or None


class CoveragePointSerializer(serializers.Serializer):
    date = serializers.DateField()
    percent = _percent()
    active = _count()
    workforce = _count()
    target_percent = _percent()
    ucj_active = _count()


class CoverageDetailSerializer(CoverageSerializer):
    """A region's current coverage with its children's (without theirs) and, when asked, its daily
    history. The instance is a mapping: `region`, `snapshot`, `children` (pairs as above) and
    optionally `history` (snapshots, oldest first)."""

    children = CoverageSerializer(many=True)
    history = CoveragePointSerializer(many=True, required=False, help_text="With `?history=1` only.")

    def to_representation(self, instance):
        data = CoverageSerializer(context=self.context).to_representation((instance["region"], instance["snapshot"]))
        data["children"] = CoverageSerializer(instance["children"], many=True, context=self.context).data
        if instance.get("history") is not None:
            data["history"] = CoveragePointSerializer(instance["history"], many=True, context=self.context).data
        return data


class CoverageQuerySerializer(serializers.Serializer):
    history = serializers.BooleanField(required=False, default=False, help_text="1 adds the daily series `history`.")
    since = serializers.DateField(required=False, help_text="First day of the history, YYYY-MM-DD.")
