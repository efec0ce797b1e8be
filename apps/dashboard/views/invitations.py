"""Accepting an invitation: /invitations/<token>. Anonymous visitors log in or sign up first
and come back here through ``next``."""
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.accounts.middleware import SESSION_KEY
from apps.accounts.selectors import invitation_get_by_token
from apps.accounts.services import invitation_accept
from apps.core.errors import ApplicationError


@require_http_methods(["GET", "POST"])
def invitation_accept_view(request, token: str):
    invitation = invitation_get_by_token(token=token)
    context = {"invitation": invitation if invitation and invitation.is_pending else None}
    if not request.user.is_authenticated:
        return render(request, "dashboard/invitation_anonymous.html", {**context, "next": request.path})
    if request.method == "POST":
        try:
            membership = invitation_accept(token=token, user=request.user)
        except ApplicationError as error:
            return render(request, "dashboard/invitation.html", {**context, "error": error.message}, status=error.status)
        request.session[SESSION_KEY] = membership.organization_id
        messages.success(request, f"You joined {membership.organization.name}.")
        return redirect("dashboard:home")
    return render(request, "dashboard/invitation.html", context)
