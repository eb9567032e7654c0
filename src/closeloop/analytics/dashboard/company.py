"""The company's dashboard figures (from the report services) and finance's receivables."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from closeloop.analytics.dashboard.periods import DashboardPeriod
from closeloop.analytics.funnel import FunnelRow, funnel_report
from closeloop.analytics.period import Grouping, Period
from closeloop.analytics.roi import RoiRow, roi_report
from closeloop.db.engine import unit_of_work
from closeloop.db.types import utcnow
from closeloop.leads.sla.compliance import ComplianceRow, sla_compliance
from closeloop.models import (
    Allocation,
    Invoice,
    Lead,
    Opportunity,
    Order,
    StageOutcome,
    Target,
)
from closeloop.money import from_minor

TREND_WEEKS = 13
T_co = TypeVar("T_co", covariant=True)
AGING_BUCKETS = ((0, 30), (31, 60), (61, 90), (91, None))  # days past due


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


def period_bounds(period: Period) -> tuple[datetime, datetime]:
    assert period.start_at is not None and period.end_before is not None
    return period.start_at, period.end_before


def _compliance(session: Session, period: Period, now: datetime) -> ComplianceRow:
    since, until = period_bounds(period)
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
    since, until = period_bounds(period)
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
