"""Audio task kinds: speech, dialogue, sound effects, voice tasks, music, stems, export, STT."""
from __future__ import annotations

from typing import Any

from apps.providers.base import InputFile, Output, ProviderError, ProviderRequest, ProviderResult, ResultState
from apps.providers.simulated import synth
from apps.providers.simulated.audio_codec import AudioFormat, ProbedAudio, audio_format, encode_audio, probe_audio
from apps.providers.simulated.pcm import Pcm, concatenate
from apps.providers.simulated.seeding import prompt_of, request_rng
from apps.providers.simulated.speech import speak

MAX_MUSIC_SECONDS = 30.0
DEFAULT_MUSIC_SECONDS = 8.0
MAX_SOUND_EFFECT_SECONDS = 22.0
DEFAULT_SOUND_EFFECT_SECONDS = 3.0
NO_AUDIO_INPUT = "the simulated provider needs an uploaded audio file for this task"


def seconds_string(seconds: float) -> str:
    return f"{seconds:.3f}"


def number_param(params: dict[str, Any], keys: tuple[str, ...], default: float, cap: float) -> float:
    for key in keys:
        value = params.get(key)
        try:
            if value is not None and not isinstance(value, bool) and float(value) > 0:
                return min(float(value), cap)
        except (TypeError, ValueError):
            continue
    return default


def uploaded_audio(request: ProviderRequest) -> InputFile:
    files = list(request.files.values())
    preferred = [f for f in files if f.content_type.startswith(("audio/", "video/"))]
    if not (preferred or files):
        raise ProviderError(NO_AUDIO_INPUT, code="provider_invalid_request", status=400)
    return (preferred or files)[0]


def audio_output(pcm: Pcm, target: AudioFormat, name: str, comment: str | None = None,
                 meta: dict[str, Any] | None = None, title: str | None = None) -> Output:
    data = encode_audio(pcm, target, comment=comment, title=title)
    return Output(kind="audio", mime_type=target.mime_type, data=data, filename=f"{name}.{target.extension}",
                  meta={"duration_seconds": round(pcm.duration_seconds, 3), "sample_rate": target.sample_rate,
                        "format": target.codec, **(meta or {})})


def succeeded(outputs: list[Output], **usage: Any) -> ProviderResult:
    return ProviderResult(state=ResultState.SUCCEEDED, outputs=outputs, usage=usage)


def voice_of(params: dict[str, Any]) -> str:
    return str(params.get("voice_id") or params.get("voice") or "")


def text_to_speech(request: ProviderRequest) -> ProviderResult:
    text = prompt_of(request.params)
    speed = number_param(request.params, ("speed",), 1.0, 4.0)
    pcm = speak(text, voice_of(request.params), speed)
    output = audio_output(pcm, audio_format(request.params), "speech", comment=text,
                          meta={"voice": voice_of(request.params)})
    return succeeded([output], characters=len(text), seconds=seconds_string(pcm.duration_seconds))


def dialogue(request: ProviderRequest) -> ProviderResult:
    lines = [(str(item.get("text") or ""), str(item.get("voice_id") or item.get("voice") or index))
             for index, item in enumerate(request.params.get("inputs") or []) if isinstance(item, dict)]
    lines = [(text, voice) for text, voice in lines if text.strip()] or [(prompt_of(request.params), "")]
    pcm = concatenate([speak(text, voice) for text, voice in lines], gap_seconds=0.3)
    transcript = "\n".join(text for text, _ in lines)
    output = audio_output(pcm, audio_format(request.params), "dialogue", comment=transcript)
    return succeeded([output], characters=sum(len(text) for text, _ in lines),
                     seconds=seconds_string(pcm.duration_seconds))


def sound_effect(request: ProviderRequest) -> ProviderResult:
    seconds = number_param(request.params, ("duration_seconds", "duration"), DEFAULT_SOUND_EFFECT_SECONDS,
                           MAX_SOUND_EFFECT_SECONDS)
    pcm = synth.sound_effect(request_rng(request, "sfx"), seconds)
    prompt = prompt_of(request.params)
    output = audio_output(pcm, audio_format(request.params), "sound-effect", comment=f"Sound effect: {prompt}")
    return succeeded([output], characters=len(prompt), seconds=seconds_string(pcm.duration_seconds))


