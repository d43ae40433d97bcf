"""Every write of enrollment. Views, the API and tasks call these functions; nothing else writes
these tables."""

from enrollment.services.batches import (
    ActivationResult,
    BatchTerms,
    allocation_committed,
    allocation_create,
    allocation_for,
    allocation_update,
    batch_activate,
    batch_approve,
    batch_cancel,
    batch_create,
    batch_members_remove,
    batch_refresh_totals,
    batch_reject,
    batch_return,
    batch_submit,
    batch_unacknowledged_warnings,
    batch_update,
    batch_verify,
    duty_barred,
    may_edit,
    premium_monthly,
)
from enrollment.services.imports import (
    EXPORT_STATES,
    INLINE_MAX_BYTES,
    ExportFile,
    batch_export,
    import_create,
    import_run,
    import_runs_inline,
)
from enrollment.services.premiums import income_levels, wage_premium_monthly

__all__ = [
    "EXPORT_STATES",
    "INLINE_MAX_BYTES",
    "ActivationResult",
    "BatchTerms",
    "ExportFile",
    "allocation_committed",
    "allocation_create",
    "allocation_for",
    "allocation_update",
    "batch_activate",
    "batch_approve",
    "batch_cancel",
    "batch_create",
    "batch_export",
    "batch_members_remove",
    "batch_refresh_totals",
    "batch_reject",
    "batch_return",
    "batch_submit",
    "batch_unacknowledged_warnings",
    "batch_update",
    "batch_verify",
    "duty_barred",
    "import_create",
    "import_run",
    "import_runs_inline",
    "income_levels",
    "may_edit",
    "premium_monthly",
    "wage_premium_monthly",
]

from enrollment.services.employer_imports import IMPORT_KINDS, EmployerImportReport, employers_import
from enrollment.services.employers import (
    case_close,
    case_open,
    case_step_record,
    employer_create,
    employer_reassess,
    employer_update,
    employers_reassess,
    name_key,
)
from enrollment.services.participants import (
    CORRECTABLE,
    PARTICIPANT_CORRECT,
    PARTICIPANT_MOVE,
    may_correct,
    participant_correct,
)

__all__ += [
    "IMPORT_KINDS",
    "EmployerImportReport",
    "case_close",
    "case_open",
    "case_step_record",
    "employer_create",
    "employer_reassess",
    "employer_update",
    "employers_import",
    "employers_reassess",
    "name_key",
]

__all__ += ["CORRECTABLE", "PARTICIPANT_CORRECT", "PARTICIPANT_MOVE", "may_correct", "participant_correct"]
