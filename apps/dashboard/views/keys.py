from decimal import Decimal

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts.permissions import MANAGE_KEYS
from apps.accounts.selectors import api_key_get, api_key_list
from apps.accounts.services import api_key_create, api_key_revoke
from apps.core.money import usd_to_micros
from apps.dashboard.decorators import organization_required
from apps.dashboard.forms import ApiKeyForm


@organization_required(MANAGE_KEYS)
@require_http_methods(["GET", "POST"])
def keys(request):
    form = ApiKeyForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        cap: Decimal | None = form.cleaned_data["spend_cap_usd"]
        created = api_key_create(
            organization=request.organization,
            name=form.cleaned_data["name"],
            created_by=request.user,
            expires_at=form.cleaned_data["expires_at"],
            allowed_models=form.cleaned_data["allowed_models"],
            spend_cap_micros=usd_to_micros(cap) if cap is not None else None,
        )
        form = ApiKeyForm()
    return render(
        request,
        "dashboard/keys.html",
        {"form": form, "created": created, "keys": api_key_list(organization=request.organization), "base_url": request.build_absolute_uri("/").rstrip("/")},
    )


@organization_required(MANAGE_KEYS)
@require_POST
def key_revoke(request, pk: int):
    api_key = api_key_get(organization=request.organization, pk=pk)
    if api_key is None:
        raise Http404
    api_key_revoke(api_key=api_key)
    messages.success(request, f"Key “{api_key.name}” revoked.")
    return redirect("dashboard:keys")
