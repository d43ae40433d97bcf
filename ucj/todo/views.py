"""The home page is the user's to-do list; /todo/count/ gives the navigation badge its number."""

from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from ucj import scope, selectors
from ucj.models import Region, Role, WorkerHeartbeat
from ucj.todo.selectors import todo_count, todo_for


def home(request):
    user = request.user
    roles = scope.roles_of(user)
    context = {
        "roles": [Role(r) for r in Role.values if r in roles],
        "root_regions": selectors.user_root_regions(user=user),
        "todo": todo_for(user=user),
    }
    if Role.ADMIN in roles:
        counts = selectors.region_counts()
        context["region_counts"] = [(Region.Level(level).label, counts.get(level, 0)) for level in Region.Level.values]
        context["heartbeats"] = WorkerHeartbeat.objects.order_by("-last_seen")[:10]
    return render(request, "ucj/home.html", context)


@never_cache
def count(request):
    """The number on the navigation badge, for pages rendered when the cached count had expired
    (static/ucj/todo-badge.js asks for it after the page loads)."""
    return JsonResponse({"count": todo_count(user=request.user)})
