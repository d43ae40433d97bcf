from rest_framework import serializers

from ucj.models import Region


class RegionSerializer(serializers.ModelSerializer):
    parent = serializers.CharField(source="parent_id", read_only=True, allow_null=True)
    level_name = serializers.CharField(source="get_level_display", read_only=True)
    kind_name = serializers.CharField(source="get_kind_display", read_only=True)
    children_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Region
        fields = ["code", "name", "level", "level_name", "kind", "kind_name", "parent", "postal_code", "children_count"]
        read_only_fields = fields
