from django.contrib import admin, messages
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from apps.core.errors import ApplicationError
from apps.tasks.models import (
    OrganizationRateLimitPlan,
    OrganizationWebhookSettings,
    RateLimitPlan,
    Task,
    TaskEvent,
    TaskOutput,
    WebhookDelivery,
)
from apps.tasks.selectors import plan_forget, task_timeline
from apps.tasks.services import task_refund, task_retry


class TaskEventInline(admin.TabularInline):
    model = TaskEvent
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "status", "message", "data"]


class TaskOutputInline(admin.TabularInline):
    model = TaskOutput
    extra = 0
    can_delete = False
    readonly_fields = ["index", "kind", "file", "mime_type", "size_bytes", "meta", "purged_at"]
    exclude = ["text"]


class WebhookDeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    extra = 0
    can_delete = False
    readonly_fields = ["webhook_id", "url", "attempt", "status", "response_code", "duration_ms", "error", "created_at"]


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["public_id", "organization", "model_id", "status", "progress", "quote_micros", "cost_micros",
                    "simulated", "created_at"]
    list_filter = ["status", "simulated", "model_id", "organization", "created_at"]
    search_fields = ["public_id", "model_id", "request_id"]
    date_hierarchy = "created_at"
    inlines = [TaskEventInline, TaskOutputInline, WebhookDeliveryInline]
    actions = ["retry", "refund"]
    readonly_fields = ["timeline"] + [f.name for f in Task._meta.fields]

    def has_add_permission(self, request):
        return False

    @admin.display(description="Timeline")
    def timeline(self, task):
        """Routine steps from the task's timestamps plus its stored events (the inline below)."""
        if task.pk is None:
            return "—"
        return format_html_join(mark_safe("<br>"), "{} {} {}", (
            (entry.created_at.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3], entry.status or "·", entry.message)
            for entry in task_timeline(task=task)))

    @admin.action(description="Retry (a new task with a new hold)")
    def retry(self, request, queryset):
        for task in queryset:
            try:
                self.message_user(request, f"{task.public_id} retried as {task_retry(task=task).public_id}")
            except ApplicationError as exc:
                self.message_user(request, f"{task.public_id}: {exc.message}", level=messages.ERROR)

    @admin.action(description="Refund the charge")
    def refund(self, request, queryset):
        for task in queryset:
            try:
                task_refund(task=task, actor=request.user)
                self.message_user(request, f"{task.public_id} refunded")
            except ApplicationError as exc:
                self.message_user(request, f"{task.public_id}: {exc.message}", level=messages.ERROR)


@admin.register(RateLimitPlan)
class RateLimitPlanAdmin(admin.ModelAdmin):
    list_display = ["name", "generation_per_second", "polling_per_second", "ban_seconds", "max_running_tasks"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        for organization_id in obj.organizations.values_list("organization_id", flat=True):
            plan_forget(organization_id)


@admin.register(OrganizationRateLimitPlan)
class OrganizationRateLimitPlanAdmin(admin.ModelAdmin):
    list_display = ["organization", "plan"]
    autocomplete_fields = []

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        plan_forget(obj.organization_id)


@admin.register(OrganizationWebhookSettings)
class OrganizationWebhookSettingsAdmin(admin.ModelAdmin):
    list_display = ["organization", "url"]
    exclude = ["secret"]
