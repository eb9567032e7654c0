"""Tests of the leads domain."""
