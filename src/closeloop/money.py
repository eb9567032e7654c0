"""Money: integer minor units in storage, ``Decimal`` in Python, never a float."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

# ISO 4217 currencies whose minor unit is not 1/100.
_EXPONENTS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3, "OMR": 3}


def exponent(currency: str) -> int:
    """Number of decimal places of a currency's minor unit."""
    return _EXPONENTS.get(currency.upper(), 2)


def to_minor(amount: Decimal | int | str, currency: str) -> int:
    """Convert a decimal amount into integer minor units, rounding half to even."""
    if isinstance(amount, float):
        raise TypeError("money must not be a float")
    scale = Decimal(10) ** exponent(currency)
    return int((Decimal(amount) * scale).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def from_minor(minor: int, currency: str) -> Decimal:
    """Convert integer minor units into an exact decimal amount."""
    places = exponent(currency)
    return Decimal(int(minor)).scaleb(-places)


def exact_minor(amount: Decimal, currency: str, *, field: str = "amount") -> int:
    """Minor units of a non-negative amount given to no more places than the currency has."""
    from closeloop.errors import Invalid
    from closeloop.i18n import N_

    if not amount.is_finite() or amount < 0:
        raise Invalid(N_("must be a non-negative amount"), field=field)
    places = exponent(currency)
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        raise Invalid(
            N_("%(currency)s amounts have at most %(places)s decimal places"),
            field=field,
            currency=currency,
            places=places,
        )
    return to_minor(amount, currency)
