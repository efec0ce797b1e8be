"""The provider adapter contract.

Adapters turn a validated task into provider HTTP calls and provider responses into
normalized outputs plus usage. They are plain Python on an injected ``httpx.Client``:
no Django, no money, no tenants (see README "Architecture").

Usage keys (the quantities pricing reads; an adapter reports those it knows):
    input_tokens, output_tokens      int   text models (from the provider's usage fields)
    images                           int   generated images
    seconds                          str   Decimal string: seconds of generated video/audio
    characters                       int   text-to-speech input characters
    audio_seconds                    str   Decimal string: seconds of input audio (speech-to-text)
    requests                         int   always 1 for a finished call
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import httpx


class TaskKind(str, enum.Enum):
    CHAT = "chat"
    VISION = "vision"
    IMAGE_GENERATION = "image_generation"
    IMAGE_EDIT = "image_edit"
    IMAGE_UPSCALE = "image_upscale"
    TEXT_TO_SPEECH = "text_to_speech"
    SPEECH_TO_TEXT = "speech_to_text"
    SPEECH_TO_SPEECH = "speech_to_speech"
    SOUND_EFFECT = "sound_effect"
    DIALOGUE = "dialogue"
    VOICE_ISOLATION = "voice_isolation"
    VIDEO_GENERATION = "video_generation"
    VIDEO_EDIT = "video_edit"
    VIDEO_UPSCALE = "video_upscale"
    LIP_SYNC = "lip_sync"
    MUSIC = "music"
    LYRICS = "lyrics"
    STEMS = "stems"
    AUDIO_EXPORT = "audio_export"


@dataclass(frozen=True)
class InputFile:
    """A file the caller uploaded (multipart) or the engine fetched from a checked URL."""

    filename: str
    content: bytes
    content_type: str


@dataclass
class ProviderRequest:
    task_id: str
    task_kind: str  # a TaskKind value
    model: str  # our canonical id, "provider/model"
    upstream_model: str  # the provider's own model id (from the catalog route)
    params: dict[str, Any]  # validated parameters, as the catalog schema names them
    files: dict[str, InputFile] = field(default_factory=dict)  # parameter name -> file
    credentials: dict[str, str] = field(default_factory=dict)  # e.g. {"api_key": ...}
    base_url: str | None = None  # None: the adapter's documented default
    timeout_seconds: float = 60.0
    options: dict[str, Any] = field(default_factory=dict)  # route options (vendor flavour, region...)


@dataclass
class Output:
    """One normalized output. File outputs carry their bytes: adapters download provider
    result URLs themselves (they know whether the URL may receive the API key)."""

    kind: str  # "text" | "image" | "audio" | "video" | "json"
    mime_type: str = "text/plain"
    data: bytes | None = None
    text: str | None = None
    filename: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)  # width/height/duration/finish_reason...


class ResultState(str, enum.Enum):
    SUCCEEDED = "succeeded"
    PENDING = "pending"  # async job submitted/still running: poll later with ``job``


@dataclass
class ProviderResult:
    state: ResultState
    outputs: list[Output] = field(default_factory=list)
    usage: dict[str, Any] = field(default_factory=dict)
    job: dict[str, Any] | None = None  # JSON-serializable poll state (job id, polling url...)
    progress: int | None = None  # 0-100 when the provider reports it
    poll_after_seconds: float | None = None  # provider's hint for the next poll
    provider_request_id: str | None = None
    simulated: bool = False


class ProviderError(Exception):
    """A provider call failed.

    ``retryable``: connection errors, timeouts, 408/409/429/5xx (and provider-specific
    "busy" codes) — the engine retries, then fails with 502/504. Otherwise the failure is
    final: ``status`` 400 means the request was refused for its content (the cleaned
    provider message is shown to the caller), 502 means the provider misbehaved.
    ``message`` must never contain credentials or raw upstream bodies with secrets.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str = "provider_error",
        retryable: bool = False,
        status: int = 502,
        retry_after_seconds: float | None = None,
        upstream_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.retryable = retryable
        self.status = status
        self.retry_after_seconds = retry_after_seconds
        self.upstream_status = upstream_status


ChunkCallback = Callable[[str], None]


class Adapter(Protocol):
    family: str  # registry key, e.g. "openai", "anthropic", "simulated"

    def run(
        self,
        request: ProviderRequest,
        http: httpx.Client,
        on_chunk: ChunkCallback | None = None,
    ) -> ProviderResult:
        """Sync providers: do the call, return SUCCEEDED. Streaming chat: call
        ``on_chunk(text_delta)`` as tokens arrive and return the full text and usage.
        Async providers: submit and return PENDING with ``job`` set."""
        ...

    def poll(self, request: ProviderRequest, job: dict[str, Any], http: httpx.Client) -> ProviderResult:
        """Async providers: check the job once (never sleep); PENDING or SUCCEEDED."""
        ...
