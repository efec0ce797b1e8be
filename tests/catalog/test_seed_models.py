"""Every model named in the seed documents is in the shipped catalog (ids parsed from the seeds)."""
import ast
import re
from pathlib import Path

import pytest
from django.conf import settings

from apps.catalog.models import AiModel, Route
from apps.catalog.selectors import model_resolve
from apps.catalog.services.catalog_io import FUTURE_FAMILIES
from apps.providers.base import TaskKind
from apps.providers.registry import families

SEEDS = Path(settings.BASE_DIR).parent / "shared" / "seeds"


def seed_text(prefix: str) -> str:
    if not SEEDS.is_dir():
        pytest.skip(f"seed documents not found at {SEEDS}")
    return next(SEEDS.glob(f"{prefix}_*.txt")).read_text()


def seed_000_names() -> list[str]:
    text = seed_text("000").split("Response Format")[0]
    names = re.findall(r"^((?:gpt|claude|mixtral|flux|eleven-labs)-[\w.-]+)$", text, flags=re.M)
    return sorted(set(names))


def seed_002_names() -> list[str]:
    return sorted(set(re.findall(r"^([a-z0-9-]+/[a-z0-9.-]+) \| ", seed_text("002"), flags=re.M)))


def seed_003_names() -> list[str]:
    return sorted(set(re.findall(r'"model":\s*"([^"]+)"|model="([^"]+)"', seed_text("003")) and
                      [a or b for a, b in re.findall(r'"model":\s*"([^"]+)"|model="([^"]+)"', seed_text("003"))]))


def seed_004_names() -> list[str]:
    text = seed_text("004")
    chat = ast.literal_eval(re.search(r"^\[('openchat.*?)\]$", text, flags=re.M).group(0))
    imagine = re.search(r"'model': 'flux' \[one of ([^\]]+)\]", text).group(1)
    vision = re.search(r"Valid models: (.+)", text).group(1)
    suno = re.search(r'"model": "chirp-v3-5", // Optional, can be one of ([^.]+)\.', text).group(1)
    voices = re.search(r"Available voices are (\w+) and (\w+)", text).groups()
    names = set(chat) | {n.strip() for n in imagine.split(",")} | set(re.findall(r"'([^']+)'", vision))
    names |= set(re.findall(r'"([^"]+)"', suno)) | set(voices)
    return sorted(names)


def test_seed_parsers_find_the_documented_models():
    assert {"gpt-4", "claude-3-opus", "mixtral-8x22b", "flux-1-schnell", "eleven-labs-sts"} <= set(seed_000_names())
    assert len(seed_002_names()) == 50
    assert set(seed_003_names()) == {"mistralai/Mistral-7B-Instruct-v0.2", "stabilityai/stable-diffusion-2-1",
                                     "#g1_nova-2-general", "#g1_aura-asteria-en"}
    assert {"flux-realism", "gemini-pro-vision", "chirp-v2-xxl-alpha", "alex", "phi-2"} <= set(seed_004_names())


def test_every_seed_model_is_in_the_shipped_catalog(catalog):
    """One import of the shipped catalog, every check that needs all of it."""
    missing = []
    for source in (seed_000_names, seed_002_names, seed_003_names, seed_004_names):
        for name in source():
            try:
                model_resolve(name=name)
            except Exception:  # noqa: BLE001 - collect them all for one clear failure
                missing.append(name)
    assert missing == []
    # seed 002's ids are the canonical ids; the other seeds' names are aliases
    assert all(model_resolve(name=name).id == name for name in seed_002_names())
    assert model_resolve(name="gpt-4").id == "openai/gpt-4"
    assert model_resolve(name="eleven-labs-tts").id == "elevenlabs/text-to-speech"
    assert model_resolve(name="#g1_aura-asteria-en").id == "deepgram/aura-asteria-en"
    assert model_resolve(name="flux").id == "airforce/flux"
    # task kinds are TaskKind values; route families are registered adapters (or documented future ones)
    assert set(AiModel.objects.values_list("task_kind", flat=True)) <= {kind.value for kind in TaskKind}
    assert set(Route.objects.values_list("family", flat=True)) <= set(families()) | FUTURE_FAMILIES
    assert not AiModel.objects.filter(routes__isnull=True).exists()
    assert all("/" in model_id for model_id in AiModel.objects.values_list("model_id", flat=True))
