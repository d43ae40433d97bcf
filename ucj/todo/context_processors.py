"""The navigation, grouped by what people do, with the current page marked and the badge of the
user's queue. It runs on every page, so it costs no query: roles come from the assignments the
request has already read (`ucj.scope`), the badge from the count the home page or /todo/count/
left in the cache (None: the page asks for it after loading, static/ucj/todo-badge.js)."""

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ucj import scope
from ucj.models import Role
from ucj.todo.selectors import cached_count

LO, ADMIN, SUPERVISOR, OFFICER = Role.LABOUR_OFFICE, Role.ADMIN, Role.SUPERVISOR, Role.FIELD_OFFICER
EVERYONE = None

# (group key, label, [(url name, label, roles that see it or EVERYONE, staff only)]).
GROUPS = [
    (
        "field",
        _("In the field"),
        [
            ("outreach:event-new", _("Log an event"), {OFFICER, LO, ADMIN}),
            ("outreach:event-list", _("Events"), EVERYONE),
            ("outreach:lead-list", _("Leads"), EVERYONE),
            ("outreach:visits", _("Village visits"), EVERYONE),
        ],
    ),
    (
        "enrollment",
        _("Enrollment"),
        [
            ("enrollment:batch-list", _("Batches"), EVERYONE),
            ("enrollment:allocation-list", _("Allocations"), EVERYONE),
            ("enrollment:participant-list", _("Participants"), EVERYONE),
        ],
    ),
    (
        "compliance",
        _("Compliance"),
        [
            ("enrollment:employer-list", _("Employers"), EVERYONE),
            ("enrollment:compliance-list", _("Compliance cases"), {LO, ADMIN, SUPERVISOR}),
        ],
    ),
    (
        "progress",
        _("Progress"),
        [
            ("progress-index", _("Progress against the target"), EVERYONE),
            ("region-index", _("Regions"), EVERYONE),
        ],
    ),
    (
        "data",
        _("Data"),
        [
            ("coverage-facts", _("Coverage figures"), {LO, ADMIN}),
            ("admin:index", _("Administration"), "staff"),
        ],
    ),
]
# Pages that belong to a group without being one of its links (a batch's page is enrollment's).
PREFIXES = {
    "field": ("/events/", "/leads/", "/outreach/"),
    "enrollment": ("/batches/", "/imports/", "/allocations/", "/participants/"),
    "compliance": ("/employers/", "/compliance/"),
    "progress": ("/progress/", "/regions/"),
    "data": ("/coverage/", "/admin/"),
}


@dataclass
class Link:
    label: str
    url: str
    active: bool = False


@dataclass
class Group:
    key: str
    label: str
    links: list[Link] = field(default_factory=list)
    active: bool = False


def _shown(who, roles: set[str], user) -> bool:
    if who is EVERYONE:
        return True
    if who == "staff":
        return user.is_staff
    return bool(who & roles)


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    roles = scope.roles_of(user)
    path = request.path
    groups = []
    for key, label, links in GROUPS:
        shown = [Link(str(text), reverse(name)) for name, text, who in links if _shown(who, roles, user)]
        if not shown:
            continue
        group = Group(key=key, label=str(label), links=shown, active=path.startswith(PREFIXES[key]))
        groups.append(group)
    # The current page: the link whose address is the longest start of the path.
    candidates = [link for group in groups for link in group.links if path.startswith(link.url)]
    if candidates:
        max(candidates, key=lambda link: len(link.url)).active = True
    return {"nav_groups": groups, "nav_home": path == reverse("home"), "todo_badge": cached_count(user)}
