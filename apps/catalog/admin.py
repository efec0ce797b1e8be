"""Staff management of the catalog. Prices are append-only: editing a model's price rules
creates a new PriceVersion; the history is shown read-only."""
from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
from django.urls import path
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from apps.catalog.cache import catalog_changed
from apps.catalog.crypto import decrypt_fields, mask
from apps.catalog.models import AiModel, ModelAlias, PriceVersion, ProviderCredential, ProviderHealth, Route
from apps.catalog.selectors import model_resolve_any, price_version_current
from apps.catalog.services.credentials import provider_credential_set
from apps.catalog.services.params import params_validate
from apps.catalog.services.prices import price_rules_check, price_version_create
from apps.catalog.services.pricing import price_quote
from apps.core.errors import ApplicationError
from apps.core.money import micros_to_usd


class AliasInline(admin.TabularInline):
    model = ModelAlias
    extra = 0


class RouteInline(admin.TabularInline):
    model = Route
    extra = 0
    ordering = ["priority", "pk"]
    fields = ["priority", "family", "upstream_model", "base_url", "options", "is_enabled"]


class PriceVersionInline(admin.TabularInline):
    """History, read-only: versions are never edited or deleted."""

    model = PriceVersion
    extra = 0
    can_delete = False
    fields = ["id", "effective_from", "rules", "note", "created_by", "created_at"]
    readonly_fields = fields
    ordering = ["-effective_from", "-pk"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AiModelForm(forms.ModelForm):
    new_price_rules = forms.JSONField(required=False, label="Price rules",
                                      help_text="Editing these creates a new price version (effective now or at the time below).")
    new_price_effective_from = forms.DateTimeField(required=False, label="New price effective from")
    new_price_note = forms.CharField(required=False, label="New price note")

    class Meta:
        model = AiModel
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            current = price_version_current(model_pk=self.instance.pk)
            self.fields["new_price_rules"].initial = current.rules if current else None

    def clean_parameter_schema(self):
        schema = self.cleaned_data["parameter_schema"]
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            raise ValidationError(f"Not a valid JSON Schema: {exc.message}") from exc
        return schema

    def clean_new_price_rules(self):
        rules = self.cleaned_data.get("new_price_rules")
        if rules in (None, "", []):
            return None
        try:
            price_rules_check(rules)
        except ApplicationError as exc:
            raise ValidationError(exc.message) from exc
        return rules


@admin.action(description="Enable selected models")
def enable_models(modeladmin, request, queryset):
    changed = queryset.update(is_enabled=True)
    catalog_changed()  # a queryset update sends no signal
    modeladmin.message_user(request, f"{changed} models enabled.")


@admin.action(description="Disable selected models")
def disable_models(modeladmin, request, queryset):
    changed = queryset.update(is_enabled=False)
    catalog_changed()  # a queryset update sends no signal
    modeladmin.message_user(request, f"{changed} models disabled.")


@admin.register(AiModel)
class AiModelAdmin(admin.ModelAdmin):
    form = AiModelForm
    list_display = ["model_id", "display_name", "provider", "modality", "task_kind", "is_enabled", "current_price"]
    list_filter = ["provider", "modality", "task_kind", "is_enabled"]
    search_fields = ["model_id", "display_name", "aliases__name"]
    list_editable = ["is_enabled"]
    actions = [enable_models, disable_models]
    inlines = [AliasInline, RouteInline, PriceVersionInline]
    change_list_template = "admin/catalog/aimodel/change_list.html"

    @admin.display(description="price version")
    def current_price(self, obj):
        version = price_version_current(model_pk=obj.pk)
        return f"v{version.pk}" if version else "unpriced"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        rules = form.cleaned_data.get("new_price_rules")
        current = price_version_current(model_pk=obj.pk)
        if rules and (current is None or json.dumps(current.rules, sort_keys=True) != json.dumps(rules, sort_keys=True)):
            version = price_version_create(model=obj, rules=rules, created_by=request.user,
                                           effective_from=form.cleaned_data.get("new_price_effective_from"),
                                           note=form.cleaned_data.get("new_price_note") or "")
            self.message_user(request, f"New price version v{version.pk} created.", messages.SUCCESS)

    def get_urls(self):
        return [path("quote/", self.admin_site.admin_view(self.quote_view), name="catalog_quote")] + super().get_urls()

    def quote_view(self, request):
        """Pick a model, paste params JSON, see the quote (validation errors shown as the API would)."""
        context = {**self.admin_site.each_context(request), "title": "Quote a task",
                   "models": AiModel.objects.order_by("model_id").values_list("model_id", flat=True),
                   "model_name": request.POST.get("model", ""), "params_text": request.POST.get("params", "{}")}
        if request.method == "POST":
            try:
                params = json.loads(context["params_text"] or "{}")
                model = model_resolve_any(name=context["model_name"])
                validated = params_validate(model=model, params=params)
                quote = price_quote(model=model, params=validated)
                context.update(quote=quote, total_usd=micros_to_usd(quote.amount_micros), validated=json.dumps(validated, indent=2),
                               assumptions=json.dumps(quote.assumptions, indent=2), inputs=json.dumps(quote.formula_inputs, indent=2))
            except json.JSONDecodeError as exc:
                context["error"] = {"message": f"Params are not JSON: {exc}", "code": "invalid_json"}
            except ApplicationError as exc:
                context["error"] = exc.body()["error"]
        return TemplateResponse(request, "admin/catalog/quote.html", context)


@admin.register(ModelAlias)
class ModelAliasAdmin(admin.ModelAdmin):
    list_display = ["name", "model"]
    search_fields = ["name", "model__model_id"]
    autocomplete_fields = ["model"]


@admin.register(Route)
class RouteAdmin(admin.ModelAdmin):
    list_display = ["model", "family", "upstream_model", "priority", "is_enabled"]
    list_filter = ["family", "is_enabled"]
    list_editable = ["priority", "is_enabled"]
    search_fields = ["model__model_id", "upstream_model"]
    autocomplete_fields = ["model"]


@admin.register(PriceVersion)
class PriceVersionAdmin(admin.ModelAdmin):
    """Adding is allowed (a new version); changing and deleting are not."""

    list_display = ["id", "model", "effective_from", "note", "created_by"]
    list_filter = ["model__provider"]
    search_fields = ["model__model_id"]
    autocomplete_fields = ["model"]
    fields = ["model", "rules", "effective_from", "note"]

    def get_readonly_fields(self, request, obj=None):
        return self.fields if obj else []

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            return
        created = price_version_create(model=obj.model, rules=obj.rules, effective_from=obj.effective_from,
                                       created_by=request.user, note=obj.note)
        obj.pk = created.pk


class ProviderCredentialForm(forms.ModelForm):
    fields_json = forms.JSONField(required=False, label="Credential fields",
                                  help_text='JSON object, e.g. {"api_key": "..."} or {"access_key": "...", "secret_key": "..."}. '
                                            "Leave empty to keep the stored values.",
                                  widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}))

    class Meta:
        model = ProviderCredential
        fields = ["family", "is_enabled"]

    def clean_fields_json(self):
        value = self.cleaned_data.get("fields_json")
        if value in (None, "", {}):
            if not self.instance.pk:
                raise ValidationError("Give at least one credential field.")
            return None
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise ValidationError("A JSON object of strings is required.")
        return value


