"""The catalog as data: models, aliases, routes, parameter schemas, immutable price versions,
provider credentials (encrypted) and per-hour provider health buckets."""
from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.core.models import BaseModel
from apps.providers.base import TaskKind

MODALITIES = ("text", "image", "audio", "video", "music")
PRICE_VERSION_IMMUTABLE = "Price versions are immutable: create a new version instead."


class AiModel(BaseModel):
    """One callable model. ``model_id`` is canonical ("provider/model")."""

    model_id = models.CharField(max_length=200, unique=True)
    display_name = models.CharField(max_length=200)
    provider = models.CharField(max_length=100, db_index=True, help_text="Prefix of the id; owned_by in listings.")
    modality = models.CharField(max_length=10, choices=[(m, m) for m in MODALITIES], db_index=True)
    task_kind = models.CharField(max_length=40, choices=[(k.value, k.value) for k in TaskKind])
    is_enabled = models.BooleanField(default=True, db_index=True)
    description = models.TextField(blank=True)
    documentation = models.TextField(blank=True, help_text="Markdown notes shown in the model detail.")
    parameter_schema = models.JSONField(default=dict, help_text="JSON Schema (draft 2020-12) of the parameters.")
    max_output_tokens = models.PositiveIntegerField(null=True, blank=True, help_text="Text models: output cap.")
    tokenizer = models.CharField(max_length=40, blank=True, help_text="Text models: cl100k_base or o200k_base.")
    unpriced_reason = models.CharField(max_length=300, blank=True, help_text="Why the model has no price yet.")

    class Meta:
        db_table = "catalog_model"
        ordering = ["model_id"]
        verbose_name = "model"

    def __str__(self) -> str:
        return self.model_id


class ModelAlias(BaseModel):
    """A short name other seeds use ("gpt-4", "flux"); resolves to exactly one model."""

    name = models.CharField(max_length=200, unique=True)
    model = models.ForeignKey(AiModel, on_delete=models.CASCADE, related_name="aliases")

    class Meta:
        db_table = "catalog_alias"
        ordering = ["name"]
        verbose_name_plural = "model aliases"

    def __str__(self) -> str:
        return self.name


class Route(BaseModel):
    """One way to serve a model: an adapter family plus the provider's own model id."""

    model = models.ForeignKey(AiModel, on_delete=models.CASCADE, related_name="routes")
    family = models.CharField(max_length=50, help_text="Adapter registry key (openai, kling, ...).")
    upstream_model = models.CharField(max_length=200, blank=True)
    base_url = models.CharField(max_length=500, blank=True)
    options = models.JSONField(default=dict, blank=True)
    priority = models.PositiveIntegerField(default=10, help_text="Lower is tried first.")
    is_enabled = models.BooleanField(default=True)

    class Meta:
        db_table = "catalog_route"
        ordering = ["model_id", "priority", "pk"]
        constraints = [models.UniqueConstraint(fields=["model", "family", "upstream_model"], name="catalog_route_unique")]

    def __str__(self) -> str:
        return f"{self.family}:{self.upstream_model or '-'}"


class PriceVersion(models.Model):
    """Price rules of a model from ``effective_from`` on. Never updated or deleted: tasks
    record the version id they were quoted with, and charge with it later."""

    model = models.ForeignKey(AiModel, on_delete=models.PROTECT, related_name="price_versions")
    rules = models.JSONField(help_text="List of price rules; see apps/catalog/data/README.md.")
    effective_from = models.DateTimeField(db_index=True)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "catalog_price_version"
        ordering = ["model_id", "-effective_from", "-pk"]

    def __str__(self) -> str:
        return f"{self.model_id} v{self.pk} from {self.effective_from:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):  # an invariant guard, not business logic
        if self.pk is not None:
            raise ValueError(PRICE_VERSION_IMMUTABLE)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError(PRICE_VERSION_IMMUTABLE)


class ProviderCredential(BaseModel):
    """Credentials of one adapter family, entered in the admin. ``encrypted_fields`` is a
    Fernet token of a JSON object ({"api_key": ...}); it is never shown or logged in clear."""

    family = models.CharField(max_length=50, unique=True)
    encrypted_fields = models.TextField()
    is_enabled = models.BooleanField(default=True)

    class Meta:
        db_table = "catalog_provider_credential"
        ordering = ["family"]

    def __str__(self) -> str:
        return self.family


class ProviderHealth(models.Model):
    """Per-hour counters of provider calls. ``route_pk`` 0 means the simulated fallback."""

    family = models.CharField(max_length=50)
    route_pk = models.BigIntegerField(default=0)
    hour = models.DateTimeField(db_index=True)
    ok_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    latency_ms_total = models.BigIntegerField(default=0)
    last_error_code = models.CharField(max_length=100, blank=True)

    class Meta:
        db_table = "catalog_provider_health"
        constraints = [models.UniqueConstraint(fields=["family", "route_pk", "hour"], name="catalog_health_bucket")]
