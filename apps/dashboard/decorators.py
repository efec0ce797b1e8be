from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from apps.accounts.permissions import role_can


def organization_required(permission: str | None = None):
    """Dashboard views run inside the current organization; ``permission`` (from
    apps.accounts.permissions) is checked against the user's role there."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            membership = request.membership
            if not membership:
                return redirect("dashboard:organization_create")
            if permission and not role_can(membership.role, permission):
                return render(request, "dashboard/forbidden.html", {"permission": permission}, status=403)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
