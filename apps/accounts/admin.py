"""Staff console for tenants: organizations (credit, members, keys, rate-limit plan, freeze),
users, keys and invitations. Writes go through services; see docs/staff.md."""
from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from apps.accounts.models import ApiKey, Invitation, Membership, Organization, Role, User
from apps.accounts.services import LAST_OWNER, api_key_revoke
from apps.core.money import micros_to_display
from apps.dashboard.staff.selectors import organization_balances_annotate
from apps.dashboard.staff.services import FREEZE_REASON_REQUIRED, organization_freeze, organization_unfreeze
from apps.tasks.models import OrganizationRateLimitPlan

ADJUST_CREDIT_PERMISSION = "billing.adjust_credit"
CHANGE_API_KEY_PERMISSION = "accounts.change_apikey"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_staff", "date_joined")
    search_fields = ("email", "first_name", "last_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


class MembershipFormSet(forms.BaseInlineFormSet):
    """Staff edits keep the rule the dashboard's services enforce: an organization that has an
    owner keeps at least one (a deleted row or a role changed away from owner counts)."""

    def clean(self):
        super().clean()
        if any(self.errors) or self.instance.pk is None:
            return
        owners = set(Membership.objects.filter(organization=self.instance, role=Role.OWNER).values_list("pk", flat=True))
        if not owners:
            return  # no owner to keep (an organization being set up by staff)
        for form in self.forms:
            if not getattr(form, "cleaned_data", None):
                continue
            key = form.instance.pk or id(form)
            if self._should_delete_form(form) or form.cleaned_data.get("role") != Role.OWNER:
                owners.discard(key)
            else:
                owners.add(key)
        if not owners:
            raise forms.ValidationError(LAST_OWNER)


class MembershipInline(admin.TabularInline):
    model = Membership
    formset = MembershipFormSet
    extra = 0
    autocomplete_fields = ("user",)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    extra = 0
    can_delete = False
    fields = ("name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at", "spend_cap_micros", "revoke")
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # keys are created through the service (which shows the secret once)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return fields if request.user.has_perm(CHANGE_API_KEY_PERMISSION) else [f for f in fields if f != "revoke"]

    @admin.display(description="")
    def revoke(self, obj):
        if obj.pk is None or obj.revoked_at is not None:
            return ""
        url = reverse("admin:accounts_organization_revoke_key", args=[obj.organization_id, obj.pk])
        return format_html('<a href="{}">Revoke…</a>', url)


class OrganizationAdminForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ("name", "is_frozen", "frozen_reason")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("is_frozen") and not (cleaned.get("frozen_reason") or "").strip():
            self.add_error("frozen_reason", FREEZE_REASON_REQUIRED)
        return cleaned


class FreezeForm(forms.Form):
    reason = forms.CharField(max_length=200, help_text="Shown to staff; e.g. the dispute or abuse report.")


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    """Balances come from one LEFT JOIN on the changelist (no query per row); freezing goes
    through the staff services, which take the balance lock like the dispute path."""

    form = OrganizationAdminForm
    list_display = ("name", "public_id", "balance_display", "available_display", "is_frozen", "created_at")
    list_filter = ("is_frozen",)
    search_fields = ("name", "public_id", "memberships__user__email")
    readonly_fields = ("public_id", "created_at", "updated_at", "credit", "ledger_link", "adjust_link", "rate_limit_plan_link")
    inlines = [MembershipInline, ApiKeyInline]
    actions = ["freeze", "unfreeze"]

    def get_queryset(self, request):
        return organization_balances_annotate(organizations=super().get_queryset(request))

    def get_fieldsets(self, request, obj=None):
        credit = ["credit", "ledger_link"]
        if request.user.has_perm(ADJUST_CREDIT_PERMISSION):
            credit.append("adjust_link")
        return (
            (None, {"fields": ("name", "public_id", "created_at", "updated_at")}),
            ("Credit", {"fields": credit}),
            ("Limits", {"fields": ("rate_limit_plan_link",)}),
            ("Freeze", {"fields": ("is_frozen", "frozen_reason"),
                        "description": "A frozen organization cannot start tasks. Unfreezing clears the reason."}),
        )

    def has_add_permission(self, request):
        return False  # organizations are created with an owner (sign-up, `manage.py create_org`)

    @admin.display(description="balance", ordering="balance_micros")
    def balance_display(self, obj):  # not "balance": that name is the reverse one-to-one (a query per row)
        return micros_to_display(obj.balance_micros)

    @admin.display(description="available", ordering="available_micros")
    def available_display(self, obj):
        return micros_to_display(obj.available_micros)

    @admin.display(description="balance / held / available")
    def credit(self, obj):
        return f"{micros_to_display(obj.balance_micros)} / {micros_to_display(obj.held_micros)} / " \
               f"{micros_to_display(obj.available_micros)}"

    @admin.display(description="ledger")
    def ledger_link(self, obj):
        url = reverse("admin:billing_ledgerentry_changelist") + f"?organization__id__exact={obj.pk}"
        return format_html('<a href="{}">Ledger entries</a>', url)

    @admin.display(description="adjust")
    def adjust_link(self, obj):
        return format_html('<a href="{}">Adjust credit</a>', reverse("admin:billing_credit_adjust", args=[obj.pk]))

    @admin.display(description="rate-limit plan")
    def rate_limit_plan_link(self, obj):  # "rate_limit_plan" is the tasks app's reverse one-to-one
        assignment = OrganizationRateLimitPlan.objects.filter(organization=obj).select_related("plan").first()
        if assignment is None:
            url = reverse("admin:tasks_organizationratelimitplan_add") + f"?organization={obj.pk}"
            return format_html('Default plan (settings) · <a href="{}">assign a plan</a>', url)
        url = reverse("admin:tasks_organizationratelimitplan_change", args=[assignment.pk])
        return format_html('<a href="{}">{}</a>', url, assignment.plan.name)

    def save_model(self, request, obj, form, change):
        freeze_fields = {"is_frozen", "frozen_reason"}
        if not change or not freeze_fields & set(form.changed_data):
            return super().save_model(request, obj, form, change)
        other_fields = [name for name in form.changed_data if name not in freeze_fields]
        if other_fields:
            obj.save(update_fields=[*other_fields, "updated_at"])
        if obj.is_frozen:
            organization_freeze(organization=obj, reason=obj.frozen_reason)
        else:
            organization_unfreeze(organization=obj)

    @admin.action(description="Freeze selected organizations", permissions=["change"])
    def freeze(self, request, queryset):
        form = FreezeForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            for organization in queryset:
                organization_freeze(organization=organization, reason=form.cleaned_data["reason"], actor=request.user)
            self.message_user(request, f"Froze {len(queryset)} organization(s).", messages.SUCCESS)
            return None
        context = {**self.admin_site.each_context(request), "title": "Freeze organizations", "form": form,
                   "organizations": queryset, "opts": self.model._meta,
                   "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME}
        return TemplateResponse(request, "admin/accounts/organization/freeze.html", context)

    @admin.action(description="Unfreeze selected organizations", permissions=["change"])
    def unfreeze(self, request, queryset):
        for organization in queryset:
            organization_unfreeze(organization=organization, actor=request.user)
        self.message_user(request, f"Unfroze {len(queryset)} organization(s).", messages.SUCCESS)

    def get_urls(self):
        view = self.admin_site.admin_view(self.revoke_key_view)
        return [path("<int:organization_id>/keys/<int:key_id>/revoke/", view, name="accounts_organization_revoke_key"),
                *super().get_urls()]

    def revoke_key_view(self, request, organization_id: int, key_id: int):
        if not request.user.has_perm(CHANGE_API_KEY_PERMISSION):
            raise PermissionDenied
        api_key = get_object_or_404(ApiKey.objects.select_related("organization"), pk=key_id, organization_id=organization_id)
        change_url = reverse("admin:accounts_organization_change", args=[organization_id])
        if request.method == "POST":
            api_key_revoke(api_key=api_key)
            self.log_change(request, api_key.organization, f"Revoked API key {api_key.prefix}")
            self.message_user(request, f"API key {api_key.prefix} revoked.", messages.SUCCESS)
            return redirect(change_url)
        context = {**self.admin_site.each_context(request), "title": f"Revoke API key {api_key.prefix}",
                   "api_key": api_key, "organization": api_key.organization, "change_url": change_url,
                   "opts": self.model._meta}
        return TemplateResponse(request, "admin/accounts/organization/revoke_key.html", context)


@admin.action(description="Revoke selected API keys", permissions=["change"])
def revoke_keys(modeladmin, request, queryset):
    for api_key in queryset:
        api_key_revoke(api_key=api_key)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "organization", "created_at", "last_used_at", "expires_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "organization__name")
    readonly_fields = ("prefix", "key_hash", "organization", "created_by", "created_at", "last_used_at", "revoked_at")
    actions = [revoke_keys]

    def has_add_permission(self, request):
        return False


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "organization", "role", "created_at", "expires_at", "accepted_at")
    search_fields = ("email", "organization__name")
    readonly_fields = ("token_hash",)
