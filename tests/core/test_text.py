"""The NUL character's two rules (apps/core/text.py)."""
from apps.core.text import REPLACEMENT, holds_nul, without_nul


def test_holds_nul_looks_through_keys_lists_and_dicts():
    assert not holds_nul({"a": ["b", {"c": 1}], "d": None})
    assert holds_nul({"a": ["b", {"c": "x\x00"}]})
    assert holds_nul({"k\x00": 1})
    assert not holds_nul(7) and not holds_nul(None)


def test_without_nul_replaces_it_everywhere_and_keeps_what_has_none():
    clean = {"a": ["b"], "n": 1}
    assert without_nul(clean) is clean
    assert without_nul({"t\x00": ["x\x00y", {"z": "\x00"}], "n": 2}) == {f"t{REPLACEMENT}": [f"x{REPLACEMENT}y", {"z": REPLACEMENT}], "n": 2}
    assert without_nul(None) is None