def transcript_of(probed: ProbedAudio) -> str:
    if probed.comment:
        return probed.comment
    return f"Simulated transcript of a {probed.duration_seconds:.1f} second recording with no embedded text."


def speech_to_text(request: ProviderRequest) -> ProviderResult:
    probed = probe_audio(uploaded_audio(request).content)
    output = Output(kind="text", text=transcript_of(probed),
                    meta={"language_code": "en", "duration_seconds": round(probed.duration_seconds, 3)})
    return succeeded([output], audio_seconds=seconds_string(probed.duration_seconds))


def speech_to_speech(request: ProviderRequest) -> ProviderResult:
    probed = probe_audio(uploaded_audio(request).content)
    text = transcript_of(probed)
    pcm = speak(text, voice_of(request.params))
    output = audio_output(pcm, audio_format(request.params), "speech", comment=text)
    return succeeded([output], audio_seconds=seconds_string(probed.duration_seconds),
                     seconds=seconds_string(pcm.duration_seconds))


def voice_isolation(request: ProviderRequest) -> ProviderResult:
    """The upload itself, decoded and re-encoded: a simulator cannot separate voices."""
    probed = probe_audio(uploaded_audio(request).content, decode=True)
    if probed.pcm is None or not len(probed.pcm.samples):
        raise ProviderError("the simulated provider could not decode the uploaded audio",
                            code="provider_invalid_request", status=400)
    output = audio_output(probed.pcm, audio_format(request.params), "isolated", comment=probed.comment)
    return succeeded([output], audio_seconds=seconds_string(probed.duration_seconds),
                     seconds=seconds_string(probed.pcm.duration_seconds))


def music(request: ProviderRequest) -> ProviderResult:
    params = request.params
    seconds = number_param(params, ("duration", "duration_seconds", "music_length_seconds"),
                           DEFAULT_MUSIC_SECONDS, MAX_MUSIC_SECONDS)
    tracks = synth.melody_tracks(request_rng(request, "music"), seconds)
    pcm = synth.to_pcm(synth.mix(list(tracks.values())))
    prompt = prompt_of(params)
    title = str(params.get("title") or " ".join(prompt.split()[:4]) or "Simulated Song")
    tags = str(params.get("tags") or "simulated")
    output = audio_output(pcm, audio_format(params), "song", comment=prompt or title, title=title,
                          meta={"title": title, "tags": tags, "instrumental": bool(params.get("make_instrumental"))})
    return succeeded([output], seconds=seconds_string(pcm.duration_seconds))


def stems(request: ProviderRequest) -> ProviderResult:
    """Two stems (vocals/instrumental) or, for "all" models, every track of the melody."""
    tracks = synth.melody_tracks(request_rng(request, "music"), DEFAULT_MUSIC_SECONDS)
    if "all" in request.model or "all" in request.upstream_model:
        named = {"vocals": [tracks["lead"]], "bass": [tracks["bass"]], "drums": [tracks["drums"]]}
    else:
        named = {"vocals": [tracks["lead"]], "instrumental": [tracks["bass"], tracks["drums"]]}
    target = audio_format(request.params)
    outputs = [audio_output(synth.to_pcm(synth.mix(parts)), target, name, meta={"stem": name})
               for name, parts in named.items()]
    return succeeded(outputs, seconds=seconds_string(DEFAULT_MUSIC_SECONDS))


def audio_export(request: ProviderRequest) -> ProviderResult:
    """The uploaded audio (or the clip's simulated melody) as WAV unless another format is asked."""
    target = audio_format(request.params, default="wav")
    if request.files:
        probed = probe_audio(uploaded_audio(request).content, decode=True)
        pcm, comment = probed.pcm, probed.comment
    else:
        pcm, comment = None, None
    if pcm is None or not len(pcm.samples):
        tracks = synth.melody_tracks(request_rng(request, "music"), DEFAULT_MUSIC_SECONDS)
        pcm = synth.to_pcm(synth.mix(list(tracks.values())))
    output = audio_output(pcm, target, "export", comment=comment)
    return succeeded([output], seconds=seconds_string(pcm.duration_seconds))
