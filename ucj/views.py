"""Pages of the core: the region browser (the home page reads every app: it is ucj/todo). Every
page needs a login (the LoginRequiredMiddleware denies by default) and reads regions through
`ucj.scope`."""

import sys

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from ucj import scope, selectors
from ucj.coverage import selectors as coverage_selectors
from ucj.forms import RegionSearchForm
from ucj.models import Region


def region_index(request):
    code = scope.widest_region_code(request.user)
    if code:
        return redirect("region-detail", code=code)
    return render(
        request,
        "ucj/region_index.html",
        {"regions": selectors.user_root_regions(user=request.user)},
    )


def region_detail(request, code):
    region = scope.get_region_or_404(request.user, code)
    children = list(selectors.visible_children(parent=region, user=request.user))
    villages = selectors.village_counts_below(parent=region, user=request.user)
    coverage = {child.code: snapshot for child, snapshot in coverage_selectors.coverage_children(region=region)}
    for child in children:
        by_kind = villages.get(child.code, {})
        child.desa_count = by_kind.get("desa", 0) + by_kind.get("desa_adat", 0)
        child.kelurahan_count = by_kind.get("kelurahan", 0)
        child.coverage = coverage.get(child.code)
        child.band_label = coverage_selectors.coverage_band_label(child.coverage.band if child.coverage else None)
    search = RegionSearchForm(request.GET or None)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    matches = None
    if query:
        matches = (
            scope.regions_for(request.user)
            .filter(name__icontains=query)
            .filter(scope.subtree_q([region.code], "code"))
            .select_related("parent")
            .order_by("level", "code")[:50]
        )
    return render(
        request,
        "ucj/region_detail.html",
        {
            "region": region,
            "breadcrumbs": selectors.breadcrumbs(region=region, user=request.user),
            "coverage": coverage_selectors.coverage_card(region=region),
            "children": children,
            "child_level": Region.Level(region.level + 1).label if region.level < Region.Level.VILLAGE else "",
            "show_villages": region.level < Region.Level.DISTRICT,
            "totals": {
                "children": len(children),
                "desa": sum(c.desa_count for c in children),
                "kelurahan": sum(c.kelurahan_count for c in children),
            },
            "search": search,
            "query": query,
            "matches": matches,
        },
    )


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


@login_not_required
def not_found(request, exception=None):
    """404 for anything unknown: JSON with a `detail` under /api/ (the API's error shape), a page
    elsewhere. Also what an outsider gets for another region's data."""
    if _wants_json(request):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return render(request, "404.html", status=404)


# Seconds a client is asked to wait when the database cannot be reached (a restart takes a few).
RETRY_AFTER_SECONDS = 10
# SQLSTATE classes and codes of a database that is down or cannot write for now: connection
# exceptions (08), shutdown and crash (57P01-57P03), a read-only standby after a failover (25006).
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "25006")


def _database_unavailable(exc) -> bool:
    """A failure of the database's availability, not of the request: a lost or refused
    connection (InterfaceError, or an OperationalError without a server answer) or one of
    _UNAVAILABLE_SQLSTATES. A deadlock, a statement or lock timeout is not one."""
    if not isinstance(exc, DatabaseError):
        return False
    if getattr(exc.__cause__, "sqlite_errorname", "").startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        # SQLite's "database is locked": a write that waited its whole timeout for another's
        # lock, like a lock timeout on PostgreSQL; the database is there.
        return False
    sqlstate = getattr(exc.__cause__, "sqlstate", None)
    if sqlstate:
        return sqlstate.startswith(_UNAVAILABLE_SQLSTATES)
    return isinstance(exc, OperationalError | InterfaceError)


@login_not_required
def server_error(request):
    """500, or 503 with Retry-After when the database cannot be reached (a restart, a failover):
    the request changed nothing, and trying again shortly is the right thing to do. Both pages
    render without the database (no request context)."""
    if _database_unavailable(sys.exc_info()[1]):
        if _wants_json(request):
            response = JsonResponse(
                {"detail": _("The database cannot be reached at the moment. Please try again in a minute.")},
                status=503,
            )
        else:
            response = HttpResponse(render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if _wants_json(request):
        return JsonResponse({"detail": _("Server error. The team has been notified; please try again.")}, status=500)
    # No request context: its processors read the database, which may be what failed.
    return HttpResponse(render_to_string("500.html"), status=500)
