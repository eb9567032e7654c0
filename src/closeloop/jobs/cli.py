"""`closeloop worker`, `closeloop webhook …` and `closeloop outbox …`."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import signal
import threading
import time
from datetime import timedelta
from typing import Annotated, Any

import typer
from rich.table import Table

from closeloop.cli_support import DbOption, _, console, database_url, open_database
from closeloop.config import get_settings
from closeloop.db.engine import make_engine, unit_of_work
from closeloop.db.locks import begin_writing
from closeloop.db.types import utcnow
from closeloop.errors import Invalid
from closeloop.i18n import N_
from closeloop.jobs.relay import outbox_counts

webhook_app = typer.Typer(help="Send events to other systems over HTTP.", no_args_is_help=True)
outbox_app = typer.Typer(help="The outbox of events and their deliveries.", no_args_is_help=True)

log = logging.getLogger("closeloop.worker")
# The rows of `outbox status`, for the catalog.
OUTBOX_COUNTS = (
    N_("undispatched events"),
    N_("pending"),
    N_("sending"),
    N_("delivered"),
    N_("dead"),
)


def worker(
    threads: Annotated[int, typer.Option(help="Threads per process.", min=1)] = 4,
    processes: Annotated[int, typer.Option(help="Worker processes.", min=1)] = 1,
    db: DbOption = None,
) -> None:
    """Deliver events and run the periodic sweeps until stopped (SIGTERM or Ctrl-C)."""
    from closeloop.jobs.broker import check_redis

    open_database(db).dispose()  # one clear line now if the database is not usable
    settings = get_settings()
    check_redis(settings)
    url = database_url(db)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"
    )
    console.print(
        _(
            "closeloop worker: %(processes)s process(es) × %(threads)s thread(s), queues on "
            "%(url)s prefix %(prefix)r",
            processes=processes,
            threads=threads,
            url=settings.redis_url,
            prefix=settings.queue_prefix,
        ),
        highlight=False,
    )
    if processes == 1:
        run_worker_process(url, threads)
    else:
        _supervise(url, threads, processes)


def run_worker_process(url: str, threads: int, *, watch_parent: bool = False) -> None:
    """One worker process: consume and schedule until SIGTERM/SIGINT (or the parent is gone)."""
    from closeloop.jobs.broker import make_broker
    from closeloop.jobs.worker import Runtime

    settings = get_settings()
    engine = make_engine(url)
    runtime = Runtime(settings, engine, make_broker(settings, "redis"), threads=threads)
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    parent = os.getppid()
    runtime.start()
    log.info("worker started")
    while not stop.wait(0.5):
        if watch_parent and os.getppid() != parent:
            break
    log.info("worker stopping: finishing messages in hand")
    runtime.stop()
    engine.dispose()
    log.info("worker stopped")


def _child(url: str, threads: int) -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"
    )
    run_worker_process(url, threads, watch_parent=True)


def _supervise(url: str, threads: int, processes: int) -> None:
    """Run ``processes`` children; restart one that dies; pass SIGTERM/SIGINT on to all."""
    context = multiprocessing.get_context("spawn")
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())

    def spawn() -> Any:
        child = context.Process(target=_child, args=(url, threads), daemon=False)
        child.start()
        return child

    children = [spawn() for _ in range(processes)]
    while not stop.wait(1):
        for index, child in enumerate(children):
            if not child.is_alive():
                log.warning(
                    "worker process %s exited (%s); starting another", child.pid, child.exitcode
                )
                time.sleep(1)
                children[index] = spawn()
    for child in children:
        child.terminate()  # SIGTERM: each finishes its messages in hand
    for child in children:
        child.join(timeout=60)


# ---- webhooks -------------------------------------------------------------------------------


@webhook_app.command("add")
def webhook_add(
    url: Annotated[str, typer.Argument(help="The http(s) URL that receives the events.")],
    topics: Annotated[
        str, typer.Option(help="Comma-separated topics: *, lead.* or lead.assigned.")
    ] = "*",
    secret: Annotated[
        str | None, typer.Option(help="Signing secret (default: a new random one).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    db: DbOption = None,
) -> None:
    """Subscribe a URL to events; a generated secret is printed this once."""
    from closeloop.jobs.subscriptions import add_subscription, parse_topics

    topic_list = parse_topics(topics)
    engine = open_database(db)
    with unit_of_work(engine) as session:
        row, generated = add_subscription(session, url=url, topics=topic_list, secret=secret)
        result: dict[str, Any] = {"id": row.id, "url": row.url, "topics": row.topics}
        if generated:
            result["secret"] = row.secret
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False))
        return
    console.print(
        _("Webhook %(id)s: %(url)s (%(topics)s)", id=result["id"], url=url,
          topics=", ".join(topic_list)),
        highlight=False,
    )  # fmt: skip
    if generated:
        console.print(
            _("Secret (shown once, keep it): %(secret)s", secret=result["secret"]),
            highlight=False,
        )


@webhook_app.command("list")
def webhook_list(
    as_json: Annotated[bool, typer.Option("--json", help="Print the list as JSON.")] = False,
    db: DbOption = None,
) -> None:
    """The webhook subscriptions (secrets are never shown)."""
    from closeloop.jobs.subscriptions import list_subscriptions

    engine = open_database(db)
    with unit_of_work(engine) as session:
        rows: list[dict[str, Any]] = [
            {"id": r.id, "url": r.url, "topics": r.topics, "active": r.is_active}
            for r in list_subscriptions(session)
        ]
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    table = Table(_("id"), _("url"), _("topics"), _("active"))
    for row in rows:
        table.add_row(str(row["id"]), row["url"], ", ".join(row["topics"]), str(row["active"]))
    console.print(table)


@webhook_app.command("remove")
def webhook_remove(
    subscription_id: Annotated[int, typer.Argument(metavar="ID")],
    db: DbOption = None,
) -> None:
    """Delete a subscription; its undelivered events are not sent to it."""
    from closeloop.jobs.subscriptions import remove_subscription

    engine = open_database(db)
    with unit_of_work(engine) as session:
        remove_subscription(session, subscription_id)
    console.print(_("Webhook %(id)s removed", id=subscription_id), highlight=False)


# ---- outbox ---------------------------------------------------------------------------------


@outbox_app.command("status")
def outbox_status(
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as JSON.")] = False,
    db: DbOption = None,
) -> None:
    """Events not yet dispatched, and deliveries pending, delivered and dead."""
    engine = open_database(db)
    with unit_of_work(engine) as session:
        counts = outbox_counts(session)
    if as_json:
        typer.echo(json.dumps(counts))
        return
    table = Table("", _("count"))
    for name, value in counts.items():
        table.add_row(_(name.replace("_", " ")), str(value))
    console.print(table)


@outbox_app.command("retry")
def outbox_retry(
    delivery_ids: Annotated[
        list[int] | None, typer.Argument(metavar="[ID]...", help="Dead deliveries to retry.")
    ] = None,
    dead: Annotated[bool, typer.Option("--dead", help="Retry every dead delivery.")] = False,
    db: DbOption = None,
) -> None:
    """Put dead-lettered deliveries back in the queue with a fresh count of attempts."""
    from closeloop.jobs.deliver import retry_dead
    from closeloop.jobs.embedded import embedded_enabled

    if bool(delivery_ids) == dead:
        raise Invalid(N_("give delivery ids or --dead (not both)"), field="ID")
    settings = get_settings()
    engine = open_database(db)
    embedded = embedded_enabled(settings, engine)
    now = utcnow()
    with unit_of_work(engine) as session:
        begin_writing(session)
        # Embedded mode has no queue to reach from here: dated far back, the server's next
        # redrive (within schedule_redrive_seconds) sends them.
        stamp = now - timedelta(days=3650) if embedded else now
        ids = retry_dead(session, delivery_ids=None if dead else delivery_ids, now=stamp)
    if ids and not embedded:
        from closeloop.jobs.actors import JobSystem
        from closeloop.jobs.broker import make_broker

        broker = make_broker(settings, "redis")
        jobs = JobSystem(settings, engine, broker)
        jobs.enqueue_deliveries(ids)
        jobs.close()
        broker.close()
    where = _("the running server sends them") if embedded else _("queued for the workers")
    console.print(
        _("%(count)s dead deliveries back to pending; %(where)s", count=len(ids), where=where),
        highlight=False,
    )
