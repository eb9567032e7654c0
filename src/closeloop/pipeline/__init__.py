"""Pipelines, stages and opportunities."""
