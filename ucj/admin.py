from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from ucj.models import (
    Assignment,
    AuditEvent,
    CoverageTarget,
    MembershipCount,
    Region,
    WorkerHeartbeat,
    WorkforceEstimate,
)

User = get_user_model()


class ReadOnlyAdmin(admin.ModelAdmin):
    """For data that another path owns: the region tree (load_regions), the audit history
    (append-only) and worker heartbeats (the workers)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Region)
class RegionAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "level", "kind", "parent"]
    list_filter = ["level", "kind"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]
    list_select_related = ["parent"]
    show_full_result_count = False


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 1
    raw_id_fields = ["region"]


admin.site.unregister(User)


@admin.register(User)
class UcjUserAdmin(UserAdmin):
    inlines = [AssignmentInline]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "target_type", "target_id", "region"]
    list_filter = ["action", "target_type"]
    search_fields = ["target_id", "actor__username", "reason"]
    date_hierarchy = "at"


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ["hostname", "last_seen"]


@admin.register(WorkforceEstimate)
class WorkforceEstimateAdmin(admin.ModelAdmin):
    list_display = ["region", "year", "workers", "source", "as_of"]
    list_filter = ["year"]
    search_fields = ["region__code", "region__name", "source"]
    raw_id_fields = ["region"]
    list_select_related = ["region"]


@admin.register(CoverageTarget)
class CoverageTargetAdmin(admin.ModelAdmin):
    list_display = ["region", "year", "percent", "source"]
    list_filter = ["year"]
    search_fields = ["region__code", "region__name"]
    raw_id_fields = ["region"]
    list_select_related = ["region"]


@admin.register(MembershipCount)
class MembershipCountAdmin(admin.ModelAdmin):
    list_display = ["region", "as_of", "total", "pu", "bpu", "jakon", "pmi", "source"]
    date_hierarchy = "as_of"
    search_fields = ["region__code", "region__name", "source"]
    raw_id_fields = ["region"]
    list_select_related = ["region"]
