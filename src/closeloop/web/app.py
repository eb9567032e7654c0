"""The FastAPI application: one engine, the routers of each domain, errors, limits."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import text

from closeloop import __version__
from closeloop.config import Settings
from closeloop.db.engine import make_engine
from closeloop.db.migrate import ensure_current
from closeloop.leads.api import router as leads_router
from closeloop.web import errors
from closeloop.web.limits import BodySizeLimit


def create_app(settings: Settings) -> FastAPI:
    """An app on ``settings.database_url``, which must be migrated."""
    engine = make_engine(settings.database_url)
    ensure_current(engine)
    app = FastAPI(
        title="Closeloop",
        version=__version__,
        description="Lead-to-cash: from marketing spend to collected cash.",
    )
    app.state.engine = engine
    app.state.settings = settings
    errors.install(app)
    app.include_router(leads_router)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        """Liveness and database reachability."""
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"status": "ok"}

    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    return app
