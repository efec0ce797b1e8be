"""Audio formats as providers name them, encoding through ffmpeg, and reading uploads back.

The spoken text is embedded as the file's comment (WAV LIST/INFO ICMT, ID3 COMM, Vorbis
comment) so simulated speech-to-text can return it."""
from __future__ import annotations

import os
import re
import tempfile
from array import array
from dataclasses import dataclass
from typing import Any

from apps.providers.simulated.ffmpeg import BITEXACT, run_ffmpeg
from apps.providers.simulated.pcm import Pcm, read_wav, wav_bytes, wav_comment

RAW_PCM_GUESS_RATE = 24000  # OpenAI's "pcm" format: headerless s16le at 24 kHz


@dataclass(frozen=True)
class AudioFormat:
    codec: str  # mp3 | wav | flac | opus | aac | pcm | ulaw | alaw
    sample_rate: int
    bitrate_kbps: int
    mime_type: str
    extension: str


CODECS: dict[str, tuple[int, int, str, str]] = {  # codec -> default rate, kbps, mime, extension
    "mp3": (44100, 128, "audio/mpeg", "mp3"),
    "wav": (44100, 0, "audio/wav", "wav"),
    "flac": (44100, 0, "audio/flac", "flac"),
    "opus": (48000, 64, "audio/ogg", "opus"),
    "aac": (44100, 128, "audio/aac", "aac"),
    "pcm": (24000, 0, "audio/pcm", "pcm"),
    "ulaw": (8000, 0, "audio/basic", "ulaw"),
    "alaw": (8000, 0, "audio/x-alaw-basic", "alaw"),
}
OPUS_RATES = (48000, 24000, 16000, 12000, 8000)


def audio_format(params: dict[str, Any], default: str = "mp3") -> AudioFormat:
    """ElevenLabs "mp3_44100_128" / "pcm_16000", OpenAI "mp3"/"wav"/"flac"/"opus"/"aac"/"pcm".
    Anything unknown falls back to ``default``."""
    spelled = str(params.get("output_format") or params.get("response_format") or params.get("format") or default)
    match = re.fullmatch(r"([a-z0-9]+)(?:_(\d+))?(?:_(\d+))?", spelled.strip().lower())
    codec = match.group(1) if match else default
    codec = {"mulaw": "ulaw", "mpeg": "mp3", "ogg": "opus", "m4a": "aac"}.get(codec, codec)
    if codec not in CODECS:
        codec = default
    rate, kbps, mime_type, extension = CODECS[codec]
    if match and match.group(2) and codec == match.group(1):
        rate = min(max(int(match.group(2)), 8000), 48000)
    if match and match.group(3) and codec == match.group(1):
        kbps = min(max(int(match.group(3)), 8), 320)
    if codec == "opus" and rate not in OPUS_RATES:
        rate = 48000
    return AudioFormat(codec, rate, kbps, mime_type, extension)


def _resampled(pcm: Pcm, rate: int) -> Pcm:
    if pcm.sample_rate == rate:
        return pcm
    raw, _ = run_ffmpeg(["-f", "s16le", "-ar", str(pcm.sample_rate), "-ac", "1", "-i", "pipe:0",
                         "-f", "s16le", "-ar", str(rate), "-ac", "1", "pipe:1"], pcm.raw())
    return Pcm(array("h", raw), rate)


def _codec_args(target: AudioFormat) -> list[str]:
    bitrate = ["-b:a", f"{target.bitrate_kbps}k"]
    return {
        "mp3": ["-c:a", "libmp3lame", *bitrate, "-id3v2_version", "3", "-f", "mp3"],
        "flac": ["-c:a", "flac", "-f", "flac"],
        "opus": ["-c:a", "libopus", *bitrate, "-f", "ogg"],
        "aac": ["-c:a", "aac", *bitrate, "-f", "adts"],
        "ulaw": ["-c:a", "pcm_mulaw", "-f", "mulaw"],
        "alaw": ["-c:a", "pcm_alaw", "-f", "alaw"],
    }[target.codec]


def encode_audio(pcm: Pcm, target: AudioFormat, comment: str | None = None,
                 title: str | None = None) -> bytes:
    if target.codec == "wav":
        return wav_bytes(_resampled(pcm, target.sample_rate), comment)
    if target.codec == "pcm":
        return _resampled(pcm, target.sample_rate).raw()
    metadata: list[str] = []
    for key, value in (("comment", comment), ("title", title)):
        if value:
            metadata += ["-metadata", f"{key}={value.replace(chr(0), ' ')}"]
    stdout, _ = run_ffmpeg(["-f", "s16le", "-ar", str(pcm.sample_rate), "-ac", "1", "-i", "pipe:0",
                            "-ar", str(target.sample_rate), "-ac", "1", *BITEXACT, *metadata,
                            *_codec_args(target), "pipe:1"], pcm.raw())
    return stdout


@dataclass(frozen=True)
class ProbedAudio:
    duration_seconds: float
    comment: str | None
    pcm: Pcm | None = None  # decoded samples, when asked for


def _unescape_ffmetadata(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value, flags=re.DOTALL)


def _ffmetadata_comment(text: str) -> str | None:
    match = re.search(r"^comment=((?:[^\\\n]|\\.)*)$", text, flags=re.MULTILINE | re.DOTALL)
    return _unescape_ffmetadata(match.group(1)) if match else None


def probe_audio(data: bytes, *, decode: bool = False, rate: int = 22050) -> ProbedAudio:
    """Duration and embedded comment of any audio (or video) file the ffmpeg binary reads.
    Headerless data is taken as 24 kHz s16le, OpenAI's "pcm"."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE" and (wav := read_wav(data)) is not None:
        pcm = _resampled(wav, rate) if decode else None
        return ProbedAudio(wav.duration_seconds, wav_comment(data), pcm)
    with tempfile.TemporaryDirectory(prefix="tollgate-sim-") as directory:
        path = os.path.join(directory, "input")
        with open(path, "wb") as handle:
            handle.write(data)
        metadata, _ = run_ffmpeg(["-i", path, "-f", "ffmetadata", "pipe:1"], check=False)
        if _ffmetadata_comment(metadata.decode("utf-8", "replace")) is None:  # Ogg keeps tags per stream
            metadata, _ = run_ffmpeg(["-i", path, "-map_metadata", "0:s:0", "-f", "ffmetadata", "pipe:1"], check=False)
        raw, _ = run_ffmpeg(["-i", path, "-vn", "-f", "s16le", "-ac", "1", "-ar", str(rate), "pipe:1"], check=False)
    comment = _ffmetadata_comment(metadata.decode("utf-8", "replace"))
    if not raw and len(data) > 1:  # nothing decodable: headerless PCM
        pcm = _resampled(Pcm(array("h", data[: len(data) // 2 * 2]), RAW_PCM_GUESS_RATE), rate)
        return ProbedAudio(len(data) / 2 / RAW_PCM_GUESS_RATE, None, pcm if decode else None)
    pcm = Pcm(array("h", raw[: len(raw) // 2 * 2]), rate)
    return ProbedAudio(pcm.duration_seconds, comment, pcm if decode else None)
