"""What every settings page shares: its sections (tabs) by role, reading a form, turning
validation and domain errors into messages next to the fields, saving with post-redirect-get."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from closeloop.access.actor import READ, WRITE, Actor
from closeloop.access.policy import Area, allowed, require
from closeloop.errors import ClosedLoopError, Forbidden, NotFound
from closeloop.i18n import N_
from closeloop.leads.page_parts import flash, pop_flash, writing
from closeloop.web.auth import CSRF_FIELD, check_csrf
from closeloop.web.i18n import Formatter
from closeloop.web.templating import formatter, render


@dataclass(frozen=True)
class Section:
    slug: str
    label: str  # marked for translation
    area: Area
    summary: str  # marked for translation

    @property
    def path(self) -> str:
        return f"/settings/{self.slug}"


# In tab order. Who sees a tab is the access policy's answer for its area, nothing else.
SECTIONS: tuple[Section, ...] = (
    Section("channels", N_("Channels"), Area.MARKETING, N_("Where leads come from.")),
    Section("campaigns", N_("Campaigns"), Area.MARKETING, N_("Campaigns of each channel.")),
    Section("contents", N_("Contents"), Area.MARKETING, N_("What a campaign shows.")),
    Section("spend", N_("Spend"), Area.MARKETING, N_("Money booked per day and channel.")),
    Section("scoring", N_("Scoring rules"), Area.SETTINGS, N_("Points and the MQL threshold.")),
    Section("routing", N_("Routing rules"), Area.SETTINGS, N_("Which team and rep get a lead.")),
    Section("sla", N_("SLAs"), Area.SETTINGS, N_("First contact, accept and follow-up times.")),
    Section("users", N_("Users"), Area.USERS, N_("Who signs in, their role and team.")),
    Section("teams", N_("Teams"), Area.USERS, N_("Managers and the reps they lead.")),
)  # fmt: skip
BY_SLUG = {section.slug: section for section in SECTIONS}


def visible_sections(actor: Actor) -> list[Section]:
    return [section for section in SECTIONS if allowed(actor, section.area, READ)]


async def _form_data(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


FormData = Annotated[dict[str, str], Depends(_form_data)]
"""The posted form's text fields as typed (files are ignored)."""


def section_page(
    request: Request,
    actor: Actor,
    slug: str,
    template: str,
    *,
    status_code: int = 200,
    **context: Any,
) -> Response:
    """Render a section's page with its tabs; a role without the section's area gets 403."""
    section = BY_SLUG[slug]
    require(actor, section.area, READ)
    message, kind = pop_flash(request)
    return render(
        request,
        actor,
        template,
        status_code=status_code,
        tabs=visible_sections(actor),
        section=section,
        can_write=allowed(actor, section.area, WRITE),
        flash=message,
        flash_kind=kind,
        **context,
    )


# ---- errors next to the fields -----------------------------------------------------------------

_PYDANTIC_MESSAGES = {
    "missing": N_("Required."),
    "string_too_short": N_("Required."),
    "string_too_long": N_("Too long: at most %(max_length)s characters."),
    "string_pattern_mismatch": N_("Use letters, digits, dot, dash and underscore only."),
    "decimal_parsing": N_("Enter an amount such as 1250.00 (digits and one dot)."),
    "decimal_type": N_("Enter an amount such as 1250.00 (digits and one dot)."),
    "finite_number": N_("Enter an amount such as 1250.00 (digits and one dot)."),
    "greater_than_equal": N_("Enter zero or more."),
    "date_parsing": N_("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_parsing": N_("Enter a date as YYYY-MM-DD."),
    "date_type": N_("Enter a date as YYYY-MM-DD."),
    "int_parsing": N_("Choose one from the list."),
    "int_type": N_("Choose one from the list."),
    "pattern_mismatch": N_("Use the format shown."),
}


class FormInvalid(Exception):
    """Field errors of a submitted form, already in the user's language."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def validated(schema: type[BaseModel], values: Mapping[str, Any], fmt: Formatter) -> BaseModel:
    """``values`` (empty text = not given) through one of the API's schemas; ``FormInvalid``
    names each failing field in the user's language."""
    given = {
        key: (value.strip() or None) if isinstance(value, str) else value
        for key, value in values.items()
    }
    try:
        return schema.model_validate({k: v for k, v in given.items() if v is not None})
    except ValidationError as error:
        errors: dict[str, str] = {}
        for problem in error.errors():
            name = str(problem["loc"][0]) if problem["loc"] else "_form"
            template = _PYDANTIC_MESSAGES.get(problem["type"], N_("Enter a valid value."))
            context = problem.get("ctx") or {}
            wanted = {key: value for key, value in context.items() if "%(" + key + ")" in template}
            errors.setdefault(name, fmt.gettext(template, **wanted))
        raise FormInvalid(errors) from None


def field_errors(
    error: ClosedLoopError, fmt: Formatter, fields: set[str] | frozenset[str]
) -> dict[str, str]:
    """A domain error next to its field (the last part of its path), else above the form."""
    name = (error.field or "").rsplit(".", 1)[-1]
    if name in fields:
        return {name: error.translated(fmt.gettext)}
    return {"_form": error.localized(fmt.gettext)}


def submit(
    request: Request,
    actor: Actor,
    form: Mapping[str, str],
    area: Area,
    work: Callable[[Session], str],
    *,
    done: str,
    again: Callable[[dict[str, str]], Response],
    fields: set[str] | frozenset[str],
) -> Response:
    """Check the CSRF token and the right to change ``area``, run ``work`` in a writing
    transaction; on success flash its message and redirect to ``done`` (post-redirect-get), on a
    refused input render ``again`` with the errors (status 422) — nothing half-written."""
    check_csrf(request, form.get(CSRF_FIELD))
    require(actor, area, WRITE)
    fmt = formatter(request, actor)
    try:
        with writing(request) as session:
            message = work(session)
    except FormInvalid as error:
        return again(error.errors)
    except (NotFound, Forbidden):
        raise
    except ClosedLoopError as error:
        return again(field_errors(error, fmt, fields))
    flash(request, "ok", message)
    return RedirectResponse(done, status_code=303)


def page_of(request: Request, actor: Actor) -> tuple[Formatter, Callable[..., str]]:
    fmt = formatter(request, actor)
    return fmt, fmt.gettext
