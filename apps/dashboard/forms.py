from django import forms
from django.contrib.auth.forms import UserCreationForm

from apps.accounts.models import Role, User


class SignupForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class OrganizationForm(forms.Form):
    name = forms.CharField(max_length=120, label="Organization name")


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, initial="My key")
    expires_at = forms.DateTimeField(required=False, label="Expires at (optional)", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    allowed_models = forms.CharField(required=False, label="Allowed models (optional)", help_text="Comma-separated model ids, e.g. openai/gpt-4, simulated/*; empty allows every model.")
    spend_cap_usd = forms.DecimalField(required=False, min_value=0, decimal_places=6, max_digits=14, label="Spend cap in USD (optional)")

    def clean_allowed_models(self) -> list[str]:
        raw = self.cleaned_data.get("allowed_models") or ""
        return [m.strip() for m in raw.split(",") if m.strip()]


class InvitationForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)

    def __init__(self, *args, allow_owner: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not allow_owner:  # admins may invite members and admins, not owners
            self.fields["role"].choices = [c for c in Role.choices if c[0] != Role.OWNER]


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class TopUpForm(forms.Form):
    amount_usd = forms.DecimalField(min_value=0, decimal_places=2, max_digits=10, label="Amount in USD", initial=20)


class AutoRechargeForm(forms.Form):
    enabled = forms.BooleanField(required=False, label="Recharge automatically when credit runs low")
    threshold_usd = forms.DecimalField(min_value=0, decimal_places=2, max_digits=10, label="When available credit falls below (USD)", initial=5)
    amount_usd = forms.DecimalField(min_value=0, decimal_places=2, max_digits=10, label="Add this much (USD)", initial=20)
