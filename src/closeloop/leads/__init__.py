"""Leads: capture, import, normalize, de-duplicate and match, score, route."""
