"""Routes of the single-call, OpenAI-compatible and convenience surfaces (full paths).
Seed 004 serves each convenience path both with and without ``/v1``."""
from django.urls import path

from apps.tasks.surfaces import check, convenience, openai_audio, openai_chat, openai_images, suno, task_api


def both(route: str, view, name: str) -> list:
    return [path(f"v1/{route}", view, name=f"v1-{name}"), path(route, view, name=name)]


urlpatterns = [
    # Seeds 000/001: the single-call task API.
    path("api/v1/task", task_api.task_create, name="task-single-call"),
    # Seeds 003/004: OpenAI-compatible.
    *both("chat/completions", openai_chat.chat_completions, "chat-completions"),
    path("v1/images/generations", openai_images.openai_image_generations, name="v1-images-generations"),
    path("images/generations", openai_images.aiml_image_generations, name="images-generations"),
    path("v1/audio/speech", openai_audio.openai_speech, name="v1-audio-speech"),
    path("v1/audio/transcriptions", openai_audio.openai_transcriptions, name="v1-audio-transcriptions"),
    path("tts", openai_audio.aiml_tts, name="tts"),
    path("stt", openai_audio.aiml_stt, name="stt"),
    # Seed 004: convenience.
    *both("imagine", convenience.imagine, "imagine"),
    *both("imagine2", convenience.imagine2, "imagine2"),
    *both("get-audio", convenience.get_audio, "get-audio"),
    *both("images/vision", convenience.images_vision, "images-vision"),
    *both("ask", convenience.ask, "ask"),
    *both("suno", suno.suno_create, "suno"),
    path("v1/suno/<str:clip_id>", suno.suno_clip, name="v1-suno-clip"),
    path("suno/<str:clip_id>", suno.suno_clip, name="suno-clip"),
    *both("check", check.key_check, "check"),
]
