"""What the accounts and contacts API takes and gives, and the error bodies every API shares."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from closeloop.db.types import MAX_ID, IdRef


class ErrorOut(BaseModel):
    """A refused request: what went wrong, in one sentence."""

    detail: str


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(BaseModel):
    """Bad input: one entry per offending field, ``loc`` is its path (e.g. body.amount)."""

    detail: list[FieldError]


_DESCRIPTIONS = {
    401: "Not signed in: send Authorization: Bearer <token> or a session cookie",
    403: "The actor's role may not do this",
    404: "No such row, or not one the actor may see",
    409: "Conflicts with the current state (duplicate, closed record, mixed currencies)",
    422: "Invalid input; the field's path is in detail[].loc",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the given error statuses (401 and 403 always)."""
    wanted = sorted({401, 403, *statuses})
    return {
        status: {
            "model": ValidationErrorOut if status == 422 else ErrorOut,
            "description": _DESCRIPTIONS[status],
        }
        for status in wanted
    }


class AccountIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    industry: str | None = Field(default=None, max_length=60)
    employees: int | None = Field(default=None, ge=0, le=MAX_ID)
    region: str | None = Field(default=None, pattern=r"^[A-Z]{2}$", description="ISO 3166 code")
    city: str | None = Field(default=None, max_length=120)
    owner_id: IdRef | None = Field(default=None, description="Defaults to the creating rep")


class AccountPatch(BaseModel):
    """Only the fields sent are changed; null clears an optional field."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=200)
    industry: str | None = Field(default=None, max_length=60)
    employees: int | None = Field(default=None, ge=0, le=MAX_ID)
    region: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    city: str | None = Field(default=None, max_length=120)
    owner_id: IdRef | None = None


class AccountOut(BaseModel):
    id: int
    name: str
    industry: str | None
    employees: int | None
    region: str | None
    city: str | None
    owner_id: int | None
    tags: list[str]
    created_at: datetime
    updated_at: datetime


class TagsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tags: list[str] = Field(max_length=50, description="The account's whole set of tags")


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_id: IdRef | None = None
    full_name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    title: str | None = Field(default=None, max_length=200)


class ContactPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_id: IdRef | None = None
    full_name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    title: str | None = Field(default=None, max_length=200)


class ContactOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    account_id: int | None
    full_name: str
    email: str | None
    phone: str | None
    title: str | None
    created_at: datetime
    updated_at: datetime


class TimelineEntryOut(BaseModel):
    """One event of an account's or a lead's history."""

    model_config = ConfigDict(from_attributes=True)

    at: datetime
    kind: str = Field(
        description="touch, lead, status, a decision kind (assigned, contacted, …), "
        "opportunity, stage, won, lost, order, invoice, payment"
    )
    title: str
    detail: str
    ref: str = Field(description="The row it is about, as entity:id (e.g. order:12)")
