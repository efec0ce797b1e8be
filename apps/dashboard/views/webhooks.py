"""The organization's default webhook (MANAGE_KEYS): URL, signing secret and its rotation.
The engine owns validation (apps.tasks.urlsafety) and signing; this page only shows them."""
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from apps.accounts.permissions import MANAGE_KEYS
from apps.core.errors import ApplicationError
from apps.dashboard.decorators import organization_required
from apps.tasks.selectors import webhook_delivery_list
from apps.tasks.services.webhooks import webhook_settings_get, webhook_settings_update

URL_SAVED = "Webhook URL saved."
URL_CLEARED = "Default webhook turned off."
SECRET_ROTATED = "Signing secret rotated: update your receiver before the next delivery."


class WebhookUrlForm(forms.Form):
    # A CharField, not a URLField: the engine's url_check decides and its message is shown.
    url = forms.CharField(max_length=2000, required=False, label="Default webhook URL",
                          help_text="Called when a task that names no webhook_url finishes. Leave empty to turn it off.",
                          widget=forms.URLInput(attrs={"placeholder": "https://example.com/tollgate-webhook"}))


@never_cache  # the page carries the signing secret
@organization_required(MANAGE_KEYS)
@require_http_methods(["GET", "POST"])
def webhooks(request):
    organization = request.organization
    current = webhook_settings_get(organization=organization)
    if request.method == "POST" and request.POST.get("action") == "rotate":
        return _rotate(request, url=current.url)
    form = WebhookUrlForm(request.POST or None, initial={"url": current.url})
    if request.method == "POST" and form.is_valid():
        url = form.cleaned_data["url"]
        try:
            webhook_settings_update(organization=organization, url=url)
        except ApplicationError as error:
            form.add_error("url", error.message)
        except ValidationError as error:  # the model's URLField after url_check
            form.add_error("url", error.messages)
        else:
            messages.success(request, URL_SAVED if url else URL_CLEARED)
            return redirect("dashboard:webhooks")
    status = 400 if form.errors else 200
    deliveries = webhook_delivery_list(organization=request.organization)
    return render(request, "dashboard/webhooks.html", {"form": form, "webhook": current, "deliveries": deliveries}, status=status)


def _rotate(request, *, url: str):
    try:
        webhook_settings_update(organization=request.organization, url=url, rotate_secret=True)
    except ApplicationError as error:  # a stored URL that no longer passes the check
        messages.error(request, error.message)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, SECRET_ROTATED)
    return redirect("dashboard:webhooks")
