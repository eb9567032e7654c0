"""What the marketing API takes and gives. Money is a decimal string with its currency."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from closeloop.db.types import IdRef

CODE = r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$"
CURRENCY = r"^[A-Z]{3}$"


class ChannelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=60, pattern=CODE)
    name: str = Field(min_length=1, max_length=120)
    kind: str = Field(min_length=1, max_length=30, description="paid_search, seo, webinar, …")
    utm_source: str | None = Field(default=None, max_length=120)
    utm_medium: str | None = Field(default=None, max_length=120)


class ChannelPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str | None = Field(default=None, min_length=1, max_length=60, pattern=CODE)
    name: str | None = Field(default=None, min_length=1, max_length=120)
    kind: str | None = Field(default=None, min_length=1, max_length=30)
    utm_source: str | None = Field(default=None, max_length=120)
    utm_medium: str | None = Field(default=None, max_length=120)


class ChannelOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    kind: str
    utm_source: str | None
    utm_medium: str | None
    created_at: datetime
    updated_at: datetime


class CampaignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel_id: IdRef
    code: str = Field(min_length=1, max_length=120, pattern=CODE)
    name: str = Field(min_length=1, max_length=200)
    utm_campaign: str | None = Field(default=None, max_length=200)
    starts_on: date | None = None
    ends_on: date | None = None
    budget: Decimal | None = Field(default=None, ge=0, description="Planned spend")
    currency: str = Field(pattern=CURRENCY)


class CampaignPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str | None = Field(default=None, min_length=1, max_length=120, pattern=CODE)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    utm_campaign: str | None = Field(default=None, max_length=200)
    starts_on: date | None = None
    ends_on: date | None = None
    budget: Decimal | None = Field(default=None, ge=0)
    currency: str | None = Field(default=None, pattern=CURRENCY)


class CampaignOut(BaseModel):
    id: int
    channel_id: int
    code: str
    name: str
    utm_campaign: str | None
    starts_on: date | None
    ends_on: date | None
    budget: Decimal | None
    currency: str
    created_at: datetime
    updated_at: datetime


class ContentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    campaign_id: IdRef
    code: str = Field(min_length=1, max_length=120, pattern=CODE)
    name: str = Field(min_length=1, max_length=200)
    kind: str = Field(min_length=1, max_length=30, description="article, webinar, ad, …")
    utm_content: str | None = Field(default=None, max_length=200)


class ContentPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str | None = Field(default=None, min_length=1, max_length=120, pattern=CODE)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: str | None = Field(default=None, min_length=1, max_length=30)
    utm_content: str | None = Field(default=None, max_length=200)


class ContentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    campaign_id: int
    code: str
    name: str
    kind: str
    utm_content: str | None
    created_at: datetime
    updated_at: datetime


class SpendIn(BaseModel):
    """Spend for a day against a channel and, optionally, one of its campaigns and a content."""

    model_config = ConfigDict(extra="forbid")

    spent_on: date
    amount: Decimal = Field(ge=0, description='Decimal string, e.g. "1250.00"')
    currency: str = Field(pattern=CURRENCY)
    channel_id: IdRef
    campaign_id: IdRef | None = None
    content_id: IdRef | None = None
    note: str | None = Field(default=None, max_length=500)


class SpendPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    spent_on: date | None = None
    amount: Decimal | None = Field(default=None, ge=0)
    currency: str | None = Field(default=None, pattern=CURRENCY)
    channel_id: IdRef | None = None
    campaign_id: IdRef | None = None
    content_id: IdRef | None = None
    note: str | None = Field(default=None, max_length=500)


class SpendOut(BaseModel):
    id: int
    spent_on: date
    amount: Decimal
    currency: str
    channel_id: int
    campaign_id: int | None
    content_id: int | None
    note: str | None
    created_at: datetime
    updated_at: datetime
