"""Administration of enrollment. Premium rates are reference data the administrator keeps; the
rest is written only through the services (transitions, imports) and shown here read-only, so
the admin can never bypass a lock, a budget check or the audit history."""

from django.contrib import admin

from enrollment.models import (
    CaseStep,
    ComplianceCase,
    Employer,
    EnrollmentBatch,
    FundingAllocation,
    ImportJob,
    Participant,
    PremiumRate,
)
from ucj.admin import ReadOnlyAdmin


@admin.register(PremiumRate)
class PremiumRateAdmin(admin.ModelAdmin):
    list_display = ["programme", "valid_from", "percent_of_income", "flat_amount", "legal_basis"]
    list_filter = ["programme"]

    def has_delete_permission(self, request, obj=None):
        # A rate that priced a batch stays on record; a new regulation is a new row.
        return False


@admin.register(Participant)
class ParticipantAdmin(ReadOnlyAdmin):
    list_display = ["nik", "name", "sex", "birth_date", "village", "occupation_group", "kpj"]
    list_filter = ["occupation_group", "sex"]
    search_fields = ["=nik", "name", "kpj"]
    list_select_related = ["village"]
    show_full_result_count = False


@admin.register(FundingAllocation)
class FundingAllocationAdmin(ReadOnlyAdmin):
    list_display = ["region", "year", "source", "amount", "note"]
    list_filter = ["year", "source"]
    list_select_related = ["region"]


@admin.register(EnrollmentBatch)
class EnrollmentBatchAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "state", "regency", "area", "funding_source", "year", "member_count", "total_cost"]
    list_filter = ["state", "kind", "funding_source", "year"]
    search_fields = ["=id", "decree_number", "title"]
    list_select_related = ["regency", "area"]
    # Members are listed (paginated) on the batch page, not inline: a batch can hold 100,000.


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = ["id", "batch", "kind", "state", "filename", "total_rows", "accepted", "rejected", "created_at"]
    list_filter = ["kind", "state"]
    exclude = ["content"]
    list_select_related = ["batch"]


@admin.register(Employer)
class EmployerAdmin(ReadOnlyAdmin):
    """Figures change through the employer pages and imports, which re-derive the findings."""

    list_display = ["name", "npp", "nib", "village", "sector", "size", "status", "gap_workers", "gap_wages"]
    list_filter = ["status", "pds_workers", "pds_wages", "pds_programme", "pwbd", "sector", "size"]
    search_fields = ["name", "=npp", "=nib"]
    list_select_related = ["village"]


class CaseStepInline(admin.TabularInline):
    model = CaseStep
    extra = 0
    can_delete = False
    fields = [
        "kind",
        "taken_on",
        "due_on",
        "document_number",
        "premiums_owed",
        "fine_months",
        "fine_amount",
        "recorded_by",
        "recorded_at",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(ComplianceCase)
class ComplianceCaseAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "employer",
        "finding",
        "state",
        "bpjs_step",
        "inspection_step",
        "due_on",
        "fine_amount",
        "closed_on",
        "outcome",
        "workers_added",
    ]
    list_filter = ["state", "finding", "bpjs_step", "inspection_step", "outcome"]
    search_fields = ["=id", "employer__name", "=employer__npp"]
    list_select_related = ["employer"]
    inlines = [CaseStepInline]
