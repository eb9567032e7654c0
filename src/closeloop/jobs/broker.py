"""The Dramatiq broker: Redis for workers, in memory for embedded mode; retries with backoff."""

from __future__ import annotations

from typing import Literal

from dramatiq import Broker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)

from closeloop.config import Settings
from closeloop.errors import ClosedLoopError
from closeloop.i18n import N_
from closeloop.jobs.schedule import LocalSlotClaims, RedisSlotClaims, SlotClaims

BrokerKind = Literal["redis", "memory"]


def make_broker(settings: Settings, kind: BrokerKind = "redis") -> Broker:
    """A broker with Dramatiq's usual middleware and our retry backoff (min → max, doubling)."""
    middleware = [
        AgeLimit(),
        TimeLimit(),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        Retries(
            max_retries=settings.delivery_max_attempts,
            min_backoff=max(1, int(settings.delivery_backoff_min_seconds * 1000)),
            max_backoff=max(1, int(settings.delivery_backoff_max_seconds * 1000)),
        ),
    ]
    if kind == "memory":
        return StubBroker(middleware=middleware)
    return RedisBroker(  # type: ignore[no-untyped-call]
        url=settings.redis_url,
        namespace=settings.queue_prefix,
        middleware=middleware,
        heartbeat_timeout=int(settings.worker_heartbeat_timeout_seconds * 1000),
        maintenance_chance=settings.redis_maintenance_chance,
    )


def slot_claims(broker: Broker, settings: Settings) -> SlotClaims:
    """Where schedulers claim their slots: Redis when the broker is Redis, else this process."""
    if isinstance(broker, RedisBroker):
        return RedisSlotClaims(broker.client, settings.queue_prefix)
    return LocalSlotClaims()


class QueueUnavailable(ClosedLoopError):
    """The job queue (Redis) cannot be reached."""

    status = 503


def check_redis(settings: Settings) -> None:
    """Raise ``QueueUnavailable`` (one line) unless Redis answers at ``settings.redis_url``."""
    import redis

    try:
        client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=3)
        client.ping()
        client.close()
    except (redis.RedisError, ValueError) as error:
        raise QueueUnavailable(
            N_("cannot reach Redis at %(url)s: %(error)s"), url=settings.redis_url, error=error
        ) from None
