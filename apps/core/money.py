"""Money is integer micro-USD inside (1 USD = 1,000,000) and decimal strings outside.

The rounding rule, written once: a charge is ``ceil(quantity × unit price)`` in micro-USD,
computed once per line with exact Decimal arithmetic — never floats."""
from decimal import ROUND_CEILING, Decimal, InvalidOperation

MICROS_PER_USD = 1_000_000
CURRENCY = "USD"


def usd_to_micros(amount: str | int | Decimal) -> int:
    """'12.50' → 12_500_000. Rejects floats and more than 6 decimal places."""
    if isinstance(amount, float):
        raise TypeError("money must not be a float")
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise ValueError(f"not an amount: {amount!r}") from None
    micros = value * MICROS_PER_USD
    if micros != micros.to_integral_value():
        raise ValueError(f"more precision than one micro-dollar: {amount!r}")
    return int(micros)


def micros_to_usd(micros: int) -> str:
    """12_500_000 → '12.500000' (six places, exact)."""
    sign = "-" if micros < 0 else ""
    whole, frac = divmod(abs(int(micros)), MICROS_PER_USD)
    return f"{sign}{whole}.{frac:06d}"


def micros_to_display(micros: int) -> str:
    """For people: '$12.50', '$0.000250' (at least two decimals, trailing zeros trimmed)."""
    text = micros_to_usd(micros)
    sign = "-" if text.startswith("-") else ""
    whole, frac = text.lstrip("-").split(".")
    frac = frac.rstrip("0").ljust(2, "0")
    return f"{sign}${int(whole):,}.{frac}"


def charge_micros(quantity: int | str | Decimal, unit_price_micros: int | str | Decimal, *, per: int = 1) -> int:
    """The rounding rule: ``ceil(quantity × unit_price / per)`` micro-USD.

    ``unit_price_micros`` may be fractional (per-token prices); ``per`` expresses prices
    quoted per million tokens, per 1,000 characters, etc."""
    for value in (quantity, unit_price_micros):
        if isinstance(value, float):
            raise TypeError("money must not be a float")
    exact = Decimal(str(quantity)) * Decimal(str(unit_price_micros)) / Decimal(per)
    return int(exact.to_integral_value(rounding=ROUND_CEILING))
