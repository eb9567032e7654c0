"""Which channel, campaign and content a captured lead came from: options, UTM, source column."""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.errors import Invalid
from closeloop.i18n import N_
from closeloop.leads.capture.record import CapturedLead
from closeloop.models import Campaign, Channel, Content


@dataclass(frozen=True)
class Source:
    """A first-touch source; any part may be unknown."""

    channel_id: int | None = None
    campaign_id: int | None = None
    content_id: int | None = None


_CACHE: dict[str, tuple[float, Attribution]] = {}


def _fold(text: str | None) -> str:
    return (text or "").strip().casefold()


class Attribution:
    """Looks up channels, campaigns and contents by code, name or UTM value (read once)."""

    @classmethod
    def cached(cls, session: Session, max_age: float = 30.0) -> Attribution:
        """The lookup tables, read at most every ``max_age`` seconds per database.

        For the capture API: reading channels, campaigns and contents on every request would
        cost more than the rest of the capture. A campaign created a moment ago may take that
        long to be recognized by UTM value (leads still arrive, attributed to the key's channel).
        """
        url = str(session.get_bind().engine.url)
        now = time.monotonic()
        hit = _CACHE.get(url)
        if hit is None or now - hit[0] > max_age:
            hit = _CACHE[url] = (now, cls(session))
        return hit[1]

    def __init__(self, session: Session) -> None:
        self.channels: dict[str, int] = {}
        self.channel_by_utm: dict[tuple[str, str], int] = {}
        self.campaigns: dict[tuple[int, str], int] = {}
        self.campaign_channel: dict[int, int] = {}
        self.contents: dict[tuple[int, str], int] = {}
        self.content_campaign: dict[int, int] = {}
        for channel in session.execute(
            select(Channel.id, Channel.code, Channel.name, Channel.utm_source, Channel.utm_medium)
        ):
            for label in (channel.code, channel.name):
                self.channels[_fold(label)] = channel.id
            if channel.utm_source:
                self.channels.setdefault(_fold(channel.utm_source), channel.id)
                self.channel_by_utm[(_fold(channel.utm_source), _fold(channel.utm_medium))] = (
                    channel.id
                )
        for campaign in session.execute(
            select(
                Campaign.id,
                Campaign.channel_id,
                Campaign.code,
                Campaign.name,
                Campaign.utm_campaign,
            )
        ):
            self.campaign_channel[campaign.id] = campaign.channel_id
            for label in (campaign.code, campaign.name, campaign.utm_campaign):
                if label:
                    self.campaigns[(campaign.channel_id, _fold(label))] = campaign.id
        for content in session.execute(
            select(Content.id, Content.campaign_id, Content.code, Content.name, Content.utm_content)
        ):
            self.content_campaign[content.id] = content.campaign_id
            for label in (content.code, content.name, content.utm_content):
                if label:
                    self.contents[(content.campaign_id, _fold(label))] = content.id

    def explicit(self, channel: str | None, campaign: str | None, content: str | None) -> Source:
        """The source named by --channel/--campaign/--content; unknown names are refused."""
        channel_id = self.channels.get(_fold(channel)) if channel else None
        if channel and channel_id is None:
            raise Invalid(N_("unknown channel %(channel)r"), field="channel", channel=channel)
        campaign_id = self._campaign(channel_id, campaign) if campaign else None
        if campaign and campaign_id is None:
            raise Invalid(N_("unknown campaign %(campaign)r"), field="campaign", campaign=campaign)
        if campaign_id is not None:
            channel_id = self.campaign_channel[campaign_id]
        content_id = self._content(campaign_id, content) if content else None
        if content and content_id is None:
            raise Invalid(N_("unknown content %(content)r"), field="content", content=content)
        if content_id is not None:
            campaign_id = self.content_campaign[content_id]
            channel_id = self.campaign_channel[campaign_id]
        return Source(channel_id, campaign_id, content_id)

    def resolve(self, lead: CapturedLead, fixed: Source) -> Source:
        """The fixed (option or API key) source, completed from UTM values and the source column."""
        utm = lead.utm
        channel_id = fixed.channel_id
        if channel_id is None and utm.get("utm_source"):
            key = (_fold(utm["utm_source"]), _fold(utm.get("utm_medium")))
            channel_id = self.channel_by_utm.get(key) or self.channels.get(key[0])
        if channel_id is None and lead.source:
            channel_id = self.channels.get(_fold(lead.source))
        campaign_id = fixed.campaign_id
        if campaign_id is None and utm.get("utm_campaign"):
            campaign_id = self._campaign(channel_id, utm["utm_campaign"])
        content_id = fixed.content_id
        if content_id is None and campaign_id is not None and utm.get("utm_content"):
            content_id = self.contents.get((campaign_id, _fold(utm["utm_content"])))
        if campaign_id is not None and channel_id is None:
            channel_id = self.campaign_channel[campaign_id]
        return Source(channel_id, campaign_id, content_id)

    def _campaign(self, channel_id: int | None, label: str) -> int | None:
        if channel_id is not None:
            return self.campaigns.get((channel_id, _fold(label)))
        matches = {cid for (_, name), cid in self.campaigns.items() if name == _fold(label)}
        return matches.pop() if len(matches) == 1 else None

    def _content(self, campaign_id: int | None, label: str) -> int | None:
        if campaign_id is not None:
            return self.contents.get((campaign_id, _fold(label)))
        matches = {cid for (_, name), cid in self.contents.items() if name == _fold(label)}
        return matches.pop() if len(matches) == 1 else None
