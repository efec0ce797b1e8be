"""Members of the current organization: invite, change roles, remove (MANAGE_MEMBERS)."""
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts.models import Membership, Role
from apps.accounts.permissions import MANAGE_MEMBERS, MANAGE_ORGANIZATION, role_can
from apps.accounts.selectors import invitation_list, membership_list
from apps.accounts.services import invitation_create, membership_remove, membership_set_role
from apps.core.errors import ApplicationError
from apps.dashboard.decorators import organization_required
from apps.dashboard.forms import InvitationForm, RoleForm

OWNER_ONLY = "Only an owner can grant, change or remove the owner role."


def _can_touch_owner_role(request) -> bool:
    """Admins manage members and admins; the owner role stays with owners (permission table)."""
    return role_can(request.membership.role, MANAGE_ORGANIZATION)


def _membership_or_404(request, pk: int) -> Membership:
    membership = membership_list(organization=request.organization).filter(pk=pk).first()
    if membership is None:
        raise Http404
    return membership


@organization_required(MANAGE_MEMBERS)
@require_http_methods(["GET", "POST"])
def members(request):
    form = InvitationForm(request.POST or None, allow_owner=_can_touch_owner_role(request))
    if request.method == "POST" and form.is_valid():
        invitation_create(
            organization=request.organization,
            email=form.cleaned_data["email"],
            role=form.cleaned_data["role"],
            invited_by=request.user,
            accept_url_base=request.build_absolute_uri(reverse("dashboard:invitation_accept", args=["x"]))[:-2],
        )
        messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
        return redirect("dashboard:members")
    return render(request, "dashboard/members.html", {
        "form": form,
        "memberships": membership_list(organization=request.organization),
        "invitations": [i for i in invitation_list(organization=request.organization) if i.is_pending],
        "roles": Role.choices,
        "can_touch_owner_role": _can_touch_owner_role(request),
    })


@organization_required(MANAGE_MEMBERS)
@require_POST
def member_role(request, pk: int):
    membership = _membership_or_404(request, pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a valid role.")
    elif Role.OWNER in (membership.role, form.cleaned_data["role"]) and not _can_touch_owner_role(request):
        messages.error(request, OWNER_ONLY)
    else:
        try:
            membership_set_role(membership=membership, role=form.cleaned_data["role"])
            messages.success(request, f"{membership.user.email} is now {membership.get_role_display().lower()}.")
        except ApplicationError as error:
            messages.error(request, error.message)
    return redirect("dashboard:members")


@organization_required(MANAGE_MEMBERS)
@require_POST
def member_remove(request, pk: int):
    membership = _membership_or_404(request, pk)
    if membership.role == Role.OWNER and not _can_touch_owner_role(request):
        messages.error(request, OWNER_ONLY)
        return redirect("dashboard:members")
    try:
        membership_remove(membership=membership)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("dashboard:members")
    messages.success(request, f"{membership.user.email} was removed from {request.organization.name}.")
    if membership.user_id == request.user.pk:
        return redirect("dashboard:home")
    return redirect("dashboard:members")
