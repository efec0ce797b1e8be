from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts.middleware import SESSION_KEY
from apps.accounts.selectors import membership_get
from apps.accounts.services import organization_create
from apps.dashboard.forms import OrganizationForm
from apps.dashboard.redirects import safe_next


@login_required
@require_http_methods(["GET", "POST"])
def organization_create_view(request):
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        organization = organization_create(name=form.cleaned_data["name"], owner=request.user)
        request.session[SESSION_KEY] = organization.pk
        messages.success(request, f"Organization “{organization.name}” created. Next: create an API key.")
        return redirect("dashboard:home")
    return render(request, "dashboard/organization_create.html", {"form": form})


@login_required
@require_POST
def organization_switch(request):
    try:
        org_id = int(request.POST.get("organization", ""))
    except ValueError:
        raise Http404 from None
    membership = membership_get(user=request.user, organization_id=org_id)
    if membership is None:
        raise Http404  # not a member: indistinguishable from a missing organization
    request.session[SESSION_KEY] = membership.organization_id
    return redirect(safe_next(request, "dashboard:home"))
