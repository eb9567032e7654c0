"""Closeloop: a self-hosted lead-to-cash revenue system."""

__version__ = "0.1.0"
