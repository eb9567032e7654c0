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

    # Lead de-duplication: a captured lead with the same e-mail or phone as a lead we have is the
    # same person. Without those, the same company key and a person-name similarity (0–100) at
    # least this high make it one, unless both e-mails and both phones disagree.
    match_name_threshold: int = 90
    # Names this similar are the same person even when their e-mails and phones disagree.
    match_name_certain: int = 97
    # Country of phone numbers written without +code, for files and the capture API.
    default_region: str = "CN"
    # Rows per transaction when importing a file.
    import_batch_size: int = 5_000
    # Largest request body the capture API accepts, in bytes.
    max_request_bytes: int = 64 * 1024


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once on first use."""
    return Settings()
