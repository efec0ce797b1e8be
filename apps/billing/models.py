"""The credit ledger: append-only entries, a cached balance, task holds, Stripe mirrors.

Invariants (checked by ``manage.py check_ledger``):
  Balance.balance_micros = Σ LedgerEntry.amount_micros       (per organization)
  Balance.held_micros    = Σ LedgerEntry.held_delta_micros   = Σ open Hold.amount_micros
"""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from apps.accounts.models import ApiKey, Organization
from apps.core.models import BaseModel


class BillingProfile(BaseModel):
    """An organization's billing settings and its Stripe customer."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="billing_profile")
    stripe_customer_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    stripe_payment_method_id = models.CharField(max_length=255, blank=True, help_text="Saved card for auto-recharge")
    monthly_budget_micros = models.BigIntegerField(
        null=True, blank=True, help_text="Micro-USD per calendar month (UTC) of holds + captures; empty = none"
    )
    auto_recharge_enabled = models.BooleanField(default=False)
    auto_recharge_threshold_micros = models.BigIntegerField(default=0, help_text="Recharge when available falls below")
    auto_recharge_amount_micros = models.BigIntegerField(default=0)
    # The once-at-a-time flag: set by compare-and-set when a charge starts, cleared by its webhook.
    auto_recharge_started_at = models.DateTimeField(null=True, blank=True)
    auto_recharge_last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(monthly_budget_micros__gte=0) | Q(monthly_budget_micros__isnull=True), name="billing_profile_budget_gte_0"),
            models.CheckConstraint(condition=Q(auto_recharge_amount_micros__gte=0), name="billing_profile_recharge_amount_gte_0"),
        ]


class Balance(models.Model):
    """Cached sums of the organization's ledger, updated in the entry's transaction under a row
    lock (``lock_objects.balance_lock``). available = balance − held."""

    organization = models.OneToOneField(Organization, on_delete=models.CASCADE, related_name="balance")
    balance_micros = models.BigIntegerField(default=0, help_text="Σ entries' amount_micros")
    held_micros = models.BigIntegerField(default=0, help_text="Σ entries' held_delta_micros (open holds)")
    # The lowest available credit allowed: 0, except after Stripe took money back (refund/dispute)
    # of credit already spent. It rises back towards 0 as the balance recovers, so only those two
    # paths can ever take available credit below zero; the database enforces it.
    floor_micros = models.BigIntegerField(default=0)
    # Organization.is_frozen, mirrored here by the freeze (``balance_freeze_mark``, under this row's
    # lock): a hold's UPDATE refuses a frozen row itself. A subquery on the organization would
    # read the snapshot taken before the UPDATE waited for the lock, and miss a freeze committed
    # meanwhile.
    frozen = models.BooleanField(default=False, help_text="Mirror of the organization's freeze; holds refuse it")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(held_micros__gte=0), name="balance_held_gte_0"),
            models.CheckConstraint(condition=Q(floor_micros__lte=0), name="balance_floor_lte_0"),
            models.CheckConstraint(
                condition=Q(balance_micros__gte=F("held_micros") + F("floor_micros")), name="balance_available_gte_floor"
            ),
        ]

    @property
    def available_micros(self) -> int:
        return self.balance_micros - self.held_micros


class EntryKind(models.TextChoices):
    TOPUP = "topup", "Top-up"
    HOLD = "hold", "Hold"
    CAPTURE = "capture", "Capture"
    RELEASE = "release", "Release"
    REFUND = "refund", "Refund (credit returned by staff)"
    ADJUSTMENT = "adjustment", "Staff adjustment"
    PROMOTIONAL = "promotional", "Promotional grant"
    STRIPE_REFUND = "stripe_refund", "Stripe refund"
    DISPUTE = "dispute", "Dispute"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("ledger entries are append-only: write a compensating entry")

    def delete(self):
        raise TypeError("ledger entries are never deleted: write a compensating entry")


class LedgerEntry(models.Model):
    """One signed change of an organization's credit. Never edited or deleted."""

    # Indexed by the composite index and the unique constraint below, which lead with it.
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="ledger_entries",
                                     db_index=False)
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    amount_micros = models.BigIntegerField(help_text="Signed change of the balance, micro-USD")
    held_delta_micros = models.BigIntegerField(default=0, help_text="Signed change of held credit, micro-USD")
    idempotency_key = models.CharField(max_length=255, help_text="task id + phase, Stripe session/event id, …")
    task_id = models.CharField(max_length=64, blank=True, db_index=True)
    stripe_id = models.CharField(max_length=255, blank=True, db_index=True, help_text="Checkout session, charge, dispute…")
    api_key = models.ForeignKey(ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reason = models.CharField(max_length=500, blank=True)
    is_flagged = models.BooleanField(default=False, help_text="Needs a look: overrun beyond the hold, shortfall…")
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "ledger entries"
        ordering = ["-pk"]
        permissions = [("adjust_credit", "Can adjust an organization's credit")]
        constraints = [
            models.UniqueConstraint(fields=["organization", "idempotency_key"], name="ledger_entry_unique_idempotency_key"),
        ]
        indexes = [models.Index(fields=["organization", "kind", "-created_at"])]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("ledger entries are append-only: write a compensating entry")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("ledger entries are never deleted: write a compensating entry")

    def __str__(self) -> str:
        return f"{self.kind} {self.amount_micros} ({self.idempotency_key})"


class HoldState(models.TextChoices):
    OPEN = "open", "Open"
    CAPTURED = "captured", "Captured"
    RELEASED = "released", "Released"


class Hold(models.Model):
    """A task's reserved maximum. Moves open → captured | released exactly once (compare-and-set)."""

    # Both indexed by the composite indexes below, which lead with them.
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="holds", db_index=False)
    api_key = models.ForeignKey(ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="holds",
                                db_index=False)
    task_id = models.CharField(max_length=64, unique=True)
    amount_micros = models.BigIntegerField(help_text="Held maximum, micro-USD")
    state = models.CharField(max_length=10, choices=HoldState.choices, default=HoldState.OPEN)
    captured_micros = models.BigIntegerField(default=0, help_text="Charged at capture (may exceed the hold: overrun)")
    overrun_micros = models.BigIntegerField(default=0, help_text="Reported cost above the hold")
    shortfall_micros = models.BigIntegerField(default=0, help_text="Overrun that could not be charged (no credit)")
    release_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(amount_micros__gte=0), name="hold_amount_gte_0")]
        indexes = [
            models.Index(fields=["api_key", "state"]),
            models.Index(fields=["organization", "state", "created_at"]),
        ]


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PAID = "paid", "Paid"
    FAILED = "failed", "Failed"


class Payment(BaseModel):
    """A top-up attempt: a Checkout Session or an auto-recharge PaymentIntent (for receipts)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="payments")
    is_auto_recharge = models.BooleanField(default=False)
    stripe_checkout_session_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    stripe_payment_intent_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    stripe_charge_id = models.CharField(max_length=255, blank=True, db_index=True)
    amount_micros = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PENDING)
    receipt_url = models.URLField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "-created_at"])]


class StripeEventStatus(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSING = "processing", "Processing"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class StripeEvent(BaseModel):
    """Every verified webhook delivery, stored before processing (dj-stripe)."""

    stripe_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100, db_index=True)  # noqa: A003 - Stripe's name
    payload = models.JSONField()
    status = models.CharField(max_length=12, choices=StripeEventStatus.choices, default=StripeEventStatus.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.type} {self.stripe_id} ({self.status})"
