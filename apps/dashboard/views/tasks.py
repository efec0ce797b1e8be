"""Tasks of the current organization: filtered list, detail with outputs, a small JSON status
endpoint the detail page polls while the task runs."""
from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.http import Http404, JsonResponse
from django.shortcuts import render

from apps.accounts.selectors import api_key_list
from apps.core.errors import ApplicationError
from apps.core.money import micros_to_display
from apps.dashboard.decorators import organization_required
from apps.dashboard.pagination import PAGE_SIZE, cursor_page
from apps.dashboard.site import base_url
from apps.tasks.outputs import output_url
from apps.tasks.selectors import task_get, task_list, task_timeline
from apps.usage.selectors import day_start

STATUSES = ("queued", "running", "succeeded", "failed", "canceled", "expired")


class TaskFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=[("", "Any status")] + [(s, s.capitalize()) for s in STATUSES])
    model = forms.CharField(required=False, label="Model", widget=forms.TextInput(attrs={"placeholder": "provider/model"}))
    key = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="API key")
    since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.keys = {k.pk: k for k in api_key_list(organization=organization)}
        self.fields["key"].choices = [("", "Any key")] + [(pk, f"{k.name} ({k.prefix}…)") for pk, k in self.keys.items()]


def task_or_404(request, task_id: str):
    """The task of the current organization; another organization's id is simply not found."""
    try:
        return task_get(organization=request.organization, task_id=task_id)
    except ApplicationError:
        raise Http404 from None


@organization_required()
def task_list_view(request):
    form = TaskFilterForm(request.GET or None, organization=request.organization)
    filters = form.cleaned_data if form.is_valid() else {}
    query = {
        "organization": request.organization,
        "status": filters.get("status") or None,
        "model": (filters.get("model") or "").strip() or None,
        "api_key": form.keys.get(filters.get("key")) if filters.get("key") else None,
        # Whole UTC days, "To" included (as on the usage page): until = the next day's start.
        "since": day_start(filters["since"]) if filters.get("since") else None,
        "until": day_start(filters["until"] + timedelta(days=1)) if filters.get("until") else None,
        "limit": PAGE_SIZE,
    }
    try:
        tasks, next_cursor = task_list(**query, cursor=request.GET.get("cursor") or None)
    except ApplicationError as error:  # a hand-edited or stale ?cursor=: start from the first page
        messages.warning(request, error.message)
        tasks, next_cursor = task_list(**query, cursor=None)
    page = cursor_page(tasks, next_cursor, request=request)
    return render(request, "dashboard/tasks.html", {"form": form, "page": page, "filtered": any(filters.values()) if filters else False})


@organization_required()
def task_detail(request, task_id: str):
    task = task_or_404(request, task_id)
    return render(request, "dashboard/task_detail.html", {
        "task": task,
        "outputs": _outputs(request, task),
        "events": task_timeline(task=task),
        "deliveries": list(task.webhook_deliveries.all()),
        "released_micros": max(task.quote_micros - task.cost_micros, 0) if task.cost_micros is not None else None,
        "base_url": base_url(request),
    })


@organization_required()
def task_status_json(request, task_id: str):
    """Polled every 2 s by the detail page while the task is queued or running."""
    task = task_or_404(request, task_id)
    return JsonResponse({
        "id": task.public_id,
        "status": task.status,
        "progress": task.progress,
        "finished": task.is_finished,
        "cost": micros_to_display(task.cost_micros) if task.cost_micros is not None else None,
    })


@organization_required()
def task_outputs_fragment(request, task_id: str):
    """The outputs as an HTML fragment, fetched by the playground once the task finishes."""
    task = task_or_404(request, task_id)
    return render(request, "dashboard/_task_outputs.html", {"task": task, "outputs": _outputs(request, task)})


def _outputs(request, task) -> list[dict]:
    """Each output with a URL people can open (signed by the engine) when it has a file; the
    link uses the host the dashboard was reached on."""
    rendered = []
    for output in task.outputs.all():
        url = expires_at = None
        if output.file and not output.purged_at:
            url, expires_at = output_url(output, absolute_base=base_url(request))
        rendered.append({"output": output, "url": url, "expires_at": expires_at})
    return rendered
