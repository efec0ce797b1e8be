"""The fake provider behind each adapter family: its base URL, the credentials the platform
must send (set as TOLLGATE_PROVIDER_<FAMILY>_<FIELD>) and how its API server checks them."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from tests.providers.fakes import (
    anthropic_fake, bfl_fake, deepgram_fake, elevenlabs_fake, google_fake, mistral_fake, openai_fake, stability_fake,
)
from tests.providers.fakes.kling_fake import KlingFake
from tests.providers.fakes.minimax_fake import MiniMaxFake
from tests.providers.fakes.server import FakeServer, Request
from tests.providers.fakes.topaz_fake import TopazFake

KLING_ACCESS_KEY, KLING_SECRET_KEY = "kling-test-access", "kling-test-secret-0123456789abcdefgh"
MINIMAX_KEY = "minimax-test-key"
TOPAZ_KEY = "topaz-test-key"
COMPATIBLE_KEY = "compatible-test-key"
# Credentials per credentials family (a route option may borrow another family's key).
CREDENTIALS: dict[str, dict[str, str]] = {
    "openai": {"api_key": openai_fake.API_KEY},
    "openai_compatible": {"api_key": COMPATIBLE_KEY},
    "anthropic": {"api_key": anthropic_fake.API_KEY},
    "mistral": {"api_key": mistral_fake.API_KEY},
    "bfl": {"api_key": bfl_fake.API_KEY},
    "stability": {"api_key": stability_fake.API_KEY},
    "google": {"api_key": google_fake.API_KEY},
    "topaz": {"api_key": TOPAZ_KEY},
    "minimax": {"api_key": MINIMAX_KEY},
    "kling": {"access_key": KLING_ACCESS_KEY, "secret_key": KLING_SECRET_KEY},
    "elevenlabs": {"api_key": elevenlabs_fake.API_KEY},
    "aimlapi": {"api_key": deepgram_fake.AIMLAPI_KEY},
    "deepgram": {"api_key": deepgram_fake.DEEPGRAM_KEY},
}


@dataclass
class Upstream:
    family: str
    base_url: str
    api: FakeServer  # the server that must see the credentials
    auth_ok: Callable[[Request], bool]
    fake: Any = None
    servers: list[FakeServer] = field(default_factory=list)  # every server to start and stop

    def requests_since(self, count: int) -> list[Request]:
        return self.api.requests[count:]


def _header(name: str, value: str | Callable[[], str]) -> Callable[[Request], bool]:
    return lambda req: req.headers.get(name) == (value() if callable(value) else value)


def _build() -> dict[str, Upstream]:
    ups: dict[str, Upstream] = {}
    openai = openai_fake.OpenAIFake()
    ups["openai"] = Upstream("openai", openai.url, openai.server, _header("authorization", f"Bearer {openai_fake.API_KEY}"),
                             openai, [openai.server])
    compatible = openai_fake.OpenAIFake(api_key=COMPATIBLE_KEY)  # its api_key follows the route's credentials family
    ups["openai_compatible"] = Upstream("openai_compatible", compatible.url, compatible.server,
                                        _header("authorization", lambda: f"Bearer {compatible.api_key}"), compatible,
                                        [compatible.server])
    anthropic = anthropic_fake.AnthropicFake()
    ups["anthropic"] = Upstream("anthropic", anthropic.url, anthropic.server, _header("x-api-key", anthropic_fake.API_KEY),
                                anthropic, [anthropic.server])
    mistral = mistral_fake.MistralFake()
    ups["mistral"] = Upstream("mistral", mistral.url, mistral.server, _header("authorization", f"Bearer {mistral_fake.API_KEY}"),
                              mistral, [mistral.server])
    api, delivery = FakeServer(), FakeServer()
    ups["bfl"] = Upstream("bfl", api.url, api, _header("x-key", bfl_fake.API_KEY), bfl_fake.BflFake(api, delivery), [api, delivery])
    server = FakeServer()
    ups["stability"] = Upstream("stability", server.url, server, _header("authorization", f"Bearer {stability_fake.API_KEY}"),
                                stability_fake.StabilityFake(server), [server])
    server = FakeServer()
    ups["google"] = Upstream("google", server.url, server, _header("x-goog-api-key", google_fake.API_KEY),
                             google_fake.GoogleFake(server), [server])
    server = FakeServer()
    ups["elevenlabs"] = Upstream("elevenlabs", server.url, server, _header("xi-api-key", elevenlabs_fake.API_KEY),
                                 elevenlabs_fake.ElevenLabsFake(server), [server])
    server = FakeServer()
    ups["aimlapi"] = Upstream("aimlapi", server.url, server, _header("authorization", f"Bearer {deepgram_fake.AIMLAPI_KEY}"),
                              deepgram_fake.AimlApiFake(server), [server])
    server = FakeServer()
    ups["deepgram"] = Upstream("deepgram", server.url, server, _header("authorization", f"Token {deepgram_fake.DEEPGRAM_KEY}"),
                               deepgram_fake.DeepgramFake(server), [server])
    for family, provider, auth in (
        ("topaz", TopazFake(TOPAZ_KEY), _header("x-api-key", TOPAZ_KEY)),
        ("minimax", MiniMaxFake(MINIMAX_KEY), _header("authorization", f"Bearer {MINIMAX_KEY}")),
        ("kling", KlingFake(KLING_ACCESS_KEY, KLING_SECRET_KEY), lambda req: req.headers.get("authorization", "").startswith("Bearer ey")),
    ):
        ups[family] = Upstream(family, provider.api.url, provider.api, auth, provider, list(provider.servers))
    return ups


def start_all() -> dict[str, Upstream]:
    ups = _build()
    for upstream in ups.values():
        for server in upstream.servers:
            server.__enter__()
    return ups


def stop_all(ups: dict[str, Upstream]) -> None:
    for upstream in ups.values():
        for server in upstream.servers:
            server.__exit__(None, None, None)

