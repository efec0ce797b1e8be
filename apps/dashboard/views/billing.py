"""Billing of the current organization (MANAGE_BILLING): balance, Stripe Checkout top-ups,
auto-recharge settings, payments with receipts and every ledger entry."""
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.permissions import MANAGE_BILLING
from apps.core.errors import ApplicationError
from apps.core.money import micros_to_usd, usd_to_micros
from apps.dashboard.decorators import organization_required
from apps.dashboard.forms import AutoRechargeForm, TopUpForm
from apps.dashboard.integrations import optional
from apps.dashboard.pagination import page_of

NOT_CONFIGURED = "Top-up is not configured; staff grant credits in the admin."


def _billing_functions():
    names = ("balance_get", "ledger_entry_list", "payment_list", "stripe_is_configured", "billing_profile_get")
    found = {name: optional(f"apps.billing.selectors.{name}") for name in names}
    return found if all(found.values()) else None


@organization_required(MANAGE_BILLING)
@require_GET
def billing(request):
    return _billing_page(request)


def _billing_page(request, *, topup_form=None, auto_form=None, status=200):
    selectors = _billing_functions()
    if selectors is None:
        return render(request, "dashboard/unavailable.html", {"what": "Billing"})
    organization = request.organization
    profile = selectors["billing_profile_get"](organization=organization)
    if auto_form is None:
        auto_form = AutoRechargeForm(initial={
            "enabled": profile.auto_recharge_enabled,
            "threshold_usd": micros_to_usd(profile.auto_recharge_threshold_micros),
            "amount_usd": micros_to_usd(profile.auto_recharge_amount_micros),
        } if profile else None)
    kind = request.GET.get("kind") or None
    entries = selectors["ledger_entry_list"](organization=organization, kind=kind)
    if request.GET.get("topup") == "success":
        messages.info(request, "Thanks! Your credit appears here as soon as Stripe confirms the payment.")
    return render(request, "dashboard/billing.html", {
        "balance": selectors["balance_get"](organization=organization),
        "stripe_configured": selectors["stripe_is_configured"](),
        "not_configured_message": NOT_CONFIGURED,
        "topup_form": topup_form or TopUpForm(),
        "auto_form": auto_form,
        "profile": profile,
        "payments": selectors["payment_list"](organization=organization, include_unpaid=True)[:50],
        "entries": page_of(entries, request=request, page_size=50),
        "kind": kind,
        "kinds": _entry_kinds(),
    }, status=status)


def _entry_kinds():
    from apps.billing.models import EntryKind  # choices for the filter only

    return EntryKind.choices


@organization_required(MANAGE_BILLING)
@require_POST
def topup(request):
    checkout_session_create = optional("apps.billing.services.checkout_session_create")
    stripe_is_configured = optional("apps.billing.selectors.stripe_is_configured")
    if checkout_session_create is None or not stripe_is_configured():
        messages.error(request, NOT_CONFIGURED)
        return redirect("dashboard:billing")
    form = TopUpForm(request.POST)
    if not form.is_valid():
        return _billing_page(request, topup_form=form, status=400)
    back = request.build_absolute_uri(reverse("dashboard:billing"))
    try:
        url = checkout_session_create(
            organization=request.organization,
            amount_micros=usd_to_micros(form.cleaned_data["amount_usd"]),
            user=request.user,
            success_url=f"{back}?topup=success",
            cancel_url=f"{back}?topup=canceled",
        )
    except ApplicationError as error:
        form.add_error("amount_usd", error.message)
        return _billing_page(request, topup_form=form, status=400)
    return redirect(url)


@organization_required(MANAGE_BILLING)
@require_POST
def auto_recharge(request):
    update = optional("apps.billing.services.auto_recharge_settings_update")
    form = AutoRechargeForm(request.POST)
    if update is None or not form.is_valid():
        return _billing_page(request, auto_form=form, status=400)
    try:
        update(
            organization=request.organization,
            enabled=form.cleaned_data["enabled"],
            threshold_micros=usd_to_micros(form.cleaned_data["threshold_usd"]),
            amount_micros=usd_to_micros(form.cleaned_data["amount_usd"]),
        )
    except ApplicationError as error:
        form.add_error(None, error.message)
        return _billing_page(request, auto_form=form, status=400)
    messages.success(request, "Auto-recharge settings saved.")
    return redirect("dashboard:billing")
