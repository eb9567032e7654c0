"""The garbage collector's pace during bulk work.

A batch of an import allocates millions of short-lived objects (rows, records, candidate leads),
almost none of them in reference cycles, so reference counting frees them. With Python's default
threshold the cyclic collector still runs every 700 allocations, and its full passes walk every
live object: measured on a late batch of a million-row import, a fifth of looking up the known
leads. Bulk work runs it a hundred times less often; cycles are still collected.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

BULK_THRESHOLD = 70_000  # allocations between young-generation collections (default 700)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect cycles less often while the block runs; the previous pace afterwards."""
    before = gc.get_threshold()
    gc.set_threshold(BULK_THRESHOLD, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
