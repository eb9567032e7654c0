"""Tiny, explicit helpers that insert rows through the ORM: each adds, flushes and returns one row.

Times are timezone-aware (``at`` gives UTC); money is a ``Decimal`` amount turned into minor
units with ``closeloop.money.to_minor``. Nothing here commits: the test decides.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import TypeVar

from sqlalchemy.orm import Session

from closeloop.models import (
    Account,
    Allocation,
    Campaign,
    Channel,
    Content,
    Invoice,
    Lead,
    LeadStatus,
    Opportunity,
    Order,
    Payment,
    Pipeline,
    Role,
    SpendEntry,
    Stage,
    StageOutcome,
    User,
)
from closeloop.money import to_minor

T = TypeVar("T")
_numbers = itertools.count(1)


def at(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, tz: tzinfo = UTC
) -> datetime:
    """A timezone-aware moment (UTC unless ``tz`` says otherwise)."""
    return datetime(year, month, day, hour, minute, tzinfo=tz)


def _add(session: Session, row: T) -> T:
    session.add(row)
    session.flush()
    return row


def _code(name: str) -> str:
    return name.lower().replace(" ", "-")


# ---- marketing ---------------------------------------------------------------------------------


def channel(session: Session, name: str, *, kind: str = "paid_search") -> Channel:
    return _add(session, Channel(code=_code(name), name=name, kind=kind))


def campaign(session: Session, channel: Channel, name: str, *, currency: str = "USD") -> Campaign:
    return _add(
        session, Campaign(channel_id=channel.id, code=_code(name), name=name, currency=currency)
    )


def content(session: Session, campaign: Campaign, name: str, *, kind: str = "ad") -> Content:
    return _add(session, Content(campaign_id=campaign.id, code=_code(name), name=name, kind=kind))


def spend(
    session: Session,
    amount: Decimal,
    spent_on: date,
    *,
    channel: Channel,
    campaign: Campaign | None = None,
    content: Content | None = None,
    currency: str = "USD",
) -> SpendEntry:
    """Spend booked for a day against a channel and, optionally, a campaign and a content."""
    return _add(
        session,
        SpendEntry(
            channel_id=channel.id,
            campaign_id=campaign.id if campaign else None,
            content_id=content.id if content else None,
            spent_on=spent_on,
            amount_minor=to_minor(amount, currency),
            currency=currency,
        ),
    )


# ---- people and companies ----------------------------------------------------------------------


def user(session: Session, email: str, *, role: Role = Role.SALES_REP) -> User:
    return _add(session, User(email=email, full_name=email.split("@")[0], role=role))


def account(session: Session, name: str) -> Account:
    return _add(session, Account(name=name))


# ---- leads -------------------------------------------------------------------------------------


def lead(
    session: Session,
    created_at: datetime,
    *,
    channel: Channel | None = None,
    campaign: Campaign | None = None,
    content: Content | None = None,
    status: LeadStatus = LeadStatus.NEW,
    disqualified_reason: str | None = None,
    merged_into: Lead | None = None,
    mql_at: datetime | None = None,
    sal_at: datetime | None = None,
    sql_at: datetime | None = None,
    account: Account | None = None,
    owner: User | None = None,
) -> Lead:
    """A lead with its first-touch source and the milestone times it reached."""
    return _add(
        session,
        Lead(
            created_at=created_at,
            full_name=f"Lead {next(_numbers)}",
            channel_id=channel.id if channel else None,
            campaign_id=campaign.id if campaign else None,
            content_id=content.id if content else None,
            status=status,
            disqualified_reason=disqualified_reason,
            merged_into_id=merged_into.id if merged_into else None,
            mql_at=mql_at,
            sal_at=sal_at,
            sql_at=sql_at,
            account_id=account.id if account else None,
            owner_id=owner.id if owner else None,
        ),
    )


# ---- pipeline ----------------------------------------------------------------------------------

DEFAULT_STAGES: Sequence[tuple[str, int, StageOutcome]] = (
    ("Qualify", 10, StageOutcome.OPEN),
    ("Proposal", 50, StageOutcome.OPEN),
    ("Won", 100, StageOutcome.WON),
    ("Lost", 0, StageOutcome.LOST),
)


def pipeline(
    session: Session,
    name: str = "Default",
    stages: Sequence[tuple[str, int, StageOutcome]] = DEFAULT_STAGES,
) -> dict[str, Stage]:
    """A pipeline and its stages (name, probability %, outcome); returns the stages by name."""
    row = _add(session, Pipeline(name=name, is_default=True))
    return {
        stage_name: _add(
            session,
            Stage(
                pipeline_id=row.id,
                name=stage_name,
                position=position,
                probability=probability,
                outcome=outcome,
            ),
        )
        for position, (stage_name, probability, outcome) in enumerate(stages)
    }


def opportunity(
    session: Session,
    *,
    lead: Lead | None,
    account: Account,
    stage: Stage,
    amount: Decimal,
    closed_at: datetime | None = None,
    currency: str = "USD",
) -> Opportunity:
    """An opportunity at ``stage``; its status (open, won, lost) is the stage's outcome."""
    return _add(
        session,
        Opportunity(
            name=f"Deal {next(_numbers)}",
            account_id=account.id,
            lead_id=lead.id if lead else None,
            pipeline_id=stage.pipeline_id,
            stage_id=stage.id,
            amount_minor=to_minor(amount, currency),
            currency=currency,
            probability=stage.probability,
            status=stage.outcome,
            closed_at=closed_at,
        ),
    )


