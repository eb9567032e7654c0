"""The dashboard's figures, per role: the company's (from the reports), a team's or a rep's own.

Company figures come from the report services (``roi_report``, ``funnel_report``,
``sla_compliance``), so the dashboard and the reports always agree. They cost about a second at
1M leads, so the page caches them per (period, scope) for a few minutes (``FigureCache``). A rep's
own figures are small indexed queries on ``owner_id`` and are always live.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import ColumnElement, Engine, and_, func, select
from sqlalchemy.orm import Session

from closeloop.access.actor import Actor
from closeloop.analytics import cohort
from closeloop.analytics.funnel import FunnelRow, funnel_report
from closeloop.analytics.period import Grouping, Period, parse_date
from closeloop.analytics.ratios import ratio
from closeloop.analytics.roi import RoiRow, roi_report
from closeloop.db.engine import unit_of_work
from closeloop.db.types import utcnow
from closeloop.errors import Invalid
from closeloop.leads.sla.compliance import ComplianceRow, sla_compliance
from closeloop.models import (
    Allocation,
    Invoice,
    Lead,
    LeadStatus,
    Opportunity,
    Order,
    Role,
    StageOutcome,
    Target,
    User,
)
from closeloop.money import from_minor

logger = logging.getLogger(__name__)
COMPANY_ROLES = {Role.ADMIN, Role.EXECUTIVE, Role.MARKETING, Role.FINANCE}
OPEN_LEAD_STATUSES = (LeadStatus.NEW, LeadStatus.WORKING, LeadStatus.MQL, LeadStatus.SAL)
DUE_SOON = timedelta(hours=2)
TREND_WEEKS = 13
AGING_BUCKETS = ((0, 30), (31, 60), (61, 90), (91, None))  # days past due


# ---- periods -----------------------------------------------------------------------------------


class PeriodKind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    CUSTOM = "custom"


@dataclass(frozen=True)
class DashboardPeriod:
    """The period shown and the one it is compared with (the same number of days, just before)."""

    kind: PeriodKind
    current: Period
    previous: Period

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.current.start, self.current.end, self.previous.start, self.previous.end)


def _start_of(kind: PeriodKind, day: date) -> date:
    if kind == PeriodKind.MONTH:
        return day.replace(day=1)
    if kind == PeriodKind.QUARTER:
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return date(day.year, 1, 1)


def _months_later(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _length_in_months(kind: PeriodKind) -> int:
    return {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}[kind]


def resolve_period(
    kind: str | None, start: str | None, end: str | None, *, today: date
) -> DashboardPeriod:
    """This month (quarter, year) to date against the same days of the one before; or a custom
    range against the range of the same length just before it."""
    try:
        chosen = PeriodKind(kind or PeriodKind.MONTH)
    except ValueError:
        choices = ", ".join(k.value for k in PeriodKind)
        raise Invalid(f"unknown period {kind!r}: choose one of {choices}", field="period") from None
    if chosen == PeriodKind.CUSTOM:
        first = parse_date(start, field="from")
        last = parse_date(end, field="to")
        if first is None or last is None:
            raise Invalid("a custom period needs both dates", field="from" if not first else "to")
        current = Period(first, last)
        days = (last - first).days + 1
        previous = Period(first - timedelta(days=days), first - timedelta(days=1))
        return DashboardPeriod(chosen, current, previous)
    anchor = parse_date(end, field="to") or today
    first = _start_of(chosen, anchor)
    months = _length_in_months(chosen)
    last = min(anchor, _months_later(first, months) - timedelta(days=1))
    previous_first = _months_later(first, -months)
    previous_last = min(previous_first + (last - first), first - timedelta(days=1))
    return DashboardPeriod(chosen, Period(first, last), Period(previous_first, previous_last))


def change(current: Decimal | int | None, previous: Decimal | int | None) -> Decimal | None:
    """Relative change from the previous period (None when there is nothing to compare with)."""
    if current is None or previous is None or not previous:
        return None
    return ratio(Decimal(current) - Decimal(previous), abs(Decimal(previous)))


def point_change(current: Decimal | None, previous: Decimal | None) -> Decimal | None:
    """Change of a ratio, in points (0.05 = five percentage points)."""
    if current is None or previous is None:
        return None
    return current - previous


# ---- the cache ---------------------------------------------------------------------------------

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


@dataclass
class _Entry:
    stamp: float
    value: Any


class FigureCache:
    """Figures by key for ``ttl`` seconds; one computation per key at a time.

    A first request for a key waits for the one computation; once a value exists, a request
    after its ``ttl`` refreshes it while the others keep getting the previous value, so twenty
    users never compute the same figures twenty times nor wait for each other.
    """

    def __init__(self, ttl: float = 300.0, max_entries: int = 256) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: dict[Hashable, _Entry] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._guard = threading.Lock()

    def _lock(self, key: Hashable) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def _fresh(self, entry: _Entry | None) -> bool:
        return entry is not None and time.monotonic() - entry.stamp < self.ttl

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """The cached value; the first time, computed now (one computation, others wait).

        After ``ttl`` the previous value is still returned at once while one background
        thread computes the new one, so no user waits for a refresh."""
        entry = self._entries.get(key)
        if self._fresh(entry):
            return entry.value  # type: ignore[union-attr, no-any-return]
        lock = self._lock(key)
        if entry is not None:
            if lock.acquire(blocking=False):
                threading.Thread(
                    target=self._refresh, args=(key, compute, lock), daemon=True
                ).start()
            return entry.value  # type: ignore[no-any-return]
        with lock:
            entry = self._entries.get(key)
            if entry is not None:
                return entry.value  # type: ignore[no-any-return]
            return self._store(key, compute())

    def _refresh(self, key: Hashable, compute: Callable[[], Any], lock: threading.Lock) -> None:
        try:
            self._store(key, compute())
        except Exception:  # keep serving the previous figures; the next request retries
            logger.exception("refreshing dashboard figures %r failed", key)
        finally:
            lock.release()

    def _store(self, key: Hashable, value: T) -> T:
        with self._guard:
            if key not in self._entries and len(self._entries) >= self.max_entries:
                oldest = min(self._entries, key=lambda k: self._entries[k].stamp)
                del self._entries[oldest]
            self._entries[key] = _Entry(time.monotonic(), value)
        return value


# ---- company figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Week:
    start: date
    leads: int
    revenue: Decimal
    cash: Decimal


@dataclass
class CompanyFigures:
    """Everything the company dashboard shows for one period, computed at ``computed_at``."""

    computed_at: datetime
    currency: str
    current: RoiRow
    previous: RoiRow
    channels: list[RoiRow]
    funnel: list[FunnelRow]
    previous_funnel: list[FunnelRow]
    sla: ComplianceRow
    previous_sla: ComplianceRow
    targets: dict[str, Decimal]  # metric → planned value (money in currency units)
    weeks: list[Week]


def company_figures(
    session: Session, period: DashboardPeriod, *, run: Runner | None = None
) -> CompanyFigures:
    """The company's figures of the period and of the one before (the reports' own numbers).

    ``run`` may run the independent parts at the same time, each in its own session (see
    ``concurrent_runner``); without it they run one after the other in ``session``.
    """
    now = utcnow()
    submit = run or (lambda work: _Done(work(session)))
    current = submit(lambda s: roi_report(s, grouping=Grouping.CHANNEL, period=period.current))
    previous = submit(lambda s: roi_report(s, grouping=Grouping.CHANNEL, period=period.previous))
    funnel = submit(lambda s: funnel_report(s, grouping=None, period=period.current))
    previous_funnel = submit(lambda s: funnel_report(s, grouping=None, period=period.previous))
    sla = submit(lambda s: _compliance(s, period.current, now))
    previous_sla = submit(lambda s: _compliance(s, period.previous, now))
    currency = current.result().currency
    planned = submit(lambda s: targets(s, period.current, currency))
    weeks = submit(lambda s: weekly_trend(s, period.current, currency))
    return CompanyFigures(
        computed_at=now,
        currency=currency,
        current=current.result().total,
        previous=previous.result().total,
        channels=current.result().rows,
        funnel=funnel.result().rows,
        previous_funnel=previous_funnel.result().rows,
        sla=sla.result(),
        previous_sla=previous_sla.result(),
        targets=planned.result(),
        weeks=weeks.result(),
    )


class _Result(Protocol[T_co]):
    def result(self) -> T_co: ...


Runner = Callable[[Callable[[Session], Any]], _Result[Any]]


@dataclass(frozen=True)
class _Done(Generic[T_co]):
    value: T_co

    def result(self) -> T_co:
        return self.value


def concurrent_runner(pool: ThreadPoolExecutor, engine: Engine) -> Runner:
    """Run each part in the pool, in a read-only unit of work of its own."""

    def run(work: Callable[[Session], Any]) -> _Result[Any]:
        def in_session() -> Any:
            with unit_of_work(engine) as session:
                return work(session)

        return pool.submit(in_session)

    return run


def _bounds(period: Period) -> tuple[datetime, datetime]:
    assert period.start_at is not None and period.end_before is not None
    return period.start_at, period.end_before


def _compliance(session: Session, period: Period, now: datetime) -> ComplianceRow:
    since, until = _bounds(period)
    return sla_compliance(session, since=since, until=until, as_of=now).total


def targets(session: Session, period: Period, currency: str) -> dict[str, Decimal]:
    """Company targets of the months the period touches: a company-wide target of a metric if
    one is set, else the sum of its per-channel targets (never both: that would count twice)."""
    assert period.start is not None and period.end is not None
    rows = session.execute(
        select(
            Target.metric,
            Target.channel_id.is_(None),
            func.sum(Target.planned_value),
            Target.currency,
        )
        .where(
            Target.period_start <= period.end,
            Target.period_end >= period.start,
            Target.team_id.is_(None),
            Target.user_id.is_(None),
        )
        .group_by(Target.metric, Target.channel_id.is_(None), Target.currency)
    ).all()
    company: dict[str, Decimal] = {}
    by_channel: dict[str, Decimal] = {}
    for metric, is_company, planned, code in rows:
        if code is not None and code != currency:
            continue  # a target in another currency cannot be compared
        value = from_minor(int(planned), code) if code else Decimal(int(planned))
        bucket = company if is_company else by_channel
        bucket[metric] = bucket.get(metric, Decimal(0)) + value
    return {**by_channel, **company}


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly_trend(session: Session, period: Period, currency: str) -> list[Week]:
    """Leads created, revenue booked (won orders signed) and cash received (allocated) per week,
    over the period's weeks and at least the last ``TREND_WEEKS`` weeks up to its end."""
    assert period.start is not None and period.end is not None
    first = min(_monday(period.start), _monday(period.end) - timedelta(weeks=TREND_WEEKS - 1))
    since = datetime.combine(first, datetime.min.time(), UTC)
    until = datetime.combine(period.end + timedelta(days=1), datetime.min.time(), UTC)
    leads: dict[date, int] = {}
    revenue: dict[date, int] = {}
    cash: dict[date, int] = {}
    day = func.date(Lead.created_at)
    for value, count in session.execute(
        select(day, func.count())
        .where(Lead.created_at >= since, Lead.created_at < until)
        .group_by(day)
    ):
        week = _monday(_as_date(value))
        leads[week] = leads.get(week, 0) + int(count)
    signed = func.date(Order.signed_at)
    for value, total in session.execute(
        select(signed, func.sum(Order.amount_minor))
        .join(Opportunity, Opportunity.id == Order.opportunity_id)
        .where(
            Opportunity.status == StageOutcome.WON,
            Order.currency == currency,
            Order.signed_at >= since,
            Order.signed_at < until,
        )
        .group_by(signed)
    ):
        week = _monday(_as_date(value))
        revenue[week] = revenue.get(week, 0) + int(total or 0)
    allocated = func.date(Allocation.allocated_at)
    for value, total in session.execute(
        select(allocated, func.sum(Allocation.amount_minor))
        .join(Invoice, Invoice.id == Allocation.invoice_id)
        .where(
            Invoice.currency == currency,
            Allocation.allocated_at >= since,
            Allocation.allocated_at < until,
        )
        .group_by(allocated)
    ):
        week = _monday(_as_date(value))
        cash[week] = cash.get(week, 0) + int(total or 0)
    weeks = []
    week = first
    while week <= period.end:
        weeks.append(
            Week(
                week,
                leads.get(week, 0),
                from_minor(revenue.get(week, 0), currency),
                from_minor(cash.get(week, 0), currency),
            )
        )
        week += timedelta(weeks=1)
    return weeks


