"""Request bodies read by apps/core/json_body.py: what json.loads lets through is refused."""
import json

import pytest

from apps.core.json_body import LONE_SURROGATE, TOO_DEEP, BodyRefused, json_loads


def test_ordinary_json_and_paired_surrogates_are_read():
    assert json_loads(b'{"a": [1, 2.5, "x", null, true]}') == {"a": [1, 2.5, "x", None, True]}
    assert json_loads('{"emoji": "\\ud83d\\ude00"}') == {"emoji": "\U0001F600"}  # a pair is one character


@pytest.mark.parametrize("raw", [b'{"a": "\\ud800"}', b'["x\\udfff"]', '{"k": "a\\ud83d"}'])
def test_a_lone_surrogate_escape_is_refused(raw):
    with pytest.raises(BodyRefused, match="surrogate") as refused:
        json_loads(raw)
    assert str(refused.value) == LONE_SURROGATE


def test_nesting_deeper_than_python_reads_is_refused():
    with pytest.raises(BodyRefused) as refused:
        json_loads("[" * 100_000 + "]" * 100_000)
    assert str(refused.value) == TOO_DEEP


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_numbers_are_refused(constant):
    with pytest.raises(BodyRefused, match=constant.lstrip("-")):
        json_loads(f'{{"temperature": {constant}}}')


def test_a_syntax_error_stays_a_decode_error():
    with pytest.raises(json.JSONDecodeError):
        json_loads(b'{"a": ')


def test_the_nul_character_is_refused_but_its_escape_as_text_is_not():
    with pytest.raises(BodyRefused) as refused:
        json_loads(b'{"messages": [{"content": "a\\u0000b"}]}')
    assert refused.value.code == "invalid_character"
    with pytest.raises(BodyRefused):
        json_loads('{"key\\u0000": 1}')
    assert json_loads(b'{"text": "a backslash: \\\\u0000"}') == {"text": "a backslash: \\u0000"}
