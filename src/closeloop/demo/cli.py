"""`closeloop demo`."""

from __future__ import annotations


def demo() -> None:
    """Fill the database with a realistic demo company (placeholder)."""
