"""Cash over HTTP, read-only: /api/v1/orders, /invoices, /payments (finance and admins)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from closeloop.accounts.schemas import error_responses
from closeloop.cash import service
from closeloop.cash.schemas import InvoiceOut, OrderOut, PaymentOut
from closeloop.models import Invoice, Order, Payment
from closeloop.money import from_minor
from closeloop.web.auth import ApiActor
from closeloop.web.listing import ListParams, PageOut, list_params, sort_order
from closeloop.web.params import IdFilter, RowId, request_unit

router = APIRouter(prefix="/api/v1", tags=["cash"])
Params = Annotated[ListParams, Depends(list_params)]


def order_out(o: Order, totals: tuple[int, int]) -> OrderOut:
    return OrderOut(
        id=o.id,
        number=o.number,
        opportunity_id=o.opportunity_id,
        account_id=o.account_id,
        signed_at=o.signed_at,
        amount=from_minor(o.amount_minor, o.currency),
        currency=o.currency,
        status=o.status,
        invoiced=from_minor(totals[0], o.currency),
        paid=from_minor(totals[1], o.currency),
        invoiced_at=o.invoiced_at,
        paid_at=o.paid_at,
    )


def invoice_out(i: Invoice, totals: service.InvoiceTotals, today: date) -> InvoiceOut:
    outstanding = service.outstanding_minor(i, totals)
    return InvoiceOut(
        id=i.id,
        number=i.number,
        order_id=i.order_id,
        account_id=totals.account_id,
        issued_on=i.issued_on,
        due_on=i.due_on,
        amount=from_minor(i.amount_minor, i.currency),
        currency=i.currency,
        status=i.status,
        paid=from_minor(totals.paid, i.currency),
        adjusted=from_minor(totals.adjusted, i.currency),
        outstanding=from_minor(outstanding, i.currency),
        overdue=service.is_overdue(i, totals, today),
    )


def payment_out(p: Payment, allocated: int) -> PaymentOut:
    return PaymentOut(
        id=p.id,
        account_id=p.account_id,
        received_at=p.received_at,
        amount=from_minor(p.amount_minor, p.currency),
        currency=p.currency,
        method=p.method,
        reference=p.reference,
        allocated=from_minor(allocated, p.currency),
        unallocated=from_minor(p.amount_minor - allocated, p.currency),
    )


@router.get("/orders", response_model=PageOut[OrderOut], responses=error_responses(422))
def list_orders(
    request: Request,
    actor: ApiActor,
    params: Params,
    account_id: IdFilter = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    signed_from: date | None = None,
    signed_to: date | None = None,
) -> PageOut[OrderOut]:
    """Orders (contracts); sortable by id, number, signed_at, amount (default -signed_at)."""
    sort, descending = sort_order(params.sort, service.ORDER_SORTS, "-signed_at")
    filters = service.OrderFilters(account_id, status, signed_from, signed_to)
    with request_unit(request) as session:
        page = service.list_orders(
            session,
            actor,
            filters=filters,
            sort=sort,
            descending=descending,
            limit=params.limit,
            cursor=params.cursor,
        )
        totals = service.order_totals(session, page.items)
        items = [order_out(o, totals[o.id]) for o in page.items]
    return PageOut[OrderOut](items=items, next_cursor=page.next_cursor)


@router.get("/orders/{order_id}", response_model=OrderOut, responses=error_responses(404))
def get_order(order_id: RowId, request: Request, actor: ApiActor) -> OrderOut:
    with request_unit(request) as session:
        order = service.get_order(session, actor, order_id)
        return order_out(order, service.order_totals(session, [order])[order.id])


@router.get("/invoices", response_model=PageOut[InvoiceOut], responses=error_responses(422))
def list_invoices(
    request: Request,
    actor: ApiActor,
    params: Params,
    account_id: IdFilter = None,
    order_id: IdFilter = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    overdue: Annotated[
        bool | None, Query(description="true: past due with something still owed")
    ] = None,
    due_from: date | None = None,
    due_to: date | None = None,
) -> PageOut[InvoiceOut]:
    """Invoices; sortable by id, number, issued_on, due_on, amount (default due_on)."""
    sort, descending = sort_order(params.sort, service.INVOICE_SORTS, "due_on")
    filters = service.InvoiceFilters(account_id, order_id, status, overdue, due_from, due_to)
    today = service.today_utc()
    with request_unit(request) as session:
        page = service.list_invoices(
            session,
            actor,
            filters=filters,
            sort=sort,
            descending=descending,
            limit=params.limit,
            cursor=params.cursor,
            today=today,
        )
        totals = service.invoice_totals(session, page.items)
        items = [invoice_out(i, totals[i.id], today) for i in page.items]
    return PageOut[InvoiceOut](items=items, next_cursor=page.next_cursor)


@router.get("/invoices/{invoice_id}", response_model=InvoiceOut, responses=error_responses(404))
def get_invoice(invoice_id: RowId, request: Request, actor: ApiActor) -> InvoiceOut:
    with request_unit(request) as session:
        invoice = service.get_invoice(session, actor, invoice_id)
        totals = service.invoice_totals(session, [invoice])[invoice.id]
        return invoice_out(invoice, totals, service.today_utc())


@router.get("/payments", response_model=PageOut[PaymentOut], responses=error_responses(422))
def list_payments(
    request: Request,
    actor: ApiActor,
    params: Params,
    account_id: IdFilter = None,
    received_from: Annotated[date | None, Query(alias="from")] = None,
    received_to: Annotated[date | None, Query(alias="to")] = None,
) -> PageOut[PaymentOut]:
    """Payments received; sortable by id, received_at, amount (default -received_at)."""
    sort, descending = sort_order(params.sort, service.PAYMENT_SORTS, "-received_at")
    filters = service.PaymentFilters(account_id, received_from, received_to)
    with request_unit(request) as session:
        page = service.list_payments(
            session,
            actor,
            filters=filters,
            sort=sort,
            descending=descending,
            limit=params.limit,
            cursor=params.cursor,
        )
        allocated = service.payment_allocated(session, page.items)
        items = [payment_out(p, allocated.get(p.id, 0)) for p in page.items]
    return PageOut[PaymentOut](items=items, next_cursor=page.next_cursor)


@router.get("/payments/{payment_id}", response_model=PaymentOut, responses=error_responses(404))
def get_payment(payment_id: RowId, request: Request, actor: ApiActor) -> PaymentOut:
    with request_unit(request) as session:
        payment = service.get_payment(session, actor, payment_id)
        allocated = service.payment_allocated(session, [payment]).get(payment.id, 0)
        return payment_out(payment, allocated)
