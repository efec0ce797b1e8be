"""Tasks, their outputs and timeline, webhook deliveries, rate-limit plans.

Status moves forward only and always by compare-and-set (``apps.tasks.services.transitions``)."""
from __future__ import annotations

import base64
import secrets

from django.db import models

from apps.core.ids import new_public_id
from apps.core.models import BaseModel


class TaskStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    EXPIRED = "expired"


ACTIVE_STATUSES = (TaskStatus.QUEUED, TaskStatus.RUNNING)
FINISHED_STATUSES = (TaskStatus.SUCCEEDED, TaskStatus.FAILED, TaskStatus.CANCELED, TaskStatus.EXPIRED)


def _task_id() -> str:
    return new_public_id("task")


class Task(BaseModel):
    public_id = models.CharField(max_length=40, unique=True, default=_task_id, editable=False)
    # Indexed by the composite indexes below, which lead with it (every index is rewritten by each
    # status change: a task has as few as its queries need).
    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="tasks",
                                     db_index=False)
    api_key = models.ForeignKey("accounts.ApiKey", on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks")
    model_id = models.CharField(max_length=200, db_index=True, help_text="Canonical catalog id, provider/model")
    task_kind = models.CharField(max_length=40)
    params = models.JSONField(default=dict, help_text="Validated parameters")
    input_files = models.JSONField(default=dict, blank=True, help_text="param -> [{path, filename, content_type, size}]")
    status = models.CharField(max_length=12, choices=TaskStatus.choices, default=TaskStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="0-100")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    deadline_at = models.DateTimeField(help_text="Still active then: expired, hold released")
    error_code = models.CharField(max_length=60, blank=True)
    error_message = models.TextField(blank=True)
    # Money, integer micro-USD. quote = the hold; cost = the capture (never above the quote).
    quote_micros = models.BigIntegerField(default=0)
    cost_micros = models.BigIntegerField(null=True, blank=True)
    price_version_id = models.BigIntegerField(null=True, blank=True)
    formula_inputs = models.JSONField(default=dict, blank=True)
    quote_lines = models.JSONField(default=list, blank=True)
    usage = models.JSONField(default=dict, blank=True)
    # Provider side.
    provider_family = models.CharField(max_length=40, blank=True)
    route_pk = models.BigIntegerField(null=True, blank=True)
    provider_job = models.JSONField(null=True, blank=True, help_text="Async providers' poll state")
    provider_request_id = models.CharField(max_length=200, blank=True)
    simulated = models.BooleanField(default=False)
    attempts = models.PositiveIntegerField(default=0, help_text="Provider attempts (failover rounds)")
    lease_until = models.DateTimeField(null=True, blank=True, help_text="A worker holds the task until then")
    # Request side.
    stream = models.BooleanField(default=False)
    webhook_url = models.URLField(max_length=2000, blank=True)
    surface = models.CharField(max_length=20, default="tasks")
    request_id = models.CharField(max_length=128, blank=True)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    request_body_hash = models.CharField(max_length=64, blank=True)
    retry_of = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="retries")

    class Meta:
        indexes = [
            models.Index(fields=["organization", "-created_at"]),
            models.Index(fields=["organization", "status"]),  # the running cap's count at each claim
            models.Index(fields=["status", "updated_at"]),  # the sweep
        ]
        constraints = [
            models.UniqueConstraint(fields=["organization", "idempotency_key"], name="task_unique_idempotency_key"),
        ]

    def __str__(self) -> str:
        return self.public_id

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED_STATUSES


class TaskEvent(models.Model):
    """The task's timeline (status changes, retries, failover) for the dashboard and admin."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=12, blank=True)
    message = models.CharField(max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["pk"]


class TaskOutput(BaseModel):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="outputs")
    index = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10, help_text="text | image | audio | video | json")
    file = models.FileField(upload_to="tasks", max_length=500, blank=True)
    text = models.TextField(null=True, blank=True)
    mime_type = models.CharField(max_length=100)
    size_bytes = models.BigIntegerField(default=0)
    meta = models.JSONField(default=dict, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True, help_text="File deleted by retention")

    class Meta:
        ordering = ["index"]
        constraints = [models.UniqueConstraint(fields=["task", "index"], name="task_output_unique_index")]


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class WebhookDelivery(BaseModel):
    """One attempt to deliver a task's final state. ``webhook_id`` is stable across attempts."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="webhook_deliveries")
    webhook_id = models.CharField(max_length=40, db_index=True)
    url = models.URLField(max_length=2000)
    attempt = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=10, choices=WebhookDeliveryStatus.choices, default=WebhookDeliveryStatus.PENDING)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["webhook_id", "attempt"], name="webhook_delivery_unique_attempt")]


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class OrganizationWebhookSettings(BaseModel):
    """The organization's default webhook (used when a task names none). The secret is a
    random value we generate and show to the owner; it must be readable to sign, so it is
    stored as is (like a Stripe endpoint secret) and rotated by replacing it."""

    organization = models.OneToOneField("accounts.Organization", on_delete=models.CASCADE, related_name="webhook_settings")
    url = models.URLField(max_length=2000, blank=True)
    secret = models.CharField(max_length=80, default=new_webhook_secret)


class RateLimitPlan(BaseModel):
    name = models.CharField(max_length=60, unique=True)
    generation_per_second = models.PositiveIntegerField(default=10, help_text="POST requests per second")
    polling_per_second = models.PositiveIntegerField(default=10, help_text="GET requests per second")
    ban_seconds = models.PositiveIntegerField(default=60)
    max_running_tasks = models.PositiveIntegerField(default=8)

    def __str__(self) -> str:
        return self.name


class OrganizationRateLimitPlan(BaseModel):
    """Staff assign a plan to an organization; without a row the settings' default plan applies."""

    organization = models.OneToOneField("accounts.Organization", on_delete=models.CASCADE, related_name="rate_limit_plan")
    plan = models.ForeignKey(RateLimitPlan, on_delete=models.PROTECT, related_name="organizations")