# ---- cash --------------------------------------------------------------------------------------


def order(
    session: Session,
    opportunity: Opportunity,
    *,
    signed_at: datetime,
    amount: Decimal,
    invoiced_at: datetime | None = None,
    paid_at: datetime | None = None,
    currency: str = "USD",
) -> Order:
    """The order a won opportunity became, with the times it was first invoiced and paid in full."""
    return _add(
        session,
        Order(
            number=f"SO-{next(_numbers)}",
            opportunity_id=opportunity.id,
            account_id=opportunity.account_id,
            signed_at=signed_at,
            amount_minor=to_minor(amount, currency),
            currency=currency,
            invoiced_at=invoiced_at,
            paid_at=paid_at,
        ),
    )


def invoice(
    session: Session, order: Order, amount: Decimal, *, issued_on: date, currency: str = "USD"
) -> Invoice:
    """An invoice for part or all of an order, due 30 days after it is issued."""
    return _add(
        session,
        Invoice(
            number=f"INV-{next(_numbers)}",
            order_id=order.id,
            issued_on=issued_on,
            due_on=issued_on + timedelta(days=30),
            amount_minor=to_minor(amount, currency),
            currency=currency,
        ),
    )


def payment(
    session: Session,
    account: Account,
    amount: Decimal,
    *,
    received_at: datetime,
    currency: str = "USD",
) -> Payment:
    return _add(
        session,
        Payment(
            account_id=account.id,
            received_at=received_at,
            amount_minor=to_minor(amount, currency),
            currency=currency,
        ),
    )


def allocation(session: Session, payment: Payment, invoice: Invoice, amount: Decimal) -> Allocation:
    """Part of a payment applied to an invoice (核销), at the time the payment arrived."""
    return _add(
        session,
        Allocation(
            payment_id=payment.id,
            invoice_id=invoice.id,
            amount_minor=to_minor(amount, invoice.currency),
            allocated_at=payment.received_at,
        ),
    )


def paid_invoice(
    session: Session, order: Order, amount: Decimal, *, issued_on: date, paid: Decimal
) -> Invoice:
    """An invoice of ``amount``; ``paid`` of it was received and allocated the day it was issued."""
    bill = invoice(session, order, amount, issued_on=issued_on, currency=order.currency)
    if paid:
        received = datetime.combine(issued_on, datetime.min.time(), UTC)
        money_in = payment(
            session,
            session.get_one(Account, order.account_id),
            paid,
            received_at=received,
            currency=order.currency,
        )
        allocation(session, money_in, bill, paid)
    return bill
