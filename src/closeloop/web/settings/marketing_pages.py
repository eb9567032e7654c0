"""Settings → channels, campaigns and contents: lists, a create form, and the same form to edit
one (``?edit=ID``). Every rule (unique codes, a campaign of an existing channel, dates in order,
exact budgets) is the marketing service's; the pages only read the form and show its answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from closeloop.access.actor import Actor
from closeloop.access.policy import Area
from closeloop.db.engine import unit_of_work
from closeloop.marketing import service
from closeloop.marketing.schemas import (
    CampaignIn,
    CampaignPatch,
    ChannelIn,
    ChannelPatch,
    ContentIn,
    ContentPatch,
)
from closeloop.models import Campaign, Channel, Content
from closeloop.web.auth import PageActor
from closeloop.web.settings.common import FormData, page_of, section_page, submit, validated

router = APIRouter(include_in_schema=False)

CHANNEL_FORM = ("code", "name", "kind", "utm_source", "utm_medium")
CAMPAIGN_FORM = ("channel_id", "code", "name", "utm_campaign", "starts_on", "ends_on", "budget")
CONTENT_FORM = ("campaign_id", "code", "name", "kind", "utm_content")
CHANNEL_KINDS = ("paid_search", "seo", "social", "email", "webinar", "trade_show", "referral",
                 "partner", "direct")  # fmt: skip
LIST_LIMIT = 200  # reference data: one page holds a company's channels, campaigns or contents
RowId = Path(ge=1, le=2_147_483_647)


def _currency(request: Request) -> str:
    return str(request.app.state.settings.currency)


def all_channels(session: Session, actor: Actor) -> list[Channel]:
    return list(
        service.list_channels(
            session, actor, kind=None, sort=service.CHANNEL_SORTS["name"],
            descending=False, limit=LIST_LIMIT, cursor=None,
        ).items
    )  # fmt: skip


def all_campaigns(session: Session, actor: Actor, channel_id: int | None = None) -> list[Campaign]:
    return list(
        service.list_campaigns(
            session, actor, channel_id=channel_id, sort=service.CAMPAIGN_SORTS["name"],
            descending=False, limit=LIST_LIMIT, cursor=None,
        ).items
    )  # fmt: skip


def all_contents(session: Session, actor: Actor, campaign_id: int | None) -> list[Content]:
    return list(
        service.list_contents(
            session, actor, campaign_id=campaign_id, sort=service.CONTENT_SORTS["name"],
            descending=False, limit=LIST_LIMIT, cursor=None,
        ).items
    )  # fmt: skip


def as_id(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and len(text) < 10 else None


def _form_of(row: Any, names: tuple[str, ...]) -> dict[str, str]:
    values = {}
    for name in names:
        value = service.campaign_budget(row) if name == "budget" else getattr(row, name)
        values[name] = "" if value is None else str(value)
    return values


def _changes(patch: BaseModel, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(patch, name) for name in names}


# ---- channels ----------------------------------------------------------------------------------


def _channels_page(
    request: Request,
    actor: Actor,
    *,
    edit: int | None,
    form: Mapping[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    with unit_of_work(request.app.state.engine) as session:
        rows = all_channels(session, actor)
        editing = service.get_row(session, actor, Channel, edit) if edit else None
        shown = form if form is not None else _form_of(editing, CHANNEL_FORM) if editing else {}
    return section_page(
        request, actor, "channels", "settings_channels.html",
        status_code=422 if errors else 200, rows=rows, editing=editing, form=shown,
        errors=errors or {}, kinds=CHANNEL_KINDS,
    )  # fmt: skip


@router.get("/settings/channels", response_class=HTMLResponse)
def channels_page(request: Request, actor: PageActor, edit: str | None = None) -> Response:
    """Every channel, and a form to add one (or edit the one named by ``edit``)."""
    return _channels_page(request, actor, edit=as_id(edit))


@router.post("/settings/channels")
def create_channel(request: Request, actor: PageActor, form: FormData) -> Response:
    fmt, _ = page_of(request, actor)

    def work(session: Session) -> str:
        values = validated(ChannelIn, {k: form.get(k, "") for k in CHANNEL_FORM}, fmt)
        channel = service.create_channel(session, actor, values=values.model_dump())
        return _("Channel %(name)s added.", name=channel.name)

    return submit(
        request, actor, form, Area.MARKETING, work, done="/settings/channels",
        again=lambda errors: _channels_page(request, actor, edit=None, form=form, errors=errors),
        fields=set(CHANNEL_FORM),
    )  # fmt: skip


@router.post("/settings/channels/{channel_id}")
def update_channel(
    request: Request, actor: PageActor, form: FormData, channel_id: int = RowId
) -> Response:
    fmt, _ = page_of(request, actor)

    def work(session: Session) -> str:
        patch = validated(ChannelPatch, {k: form.get(k, "") for k in CHANNEL_FORM}, fmt)
        channel = service.update_channel(
            session, actor, channel_id=channel_id, changes=_changes(patch, CHANNEL_FORM)
        )
        return _("Channel %(name)s saved.", name=channel.name)

    return submit(
        request, actor, form, Area.MARKETING, work, done="/settings/channels",
        again=lambda errors: _channels_page(
            request, actor, edit=channel_id, form=form, errors=errors
        ),
        fields=set(CHANNEL_FORM),
    )  # fmt: skip


# ---- campaigns ---------------------------------------------------------------------------------


def _campaigns_page(
    request: Request,
    actor: Actor,
    *,
    edit: int | None,
    channel: int | None,
    form: Mapping[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    with unit_of_work(request.app.state.engine) as session:
        channels = all_channels(session, actor)
        rows = all_campaigns(session, actor, channel)
        editing = service.get_row(session, actor, Campaign, edit) if edit else None
        shown = form if form is not None else _form_of(editing, CAMPAIGN_FORM) if editing else {}
        budgets = {row.id: service.campaign_budget(row) for row in rows}
    return section_page(
        request, actor, "campaigns", "settings_campaigns.html",
        status_code=422 if errors else 200, rows=rows, budgets=budgets, editing=editing,
        form=shown, errors=errors or {}, channels=channels,
        channel_names={c.id: c.name for c in channels}, channel_filter=channel,
        channel_options=[(c.id, c.name) for c in channels],
        currency=_currency(request),
    )  # fmt: skip


@router.get("/settings/campaigns", response_class=HTMLResponse)
def campaigns_page(
    request: Request, actor: PageActor, edit: str | None = None, channel: str | None = None
) -> Response:
    """Campaigns (of one channel, if chosen), and a form to add or edit one."""
    return _campaigns_page(request, actor, edit=as_id(edit), channel=as_id(channel))


def _campaign_values(form: Mapping[str, str], currency: str) -> dict[str, Any]:
    values: dict[str, Any] = {k: form.get(k, "") for k in CAMPAIGN_FORM}
    values["currency"] = currency
    return values


@router.post("/settings/campaigns")
def create_campaign(request: Request, actor: PageActor, form: FormData) -> Response:
    fmt, _ = page_of(request, actor)

    def work(session: Session) -> str:
        values = validated(CampaignIn, _campaign_values(form, _currency(request)), fmt)
        campaign = service.create_campaign(session, actor, values=values.model_dump())
        return _("Campaign %(name)s added.", name=campaign.name)

    return submit(
        request, actor, form, Area.MARKETING, work, done="/settings/campaigns",
        again=lambda errors: _campaigns_page(
            request, actor, edit=None, channel=None, form=form, errors=errors
        ),
        fields=set(CAMPAIGN_FORM),
    )  # fmt: skip


@router.post("/settings/campaigns/{campaign_id}")
def update_campaign(
    request: Request, actor: PageActor, form: FormData, campaign_id: int = RowId
) -> Response:
    fmt, _ = page_of(request, actor)
    names = tuple(name for name in CAMPAIGN_FORM if name != "channel_id")  # a campaign stays

    def work(session: Session) -> str:
        patch = validated(CampaignPatch, {k: form.get(k, "") for k in names}, fmt)
        campaign = service.update_campaign(
            session, actor, campaign_id=campaign_id, changes=_changes(patch, names)
        )
        return _("Campaign %(name)s saved.", name=campaign.name)

    return submit(
        request, actor, form, Area.MARKETING, work, done="/settings/campaigns",
        again=lambda errors: _campaigns_page(
            request, actor, edit=campaign_id, channel=None, form=form, errors=errors
        ),
        fields=set(CAMPAIGN_FORM),
    )  # fmt: skip


# ---- contents ----------------------------------------------------------------------------------


def _contents_page(
    request: Request,
    actor: Actor,
    *,
    edit: int | None,
    campaign: int | None,
    form: Mapping[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    with unit_of_work(request.app.state.engine) as session:
        campaigns = all_campaigns(session, actor)
        rows = all_contents(session, actor, campaign)
        editing = service.get_row(session, actor, Content, edit) if edit else None
        shown = form if form is not None else _form_of(editing, CONTENT_FORM) if editing else {}
        channel_names = {c.id: c.name for c in all_channels(session, actor)}
    return section_page(
        request, actor, "contents", "settings_contents.html",
        status_code=422 if errors else 200, rows=rows, editing=editing, form=shown,
        errors=errors or {}, campaign_filter=campaign,
        campaigns=[(c.id, f"{channel_names.get(c.channel_id, '?')} › {c.name}") for c in campaigns],
        campaign_names={c.id: c.name for c in campaigns},
    )  # fmt: skip


@router.get("/settings/contents", response_class=HTMLResponse)
def contents_page(
    request: Request, actor: PageActor, edit: str | None = None, campaign: str | None = None
) -> Response:
    """Contents (of one campaign, if chosen), and a form to add or edit one."""
    return _contents_page(request, actor, edit=as_id(edit), campaign=as_id(campaign))


@router.post("/settings/contents")
def create_content(request: Request, actor: PageActor, form: FormData) -> Response:
    fmt, _ = page_of(request, actor)

    def work(session: Session) -> str:
        values = validated(ContentIn, {k: form.get(k, "") for k in CONTENT_FORM}, fmt)
        content = service.create_content(session, actor, values=values.model_dump())
        return _("Content %(name)s added.", name=content.name)

    return submit(
        request, actor, form, Area.MARKETING, work, done="/settings/contents",
        again=lambda errors: _contents_page(
            request, actor, edit=None, campaign=None, form=form, errors=errors
        ),
        fields=set(CONTENT_FORM),
    )  # fmt: skip


@router.post("/settings/contents/{content_id}")
def update_content(
    request: Request, actor: PageActor, form: FormData, content_id: int = RowId
) -> Response:
    fmt, _ = page_of(request, actor)
    names = tuple(name for name in CONTENT_FORM if name != "campaign_id")

    def work(session: Session) -> str:
        patch = validated(ContentPatch, {k: form.get(k, "") for k in names}, fmt)
        content = service.update_content(
            session, actor, content_id=content_id, changes=_changes(patch, names)
        )
        return _("Content %(name)s saved.", name=content.name)

    return submit(
        request, actor, form, Area.MARKETING, work, done="/settings/contents",
        again=lambda errors: _contents_page(
            request, actor, edit=content_id, campaign=None, form=form, errors=errors
        ),
        fields=set(CONTENT_FORM),
    )  # fmt: skip
