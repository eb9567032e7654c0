"""What the opportunities API takes and gives. Money is a decimal string with its currency."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from closeloop.db.types import IdRef

CURRENCY = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. USD, CNY")


class OpportunityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    account_id: IdRef
    stage_id: IdRef = Field(description="The stage it starts at; its pipeline is the stage's")
    amount: Decimal = Field(ge=0, description='Decimal string, e.g. "12500.00"')
    currency: str = CURRENCY
    expected_close: date | None = None
    owner_id: IdRef | None = Field(default=None, description="Defaults to the creating seller")
    lead_id: IdRef | None = Field(default=None, description="The lead it was opened for")
    probability: int | None = Field(default=None, ge=0, le=100, description="Default: stage's")


class OpportunityPatch(BaseModel):
    """Only the fields sent change. A stage change is recorded in the stage history; moving to a
    lost stage needs ``lost_reason``; a won or lost opportunity changes no more."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    stage_id: IdRef | None = None
    amount: Decimal | None = Field(default=None, ge=0)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    expected_close: date | None = None
    owner_id: IdRef | None = None
    probability: int | None = Field(default=None, ge=0, le=100)
    lost_reason: str | None = Field(default=None, max_length=60)
    competitor: str | None = Field(default=None, max_length=120)


class OpportunityOut(BaseModel):
    id: int
    name: str
    account_id: int
    lead_id: int | None
    pipeline_id: int
    stage_id: int
    owner_id: int | None
    amount: Decimal
    currency: str
    probability: int
    expected_close: date | None
    status: str
    closed_at: datetime | None
    lost_reason: str | None
    competitor: str | None
    created_at: datetime
    updated_at: datetime
