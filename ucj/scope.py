"""The one place that decides what a user may see and do.

A user sees a region's data only when one of their assignments covers it (the assigned region or
anything below it). Everything else is denied: an anonymous or inactive user, or one without
assignments, sees nothing. Every page, API endpoint, export and task filters through here, and
fetches single objects with `get_visible_or_404` so that an outsider cannot tell whether an id
exists elsewhere.

A superuser is treated as an administrator of the whole country.
"""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from ucj.models import ROOT_CODE, Assignment, Region, Role, code_in_subtree

_CACHE_ATTR = "_ucj_assignments"


def assignments_of(user) -> list[tuple[str, str]]:
    """(role, region code) pairs of an active user, cached on the user object for the request."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        cached = list(Assignment.objects.filter(user=user).values_list("role", "region_id"))
        if user.is_superuser:
            cached.append((Role.ADMIN, ROOT_CODE))
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget(user) -> None:
    """Drop the cached assignments (after they change within one request or test)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def roles_of(user) -> set[str]:
    return {role for role, _code in assignments_of(user)}


def root_codes(user, roles: Iterable[str] | None = None) -> list[str]:
    """The user's assigned region codes (for the given roles), without codes already covered by
    another of them, sorted widest first."""
    wanted = set(roles) if roles is not None else None
    codes = sorted(
        {code for role, code in assignments_of(user) if wanted is None or role in wanted},
        key=lambda c: (0 if c == ROOT_CODE else c.count(".") + 1, c),
    )
    kept: list[str] = []
    for code in codes:
        if not any(code_in_subtree(code, k) for k in kept):
            kept.append(code)
    return kept


def subtree_q(codes: Iterable[str], field: str = "code") -> Q:
    """A filter for rows whose region code (in `field`) lies in any of the given subtrees.
    No codes: a filter that matches nothing (deny by default)."""
    nothing = Q(pk__in=[])
    q = nothing
    for code in codes:
        if code == ROOT_CODE:
            # Everything, written so that it still means everything when OR-ed with another Q
            # (an empty Q() would vanish from the disjunction).
            return ~nothing
        q |= Q(**{field: code}) | Q(**{f"{field}__startswith": code + "."})
    return q


def region_q(user, field: str = "code", roles: Iterable[str] | None = None) -> Q:
    """Filter for any model by the region code it holds in `field` (for a ForeignKey to Region,
    pass `region__code`: the code is the primary key, so Django reads the column without a join)."""
    return subtree_q(root_codes(user, roles), field)


def visible(user, queryset: QuerySet, field: str = "region__code", roles: Iterable[str] | None = None) -> QuerySet:
    return queryset.filter(region_q(user, field, roles))


def regions_for(user) -> QuerySet[Region]:
    return Region.objects.filter(region_q(user, "code"))


def can_see_code(user, code: str) -> bool:
    return any(code_in_subtree(code, root) for root in root_codes(user))


def get_region_or_404(user, code: str) -> Region:
    if not can_see_code(user, code):
        raise Http404(_("No such region."))
    try:
        return Region.objects.select_related("parent").get(code=code)
    except Region.DoesNotExist as exc:
        raise Http404(_("No such region.")) from exc


def get_visible_or_404(user, queryset: QuerySet, field: str = "region__code", **lookup) -> Model:
    try:
        return visible(user, queryset, field).get(**lookup)
    except queryset.model.DoesNotExist as exc:
        raise Http404(_("Not found.")) from exc


def has_role(user, role: str, region_code: str) -> bool:
    return any(r == role and code_in_subtree(region_code, code) for r, code in assignments_of(user))


def require_role(user, *roles: str, region_code: str) -> None:
    """Raise PermissionDenied unless the user holds one of `roles` over the region. Callers have
    already fetched the object through the scope, so an outsider got a 404 before reaching here."""
    if not any(has_role(user, role, region_code) for role in roles):
        raise PermissionDenied(_("Your role does not allow this action in this region."))


def widest_region_code(user) -> str | None:
    """The region a user's pages open on when they hold exactly one subtree; None when they hold
    several (the pages then list them) or none."""
    roots = root_codes(user)
    return roots[0] if len(roots) == 1 else None


def visible_or_own(user, queryset: QuerySet, *, field: str, wide_field: str, owner_field: str, owner_roles) -> QuerySet:
    """Rows whose region (`field`) lies in the user's subtrees, plus rows the user created while
    holding one of `owner_roles` somewhere inside the row's wider region (`wide_field`). A field
    officer of two districts drafts a batch for the whole regency and must still see it; once the
    assignment inside that regency is gone, so is the access."""
    q = region_q(user, field)
    own_roots = root_codes(user, owner_roles)
    if own_roots:
        around = {code for root in own_roots for code in _ancestors_and_self(root)}
        q |= Q(**{owner_field: user, f"{wide_field}__in": sorted(around)})
    return queryset.filter(q)


def _ancestors_and_self(code: str) -> list[str]:
    if code == ROOT_CODE:
        return [ROOT_CODE]
    parts = code.split(".")
    return [ROOT_CODE] + [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def visible_with_ancestors(user, queryset: QuerySet, field: str = "region__code") -> QuerySet:
    """Rows of the user's regions and of every region above them: for data about a wider region
    that a user inside it works under (a regency's budget), never for personal data."""
    around = {code for root in root_codes(user) for code in _ancestors_and_self(root)}
    return queryset.filter(region_q(user, field) | Q(**{f"{field}__in": sorted(around)}))


def may_see_personal_data(user, region_code: str) -> bool:
    """Full NIKs and phone numbers: the labour office that verifies lists and sends them to BPJS,
    and administrators. Everyone else sees them masked."""
    return has_role(user, Role.LABOUR_OFFICE, region_code) or has_role(user, Role.ADMIN, region_code)


PERSONAL_DATA_ROLES = (Role.LABOUR_OFFICE, Role.ADMIN)


def personal_data_q(user, field: str = "village__code") -> Q:
    """Rows of the regions where the user sees NIKs in full (may_see_personal_data), by the region
    code in `field`: what a search that could probe the hidden digits is confined to."""
    return region_q(user, field, PERSONAL_DATA_ROLES)


def sees_masked_personal_data(user) -> bool:
    """Whether some of the user's regions show them NIKs masked: their look-ups by NIK are counted
    and throttled (a look-up that finds a person confirms the digits the mask hides)."""
    full = root_codes(user, PERSONAL_DATA_ROLES)
    return any(not any(code_in_subtree(code, root) for root in full) for code in root_codes(user))