@admin.register(ProviderCredential)
class ProviderCredentialAdmin(admin.ModelAdmin):
    form = ProviderCredentialForm
    list_display = ["family", "is_enabled", "masked_fields", "updated_at"]
    fields = ["family", "is_enabled", "fields_json", "masked_fields"]
    readonly_fields = ["masked_fields"]

    @admin.display(description="stored fields")
    def masked_fields(self, obj):
        if not obj or not obj.encrypted_fields:
            return "-"
        try:
            return ", ".join(f"{k}={mask(v)}" for k, v in sorted(decrypt_fields(obj.encrypted_fields).items()))
        except Exception:  # wrong TOLLGATE_CREDENTIALS_KEY: say so, never show the token
            return "unreadable (credentials key changed?)"

    def save_model(self, request, obj, form, change):
        fields = form.cleaned_data.get("fields_json")
        if fields is None:
            obj.save()
            return
        saved = provider_credential_set(family=obj.family, fields=fields, is_enabled=obj.is_enabled)
        obj.pk, obj.encrypted_fields = saved.pk, saved.encrypted_fields


@admin.register(ProviderHealth)
class ProviderHealthAdmin(admin.ModelAdmin):
    list_display = ["hour", "family", "route_pk", "ok_count", "error_count", "latency_ms_total", "last_error_code"]
    list_filter = ["family"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
