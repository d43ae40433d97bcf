"""Pages of coverage figures: the labour office and administrators upload BPS workforce estimates,
targets and BPJS membership counts, and see those of their regions.

Thin by design: the import is `facts.facts_import` (all rows or none), the list is
`facts.facts_visible_to` (scoped by `ucj.scope`), and a refused upload comes back on the page with
every row's problem."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ucj import scope, sheets
from ucj.coverage import facts
from ucj.coverage.forms import FactsFilterForm, FactsUploadForm
from ucj.errors import ApplicationError, ValidationFailed

FACTS_PER_PAGE = 50


def _require_writer(user) -> None:
    if not scope.roles_of(user) & set(facts.WRITER_ROLES):
        raise PermissionDenied(_("Only the labour office and administrators record coverage figures."))


@require_http_methods(["GET", "POST"])
def facts_page(request):
    user = request.user
    _require_writer(user)
    upload = FactsUploadForm(request.POST or None, request.FILES or None)
    errors: list[dict] = []
    if request.method == "POST" and upload.is_valid():
        data = upload.cleaned_data
        filename, content = upload.content()
        try:
            result = facts.facts_import(
                actor=user, kind=data["kind"], content=content, filename=filename, default_source=data["source"]
            )
        except ValidationFailed as exc:
            upload.add_error(None, exc.message)
            if isinstance(exc.details, list):
                errors = exc.details
            elif isinstance(exc.details, dict) and "source" in exc.details:
                upload.add_error("source", exc.details["source"])
        except ApplicationError as exc:
            upload.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("%(name)s: %(created)s new, %(updated)s changed, %(unchanged)s unchanged.")
                % {
                    "name": filename,
                    "created": number_format(result.created, force_grouping=True),
                    "updated": number_format(result.updated, force_grouping=True),
                    "unchanged": number_format(result.unchanged, force_grouping=True),
                },
            )
            return redirect(reverse("coverage-facts") + "?" + urlencode({"kind": result.kind}))

    filters = FactsFilterForm(request.GET, auto_id="filter_%s")  # ids apart from the upload form's
    # After a refused upload the list shows the kind of figures it held.
    kind = (upload.is_bound and upload.cleaned_data.get("kind")) or filters.kind_value
    if not upload.is_bound:
        upload.initial["kind"] = kind
    rows = facts.facts_visible_to(user, kind=kind, region_prefix=filters.region_value)
    page = Paginator(rows, FACTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "coverage/facts.html",
        {
            "upload": upload,
            "filters": filters,
            "kind": kind,
            "kind_label": facts.KINDS[kind].label,
            "page": page,
            **sheets.errors_for_page(errors),
        },
    )