def _as_date(value: object) -> date:
    """SQLite's date() gives text, PostgreSQL's a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


# ---- finance: receivables ----------------------------------------------------------------------


@dataclass
class Receivables:
    """Invoiced and collected in the period; what is open and overdue today, by age."""

    currency: str
    invoiced: Decimal
    previous_invoiced: Decimal
    cash: Decimal
    previous_cash: Decimal
    outstanding: Decimal
    overdue: Decimal
    overdue_invoices: int
    aging: list[tuple[str, Decimal]] = field(default_factory=list)  # bucket label → amount


def receivables(
    session: Session, period: DashboardPeriod, *, currency: str, today: date
) -> Receivables:
    """PRODUCT.md: an invoice is overdue when its due date has passed and it is not fully
    allocated; aging buckets by days past due: 0–30, 31–60, 61–90, 90+."""
    allocated = (
        select(Allocation.invoice_id, func.sum(Allocation.amount_minor).label("paid"))
        .group_by(Allocation.invoice_id)
        .subquery()
    )
    open_amount = Invoice.amount_minor - func.coalesce(allocated.c.paid, 0)
    open_invoices = session.execute(
        select(Invoice.due_on, open_amount)
        .outerjoin(allocated, allocated.c.invoice_id == Invoice.id)
        .where(Invoice.currency == currency, open_amount > 0)
    ).all()
    outstanding = overdue = overdue_count = 0
    buckets = [0] * len(AGING_BUCKETS)
    for due_on, amount in open_invoices:
        outstanding += int(amount)
        days_late = (today - due_on).days
        if days_late <= 0:
            continue
        overdue += int(amount)
        overdue_count += 1
        for index, (low, high) in enumerate(AGING_BUCKETS):
            if days_late >= low and (high is None or days_late <= high):
                buckets[index] += int(amount)
                break
    labels = ["0–30", "31–60", "61–90", "90+"]
    return Receivables(
        currency=currency,
        invoiced=_invoiced(session, period.current, currency),
        previous_invoiced=_invoiced(session, period.previous, currency),
        cash=_collected(session, period.current, currency),
        previous_cash=_collected(session, period.previous, currency),
        outstanding=from_minor(outstanding, currency),
        overdue=from_minor(overdue, currency),
        overdue_invoices=overdue_count,
        aging=[(label, from_minor(b, currency)) for label, b in zip(labels, buckets, strict=True)],
    )


def _invoiced(session: Session, period: Period, currency: str) -> Decimal:
    assert period.start is not None and period.end is not None
    total = session.scalar(
        select(func.sum(Invoice.amount_minor)).where(
            Invoice.currency == currency,
            Invoice.issued_on >= period.start,
            Invoice.issued_on <= period.end,
        )
    )
    return from_minor(int(total or 0), currency)


def _collected(session: Session, period: Period, currency: str) -> Decimal:
    since, until = _bounds(period)
    total = session.scalar(
        select(func.sum(Allocation.amount_minor))
        .join(Invoice, Invoice.id == Allocation.invoice_id)
        .where(
            Invoice.currency == currency,
            Allocation.allocated_at >= since,
            Allocation.allocated_at < until,
        )
    )
    return from_minor(int(total or 0), currency)


# ---- a rep's own figures (or a manager's team) -------------------------------------------------


@dataclass(frozen=True)
class OwnPeriod:
    """One period of a rep's (or a team's) own leads and deals."""

    leads: int  # own leads created in the period
    contacted: int
    sal: int
    sql: int
    won: int
    lost: int
    won_revenue: Decimal

    @property
    def contacted_share(self) -> Decimal | None:
        return ratio(self.contacted, self.leads)

    @property
    def lead_to_sal(self) -> Decimal | None:
        return ratio(self.sal, self.leads)

    @property
    def lead_to_sql(self) -> Decimal | None:
        return ratio(self.sql, self.leads)

    @property
    def win_rate(self) -> Decimal | None:
        return ratio(self.won, self.won + self.lost)


@dataclass(frozen=True)
class SlaClocks:
    overdue: int
    due_soon: int  # within ``DUE_SOON``
    running: int


@dataclass(frozen=True)
class DueLead:
    id: int
    name: str | None
    company: str | None
    status: str
    sla_kind: str | None
    sla_due_at: datetime


@dataclass
class OwnFigures:
    scope: str  # "own" or "team"
    currency: str
    open_leads: int
    clocks: SlaClocks
    current: OwnPeriod
    previous: OwnPeriod
    next_due: list[DueLead]
    computed_at: datetime


def _owners(actor: Actor) -> ColumnElement[bool]:
    """The owners whose figures the actor sees: themselves, or their team's members."""
    if actor.role == Role.SALES_MANAGER and actor.team_id is not None:
        return Lead.owner_id.in_(select(User.id).where(User.team_id == actor.team_id))
    return Lead.owner_id == actor.user_id


