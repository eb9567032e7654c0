"""``/settings``: the sections this role may open, each with what it holds and its state."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from closeloop.access.policy import Area, allowed
from closeloop.db.engine import unit_of_work
from closeloop.errors import Forbidden
from closeloop.i18n import N_
from closeloop.leads.page_parts import pop_flash
from closeloop.leads.rule_settings import rules_in_force
from closeloop.web.auth import PageActor
from closeloop.web.settings.common import visible_sections
from closeloop.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/settings", response_class=HTMLResponse)
def settings_home(request: Request, actor: PageActor) -> Response:
    """One card per section the actor may open; a role with none gets the 403 page."""
    sections = visible_sections(actor)
    if not sections:
        raise Forbidden(N_("a %(role)s may not see settings"), role=actor.role.value)
    versions: dict[str, int] = {}
    if allowed(actor, Area.SETTINGS):
        with unit_of_work(request.app.state.engine) as session:
            for kind in ("scoring", "routing", "sla"):
                versions[kind] = rules_in_force(session, actor, kind=kind).version
    message, flash_kind = pop_flash(request)
    return render(
        request,
        actor,
        "settings_home.html",
        tabs=sections,
        section=None,
        versions=versions,
        flash=message,
        flash_kind=flash_kind,
    )
