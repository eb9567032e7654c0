"""What the users, teams, tokens and session API accepts and answers (never a password hash)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from closeloop.db.types import IdRef


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


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    full_name: str
    role: str
    team_id: int | None
    is_active: bool
    locale: str | None = Field(description="en or zh_CN; null = the browser's language")
    max_open_leads: int | None
    last_sign_in_at: datetime | None
    created_at: datetime


class UserCreate(_In):
    email: str = Field(max_length=254)
    full_name: str = Field(max_length=200)
    role: str = Field(description="admin, marketing, sdr, sales_rep, sales_manager, finance, …")
    team_id: IdRef | None = None
    locale: str | None = Field(default=None, max_length=10)
    max_open_leads: int | None = Field(default=None, ge=0, le=100_000)
    password: str | None = Field(
        default=None, max_length=200, description="At least 10 characters; omit to generate one"
    )


class UserCreated(UserOut):
    password: str | None = Field(description="The generated password, shown only now")


class UserUpdate(_In):
    """Admins change any of these; a user only their own full_name and locale."""

    email: str | None = Field(default=None, max_length=254)
    full_name: str | None = Field(default=None, max_length=200)
    role: str | None = None
    team_id: IdRef | None = None
    is_active: bool | None = None
    locale: str | None = Field(default=None, max_length=10)
    max_open_leads: int | None = Field(default=None, ge=0, le=100_000)


class TeamOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    manager_id: int | None


class TeamCreate(_In):
    name: str = Field(min_length=1, max_length=120)
    manager_id: IdRef | None = None


class TeamUpdate(_In):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    manager_id: IdRef | None = None


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    name: str
    prefix: str = Field(description="The token's first characters, to recognize it")
    scopes: str = Field(description="Space-separated: read, write")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreate(_In):
    name: str = Field(min_length=1, max_length=120, description="What the token is for")
    scopes: list[str] = Field(default=["read"], description="read, write")


class TokenCreated(BaseModel):
    id: int
    token: str = Field(description="Shown only now: send it as Authorization: Bearer <token>")
    scopes: list[str]


class SessionIn(_In):
    email: str = Field(max_length=254)
    password: str = Field(max_length=200)


class SessionOut(BaseModel):
    csrf_token: str = Field(description="Send it as X-CSRF-Token on every change")
    user: UserOut
