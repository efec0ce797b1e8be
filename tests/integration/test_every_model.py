"""Every priced catalog model, end to end through the real engine (catalog entry, quote, hold,
Dramatiq worker, outputs, usage, capture): once through the simulated provider, once through
each route's real adapter against that family's fake server (issue 6: "a task on every seed
model completes through the simulated provider and through its real adapter")."""
from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from apps.catalog.services.catalog_io import catalog_file_default, catalog_import, catalog_load_file
from apps.tasks.models import FINISHED_STATUSES, Task, TaskStatus
from tests.integration.upstreams import CREDENTIALS

pytestmark = pytest.mark.django_db(transaction=True)

CATALOG = catalog_load_file(catalog_file_default())
ENTRIES = {entry["id"]: entry for entry in CATALOG["models"]}
PRICED = [model_id for model_id, entry in ENTRIES.items() if entry.get("price")]
UNPRICED = [model_id for model_id, entry in ENTRIES.items() if not entry.get("price")]
EXAMPLES: dict[str, dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "examples.yaml").read_text())["examples"]
ROUTES = [(model_id, index) for model_id in PRICED for index in range(len(ENTRIES[model_id].get("routes") or []))]
OUTPUT_KIND = {
    "chat": "text", "vision": "text", "speech_to_text": "text", "lyrics": "text",
    "image_generation": "image", "image_edit": "image", "image_upscale": "image",
    "text_to_speech": "audio", "speech_to_speech": "audio", "sound_effect": "audio", "dialogue": "audio",
    "voice_isolation": "audio", "music": "audio", "stems": "audio", "audio_export": "audio",
    "video_generation": "video", "video_edit": "video", "video_upscale": "video", "lip_sync": "video",
}
WAIT_SECONDS = 30.0
CLOSED_PORT_URL = "http://127.0.0.1:9/v1"  # the discard port: connection refused at once
def _route_id(param: tuple[str, int]) -> str:
    model_id, index = param
    return model_id if index == 0 else f"{model_id}@{ENTRIES[model_id]['routes'][index]['family']}"


def _example(model_id: str, media_url: str) -> dict[str, Any]:
    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("{media}", media_url)
        if isinstance(value, list):
            return [fill(item) for item in value]
        if isinstance(value, dict):
            return {key: fill(item) for key, item in value.items()}
        return value

    return fill(copy.deepcopy(EXAMPLES[model_id]))


def _install(model_id: str) -> None:
    catalog_import(data={**CATALOG, "models": [ENTRIES[model_id]]})


def _wait(task_id: str) -> Task:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        task = Task.objects.get(public_id=task_id)
        if task.status in FINISHED_STATUSES:
            return task
        time.sleep(0.02)
    task = Task.objects.get(public_id=task_id)
    raise AssertionError(f"{task_id} still {task.status}: {list(task.events.values_list('message', flat=True))}")


def _run(model_id: str, api_key, media_url: str) -> Task:
    from apps.tasks.services import task_submit

    submitted = task_submit(api_key=api_key, model=model_id, params=_example(model_id, media_url))
    task = _wait(submitted.task.public_id)
    assert task.status == TaskStatus.SUCCEEDED, (task.error_code, task.error_message,
                                                 list(task.events.values_list("message", flat=True)))
    return task


