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
    import_batch_size: int = 20_000
    # Files at least this large (MiB) are cleaned in a second process, beside the writer; a
    # smaller one in a thread (starting a process costs about a third of a second).
    import_cleaning_process_min_mb: float = 2.0
    # Decide each import batch on a second connection while the one before is written (on
    # SQLite: while it commits; docs/capture.md).
    import_decide_ahead: bool = True
    # Largest request body the capture API accepts, in bytes.
    max_request_bytes: int = 64 * 1024

    # ---- jobs (see docs/jobs.md) ----
    # The Redis server the job queues live on (Dramatiq's broker).
    redis_url: str = "redis://127.0.0.1:6379/0"
    # Prefix of every Redis key of the job system: two installations (or two test runs) on one
    # Redis server use different prefixes and never see each other's work.
    queue_prefix: str = "closeloop"
    # Run the jobs inside `closeloop serve` (embedded mode): None = only on SQLite.
    embedded_jobs: bool | None = None
    # Threads that deliver events inside `closeloop serve` (embedded mode).
    embedded_threads: int = 2
    # Outgoing e-mail.
    # No SMTP host: e-mail is off (events still reach webhooks), so an installation without a
    # mail server does not pile up dead letters.
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "closeloop@localhost"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout_seconds: float = 10.0
    # A webhook call that has not answered within this many seconds failed.
    webhook_timeout_seconds: float = 10.0
    # Tries of one delivery before it is dead-lettered (status dead).
    delivery_max_attempts: int = 8
    # Wait before a retry: doubles from min up to max (seconds), with jitter.
    delivery_backoff_min_seconds: float = 10.0
    delivery_backoff_max_seconds: float = 600.0
    # A delivery still pending and untouched this long is handed to the queue again (covers a
    # crash between the relay's commit and its enqueue, and a queue that lost messages).
    redrive_after_seconds: float = 900.0
    # SQLite only: a delivery being sent by a process that died is free again after this long.
    sending_lease_seconds: float = 120.0
    # Events claimed by the relay per transaction.
    dispatch_batch_size: int = 1000
    # A worker without a heartbeat for this long is dead: its unfinished messages go back to the
    # queue for the others.
    worker_heartbeat_timeout_seconds: float = 60.0
    # How often (per million Redis commands) a worker looks for dead workers' messages.
    redis_maintenance_chance: int = 1000
    # Periodic tasks: seconds between two runs.
    schedule_dispatch_seconds: float = 1.0
    schedule_redrive_seconds: float = 60.0
    schedule_sla_seconds: float = 60.0
    schedule_decay_seconds: float = 3600.0


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once on first use."""
    return Settings()
