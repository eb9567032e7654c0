"""Reading orders, invoices and payments with what was invoiced, paid and is still owed.

The cash area is finance's (and admins'): every function starts with ``require(…, Area.CASH)``.
Sums are computed for a whole page at once (one GROUP BY per measure), never per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from closeloop.access.actor import READ, Actor
from closeloop.access.policy import Area, require
from closeloop.db.cursor import Page, paginate
from closeloop.errors import Invalid, NotFound
from closeloop.i18n import N_
from closeloop.models import Allocation, Invoice, InvoiceAdjustment, Order, Payment

ORDER_SORTS: Mapping[str, ColumnElement[Any]] = {
    "id": Order.id,  # type: ignore[dict-item]
    "number": Order.number,  # type: ignore[dict-item]
    "signed_at": Order.signed_at,  # type: ignore[dict-item]
    "amount": Order.amount_minor,  # type: ignore[dict-item]
}
INVOICE_SORTS: Mapping[str, ColumnElement[Any]] = {
    "id": Invoice.id,  # type: ignore[dict-item]
    "number": Invoice.number,  # type: ignore[dict-item]
    "issued_on": Invoice.issued_on,  # type: ignore[dict-item]
    "due_on": Invoice.due_on,  # type: ignore[dict-item]
    "amount": Invoice.amount_minor,  # type: ignore[dict-item]
}
PAYMENT_SORTS: Mapping[str, ColumnElement[Any]] = {
    "id": Payment.id,  # type: ignore[dict-item]
    "received_at": Payment.received_at,  # type: ignore[dict-item]
    "amount": Payment.amount_minor,  # type: ignore[dict-item]
}


def today_utc() -> date:
    return datetime.now(UTC).date()


def _start_of(day: date, days_after: int = 0) -> datetime:
    """The first instant (UTC) of ``day`` plus ``days_after`` days."""
    return datetime.combine(day + timedelta(days=days_after), time.min, UTC)


def _range(start: Any, end: Any, field: str) -> None:
    if start is not None and end is not None and start > end:
        raise Invalid(N_("must not be after the end of the range"), field=f"query.{field}")


def _page(
    session: Session,
    statement: Select[Any],
    id_column: Any,
    sort: ColumnElement[Any],
    descending: bool,
    limit: int,
    cursor: str | None,
) -> Page[Any]:
    return paginate(
        session,
        statement,
        sort=sort,
        id_column=id_column,
        descending=descending,
        limit=limit,
        cursor=cursor,
    )


def _sums(session: Session, statement: Any) -> dict[int, int]:
    return {key: int(total or 0) for key, total in session.execute(statement)}


# ---- orders ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderFilters:
    account_id: int | None = None
    status: str | None = None
    signed_from: date | None = None
    signed_to: date | None = None


def list_orders(
    session: Session,
    actor: Actor,
    *,
    filters: OrderFilters,
    sort: ColumnElement[Any],
    descending: bool,
    limit: int,
    cursor: str | None,
) -> Page[Order]:
    require(actor, Area.CASH, READ)
    _range(filters.signed_from, filters.signed_to, "signed_from")
    statement = select(Order)
    if filters.account_id is not None:
        statement = statement.where(Order.account_id == filters.account_id)
    if filters.status:
        statement = statement.where(Order.status == filters.status)
    if filters.signed_from:
        statement = statement.where(Order.signed_at >= _start_of(filters.signed_from))
    if filters.signed_to:
        statement = statement.where(Order.signed_at < _start_of(filters.signed_to, 1))
    return _page(session, statement, Order.id, sort, descending, limit, cursor)


def get_order(session: Session, actor: Actor, order_id: int) -> Order:
    require(actor, Area.CASH, READ)
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound(N_("order %(id)s not found"), id=order_id)
    return order


def order_totals(session: Session, orders: Iterable[Order]) -> dict[int, tuple[int, int]]:
    """(invoiced, paid) minor units of each order."""
    ids = [o.id for o in orders]
    if not ids:
        return {}
    invoiced = _sums(
        session,
        select(Invoice.order_id, func.sum(Invoice.amount_minor))
        .where(Invoice.order_id.in_(ids))
        .group_by(Invoice.order_id),
    )
    paid = _sums(
        session,
        select(Invoice.order_id, func.sum(Allocation.amount_minor))
        .join(Allocation, Allocation.invoice_id == Invoice.id)
        .where(Invoice.order_id.in_(ids))
        .group_by(Invoice.order_id),
    )
    return {i: (invoiced.get(i, 0), paid.get(i, 0)) for i in ids}


# ---- invoices ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvoiceFilters:
    account_id: int | None = None
    order_id: int | None = None
    status: str | None = None
    overdue: bool | None = None
    due_from: date | None = None
    due_to: date | None = None


def _owed(statement: Select[Any]) -> tuple[Select[Any], ColumnElement[bool]]:
    """``statement`` joined to each invoice's allocated and adjusted sums, and the condition
    "something is still owed". One grouped pass over allocations beats a lookup per invoice."""
    paid = (
        select(Allocation.invoice_id, func.sum(Allocation.amount_minor).label("total"))
        .group_by(Allocation.invoice_id)
        .subquery()
    )
    adjusted = (
        select(
            InvoiceAdjustment.invoice_id, func.sum(InvoiceAdjustment.amount_minor).label("total")
        )
        .group_by(InvoiceAdjustment.invoice_id)
        .subquery()
    )
    joined = statement.outerjoin(paid, paid.c.invoice_id == Invoice.id).outerjoin(
        adjusted, adjusted.c.invoice_id == Invoice.id
    )
    owed = Invoice.amount_minor > func.coalesce(paid.c.total, 0) + func.coalesce(
        adjusted.c.total, 0
    )
    return joined, owed


def list_invoices(
    session: Session,
    actor: Actor,
    *,
    filters: InvoiceFilters,
    sort: ColumnElement[Any],
    descending: bool,
    limit: int,
    cursor: str | None,
    today: date | None = None,
) -> Page[Invoice]:
    """Invoices; ``overdue`` keeps those past due (before ``today``) with something owed."""
    require(actor, Area.CASH, READ)
    _range(filters.due_from, filters.due_to, "due_from")
    today = today or today_utc()
    statement = select(Invoice)
    if filters.account_id is not None:
        statement = statement.where(
            Invoice.order_id.in_(select(Order.id).where(Order.account_id == filters.account_id))
        )
    if filters.order_id is not None:
        statement = statement.where(Invoice.order_id == filters.order_id)
    if filters.status:
        statement = statement.where(Invoice.status == filters.status)
    if filters.due_from:
        statement = statement.where(Invoice.due_on >= filters.due_from)
    if filters.due_to:
        statement = statement.where(Invoice.due_on <= filters.due_to)
    if filters.overdue is not None:
        statement, owed = _owed(statement)
        past_due = Invoice.due_on < today
        statement = statement.where((past_due & owed) if filters.overdue else (~past_due | ~owed))
    return _page(session, statement, Invoice.id, sort, descending, limit, cursor)


def get_invoice(session: Session, actor: Actor, invoice_id: int) -> Invoice:
    require(actor, Area.CASH, READ)
    invoice = session.get(Invoice, invoice_id)
    if invoice is None:
        raise NotFound(N_("invoice %(id)s not found"), id=invoice_id)
    return invoice


@dataclass(frozen=True)
class InvoiceTotals:
    account_id: int
    paid: int
    adjusted: int


def outstanding_minor(invoice: Invoice, totals: InvoiceTotals) -> int:
    """What is still owed on an invoice: its amount less allocations and adjustments."""
    return invoice.amount_minor - totals.paid - totals.adjusted


def is_overdue(invoice: Invoice, totals: InvoiceTotals, today: date) -> bool:
    """Past its due date with something still owed (PRODUCT.md's "overdue")."""
    return invoice.due_on < today and outstanding_minor(invoice, totals) > 0


def invoice_totals(session: Session, invoices: Iterable[Invoice]) -> dict[int, InvoiceTotals]:
    """Account, allocated and adjusted minor units of each invoice."""
    rows = list(invoices)
    ids = [i.id for i in rows]
    if not ids:
        return {}
    paid = _sums(
        session,
        select(Allocation.invoice_id, func.sum(Allocation.amount_minor))
        .where(Allocation.invoice_id.in_(ids))
        .group_by(Allocation.invoice_id),
    )
    adjusted = _sums(
        session,
        select(InvoiceAdjustment.invoice_id, func.sum(InvoiceAdjustment.amount_minor))
        .where(InvoiceAdjustment.invoice_id.in_(ids))
        .group_by(InvoiceAdjustment.invoice_id),
    )
    accounts = dict(
        session.execute(
            select(Order.id, Order.account_id).where(Order.id.in_({i.order_id for i in rows}))
        ).all()
    )
    return {
        i.id: InvoiceTotals(accounts[i.order_id], paid.get(i.id, 0), adjusted.get(i.id, 0))
        for i in rows
    }


# ---- payments ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentFilters:
    account_id: int | None = None
    received_from: date | None = None
    received_to: date | None = None


def list_payments(
    session: Session,
    actor: Actor,
    *,
    filters: PaymentFilters,
    sort: ColumnElement[Any],
    descending: bool,
    limit: int,
    cursor: str | None,
) -> Page[Payment]:
    require(actor, Area.CASH, READ)
    _range(filters.received_from, filters.received_to, "from")
    statement = select(Payment)
    if filters.account_id is not None:
        statement = statement.where(Payment.account_id == filters.account_id)
    if filters.received_from:
        statement = statement.where(Payment.received_at >= _start_of(filters.received_from))
    if filters.received_to:
        statement = statement.where(Payment.received_at < _start_of(filters.received_to, 1))
    return _page(session, statement, Payment.id, sort, descending, limit, cursor)


def get_payment(session: Session, actor: Actor, payment_id: int) -> Payment:
    require(actor, Area.CASH, READ)
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise NotFound(N_("payment %(id)s not found"), id=payment_id)
    return payment


def payment_allocated(session: Session, payments: Iterable[Payment]) -> dict[int, int]:
    """Minor units of each payment applied to invoices."""
    ids = [p.id for p in payments]
    if not ids:
        return {}
    return _sums(
        session,
        select(Allocation.payment_id, func.sum(Allocation.amount_minor))
        .where(Allocation.payment_id.in_(ids))
        .group_by(Allocation.payment_id),
    )
