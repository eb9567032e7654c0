"""Generate the demo company: reference data, then lead journeys in batches, then spend."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np
import numpy.typing as npt
from sqlalchemy import Engine, func, select

from closeloop.db.engine import unit_of_work
from closeloop.demo import loader
from closeloop.demo.cash_gen import generate_cash
from closeloop.demo.deals_gen import generate_deals
from closeloop.demo.leads_gen import generate_leads
from closeloop.demo.people import CompanyPool, company_pool
from closeloop.demo.reference import Reference, create_reference
from closeloop.demo.spend import spend_entries, targets
from closeloop.demo.timeline import creation_times, epoch, months_before
from closeloop.errors import Conflict, Invalid
from closeloop.i18n import N_
from closeloop.models import Lead

BATCH_SIZE = 50_000
ID_COUNTERS = (
    "leads",
    "accounts",
    "contacts",
    "opportunities",
    "orders",
    "payment_plans",
    "installments",
    "invoices",
    "payments",
)


@dataclass(frozen=True)
class DemoOptions:
    seed: int = 7
    leads: int = 50_000
    months: int = 12
    end: date = field(default_factory=lambda: datetime.now(UTC).date())
    currency: str = "USD"

    def __post_init__(self) -> None:
        if self.leads < 1:
            raise Invalid(N_("must be at least 1"), field="leads")
        if not 1 <= self.months <= 120:
            raise Invalid(N_("must be between 1 and 120"), field="months")
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise Invalid(
                N_("not an ISO currency code: %(currency)r"),
                field="currency",
                currency=self.currency,
            )

    @property
    def start(self) -> date:
        return months_before(self.end + timedelta(days=1), self.months)


@dataclass
class DemoSummary:
    rows: dict[str, int]
    seconds: float


def generate_demo(
    engine: Engine,
    options: DemoOptions,
    *,
    reset: bool = False,
    on_progress: Callable[[int], None] = lambda done: None,
) -> DemoSummary:
    """Fill an empty (or, with ``reset``, emptied) database with the demo company."""
    started = time.perf_counter()
    with unit_of_work(engine) as session:
        existing = session.scalar(select(func.count()).select_from(Lead)) or 0
        if existing and not reset:
            raise Conflict(
                N_(
                    "the database already holds %(existing)s leads: "
                    "use `closeloop demo --reset` to replace everything with the demo company"
                ),
                existing=f"{existing:,}",
            )
    with engine.begin() as connection:
        loader.wipe(connection)

    rng = np.random.default_rng(options.seed)
    now_day = options.end + timedelta(days=1)
    now_at = datetime.combine(now_day, datetime.min.time(), UTC)
    now = epoch(now_day)
    with unit_of_work(engine) as session:
        ref = create_reference(
            session, currency=options.currency, start=options.start, end=options.end, now=now_at
        )

    companies = company_pool(rng, max(300, options.leads // 3))
    created = creation_times(rng, options.leads, options.start, options.end)
    batches = _journeys(rng, ref, companies, created, options, now)
    written: dict[str, int] = {}
    # Generate the next batch in a second thread while this one writes the current batch: the
    # database engine works outside the GIL, so both cores are busy.
    with loader.bulk_load(engine) as connection, ThreadPoolExecutor(max_workers=1) as pool:
        upcoming = pool.submit(next, batches, None)
        while (batch := upcoming.result()) is not None:
            upcoming = pool.submit(next, batches, None)
            prepared, lead_count = batch
            for name, count in loader.write(connection, prepared).items():
                written[name] = written.get(name, 0) + count
            on_progress(lead_count)
    with unit_of_work(engine) as session:
        written["targets"] = targets(
            session, ref, options.start, options.months, options.leads, options.currency, now_at
        )
    loader.finish(engine)
    return DemoSummary(rows=written, seconds=time.perf_counter() - started)


def _journeys(
    rng: np.random.Generator,
    ref: Reference,
    companies: CompanyPool,
    created: npt.NDArray[np.float64],
    options: DemoOptions,
    now: float,
) -> Iterator[tuple[list[loader.PreparedTable], int]]:
    """Batches of lead journeys with everything that follows them, then the spend behind them."""
    next_id = dict.fromkeys(ID_COUNTERS, 1)
    days = (options.end - options.start).days + 1
    leads_per_content_day = np.zeros((len(ref.content_ids), days), dtype=np.int64)
    day0 = epoch(options.start)
    currency = options.currency
    for begin in range(0, options.leads, BATCH_SIZE):
        batch_created = created[begin : begin + BATCH_SIZE]
        leads = generate_leads(
            rng, ref, companies, batch_created, next_id["leads"], now,
            (next_id["accounts"], next_id["contacts"]),
        )  # fmt: skip
        deals = generate_deals(rng, ref, companies, leads, first_ids=next_id, now=now,
                               currency=currency)  # fmt: skip
        cash = generate_cash(rng, deals, first_ids=next_id, now=now, currency=currency)
        tables = {**leads.tables, **deals.tables, **cash}
        for name in ID_COUNTERS:
            if name in tables and len(tables[name]["id"]):
                next_id[name] = int(np.max(tables[name]["id"])) + 1
        day = ((leads.created - day0) // 86_400).astype(np.int64)
        np.add.at(leads_per_content_day, (leads.content_index, day), 1)
        yield loader.prepare(tables), len(batch_created)
    now_at = datetime.fromtimestamp(now, UTC)
    spend = spend_entries(rng, ref, leads_per_content_day, options.start, currency, now_at)
    yield loader.prepare({"spend_entries": spend}), 0
