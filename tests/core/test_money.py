from decimal import Decimal

import pytest

from apps.core.money import charge_micros, micros_to_display, micros_to_usd, usd_to_micros


def test_usd_round_trips_exactly():
    assert usd_to_micros("12.5") == 12_500_000
    assert micros_to_usd(12_500_000) == "12.500000"
    assert micros_to_usd(-1) == "-0.000001"


def test_floats_are_refused():
    with pytest.raises(TypeError):
        usd_to_micros(0.1)
    with pytest.raises(TypeError):
        charge_micros(3, 0.5)


def test_sub_micro_precision_is_refused():
    with pytest.raises(ValueError):
        usd_to_micros("0.0000001")


def test_charge_rounds_up_once_per_line():
    # 1,234 tokens at $2.50 per million = 3085 micro-USD exactly; one more token adds 2.5 → ceil
    assert charge_micros(1234, 2_500_000, per=1_000_000) == 3085
    assert charge_micros(1235, 2_500_000, per=1_000_000) == 3088
    assert charge_micros(Decimal("0.5"), 1) == 1


def test_display_is_for_people():
    assert micros_to_display(12_500_000) == "$12.50"
    assert micros_to_display(250) == "$0.00025"
