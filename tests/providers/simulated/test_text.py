from apps.providers.base import ResultState
from apps.core.tokens import encoding
from apps.providers.simulated.text import input_token_count

from tests.providers.simulated.helpers import make_request, run

CHAT = {"messages": [{"role": "system", "content": "You are helpful."},
                     {"role": "user", "content": "Explain quantum computing in simple terms."}]}


def test_chat_reply_mentions_the_prompt_and_reports_usage():
    result = run(make_request("chat", CHAT))

    assert result.state == ResultState.SUCCEEDED
    assert result.simulated is True
    text = result.outputs[0].text
    assert "quantum" in text and "computing" in text
    assert result.usage["output_tokens"] == len(encoding().encode(text))
    assert result.usage["input_tokens"] == input_token_count(CHAT) > len(encoding().encode("Explain quantum computing"))
    assert result.usage["requests"] == 1
    assert result.outputs[0].meta["finish_reason"] == "stop"


def test_a_special_token_marker_in_the_prompt_is_plain_text():
    # bpe_openai's encode() refuses "<|endoftext|>" (the task failed); a user may well write it.
    params = {"messages": [{"role": "user", "content": "What does <|endoftext|> mean in GPT training data?"}]}

    result = run(make_request("chat", params))

    assert result.state == ResultState.SUCCEEDED
    text_tokens = len(encoding().encode("What does <|endoftext|> mean in GPT training data?", disallowed_special=()))
    assert result.usage["input_tokens"] == input_token_count(params) == 3 + 3 + 1 + text_tokens


def test_streamed_chunks_concatenate_to_the_final_text():
    chunks: list[str] = []

    result = run(make_request("chat", CHAT, options={"token_delay_ms": 1}), on_chunk=chunks.append)

    assert len(chunks) == result.usage["output_tokens"]
    assert "".join(chunks) == result.outputs[0].text


def test_max_tokens_cuts_the_reply_with_finish_reason_length():
    chunks: list[str] = []

    result = run(make_request("chat", {**CHAT, "max_tokens": 7}), on_chunk=chunks.append)

    assert result.usage["output_tokens"] == 7
    assert len(encoding().encode(result.outputs[0].text)) <= 7
    assert "".join(chunks) == result.outputs[0].text
    assert result.outputs[0].meta["finish_reason"] == "length"


def test_non_ascii_prompt_streams_whole_characters():
    chunks: list[str] = []
    params = {"messages": [{"role": "user", "content": "Erkläre Müsli und Käse 😀 bitte"}]}

    result = run(make_request("chat", params), on_chunk=chunks.append)

    assert "".join(chunks) == result.outputs[0].text
    assert "\ufffd" not in result.outputs[0].text
    assert "müsli" in result.outputs[0].text


def test_same_request_same_text_and_other_seed_other_text():
    first = run(make_request("chat", {**CHAT, "seed": 1})).outputs[0].text
    again = run(make_request("chat", {**CHAT, "seed": 1})).outputs[0].text
    other = run(make_request("chat", {**CHAT, "seed": 2})).outputs[0].text

    assert first == again
    assert first != other


def test_vision_describes_the_attached_image_parts():
    params = {"messages": [{"role": "user", "content": [
        {"type": "text", "text": "What is in this photo?"},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]}]}

    result = run(make_request("vision", params))

    assert result.outputs[0].text.startswith("I can see 1 image.")
    assert "photo" in result.outputs[0].text


def test_lyrics_have_sections_and_a_title():
    result = run(make_request("lyrics", {"prompt": "summer love on the beach", "mv": "remi-v1"}))

    lyrics = result.outputs[0].text
    assert "[Verse 1]" in lyrics and "[Chorus]" in lyrics
    assert result.outputs[0].meta["title"] == "Summer Love Beach"
