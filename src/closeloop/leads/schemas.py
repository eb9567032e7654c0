"""What the capture API accepts and answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class TouchIn(BaseModel):
    """The interaction that brought the lead: its UTM values, landing page and form."""

    model_config = ConfigDict(extra="forbid")

    utm_source: str | None = Field(default=None, max_length=200)
    utm_medium: str | None = Field(default=None, max_length=200)
    utm_campaign: str | None = Field(default=None, max_length=200)
    utm_content: str | None = Field(default=None, max_length=200)
    landing_url: str | None = Field(default=None, max_length=2000)
    form_name: str | None = Field(default=None, max_length=200)


class LeadIn(BaseModel):
    """A lead as a web form or an ad platform sends it. E-mail or phone is needed."""

    model_config = ConfigDict(extra="forbid")

    full_name: str | None = Field(default=None, max_length=200)
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=64)
    company: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=200)
    industry: str | None = Field(default=None, max_length=60)
    company_size: int | None = Field(default=None, ge=0, le=10_000_000)
    region: str | None = Field(default=None, max_length=60)
    city: str | None = Field(default=None, max_length=120)
    notes: str | None = Field(default=None, max_length=5000)
    external_id: str | None = Field(default=None, max_length=200)
    captured_at: datetime | None = None
    default_region: str | None = Field(
        default=None, min_length=2, max_length=2, description="Country of a phone without +code"
    )
    touch: TouchIn | None = None


class LeadOut(BaseModel):
    """The lead the capture landed in: new (201) or the one it merged into (200)."""

    id: int
    status: str
    full_name: str | None
    email: str | None
    phone: str | None
    company: str | None
    channel_id: int | None
    campaign_id: int | None
    content_id: int | None
    created_at: datetime
    merged: bool = Field(description="True when the capture merged into an existing lead")
    score: int = Field(description="0–100: fit plus engagement, as scored at capture")
    owner_id: int | None = Field(description="The rep it was routed to; null in the pool")
    team_id: int | None = Field(description="The team routing chose")
