from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from ucj.audit import action_label
from ucj.coverage import facts
from ucj.coverage.importers import MEMBERSHIP, OCCUPATIONS, TARGETS, WORKFORCE
from ucj.models import (
    Assignment,
    AuditEvent,
    CoverageTarget,
    Holiday,
    HolidayYear,
    MembershipCount,
    OccupationFigure,
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
    list_display = ["at", "actor", "action", "what", "target_type", "target_id", "region"]
    list_filter = ["action", "target_type"]
    search_fields = ["target_id", "actor__username", "reason"]
    date_hierarchy = "at"

    @admin.display(description=_("what happened"))
    def what(self, event: AuditEvent) -> str:
        return action_label(event.action)


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    list_display = ["hostname", "last_seen"]


class FactAdminForm(forms.ModelForm):
    """The rules of `ucj.coverage.facts` on the admin's form, so that a figure the service would
    refuse comes back as a form error rather than a failed save."""

    fact_kind = ""

    def clean(self):
        data = super().clean()
        kind = facts.KINDS[self.fact_kind]
        values = {name: data.get(name) for name in (*kind.keys, *kind.fields) if data.get(name) is not None}
        if "source" in kind.fields:
            values["source"] = data.get("source") or ""
        for name, message in facts.fact_errors(kind, values):
            self.add_error(name if name in self.fields else None, message)
        return data


class FactAdmin(admin.ModelAdmin):
    """Coverage figures: saved and deleted through `ucj.coverage.facts`, so that every change is
    audited and marks the region's coverage stale. The region and the year (or date) are the
    figure's identity: to move a figure, delete it and add it where it belongs."""

    fact_kind = ""
    raw_id_fields = ["region"]
    list_select_related = ["region"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = type("Form", (FactAdminForm,), {"fact_kind": self.fact_kind})
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return ["region", *facts.KINDS[self.fact_kind].keys] if obj is not None else []

    def save_model(self, request, obj, form, change):
        kind = facts.KINDS[self.fact_kind]
        saved = getattr(facts, f"{kind.action}_save")(
            actor=request.user,
            region_code=obj.region_id,
            **{name: getattr(obj, name) for name in (*kind.keys, *kind.fields)},
        )
        obj.pk, obj.created_at, obj.updated_at = saved.pk, saved.created_at, saved.updated_at

    def delete_model(self, request, obj):
        facts.fact_delete(actor=request.user, obj=obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                facts.fact_delete(actor=request.user, obj=obj)


@admin.register(WorkforceEstimate)
class WorkforceEstimateAdmin(FactAdmin):
    fact_kind = WORKFORCE
    list_display = ["region", "year", "workers", "source", "as_of"]
    list_filter = ["year"]
    search_fields = ["region__code", "region__name", "source"]


@admin.register(CoverageTarget)
class CoverageTargetAdmin(FactAdmin):
    fact_kind = TARGETS
    list_display = ["region", "year", "percent", "source", "as_of"]
    list_filter = ["year"]
    search_fields = ["region__code", "region__name", "source"]


@admin.register(MembershipCount)
class MembershipCountAdmin(FactAdmin):
    fact_kind = MEMBERSHIP
    list_display = ["region", "as_of", "total", "pu", "bpu", "jakon", "pmi", "source"]
    date_hierarchy = "as_of"
    search_fields = ["region__code", "region__name", "source"]


class RegionalHolidayFilter(admin.SimpleListFilter):
    title = _("where")
    parameter_name = "where"

    def lookups(self, request, model_admin):
        return [("national", _("national")), ("regional", _("a province or regency"))]

    def queryset(self, request, queryset):
        if self.value() == "national":
            return queryset.filter(region__isnull=True)
        if self.value() == "regional":
            return queryset.filter(region__isnull=False)
        return queryset


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    """Deadlines in working days skip observed holidays; untick `observed` for one that a decree
    moved, rather than deleting it (a reload would bring it back). A province's or regency's own
    holiday (a governor's or regent's decree) is added here with its region: it counts for the
    employers there only."""

    list_display = ["date", "name", "kind", "region", "observed", "source"]
    list_filter = ["kind", RegionalHolidayFilter, "observed"]
    list_editable = ["observed"]
    list_select_related = ["region"]
    date_hierarchy = "date"
    search_fields = ["name", "region__code", "region__name"]
    autocomplete_fields = ["region"]


@admin.register(HolidayYear)
class HolidayYearAdmin(ReadOnlyAdmin):
    """Years whose holidays are loaded (`load_holidays`, beat every December): written by the
    loader only."""

    list_display = ["year", "source", "created_at"]


@admin.register(OccupationFigure)
class OccupationFigureAdmin(FactAdmin):
    fact_kind = OCCUPATIONS
    list_display = ["region", "as_of", "occupation", "workers", "covered", "source"]
    list_filter = ["occupation"]
    date_hierarchy = "as_of"
    search_fields = ["region__code", "region__name", "source"]
