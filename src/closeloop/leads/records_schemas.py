"""What the leads API (lists, records, transitions, tags, touches) accepts and answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from closeloop.db.types import MAX_ID, IdRef


def _no_nul(value: Any) -> Any:
    """Refuse text with a NUL character (no database stores it) wherever it is."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("contains a NUL character")
    if isinstance(value, list):
        for item in value:
            _no_nul(item)
    return value


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _text_without_nul(cls, value: Any) -> Any:
        return _no_nul(value)


class LeadItem(BaseModel):
    """A lead in a list: who, from where, how hot, whose, and its running SLA clock."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    status: str
    full_name: str | None
    email: str | None
    phone: str | None
    company: str | None
    title: str | None
    industry: str | None
    city: str | None
    region: str | None = Field(description="ISO 3166 country code")
    score: int = Field(description="0–100: fit plus engagement")
    owner_id: int | None = Field(description="The rep who owns it; null in the pool")
    team_id: int | None
    channel_id: int | None
    campaign_id: int | None
    content_id: int | None
    created_at: datetime
    sla_kind: str | None = Field(description="The running SLA clock: first_contact, accept, …")
    sla_due_at: datetime | None = Field(
        description="The running clock's deadline (it stays put while a breach is escalated)"
    )


class LeadDetail(LeadItem):
    """One lead with everything the 360° view shows about it."""

    company_size: int | None
    notes: str | None
    external_id: str | None
    disqualified_reason: str | None
    merged_into_id: int | None
    account_id: int | None
    contact_id: int | None
    fit_score: int
    engagement_score: int
    score_factors: list[Any] | None = Field(description="[[factor, points], …], top first")
    predicted_conversion: float | None
    first_touch_at: datetime | None
    assigned_at: datetime | None
    first_contact_at: datetime | None
    last_activity_at: datetime | None
    mql_at: datetime | None
    sal_at: datetime | None
    sql_at: datetime | None
    pool_entered_at: datetime | None
    updated_at: datetime | None
    tags: list[str] = Field(default_factory=list)


class LeadCreate(_In):
    """A lead entered by hand. E-mail or phone is needed; values are cleaned as at capture."""

    full_name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=64)
    company: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=200)
    industry: str | None = Field(default=None, max_length=60)
    company_size: int | None = Field(default=None, ge=0, le=10_000_000)
    region: str | None = Field(default=None, max_length=60, description="Country code or name")
    city: str | None = Field(default=None, max_length=120)
    notes: str | None = Field(default=None, max_length=5000)
    channel_id: IdRef | None = None
    campaign_id: IdRef | None = None
    content_id: IdRef | None = None
    default_region: str | None = Field(
        default=None, min_length=2, max_length=2, description="Country of a phone without +code"
    )


class LeadUpdate(_In):
    """The editable fields of a lead; only those sent change (null clears a field)."""

    full_name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=64)
    company: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, max_length=200)
    industry: str | None = Field(default=None, max_length=60)
    company_size: int | None = Field(default=None, ge=0, le=10_000_000)
    region: str | None = Field(default=None, max_length=60, description="Country code or name")
    city: str | None = Field(default=None, max_length=120)
    notes: str | None = Field(default=None, max_length=5000)
    default_region: str | None = Field(
        default=None, min_length=2, max_length=2, description="Country of a phone without +code"
    )


class ReturnIn(_In):
    reason: str = Field(min_length=1, max_length=500, description="Why it goes back to marketing")


class ReleaseIn(_In):
    reason: str | None = Field(default=None, max_length=500)


class AssignIn(_In):
    owner_id: int = Field(
        ge=1, le=MAX_ID, description="The rep who gets the lead (in the manager's team)"
    )


class ContactIn(_In):
    note: str | None = Field(default=None, max_length=1000)
    channel: str | None = Field(
        default=None, max_length=30, description="How: call, email, meeting, wechat, …"
    )


class TagsIn(_In):
    tags: list[str] = Field(max_length=50, description="The lead's tags, replacing the old ones")


class TransitionOut(BaseModel):
    """What a transition did and the rule that allowed it, with the lead as it is now."""

    lead_id: int
    status: str
    owner_id: int | None
    rule: str
    rule_version: int
    lead: LeadDetail


class TouchOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    lead_id: int
    kind: str
    occurred_at: datetime
    channel_id: int | None
    campaign_id: int | None
    content_id: int | None
    utm_source: str | None
    utm_medium: str | None
    utm_campaign: str | None
    utm_content: str | None
    landing_url: str | None
    form_name: str | None


class HistoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    what: str = Field(description='"status" or a decision: scored, assigned, claimed, …')
    summary: str
    actor: str | None = Field(description="The user's e-mail; null for the system")
    rule: str | None
    rule_version: int | None
