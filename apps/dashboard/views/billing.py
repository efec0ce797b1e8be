"""Billing of the current organization (MANAGE_BILLING): balance, Stripe Checkout top-ups,
auto-recharge settings, payments with receipts and every ledger entry."""
from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from apps.accounts.permissions import MANAGE_BILLING
from apps.billing.models import EntryKind
from apps.billing.selectors import balance_get, billing_profile_get, ledger_entry_list, payment_list, stripe_is_configured
from apps.billing.services import auto_recharge_settings_update, checkout_session_create
from apps.core.errors import ApplicationError
from apps.core.money import micros_to_usd, usd_to_micros
from apps.dashboard.decorators import organization_required
from apps.dashboard.forms import AutoRechargeForm, TopUpForm
from apps.dashboard.pagination import page_of

NOT_CONFIGURED = "Top-up is not configured; staff grant credits in the admin."


@organization_required(MANAGE_BILLING)
@require_GET
def billing(request):
    return _billing_page(request)


def _billing_page(request, *, topup_form=None, auto_form=None, status=200):
    organization = request.organization
    profile = billing_profile_get(organization=organization)
    if auto_form is None:
        auto_form = AutoRechargeForm(initial={
            "enabled": profile.auto_recharge_enabled,
            "threshold_usd": micros_to_usd(profile.auto_recharge_threshold_micros),
            "amount_usd": micros_to_usd(profile.auto_recharge_amount_micros),
        } if profile else None)
    kind = request.GET.get("kind") or None
    entries = ledger_entry_list(organization=organization, kind=kind)
    if request.GET.get("topup") == "success":
        messages.info(request, "Thanks! Your credit appears here as soon as Stripe confirms the payment.")
    return render(request, "dashboard/billing.html", {
        "balance": balance_get(organization=organization),
        "stripe_configured": stripe_is_configured(),
        "not_configured_message": NOT_CONFIGURED,
        "topup_form": topup_form or TopUpForm(),
        "auto_form": auto_form,
        "profile": profile,
        "payments": payment_list(organization=organization, include_unpaid=True)[:50],
        "entries": page_of(entries, request=request, page_size=50),
        "kind": kind,
        "kinds": EntryKind.choices,
    }, status=status)


@organization_required(MANAGE_BILLING)
@require_POST
def topup(request):
    if not stripe_is_configured():
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
    form = AutoRechargeForm(request.POST)
    if not form.is_valid():
        return _billing_page(request, auto_form=form, status=400)
    try:
        auto_recharge_settings_update(
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
