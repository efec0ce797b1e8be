"""The model catalog for people: browse by modality, prices, parameter docs from the schemas.
(Served under /catalog/: /models is an API path.)"""
import json

from django.http import Http404
from django.shortcuts import render

from apps.catalog.selectors import model_detail, model_list, model_resolve
from apps.core.errors import ApplicationError
from apps.dashboard.decorators import organization_required
from apps.dashboard.schema_forms import parameter_docs
from apps.dashboard.site import base_url

MODALITIES = ("text", "image", "audio", "video", "music")


@organization_required()
def model_browse(request):
    modality = request.GET.get("modality") if request.GET.get("modality") in MODALITIES else None
    query = (request.GET.get("q") or "").strip()
    models = model_list(modality=modality)
    if query:
        models = [m for m in models if query.lower() in f"{m.model_id} {m.display_name}".lower()]
    return render(request, "dashboard/catalog.html", {"models": models, "modality": modality, "modalities": MODALITIES, "q": query})


@organization_required()
def model_page(request, model_id: str):
    try:
        model = model_resolve(name=model_id)
    except ApplicationError:
        raise Http404 from None
    detail = model_detail(model=model)
    docs = parameter_docs(detail["parameters"])
    return render(request, "dashboard/catalog_model.html", {
        "model": model, "detail": detail, "docs": docs,
        "example_body": json.dumps({"model": model.id, "input": {d.name: _example(d) for d in docs if d.required}}, indent=2),
        "base_url": base_url(request),
    })


def _example(doc) -> object:
    """A placeholder value for the example request: the default, else one of the right type."""
    if doc.default is not None:
        return doc.default
    if doc.name == "messages":
        return [{"role": "user", "content": "Hello!"}]
    return {"integer": 1, "number": 1.0, "boolean": True, "file": "https://example.com/input.png"}.get(doc.type, "…")
