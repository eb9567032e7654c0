"""What the accounts list and the account 360° page show about accounts: open opportunities, won
revenue, last activity (for a whole page at once, a few GROUP BY queries), and one account with its
contacts, deals, cash and timeline — each part within the actor's areas and rows.

Won revenue is the amount of the won opportunities the actor may see; for a role without the
pipeline but with cash (finance), the amount of the account's orders (booked revenue).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from closeloop.access.actor import Actor
from closeloop.access.policy import Area, allowed
from closeloop.access.visibility import opportunity_condition
from closeloop.accounts import service
from closeloop.accounts.timeline import TimelineEntry, account_timeline
from closeloop.cash import service as cash
from closeloop.models import (
    Account,
    Contact,
    Invoice,
    Lead,
    Opportunity,
    Order,
    Payment,
    Stage,
    StageOutcome,
)
from closeloop.money import from_minor

CASH_ROWS = 50  # orders, invoices, payments shown on the page (newest first)


@dataclass
class AccountSummary:
    owner: str | None = None
    open_opportunities: int | None = None  # None: the actor may not see opportunities
    won: list[tuple[Decimal, str]] = field(default_factory=list)  # (amount, currency)
    last_activity: datetime | None = None


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _latest(session: Session, statement: Any, found: dict[int, AccountSummary]) -> None:
    for account_id, at in session.execute(statement):
        at = _aware(at)
        summary = found[account_id]
        if at is not None and (summary.last_activity is None or at > summary.last_activity):
            summary.last_activity = at


def summaries(
    session: Session, actor: Actor, accounts: Sequence[Account]
) -> dict[int, AccountSummary]:
    """Owner, open opportunities, won revenue and last activity of each account of a page."""
    ids = [a.id for a in accounts]
    found = {account_id: AccountSummary() for account_id in ids}
    if not ids:
        return found
    owners = service.user_names(session, [a.owner_id for a in accounts])
    for account in accounts:
        found[account.id].owner = owners.get(account.owner_id) if account.owner_id else None
    won: dict[int, dict[str, int]] = defaultdict(dict)
    if allowed(actor, Area.PIPELINE):
        visible = (Opportunity.account_id.in_(ids), opportunity_condition(actor))
        for account_id in ids:
            found[account_id].open_opportunities = 0
        for account_id, count in session.execute(
            select(Opportunity.account_id, func.count())
            .where(*visible, Opportunity.status == StageOutcome.OPEN.value)
            .group_by(Opportunity.account_id)
        ):
            found[account_id].open_opportunities = int(count)
        for account_id, currency, total in session.execute(
            select(Opportunity.account_id, Opportunity.currency, func.sum(Opportunity.amount_minor))
            .where(*visible, Opportunity.status == StageOutcome.WON.value)
            .group_by(Opportunity.account_id, Opportunity.currency)
        ):
            won[account_id][currency] = int(total or 0)
        _latest(
            session,
            select(Opportunity.account_id, func.max(Opportunity.updated_at))
            .where(*visible)
            .group_by(Opportunity.account_id),
            found,
        )
    elif allowed(actor, Area.CASH):
        for account_id, currency, total in session.execute(
            select(Order.account_id, Order.currency, func.sum(Order.amount_minor))
            .where(Order.account_id.in_(ids))
            .group_by(Order.account_id, Order.currency)
        ):
            won[account_id][currency] = int(total or 0)
    for account_id, totals in won.items():
        found[account_id].won = [(from_minor(m, c), c) for c, m in sorted(totals.items())]
    _latest(
        session,
        select(Lead.account_id, func.max(func.coalesce(Lead.last_activity_at, Lead.created_at)))
        .where(Lead.account_id.in_(ids))
        .group_by(Lead.account_id),
        found,
    )
    if allowed(actor, Area.CASH):
        _latest(
            session,
            select(Payment.account_id, func.max(Payment.received_at))
            .where(Payment.account_id.in_(ids))
            .group_by(Payment.account_id),
            found,
        )
    return found


@dataclass(frozen=True)
class DealRow:
    opportunity: Opportunity
    stage: str


@dataclass(frozen=True)
class InvoiceRow:
    invoice: Invoice
    outstanding_minor: int
    overdue: bool


@dataclass(frozen=True)
class AccountProfile:
    account: Account
    summary: AccountSummary
    tags: list[str]
    contacts: list[Contact]
    deals: list[DealRow] | None  # None: no pipeline area
    orders: list[tuple[Order, int, int]] | None  # (order, invoiced, paid); None: no cash area
    invoices: list[InvoiceRow] | None
    payments: list[Payment] | None
    outstanding: list[tuple[Decimal, str]]
    timeline: list[TimelineEntry]


def account_profile(
    session: Session, actor: Actor, account_id: int, *, today: Any = None
) -> AccountProfile:
    """One account the actor may see (404 otherwise) with its contacts, deals, cash, timeline."""
    account = service.get_account(session, actor, account_id)
    contacts = list(
        service.list_contacts(
            session, actor, account_id=account.id, email=None,
            sort=Contact.full_name,  # type: ignore[arg-type]
            descending=False, limit=100, cursor=None,
        ).items
    )  # fmt: skip
    deals = None
    if allowed(actor, Area.PIPELINE):
        rows = session.execute(
            select(Opportunity, Stage.name)
            .join(Stage, Stage.id == Opportunity.stage_id)
            .where(Opportunity.account_id == account.id, opportunity_condition(actor))
            .order_by(Opportunity.created_at.desc(), Opportunity.id.desc())
        ).all()
        deals = [DealRow(o, name) for o, name in rows]
    orders = invoices = payments = None
    owed: dict[str, int] = defaultdict(int)
    if allowed(actor, Area.CASH):
        orders, invoices, payments = _cash(session, actor, account.id, today, owed)
    return AccountProfile(
        account=account,
        summary=summaries(session, actor, [account])[account.id],
        tags=service.tags_of(session, [account.id])[account.id],
        contacts=contacts,
        deals=deals,
        orders=orders,
        invoices=invoices,
        payments=payments,
        outstanding=[(from_minor(m, c), c) for c, m in sorted(owed.items()) if m],
        timeline=account_timeline(session, actor, account.id),
    )


def _cash(
    session: Session, actor: Actor, account_id: int, today: Any, owed: dict[str, int]
) -> tuple[list[tuple[Order, int, int]], list[InvoiceRow], list[Payment]]:
    """The account's newest orders, invoices (with what is still owed) and payments."""
    today = today or cash.today_utc()
    newest = {"descending": True, "limit": CASH_ROWS, "cursor": None}
    orders = list(
        cash.list_orders(
            session, actor, filters=cash.OrderFilters(account_id=account_id),
            sort=Order.signed_at, **newest,  # type: ignore[arg-type]
        ).items
    )  # fmt: skip
    totals = cash.order_totals(session, orders)
    invoices = list(
        cash.list_invoices(
            session, actor, filters=cash.InvoiceFilters(account_id=account_id),
            sort=Invoice.issued_on, today=today, **newest,  # type: ignore[arg-type]
        ).items
    )  # fmt: skip
    every = list(
        session.scalars(
            select(Invoice)
            .join(Order, Order.id == Invoice.order_id)
            .where(Order.account_id == account_id)
        )
    )
    settled = cash.invoice_totals(session, every)

    def left(bill: Invoice) -> int:  # an overpaid invoice owes nothing, not a negative amount
        return max(cash.outstanding_minor(bill, settled[bill.id]), 0)

    for bill in every:
        owed[bill.currency] += left(bill)
    invoice_rows = [
        InvoiceRow(bill, left(bill), cash.is_overdue(bill, settled[bill.id], today))
        for bill in invoices
    ]
    payments = list(
        cash.list_payments(
            session, actor, filters=cash.PaymentFilters(account_id=account_id),
            sort=Payment.received_at, **newest,  # type: ignore[arg-type]
        ).items
    )  # fmt: skip
    return [(o, *totals[o.id]) for o in orders], invoice_rows, payments
