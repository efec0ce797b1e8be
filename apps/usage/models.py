"""The usage ledger: one record per finished task, explaining its charge, and its daily roll-up.
Invariants: Σ cost_micros of an organization = −Σ of its capture entries;
every UsageDaily row = the sums of the UsageRecords of its (organization, UTC day, model_id, api_key)."""
from django.db import models
from django.db.models import Q

from apps.accounts.models import ApiKey, Organization


class UsageStatus(models.TextChoices):
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class UsageRecord(models.Model):
    task_id = models.CharField(max_length=64, unique=True)
    # Both indexed by the composite indexes below, which lead with them.
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+", db_index=False)
    api_key = models.ForeignKey(ApiKey, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                                db_index=False)
    model_id = models.CharField(max_length=120, help_text="Canonical catalog model id")
    price_version_id = models.BigIntegerField(null=True, blank=True, help_text="Catalog PriceVersion the charge used")
    quantities = models.JSONField(default=dict, blank=True, help_text="Every quantity the price used (decimals as strings)")
    # The common quantities as columns, for sums without reading JSON.
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    characters = models.BigIntegerField(default=0)
    images = models.BigIntegerField(default=0)
    media_microseconds = models.BigIntegerField(default=0, help_text="The 'seconds' quantity (audio/video) in µs")
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


class UsageDaily(models.Model):
    """Sums of the usage records of one (organization, UTC day, model_id, api_key).
    Written only by usage_record_create (same transaction, only for a new record) and
    usage_rollup_rebuild; never edited by hand. Sums are exact integers (cost in micro-USD)."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    day = models.DateField(help_text="UTC day of the records' created_at")
    model_id = models.CharField(max_length=120)
    # PROTECT, not SET_NULL as on UsageRecord: nulling it could merge two roll-up rows into one key.
    api_key = models.ForeignKey(ApiKey, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    requests = models.BigIntegerField(default=0, help_text="Number of usage records")
    input_tokens = models.BigIntegerField(default=0)
    output_tokens = models.BigIntegerField(default=0)
    characters = models.BigIntegerField(default=0)
    images = models.BigIntegerField(default=0)
    media_microseconds = models.BigIntegerField(default=0)
    processing_ms = models.BigIntegerField(default=0)
    output_bytes = models.BigIntegerField(default=0)
    cost_micros = models.BigIntegerField(default=0, help_text="Σ cost_micros, micro-USD")

    class Meta:
        constraints = [
            # Two partial constraints rather than nulls_distinct=False, which SQLite lacks.
            models.UniqueConstraint(fields=["organization", "day", "model_id", "api_key"],
                                    condition=Q(api_key__isnull=False), name="usage_daily_key_unique"),
            models.UniqueConstraint(fields=["organization", "day", "model_id"],
                                    condition=Q(api_key__isnull=True), name="usage_daily_nokey_unique"),
            models.CheckConstraint(condition=Q(cost_micros__gte=0), name="usage_daily_cost_gte_0"),
        ]
        indexes = [models.Index(fields=["organization", "day"], name="usage_daily_org_day"),
                   models.Index(fields=["api_key", "day"], name="usage_daily_key_day")]
