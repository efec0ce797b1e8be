from django.contrib import admin

from apps.usage.models import UsageDaily, UsageRecord


@admin.register(UsageRecord)
class UsageRecordAdmin(admin.ModelAdmin):
    list_display = ("task_id", "organization", "model_id", "cost_micros", "status", "created_at")
    list_filter = ("status", "created_at")
    search_fields = ("task_id", "organization__name", "model_id")
    date_hierarchy = "created_at"
    list_select_related = ("organization",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(UsageDaily)
class UsageDailyAdmin(admin.ModelAdmin):
    """Read-only: rows change only through usage_record_create and usage_rollup_rebuild."""

    list_display = ("day", "organization", "model_id", "api_key", "requests", "cost_micros")
    list_filter = ("day",)
    search_fields = ("organization__name", "model_id")
    date_hierarchy = "day"
    list_select_related = ("organization", "api_key")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
