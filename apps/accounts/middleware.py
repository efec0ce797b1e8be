import weakref

from django.utils.functional import SimpleLazyObject

from apps.core.middleware import HybridMiddleware
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


class CurrentOrganizationMiddleware(HybridMiddleware):
    """Dashboard requests carry ``request.membership`` (and ``request.organization``): the
    organization the signed-in user picked, verified against their memberships every time.
    Lazy, so an API request never pays for it (and async views get no thread for it)."""

    def _attach(self, request) -> None:
        request = weakref.proxy(request)  # the lazy values must not refer back to it: a reference cycle
        request.membership = SimpleLazyObject(lambda: _current_membership(request))
        request.organization = SimpleLazyObject(lambda: request.membership.organization if request.membership else None)

    def call(self, request):
        self._attach(request)
        return self.get_response(request)

    async def acall(self, request):
        self._attach(request)
        return await self.get_response(request)
