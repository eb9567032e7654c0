"""Bulk work collects reference cycles less often, and leaves the collector as it found it."""

from __future__ import annotations

import gc

import pytest

from closeloop.collector import BULK_THRESHOLD, fewer_collections


def test_the_young_generation_waits_longer_inside_the_block_and_as_before_after_it() -> None:
    before = gc.get_threshold()

    with fewer_collections():
        assert gc.get_threshold() == (BULK_THRESHOLD, *before[1:])
        assert before[0] < BULK_THRESHOLD

    assert gc.get_threshold() == before


def test_the_pace_is_restored_when_the_block_fails() -> None:
    before = gc.get_threshold()

    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("a batch failed")

    assert gc.get_threshold() == before


def test_cycles_made_inside_the_block_are_still_collected() -> None:
    class Node:
        other: object

    with fewer_collections():
        first, second = Node(), Node()
        first.other, second.other = second, first
        del first, second
        assert gc.collect() >= 2
