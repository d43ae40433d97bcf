"""Progress pages for supervisors and labour-office heads: where a region stands against its
target and what moves it, from the country down to the village (DESIGN §4: `/progress/` and
`/progress/{code}/`), with exports of what the page shows and a print view for a meeting.

Views stay thin: every figure comes from `ucj.progress.selectors` as it computed it; the views only
choose which selector to call, and the templates only format. Regions are fetched through
`ucj.scope`, so an outsider gets a 404 on the page and on its exports alike.
"""

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from ucj import scope
from ucj import selectors as core_selectors
from ucj.boundaries import selectors as boundary_selectors
from ucj.forms import RegionSearchForm
from ucj.models import Region, Role
from ucj.progress import exports, maps, selectors

DEFAULT_SORT = "percent"
DIRECTIONS = {"desc": True, "asc": False}
# The direction a first click on a column sorts by: names from A, every figure from the largest.
FIRST_DIRECTION = {"name": "asc"}

# Column headers of the children table, one per sort key of the selector.
SORT_LABELS = {
    "name": gettext_lazy("Region"),
    "percent": gettext_lazy("UCJ %"),
    "gap_points": gettext_lazy("Gap (points)"),
    "gap_people": gettext_lazy("Gap (people)"),
    "change_points": gettext_lazy("Change (points)"),
    "events_month": gettext_lazy("Events this month"),
    "villages_visited": gettext_lazy("Villages visited (90 days)"),
    "pipeline_people": gettext_lazy("Approved, not yet active"),
}
# Columns a 360-px phone leaves out (the table still scrolls sideways for the rest).
SECONDARY_COLUMNS = {"change_points", "events_month", "villages_visited", "pipeline_people"}

MATCHES_SHOWN = 50
PRINT_TREND_ROWS = 36
COMPLIANCE_ROLES = {Role.LABOUR_OFFICE, Role.SUPERVISOR, Role.ADMIN}

EXPORT_KINDS = ("children", "headline")
EXPORT_FORMATS = ("xlsx", "csv")


# --- Pages ----------------------------------------------------------------------------------------


@require_GET
def progress_index(request):
    """The user's widest region; a user holding several subtrees chooses among them. Both offer a
    search of regions by name within what the user may see."""
    user = request.user
    search, query, matches = _search(request, scope.regions_for(user))
    code = scope.widest_region_code(user)
    if code and not query:
        return redirect("progress-region", code=code)
    return render(
        request,
        "progress/index.html",
        {
            "regions": core_selectors.user_root_regions(user=user),
            "search": search,
            "query": query,
            "matches": matches,
        },
    )


@require_GET
def progress_region(request, code):
    user = request.user
    region = scope.get_region_or_404(user, code)
    # One day for every section, so that a page rendered at midnight does not mix two.
    day = timezone.localdate()
    sort = request.GET.get("sort") or DEFAULT_SORT
    direction = request.GET.get("dir") or _first_direction(sort)
    if sort not in selectors.SORT_KEYS or direction not in DIRECTIONS:
        return _bad_sort(request, region, sort, direction)
    try:
        children = selectors.progress_children(region=region, day=day, sort=sort, descending=DIRECTIONS[direction])
    except ValueError:
        # The selector is the judge of its keys; a key the page offers but it refuses is still 400.
        return _bad_sort(request, region, sort, direction)
    printing = request.GET.get("print") == "1"
    headline = selectors.progress_headline(region=region, day=day)
    trend = selectors.progress_trend(region=region, day=day)
    context = {
        "region": region,
        "breadcrumbs": core_selectors.breadcrumbs(region=region, user=user),
        "headline": headline,
        "trend": trend,
        "chart": _chart_data(trend),
        "children": children,
        "columns": _columns(region, sort, direction),
        "sort": sort,
        "direction": direction,
        "child_level": Region.Level(region.level + 1).label if region.level < Region.Level.VILLAGE else "",
        "drivers": selectors.progress_drivers(region=region, day=day, children=children),
        "links": _links(user, region),
        "exports": _export_links(region, sort=sort, direction=direction),
        "print_href": _href("progress-region", region, print="1", sort=sort, dir=direction),
        "page_href": _href("progress-region", region, sort=sort, dir=direction),
        "printed_at": timezone.localtime(),
        "printing": printing,
        # A long daily series prints as the chart alone; a short one also as its table.
        "print_trend_table": len(trend) <= PRINT_TREND_ROWS,
    }
    if printing:
        return render(request, "progress/print.html", context)
    context["map"] = _map_context(region, children)
    search, query, matches = _search(request, scope.regions_for(user).filter(scope.subtree_q([region.code], "code")))
    context.update({"search": search, "query": query, "matches": matches})
    return render(request, "progress/region.html", context)


