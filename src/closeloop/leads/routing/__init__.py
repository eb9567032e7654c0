"""Routing: team rules, rep strategies, the public pool and the routing simulator."""
