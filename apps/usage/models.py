"""The usage ledger: one record per finished task, explaining its charge.
Invariant: Σ cost_micros of an organization = −Σ of its capture entries."""
from django.db import models
from django.db.models import Q

from apps.accounts.models import ApiKey, Organization


class UsageStatus(models.TextChoices):
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class UsageRecord(models.Model):
    task_id = models.CharField(max_length=64, unique=True)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    api_key = models.ForeignKey(ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    model_id = models.CharField(max_length=120, help_text="Canonical catalog model id")
    price_version_id = models.BigIntegerField(null=True, blank=True, help_text="Catalog PriceVersion the charge used")
    quantities = models.JSONField(default=dict, blank=True, help_text="Every quantity the price used (decimals as strings)")
    # The common quantities as columns, for sums without reading JSON.
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    characters = models.BigIntegerField(default=0)
    images = models.BigIntegerField(default=0)
    processing_ms = models.BigIntegerField(default=0)
    output_bytes = models.BigIntegerField(default=0)
    cost_micros = models.BigIntegerField(help_text="Charged, micro-USD (the capture's captured_micros)")
    status = models.CharField(max_length=10, choices=UsageStatus.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(cost_micros__gte=0), name="usage_cost_gte_0")]
        indexes = [
            # Covering index: the summaries read only these columns (index-only scans on PostgreSQL).
            models.Index(
                fields=["organization", "created_at"], name="usage_org_created",
                include=["cost_micros", "model_id", "api_key_id", "input_tokens", "output_tokens"],
            ),
            models.Index(fields=["api_key", "created_at"], name="usage_key_created"),
        ]
