"""`closeloop serve`."""

from __future__ import annotations

from typing import Annotated

import typer

from closeloop.cli_support import DbOption, _, console, database_url
from closeloop.config import get_settings

# Clients (forms, ad platforms, proxies) reuse connections; uvicorn's 5 s default closes them
# under load just as a client sends on them, and the client sees a reset.
KEEP_ALIVE_SECONDS = 75


def open_when_up(health_url: str, page_url: str, wait_seconds: float = 30) -> None:
    """Open ``page_url`` in the user's browser once the server answers (in the background)."""
    import threading
    import time
    import webbrowser

    import httpx

    def wait_then_open() -> None:
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            try:
                if httpx.get(health_url, timeout=1).status_code == 200:
                    webbrowser.open(page_url)  # no browser (a server): does nothing
                    return
            except httpx.HTTPError:
                time.sleep(0.2)

    threading.Thread(target=wait_then_open, daemon=True).start()


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (PostgreSQL).")] = 1,
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the dashboard in the default web browser.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Run the web app and the API (OpenAPI at /openapi.json)."""
    import os

    import uvicorn

    from closeloop.web.app import create_app

    settings = get_settings().model_copy(update={"database_url": database_url(db)})
    create_app(settings)  # fail here, with one line, if the database is not usable
    address = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    console.print(_("Closeloop listening on %(address)s (OpenAPI: /openapi.json)", address=address))
    if open_browser:
        open_when_up(f"{address}/healthz", f"{address}/signin?next=/dashboard")
    if workers > 1:
        os.environ["CLOSELOOP_DATABASE_URL"] = settings.database_url
        uvicorn.run(
            "closeloop.web.asgi:app",
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
        )
    else:
        uvicorn.run(
            create_app(settings),
            host=host,
            port=port,
            log_level="warning",
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
        )
