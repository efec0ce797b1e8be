"""Staff console for money: everything read-only except the credit adjustment, which goes
through credit_grant (a ledger entry with the staff user) and needs billing.adjust_credit."""
from __future__ import annotations

import uuid

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from apps.accounts.models import Organization
from apps.billing.models import Balance, BillingProfile, EntryKind, Hold, LedgerEntry, Payment, StripeEvent
from apps.billing.selectors import balance_get
from apps.billing.services import credit_grant
from apps.core.errors import ApplicationError
from apps.core.money import micros_to_display, usd_to_micros

ADJUST_PERMISSION = "billing.adjust_credit"


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CreditAdjustmentForm(forms.Form):
    amount_usd = forms.CharField(label="Amount (USD)", help_text="Negative to remove credit, e.g. -2.50")
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    nonce = forms.CharField(widget=forms.HiddenInput)  # makes a double-submitted form write one entry

    def clean_amount_usd(self) -> int:
        try:
            micros = usd_to_micros(self.cleaned_data["amount_usd"].strip())
        except (ValueError, TypeError) as exc:
            raise forms.ValidationError(str(exc)) from None
        if micros == 0:
            raise forms.ValidationError("The amount must not be zero.")
        return micros


@admin.register(Balance)
class BalanceAdmin(ReadOnlyAdmin):
    list_display = ("organization", "balance", "held", "available", "adjust_link", "updated_at")
    search_fields = ("organization__name", "organization__public_id")
    list_select_related = ("organization",)

    @admin.display(description="balance", ordering="balance_micros")
    def balance(self, obj):
        return micros_to_display(obj.balance_micros)

    @admin.display(description="held")
    def held(self, obj):
        return micros_to_display(obj.held_micros)

    @admin.display(description="available")
    def available(self, obj):
        return micros_to_display(obj.available_micros)

    @admin.display(description="")
    def adjust_link(self, obj):
        url = reverse("admin:billing_credit_adjust", args=[obj.organization_id])
        return format_html('<a href="{}">Adjust credit</a>', url)

    def get_urls(self):
        view = self.admin_site.admin_view(self.adjust_view)
        return [path("<int:organization_id>/adjust/", view, name="billing_credit_adjust"), *super().get_urls()]

    def adjust_view(self, request, organization_id: int):
        if not request.user.has_perm(ADJUST_PERMISSION):
            raise PermissionDenied
        organization = get_object_or_404(Organization, pk=organization_id)
        form = CreditAdjustmentForm(request.POST or None, initial={"nonce": uuid.uuid4().hex})
        if request.method == "POST" and form.is_valid():
            try:
                credit_grant(
                    organization=organization, amount_micros=form.cleaned_data["amount_usd"], kind=EntryKind.ADJUSTMENT,
                    idempotency_key=f"admin_adjustment:{form.cleaned_data['nonce']}", reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
            except ApplicationError as exc:
                form.add_error("amount_usd", exc.message)
            else:
                messages.success(request, f"Credit of {organization.name} adjusted.")
                return redirect(reverse("admin:billing_ledgerentry_changelist") + f"?organization__id__exact={organization.pk}")
        context = {
            **self.admin_site.each_context(request), "title": f"Adjust credit: {organization.name}", "form": form,
            "organization": organization, "balance": balance_get(organization=organization), "opts": self.model._meta,
        }
        return TemplateResponse(request, "billing/admin/credit_adjust.html", context)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "organization", "kind", "amount_micros", "held_delta_micros", "task_id", "stripe_id", "actor", "is_flagged")
    list_filter = ("kind", "is_flagged", "created_at", "organization")
    search_fields = ("organization__name", "organization__public_id", "task_id", "stripe_id", "idempotency_key", "reason")
    date_hierarchy = "created_at"
    list_select_related = ("organization", "actor")


@admin.register(Hold)
class HoldAdmin(ReadOnlyAdmin):
    list_display = ("task_id", "organization", "amount_micros", "state", "captured_micros", "shortfall_micros", "created_at", "resolved_at")
    list_filter = ("state",)
    search_fields = ("task_id", "organization__name")
    list_select_related = ("organization",)


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "organization", "amount_micros", "status", "is_auto_recharge", "stripe_checkout_session_id", "stripe_payment_intent_id")
    list_filter = ("status", "is_auto_recharge")
    search_fields = ("organization__name", "stripe_checkout_session_id", "stripe_payment_intent_id", "stripe_charge_id")


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "stripe_id", "type", "status", "attempts", "processed_at")
    list_filter = ("status", "type")
    search_fields = ("stripe_id",)
    readonly_fields = ("stripe_id", "type", "status", "attempts", "error", "payload", "processed_at", "created_at")


@admin.register(BillingProfile)
class BillingProfileAdmin(admin.ModelAdmin):
    list_display = ("organization", "stripe_customer_id", "monthly_budget_micros", "auto_recharge_enabled")
    search_fields = ("organization__name", "stripe_customer_id")
    readonly_fields = ("organization", "stripe_customer_id", "auto_recharge_started_at", "auto_recharge_last_error")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