def _opportunity_owners(actor: Actor) -> ColumnElement[bool]:
    if actor.role == Role.SALES_MANAGER and actor.team_id is not None:
        return Opportunity.owner_id.in_(select(User.id).where(User.team_id == actor.team_id))
    return Opportunity.owner_id == actor.user_id


def own_figures(
    session: Session, actor: Actor, period: DashboardPeriod, *, currency: str, now: datetime
) -> OwnFigures:
    """A rep's open leads, SLA clocks, conversion and won revenue (a manager's: the team's)."""
    owners = _owners(actor)
    open_leads = int(
        session.scalar(
            select(func.count()).where(
                owners, Lead.status.in_([s.value for s in OPEN_LEAD_STATUSES])
            )
        )
        or 0
    )
    running = Lead.sla_due_at.is_not(None)
    overdue, due_soon, all_running = session.execute(
        select(
            cohort.count_where(Lead.sla_due_at < now),
            cohort.count_where(and_(Lead.sla_due_at >= now, Lead.sla_due_at < now + DUE_SOON)),
            func.count(),
        ).where(owners, running)
    ).one()
    next_due = [
        DueLead(row.id, row.full_name, row.company, row.status, row.sla_kind, row.sla_due_at)
        for row in session.execute(
            select(
                Lead.id,
                Lead.full_name,
                Lead.company,
                Lead.status,
                Lead.sla_kind,
                Lead.sla_due_at,
            )
            .where(owners, running)
            .order_by(Lead.sla_due_at, Lead.id)
            .limit(5)
        )
    ]
    return OwnFigures(
        scope="team" if actor.role == Role.SALES_MANAGER and actor.team_id else "own",
        currency=currency,
        open_leads=open_leads,
        clocks=SlaClocks(int(overdue), int(due_soon), int(all_running)),
        current=_own_period(session, actor, period.current, currency),
        previous=_own_period(session, actor, period.previous, currency),
        next_due=next_due,
        computed_at=now,
    )


