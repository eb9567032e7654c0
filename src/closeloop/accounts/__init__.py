"""Accounts (companies), their contacts, tags, and the 360° timeline."""
