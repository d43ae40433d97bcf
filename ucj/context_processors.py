from ucj import scope


def ucj(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"user_roles": scope.roles_of(user), "user_region_code": scope.widest_region_code(user)}
