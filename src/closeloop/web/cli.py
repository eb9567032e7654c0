"""`closeloop serve`."""

from __future__ import annotations

from typing import Annotated

import typer

from closeloop.cli_support import DbOption, _, console, database_url
from closeloop.config import get_settings

# Clients (forms, ad platforms, proxies) reuse connections; uvicorn's 5 s default closes them
# under load just as a client sends on them, and the client sees a reset.
KEEP_ALIVE_SECONDS = 75


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (PostgreSQL).")] = 1,
    db: DbOption = None,
) -> None:
    """Run the web server: lead capture API, health check, OpenAPI at /openapi.json."""
    import os

    import uvicorn

    from closeloop.web.app import create_app

    settings = get_settings().model_copy(update={"database_url": database_url(db)})
    create_app(settings)  # fail here, with one line, if the database is not usable
    console.print(
        _(
            "Closeloop listening on http://%(host)s:%(port)s (OpenAPI: /openapi.json)",
            host=host,
            port=port,
        )
    )
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
