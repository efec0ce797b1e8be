from django.utils.functional import SimpleLazyObject

from apps.accounts.selectors import membership_get, organization_list_for_user

SESSION_KEY = "current_organization_id"


def _current_membership(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    org_id = request.session.get(SESSION_KEY)
    membership = membership_get(user=user, organization_id=org_id) if org_id else None
    if membership is None:
        first = organization_list_for_user(user=user).first()
        if first is None:
            return None
        membership = membership_get(user=user, organization_id=first.pk)
        request.session[SESSION_KEY] = first.pk
    return membership


class CurrentOrganizationMiddleware:
    """Dashboard requests carry ``request.membership`` (and ``request.organization``): the
    organization the signed-in user picked, verified against their memberships every time."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = SimpleLazyObject(lambda: _current_membership(request))
        request.organization = SimpleLazyObject(lambda: request.membership.organization if request.membership else None)
        return self.get_response(request)