def _assert_settled(task: Task, model_id: str) -> list:
    """Outputs of the model's kind with their bytes stored, one usage record, cost = capture ≤ quote."""
    from django.core.files.storage import default_storage

    from apps.billing.models import Hold, LedgerEntry
    from apps.billing.selectors import balance_get
    from apps.catalog import services as catalog_services
    from apps.usage.models import UsageRecord

    expected_kind = OUTPUT_KIND[ENTRIES[model_id]["task_kind"]]
    outputs = list(task.outputs.all())
    assert outputs and outputs[0].kind == expected_kind, [(o.kind, o.mime_type) for o in outputs]
    for output in outputs:
        assert output.kind in (expected_kind, "json"), (output.kind, output.mime_type)
        if output.kind == "text":
            assert output.text and output.size_bytes == len(output.text.encode())
        elif output.kind != "json":
            assert output.mime_type.startswith(f"{output.kind}/"), output.mime_type
            assert output.file and output.size_bytes > 0
            with default_storage.open(output.file.name, "rb") as handle:
                assert len(handle.read()) == output.size_bytes

    usage = UsageRecord.objects.get(task_id=task.public_id)
    captures = list(LedgerEntry.objects.filter(task_id=task.public_id, kind="capture"))
    assert len(captures) == 1
    assert usage.cost_micros == task.cost_micros == -captures[0].amount_micros
    assert usage.output_bytes == sum(o.size_bytes for o in outputs)
    assert 0 <= task.cost_micros <= task.quote_micros
    # The charge was not capped at the hold: the adapter's usage stays within what was quoted.
    charge = catalog_services.price_charge(price_version_id=task.price_version_id, params=task.params, usage=task.usage)
    assert charge.amount_micros == task.cost_micros, (charge.amount_micros, task.quote_micros, task.usage)
    assert not Hold.objects.filter(task_id=task.public_id, state="open").exists()
    assert balance_get(organization=task.organization).held_micros == 0
    return outputs


def test_every_priced_model_has_an_example():
    assert sorted(set(PRICED) - set(EXAMPLES)) == []
    assert sorted(set(EXAMPLES) - set(PRICED)) == []


def test_unpriced_models_are_skipped():
    pytest.skip(f"unpriced models cannot be called ({len(UNPRICED)}): {', '.join(UNPRICED)}")


@pytest.mark.parametrize("model_id", PRICED)
def test_simulated_provider(model_id, engine, api_key, media_server):
    """Given no credentials and simulation on, the model's example completes through the simulator."""
    from apps.catalog.models import Route

    engine.TOLLGATE_SIMULATE_UNCONFIGURED = True
    _install(model_id)
    # Shipped base URLs point at real hosts: a route used by mistake must fail here, not reach them.
    Route.objects.filter(model__model_id=model_id).exclude(base_url="").update(base_url=CLOSED_PORT_URL)

    task = _run(model_id, api_key[0], media_server.url)

    assert task.simulated and task.provider_family == "simulated"
    _assert_settled(task, model_id)


@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_real_adapter_against_fake(route, engine, api_key, media_server, fakes, monkeypatch):
    """Given simulation off and only this route configured (credentials in the environment,
    base URL on the fake), the example completes through the family's real adapter."""
    from apps.catalog.models import Route

    model_id, index = route
    spec = ENTRIES[model_id]["routes"][index]
    family = spec["family"]
    credentials_family = (spec.get("options") or {}).get("credentials_family") or family
    upstream = fakes[family]
    engine.TOLLGATE_SIMULATE_UNCONFIGURED = False
    _install(model_id)
    routes = list(Route.objects.filter(model__model_id=model_id).order_by("priority", "pk"))
    chosen = routes[index]
    Route.objects.filter(pk=chosen.pk).update(base_url=upstream.base_url)
    Route.objects.filter(model__model_id=model_id).exclude(pk=chosen.pk).update(is_enabled=False)
    for name, value in CREDENTIALS[credentials_family].items():
        monkeypatch.setenv(f"TOLLGATE_PROVIDER_{credentials_family.upper()}_{name.upper()}", value)
    if family == "openai_compatible":
        monkeypatch.setattr(upstream.fake, "api_key", CREDENTIALS[credentials_family]["api_key"])
    seen = len(upstream.api.requests)

    task = _run(model_id, api_key[0], media_server.url)

    assert not task.simulated and task.provider_family == family and task.route_pk == chosen.pk
    received = upstream.requests_since(seen)
    assert received, f"the {family} fake received nothing"
    assert all(upstream.auth_ok(req) for req in received), [(req.path, req.headers) for req in received]
    _assert_settled(task, model_id)
