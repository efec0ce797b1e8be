from apps.accounts.permissions import PERMISSIONS
from apps.accounts.selectors import organization_list_for_user


def current_organization(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    membership = getattr(request, "membership", None)
    membership = membership if membership else None
    return {
        "current_membership": membership,
        "current_organization": membership.organization if membership else None,
        "current_permissions": PERMISSIONS.get(membership.role, frozenset()) if membership else frozenset(),
        "user_organizations": organization_list_for_user(user=user),
    }
