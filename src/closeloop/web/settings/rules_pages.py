"""Settings → scoring rules, routing rules, SLAs: the version in force (number, who, when) and its
YAML in a text box. Saving validates through the same functions as ``closeloop … set``; an invalid
text is refused whole, with its line and reason next to the box and the text kept, and the
running version stays in force."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from closeloop.access.actor import Actor
from closeloop.access.policy import Area
from closeloop.db.engine import unit_of_work
from closeloop.leads.rule_settings import earlier_versions, rules_in_force, save_rules_text
from closeloop.web.auth import PageActor
from closeloop.web.settings.common import FormData, FormInvalid, page_of, section_page, submit

router = APIRouter(include_in_schema=False)

KINDS = ("scoring", "routing", "sla")
HELP_PAGES = {"scoring": "docs/scoring.md", "routing": "docs/routing.md", "sla": "docs/sla.md"}


def _rules_page(
    request: Request,
    actor: Actor,
    kind: str,
    *,
    text: str | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    with unit_of_work(request.app.state.engine) as session:
        in_force = rules_in_force(session, actor, kind=kind)
        history = earlier_versions(session, actor, kind=kind)
    return section_page(
        request, actor, kind, "settings_rules.html",
        status_code=422 if errors else 200, in_force=in_force, history=history,
        text=in_force.text if text is None else text, errors=errors or {},
        help_page=HELP_PAGES[kind],
    )  # fmt: skip


def _save(request: Request, actor: Actor, kind: str, form: dict[str, str]) -> Response:
    _fmt, _ = page_of(request, actor)
    text = form.get("text", "").replace("\r\n", "\n")  # as typed; browsers send CRLF

    def work(session: Session) -> str:
        if not text.strip():
            raise FormInvalid({"text": _("Required.")})
        version = save_rules_text(session, actor, kind=kind, text=text)
        return _("Version %(version)s is in force now.", version=version)

    def again(errors: dict[str, str]) -> Response:
        message = errors.get("text") or errors.get("_form") or ""
        return _rules_page(request, actor, kind, text=text, errors={"text": message})

    return submit(
        request, actor, form, Area.SETTINGS, work, done=f"/settings/{kind}", again=again,
        fields={"text"},
    )  # fmt: skip


@router.get("/settings/scoring", response_class=HTMLResponse)
def scoring_page(request: Request, actor: PageActor) -> Response:
    """The scoring rules in force and a box to change them."""
    return _rules_page(request, actor, "scoring")


@router.post("/settings/scoring")
def save_scoring(request: Request, actor: PageActor, form: FormData) -> Response:
    return _save(request, actor, "scoring", form)


@router.get("/settings/routing", response_class=HTMLResponse)
def routing_page(request: Request, actor: PageActor) -> Response:
    """The routing rules in force and a box to change them."""
    return _rules_page(request, actor, "routing")


@router.post("/settings/routing")
def save_routing(request: Request, actor: PageActor, form: FormData) -> Response:
    return _save(request, actor, "routing", form)


@router.get("/settings/sla", response_class=HTMLResponse)
def sla_page(request: Request, actor: PageActor) -> Response:
    """The SLA rules in force and a box to change them."""
    return _rules_page(request, actor, "sla")


@router.post("/settings/sla")
def save_sla(request: Request, actor: PageActor, form: FormData) -> Response:
    return _save(request, actor, "sla", form)
