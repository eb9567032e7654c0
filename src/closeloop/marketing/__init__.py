"""Channels, campaigns, contents and the spend booked against them."""
