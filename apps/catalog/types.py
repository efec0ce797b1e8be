"""The catalog's public types: what the engine, billing and the surfaces receive from it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ResolvedModel:
    """A model found by canonical id ("provider/model") or alias ("gpt-4")."""

    pk: int
    id: str  # canonical "provider/model"
    display_name: str
    modality: str  # text | image | audio | video | music
    task_kind: str  # an apps.providers.base.TaskKind value
    owned_by: str  # provider prefix of the id, for OpenAI-style listings
    created: int  # unix seconds, for OpenAI-style listings


@dataclass(frozen=True)
class RouteTarget:
    """One way to serve a model, with everything the adapter needs (credentials decrypted,
    in memory only). Targets come ordered by priority; the engine fails over in order."""

    route_pk: int | None  # None for the built-in simulated fallback
    family: str  # adapter registry key: "openai", "bfl", ..., "simulated"
    upstream_model: str
    base_url: str | None
    credentials: dict[str, str] = field(default_factory=dict, repr=False)
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def simulated(self) -> bool:
        return self.family == "simulated"


@dataclass(frozen=True)
class PriceLine:
    item: str  # e.g. "output_tokens", "video_seconds", "image"
    quantity: str  # Decimal as string
    unit: str  # e.g. "token", "second", "image", "character", "minute", "request"
    unit_price_micros: str  # Decimal as string (may be fractional)
    per: int  # the unit price is per this many units (1_000_000 for per-million tokens)
    amount_micros: int  # charge_micros(quantity, unit_price_micros, per=per)


@dataclass(frozen=True)
class Quote:
    """The maximum a task can cost: the amount held before it runs."""

    model_id: str
    price_version_id: int
    amount_micros: int
    currency: str
    lines: list[PriceLine]
    assumptions: dict[str, Any]  # e.g. {"prompt_tokens": 12, "max_tokens": 4096, "tokenizer": "cl100k_base"}
    formula_inputs: dict[str, Any]  # the params the price rules read, recorded on the task


@dataclass(frozen=True)
class Charge:
    """The actual cost of a finished task, from the provider's reported usage."""

    amount_micros: int
    lines: list[PriceLine]
    quantities: dict[str, Any]
