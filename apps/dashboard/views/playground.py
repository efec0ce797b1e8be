"""The playground: pick a model, fill a form generated from its parameter schema, estimate or
run it (billed like an API call through the user's Playground key), watch the output, copy
the equivalent curl."""
from __future__ import annotations

import json
import shlex

from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from apps.accounts.permissions import USE_API
from apps.catalog.selectors import model_detail, model_list, model_resolve
from apps.core.errors import ApplicationError
from apps.dashboard.decorators import organization_required
from apps.dashboard.playground_key import playground_key_get_or_create
from apps.dashboard.schema_forms import SchemaForm
from apps.dashboard.site import base_url
from apps.tasks.services import task_submit


@organization_required(USE_API)
@require_http_methods(["GET", "POST"])
def playground(request):
    models = list(model_list())
    model_name = request.POST.get("model") or request.GET.get("model") or (models[0].model_id if models else "")
    context = {"models": models, "model_name": model_name, "base_url": base_url(request)}
    if not models:
        return render(request, "dashboard/playground.html", context)
    try:
        model = model_resolve(name=model_name)
    except ApplicationError as error:
        context["model_error"] = error.message
        return render(request, "dashboard/playground.html", context, status=404 if request.method == "GET" else 400)
    detail = model_detail(model=model)
    form = SchemaForm(request.POST or None, request.FILES or None, schema=detail["parameters"],
                      prefix="p") if request.method == "POST" else SchemaForm(schema=detail["parameters"], prefix="p")
    context.update({"model": model, "detail": detail, "form": form})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            params = form.params()
            context["curl"] = curl_for(base_url=context["base_url"], model=model.id, params=params, uploads=form.uploads())
            try:
                result = task_submit(
                    api_key=playground_key_get_or_create(organization=request.organization, user=request.user),
                    model=model.id, params=params, files=form.uploads() or None,
                    dry_run=request.POST.get("action") == "estimate", surface="playground",
                )
            except ApplicationError as error:
                context["run_error"] = error.message
                status = error.status if 400 <= error.status < 500 else 400
            else:
                context["quote"] = result.quote
                context["task"] = result.task
        else:
            status = 400
    return render(request, "dashboard/playground.html", context, status=status)


def curl_for(*, base_url: str, model: str, params: dict, uploads: dict) -> str:
    """The native API request the form describes, for copying: JSON body, or multipart with
    uploads (where parameters sit at the top level and objects travel as JSON strings)."""
    head = f"curl {base_url}/v1/tasks \\\n  -H \"Authorization: Bearer $TOLLGATE_API_KEY\""
    if not uploads:
        body = json.dumps({"model": model, "input": params}, indent=2)
        return f"{head} \\\n  -H \"Content-Type: application/json\" \\\n  -d {shlex.quote(body)}"
    parts = [f"-F {shlex.quote(f'model={model}')}"]
    for name, value in params.items():
        text = value if isinstance(value, str) else json.dumps(value)
        parts.append(f"-F {shlex.quote(f'{name}={text}')}")
    for name, upload in uploads.items():
        parts.append(f"-F {shlex.quote(f'{name}=@{upload.name}')}")
    return head + "".join(f" \\\n  {part}" for part in parts)