def _own_period(session: Session, actor: Actor, period: Period, currency: str) -> OwnPeriod:
    since, until = _bounds(period)
    leads, contacted, sal, sql = session.execute(
        select(
            func.count(),
            func.count(Lead.first_contact_at),
            func.count(cohort.reached_sal_at),
            func.count(cohort.reached_sql_at),
        ).where(_owners(actor), cohort.in_cohort(period))
    ).one()
    closed = and_(
        _opportunity_owners(actor), Opportunity.closed_at >= since, Opportunity.closed_at < until
    )
    won, lost = session.execute(
        select(
            cohort.count_where(Opportunity.status == StageOutcome.WON),
            cohort.count_where(Opportunity.status == StageOutcome.LOST),
        ).where(closed)
    ).one()
    revenue = session.scalar(
        select(func.sum(Order.amount_minor))
        .join(Opportunity, Opportunity.id == Order.opportunity_id)
        .where(closed, Opportunity.status == StageOutcome.WON, Order.currency == currency)
    )
    return OwnPeriod(
        leads=int(leads),
        contacted=int(contacted),
        sal=int(sal),
        sql=int(sql),
        won=int(won),
        lost=int(lost),
        won_revenue=from_minor(int(revenue or 0), currency),
    )


def sees_company(actor: Actor) -> bool:
    """Company figures for the roles that read reports; a rep and an SDR see their own."""
    return actor.role in COMPANY_ROLES or actor.role == Role.SALES_MANAGER
