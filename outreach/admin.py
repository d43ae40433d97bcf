"""Administration of outreach: read-only. Events and leads are written only through the services
(scope, edit window, audit history), so the admin can never bypass them."""

from django.contrib import admin

from outreach.models import EventVillage, Lead, OutreachEvent
from ucj.admin import ReadOnlyAdmin


class EventVillageInline(admin.TabularInline):
    model = EventVillage
    fields = ["village", "date", "kind"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("village")


@admin.register(OutreachEvent)
class OutreachEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "date", "kind", "regency", "created_by", "partner", "attendance_total", "created_at"]
    list_filter = ["kind", "partner_agency", "planting_season", "date"]
    search_fields = [
        "=id",
        "=client_id",
        "partner",
        "notes",
        "distribution_point",
        "employer__name",
        "created_by__username",
    ]
    list_select_related = ["regency", "created_by"]
    date_hierarchy = "date"
    inlines = [EventVillageInline]
    show_full_result_count = False


@admin.register(Lead)
class LeadAdmin(ReadOnlyAdmin):
    list_display = ["id", "name", "village", "officer", "status", "next_follow_up", "batch"]
    list_filter = ["status", "occupation_group"]
    search_fields = ["=id", "=nik", "name", "officer__username"]
    list_select_related = ["village", "officer", "batch"]
    show_full_result_count = False
