"""The built-in ``simulated`` provider (see ``apps.providers.simulated`` for its options).

It serves every task kind without network or credentials; every result says it was
simulated. ``http`` is accepted for the Adapter contract and never used."""
from __future__ import annotations

import time
from typing import Any, Callable

import httpx

from apps.providers.base import ChunkCallback, ProviderError, ProviderRequest, ProviderResult, TaskKind
from apps.providers.registry import register
from apps.providers.simulated import audio, image, text, video
from apps.providers.simulated.faults import raise_injected_fault
from apps.providers.simulated.options import SimulationOptions, simulation_options
from apps.providers.simulated.seeding import short_id

Handler = Callable[[ProviderRequest, SimulationOptions, ChunkCallback | None], ProviderResult]
VIDEO_KINDS = frozenset({TaskKind.VIDEO_GENERATION, TaskKind.VIDEO_EDIT, TaskKind.VIDEO_UPSCALE, TaskKind.LIP_SYNC})
UNSUPPORTED_KIND = "the simulated provider does not serve task kind {kind!r}"
NOT_ASYNC = "the simulated provider has no async job for task kind {kind!r}"


def _sync(generate: Callable[[ProviderRequest], ProviderResult]) -> Handler:
    return lambda request, options, on_chunk: generate(request)


HANDLERS: dict[str, Handler] = {
    TaskKind.CHAT.value: text.generate_text,
    TaskKind.VISION.value: text.generate_text,
    TaskKind.LYRICS.value: text.generate_text,
    TaskKind.IMAGE_GENERATION.value: _sync(image.generate_images),
    TaskKind.IMAGE_EDIT.value: _sync(image.generate_images),
    TaskKind.IMAGE_UPSCALE.value: _sync(image.generate_images),
    TaskKind.TEXT_TO_SPEECH.value: _sync(audio.text_to_speech),
    TaskKind.DIALOGUE.value: _sync(audio.dialogue),
    TaskKind.SOUND_EFFECT.value: _sync(audio.sound_effect),
    TaskKind.SPEECH_TO_TEXT.value: _sync(audio.speech_to_text),
    TaskKind.SPEECH_TO_SPEECH.value: _sync(audio.speech_to_speech),
    TaskKind.VOICE_ISOLATION.value: _sync(audio.voice_isolation),
    TaskKind.MUSIC.value: _sync(audio.music),
    TaskKind.STEMS.value: _sync(audio.stems),
    TaskKind.AUDIO_EXPORT.value: _sync(audio.audio_export),
    **{kind.value: (lambda request, options, on_chunk: video.submit(request, options)) for kind in VIDEO_KINDS},
}


def _finished(result: ProviderResult, request: ProviderRequest) -> ProviderResult:
    result.simulated = True
    result.provider_request_id = result.provider_request_id or short_id(request)
    if result.state.value == "succeeded":
        result.usage.setdefault("requests", 1)
    return result


@register
class SimulatedAdapter:
    family = "simulated"

    def run(self, request: ProviderRequest, http: httpx.Client, on_chunk: ChunkCallback | None = None) -> ProviderResult:
        handler = HANDLERS.get(request.task_kind)
        if handler is None:
            raise ProviderError(UNSUPPORTED_KIND.format(kind=request.task_kind), code="provider_invalid_request",
                                status=400)
        options = simulation_options(request.options)
        raise_injected_fault(request, options)
        if options.latency_ms:
            time.sleep(options.latency_ms / 1000.0)
        return _finished(handler(request, options, on_chunk), request)

    def poll(self, request: ProviderRequest, job: dict[str, Any], http: httpx.Client) -> ProviderResult:
        if request.task_kind not in {kind.value for kind in VIDEO_KINDS}:
            raise ProviderError(NOT_ASYNC.format(kind=request.task_kind), code="provider_bad_response", status=502)
        return _finished(video.poll(request, job), request)
