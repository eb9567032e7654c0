"""ASGI entry point for servers that import an app (uvicorn workers, gunicorn)."""

from closeloop.config import get_settings
from closeloop.web.app import create_app

app = create_app(get_settings())
