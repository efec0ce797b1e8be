"""Token counting for quotes and the simulated provider (apps/core/tokens.py)."""
from apps.core.tokens import PIECE_CHARACTERS, count_tokens, encoding


def test_a_special_token_marker_counts_as_the_plain_text_it_is():
    text = "Explain what <|endoftext|> and <|fim_prefix|> mark in training data."

    exact = len(encoding().encode(text, disallowed_special=()))

    assert count_tokens(text) == exact
    assert exact > len(encoding().encode("Explain what and mark in training data."))


def test_a_long_text_is_counted_in_pieces_within_a_token_per_cut():
    text = " ".join(f"word{i % 997}" for i in range(60_000))  # ~530,000 characters, ~14 pieces
    exact = len(encoding().encode(text, disallowed_special=()))

    counted = count_tokens(text)

    cuts = len(text) // PIECE_CHARACTERS
    assert cuts >= 10 and abs(counted - exact) <= cuts


def test_texts_beyond_the_tokenizer_limits_are_counted():
    # One call refuses 1,000,000 characters or more, and more than 200,000 tokens.
    no_spaces = "x" * 1_200_000
    four_byte_characters = "😀" * 120_000  # at least 240,000 tokens in one call

    assert count_tokens(no_spaces) >= 1_200_000 // 16
    assert count_tokens(four_byte_characters) >= 240_000
    assert count_tokens("") == 0
