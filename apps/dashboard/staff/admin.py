from django.contrib import admin

from apps.dashboard.staff.models import ProviderCostEstimate


@admin.register(ProviderCostEstimate)
class ProviderCostEstimateAdmin(admin.ModelAdmin):
    list_display = ("model_id", "cost_share_percent", "note", "updated_at")
    search_fields = ("model_id",)
