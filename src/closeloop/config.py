"""Settings read from the environment (prefix ``CLOSELOOP_``); nothing happens at import time."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///closeloop.db"


class Settings(BaseSettings):
    """Runtime configuration; every field can be set as ``CLOSELOOP_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="CLOSELOOP_", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    currency: str = "USD"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once on first use."""
    return Settings()
