"""The HTTP side: app factory, middleware, error rendering (pages and static files to come)."""