@require_GET
def progress_export_file(request, code):
    """The children table or the headline as XLSX or CSV, from the same selector rows the page
    shows (`progress_export`), so the file and the page cannot disagree."""
    region = scope.get_region_or_404(request.user, code)
    what, fmt = request.GET.get("what", "children"), request.GET.get("as", "xlsx")
    if what not in EXPORT_KINDS or fmt not in EXPORT_FORMATS:
        message = _("Choose what to export (%(kinds)s) and a format (%(formats)s).") % {
            "kinds": ", ".join(EXPORT_KINDS),
            "formats": ", ".join(EXPORT_FORMATS),
        }
        return render(request, "progress/bad_request.html", {"region": region, "message": message}, status=400)
    # The children in the order the page showed them.
    sort = request.GET.get("sort") or DEFAULT_SORT
    direction = request.GET.get("dir") or _first_direction(sort)
    if sort not in selectors.SORT_KEYS or direction not in DIRECTIONS:
        return _bad_sort(request, region, sort, direction)
    today = timezone.localdate()
    data = selectors.progress_export(region=region, day=today, sort=sort, descending=DIRECTIONS[direction])
    sheet = exports.sheet_of(data, what)
    title = _("Children") if what == "children" else _("Headline")
    if fmt == "xlsx":
        content, content_type = exports.to_xlsx(sheet, title=title), exports.XLSX_TYPE
    else:
        content, content_type = exports.to_csv(sheet), exports.CSV_TYPE
    response = HttpResponse(content, content_type=content_type)
    filename = exports.filename(region=region, what=what, day=today, fmt=fmt)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- Helpers --------------------------------------------------------------------------------------


def _search(request, regions):
    """The search form, the query when valid, and the matching regions (None without a query)."""
    search = RegionSearchForm(request.GET if "q" in request.GET else None)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    matches = None
    if query:
        matches = (
            regions.filter(name__icontains=query).select_related("parent").order_by("level", "code")[:MATCHES_SHOWN]
        )
    return search, query, matches


def _first_direction(sort: str) -> str:
    return FIRST_DIRECTION.get(sort, "desc")


def _bad_sort(request, region, sort, direction):
    message = _("The table cannot be sorted by “%(sort)s” (%(direction)s). Choose a column header instead.") % {
        "sort": sort,
        "direction": direction,
    }
    return render(request, "progress/bad_request.html", {"region": region, "message": message}, status=400)


def _href(name: str, region: Region, **params) -> str:
    url = reverse(name, args=[region.code])
    return f"{url}?{urlencode(params)}" if params else url


def _columns(region: Region, sort: str, direction: str) -> list[dict]:
    """The sortable headers: each links to the page sorted by it, the current one to the other
    direction."""
    columns = []
    for key in selectors.SORT_KEYS:
        current = key == sort
        next_direction = ("asc" if direction == "desc" else "desc") if current else _first_direction(key)
        columns.append(
            {
                "key": key,
                "label": SORT_LABELS.get(key, key),
                "href": _href("progress-region", region, sort=key, dir=next_direction) + "#children",
                "current": current,
                "aria_sort": ("descending" if direction == "desc" else "ascending") if current else "",
                "secondary": key in SECONDARY_COLUMNS,
            }
        )
    return columns


