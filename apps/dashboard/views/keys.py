from datetime import datetime, timedelta, timezone as dt_timezone
from decimal import Decimal

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from apps.accounts.permissions import MANAGE_KEYS
from apps.accounts.selectors import api_key_get, api_key_list
from apps.accounts.services import api_key_create, api_key_revoke
from apps.core.money import usd_to_micros
from apps.dashboard.decorators import organization_required
from apps.dashboard.forms import ApiKeyForm
from apps.dashboard.site import base_url
from apps.usage.selectors import usage_summary


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
    key_rows = api_key_list(organization=request.organization)
    spend = _lifetime_spend_by_key(request.organization)
    for key in key_rows:
        key.spent_micros = spend.get(key.pk, 0)
    return render(
        request,
        "dashboard/keys.html",
        {"form": form, "created": created, "keys": key_rows, "base_url": base_url(request)},
    )


def _lifetime_spend_by_key(organization) -> dict[int, int]:
    """Spend caps are lifetime caps, so the list compares them with all-time usage per key."""
    summary = usage_summary(organization=organization, since=datetime(2000, 1, 1, tzinfo=dt_timezone.utc),
                            until=timezone.now() + timedelta(days=1), group_by="key")
    return {row["api_key_id"]: row["cost_micros"] for row in summary["rows"]}


@organization_required(MANAGE_KEYS)
@require_POST
def key_revoke(request, pk: int):
    api_key = api_key_get(organization=request.organization, pk=pk)
    if api_key is None:
        raise Http404
    api_key_revoke(api_key=api_key)
    messages.success(request, f"Key “{api_key.name}” revoked.")
    return redirect("dashboard:keys")
