"""Which channel, campaign and content a captured lead came from: options, UTM, source column."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.errors import Invalid
from closeloop.leads.capture.record import CapturedLead
from closeloop.models import Campaign, Channel, Content


@dataclass(frozen=True)
class Source:
    """A first-touch source; any part may be unknown."""

    channel_id: int | None = None
    campaign_id: int | None = None
    content_id: int | None = None


def _fold(text: str | None) -> str:
    return (text or "").strip().casefold()


class Attribution:
    """Looks up channels, campaigns and contents by code, name or UTM value (read once)."""

    def __init__(self, session: Session) -> None:
        self.channels: dict[str, int] = {}
        self.channel_by_utm: dict[tuple[str, str], int] = {}
        self.campaigns: dict[tuple[int, str], int] = {}
        self.campaign_channel: dict[int, int] = {}
        self.contents: dict[tuple[int, str], int] = {}
        self.content_campaign: dict[int, int] = {}
        for channel in session.scalars(select(Channel)):
            for label in (channel.code, channel.name):
                self.channels[_fold(label)] = channel.id
            if channel.utm_source:
                self.channels.setdefault(_fold(channel.utm_source), channel.id)
                self.channel_by_utm[(_fold(channel.utm_source), _fold(channel.utm_medium))] = (
                    channel.id
                )
        for campaign in session.scalars(select(Campaign)):
            self.campaign_channel[campaign.id] = campaign.channel_id
            for label in (campaign.code, campaign.name, campaign.utm_campaign):
                if label:
                    self.campaigns[(campaign.channel_id, _fold(label))] = campaign.id
        for content in session.scalars(select(Content)):
            self.content_campaign[content.id] = content.campaign_id
            for label in (content.code, content.name, content.utm_content):
                if label:
                    self.contents[(content.campaign_id, _fold(label))] = content.id

    def explicit(self, channel: str | None, campaign: str | None, content: str | None) -> Source:
        """The source named by --channel/--campaign/--content; unknown names are refused."""
        channel_id = self.channels.get(_fold(channel)) if channel else None
        if channel and channel_id is None:
            raise Invalid(f"unknown channel {channel!r}", field="channel")
        campaign_id = self._campaign(channel_id, campaign) if campaign else None
        if campaign and campaign_id is None:
            raise Invalid(f"unknown campaign {campaign!r}", field="campaign")
        if campaign_id is not None:
            channel_id = self.campaign_channel[campaign_id]
        content_id = self._content(campaign_id, content) if content else None
        if content and content_id is None:
            raise Invalid(f"unknown content {content!r}", field="content")
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