def _chart_data(trend) -> dict:
    """The trend as the chart script reads it (json_script): dates written as the page writes
    them, percentages as numbers, and the legend in the page's language."""
    return {
        "labels": [formats.date_format(point.date, "j M Y") for point in trend],
        "percent": [None if point.percent is None else float(point.percent) for point in trend],
        "target": [None if point.target_percent is None else float(point.target_percent) for point in trend],
        "legend": {"percent": _("UCJ %"), "target": _("Target %")},
    }


def _links(user, region: Region) -> dict:
    """Where each "what moves it" figure is worked on, for the pages the user's role opens, filtered
    to the region where that page takes a region."""
    month = timezone.localdate().strftime("%Y-%m")
    events = {"month": month}
    if region.level >= Region.Level.DISTRICT:
        events["region"] = region.code
    batches = {} if region.is_root else {"area": region.code}
    employers = {"district": region.code} if region.level == Region.Level.DISTRICT else {}
    return {
        "events": _with_query(reverse("outreach:event-list"), events),
        "visits": reverse("outreach:visits-region", args=[region.code]),
        "batches": _with_query(reverse("enrollment:batch-list"), batches),
        "approved": _with_query(reverse("enrollment:batch-list"), {**batches, "state": "approved"}),
        "allocations": reverse("enrollment:allocation-list"),
        "employers": _with_query(reverse("enrollment:employer-list"), employers),
        "compliance": reverse("enrollment:compliance-list") if scope.roles_of(user) & COMPLIANCE_ROLES else "",
    }


# The --level of `import_boundaries` for the shapes of each level's children.
IMPORT_LEVELS = {
    Region.Level.PROVINCE: "province",
    Region.Level.REGENCY: "regency",
    Region.Level.DISTRICT: "district",
    Region.Level.VILLAGE: "village",
}


def _map_context(region: Region, children) -> dict | None:
    """What the map section needs besides the map read it fetches itself: whether any child has
    a shape, how many have none, the credits and the legend. None for a village (no children)."""
    if not children:
        return None
    credits = boundary_selectors.shape_credits(region=region)
    shaped = sum(credit["children"] for credit in credits)
    return {
        "url": reverse("api:coverage-map", args=[region.code]),
        "shaped": shaped,
        # Without any child's shape the region's own outline is still drawn, beside what to import.
        "draw": bool(shaped) or any(credit["own"] for credit in credits),
        "unshaped": len(children) - shaped,
        "credits": [credit for credit in credits if credit["children"] or credit["own"]],
        "legend": maps.band_legend(),
        "import_level": IMPORT_LEVELS[Region.Level(region.level + 1)],
        "labels": {
            "percent": _("UCJ %"),
            "target": _("Target %"),
            "gap": _("Gap (points)"),
            "no_figure": _("no figure yet"),
            "open": _("Open the progress of %(name)s"),
            "hint": _("Point at or tap a region for its figures; click it or tap it again to open it."),
            "missing": _("Without a shape: %(names)s."),
            "failed": _("The map could not be loaded. The table below has the same figures."),
        },
    }


def _with_query(url: str, params: dict) -> str:
    return f"{url}?{urlencode(params)}" if params else url


def _export_links(region: Region, *, sort: str, direction: str) -> list[dict]:
    labels = {
        ("children", "xlsx"): _("Sub-regions (XLSX)"),
        ("children", "csv"): _("Sub-regions (CSV)"),
        ("headline", "xlsx"): _("Headline (XLSX)"),
        ("headline", "csv"): _("Headline (CSV)"),
    }
    return [
        {"label": label, "href": _href("progress-export", region, what=what, sort=sort, dir=direction, **{"as": fmt})}
        for (what, fmt), label in labels.items()
    ]
