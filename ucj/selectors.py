"""Named reads of the core."""

import time

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, QuerySet
from django.db.models.functions import Substr

from ucj import scope
from ucj.models import Region


def regions_with_child_counts(queryset: QuerySet[Region]) -> QuerySet[Region]:
    return queryset.annotate(children_count=Count("children"))


def _villages_by_child(parent: Region, villages: QuerySet[Region]) -> QuerySet[Region]:
    """The villages of `villages` below `parent`, each with its child's code (`child`): the
    child's code is a prefix of its villages' codes."""
    if not parent.is_root:
        villages = villages.filter(code__startswith=parent.code + ".")
    return villages.annotate(child=Substr("code", 1, 2 if parent.is_root else len(parent.code) + 3))


def village_counts_below(*, parent: Region, user) -> dict[str, dict[str, int]]:
    """For each child of `parent`, its villages by kind ({"desa": 178, "kelurahan": 11}), in one
    grouped query by code prefix. Villages are counted only where the user may see them."""
    if parent.level >= Region.Level.DISTRICT:
        return {}
    visible = Region.objects.filter(level=Region.Level.VILLAGE).filter(scope.region_q(user, "code"))
    rows = _villages_by_child(parent, visible).values("child", "kind").annotate(n=Count("code")).order_by()
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        counts.setdefault(row["child"], {})[row["kind"]] = row["n"]
    return counts


REGIONS_VERSION_KEY = "ucj:regions:version"
TREE_CACHE_SECONDS = 24 * 3600
LOCAL_CACHE_SECONDS = 300


def regions_version() -> int:
    """A number that changes whenever the region tree does (ucj.services.regions_load bumps it),
    for the cache keys of figures derived from the tree alone."""
    version = cache.get(REGIONS_VERSION_KEY)
    if version is None:
        cache.add(REGIONS_VERSION_KEY, time.time_ns(), None)
        version = cache.get(REGIONS_VERSION_KEY, 0)
    return version


def villages_per_child(*, region: Region) -> dict[str, int]:
    """{child code: villages below it} for the children of a regency or wider (a district's
    children are villages themselves), whatever the user may see. Kept in the cache until the
    tree changes: the country's count groups all 83,762 villages."""
    if region.level >= Region.Level.DISTRICT:
        return {}
    key = f"ucj:villages-per-child:{regions_version()}:{region.code}"
    found = cache.get(key)
    if found is None:
        villages = _villages_by_child(region, Region.objects.filter(level=Region.Level.VILLAGE))
        rows = villages.values("child").annotate(n=Count("code")).order_by()
        found = {row["child"]: row["n"] for row in rows}
        # A cache of this process alone (no CACHE_URL) never hears of a load_regions run in another
        # process: it keeps the counts minutes, not a day.
        local = "locmem" in settings.CACHES["default"]["BACKEND"].lower()
        cache.set(key, found, LOCAL_CACHE_SECONDS if local else TREE_CACHE_SECONDS)
    return found


def visible_children(*, parent: Region, user) -> QuerySet[Region]:
    return regions_with_child_counts(scope.regions_for(user).filter(parent=parent)).order_by("code")


def breadcrumbs(*, region: Region, user) -> list[tuple[Region, bool]]:
    """The region's ancestors from the root, each with whether the user may open it. Names of
    ancestors are public knowledge; their data is not."""
    codes = region.ancestor_codes()
    by_code = {r.code: r for r in Region.objects.filter(code__in=codes)}
    return [(by_code[c], scope.can_see_code(user, c)) for c in codes if c in by_code]


def user_root_regions(*, user) -> QuerySet[Region]:
    return regions_with_child_counts(Region.objects.filter(code__in=scope.root_codes(user))).order_by("code")


def region_counts() -> dict[int, int]:
    return dict(Region.objects.values_list("level").annotate(n=Count("code")).order_by())
