"""Exact ratio arithmetic for reports: Decimal in, Decimal out, None when undefined."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

RATIO_PLACES = Decimal("0.0001")


def ratio(numerator: Decimal | int, denominator: Decimal | int) -> Decimal | None:
    """numerator / denominator to four places, or None when the denominator is zero."""
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATIO_PLACES, ROUND_HALF_EVEN)


def per_unit(amount: Decimal, count: int, places: Decimal) -> Decimal | None:
    """Money per item (e.g. cost per lead) rounded to the currency's minor unit."""
    if not count:
        return None
    return (amount / count).quantize(places, ROUND_HALF_EVEN)


def as_one_to_n(value: Decimal | None) -> str | None:
    """ROAS written the way Chinese marketing teams say it: 投入产出比 1:N."""
    if value is None:
        return None
    return f"1:{value.quantize(Decimal('0.01'), ROUND_HALF_EVEN)}"
