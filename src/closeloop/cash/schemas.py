"""What the cash API gives (read-only). Money is a decimal string with its currency."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel


class OrderOut(BaseModel):
    id: int
    number: str
    opportunity_id: int | None
    account_id: int
    signed_at: datetime
    amount: Decimal
    currency: str
    status: str
    invoiced: Decimal  # sum of its invoices
    paid: Decimal  # sum allocated to its invoices (cash)
    invoiced_at: datetime | None
    paid_at: datetime | None


class InvoiceOut(BaseModel):
    id: int
    number: str
    order_id: int
    account_id: int
    issued_on: date
    due_on: date
    amount: Decimal
    currency: str
    status: str
    paid: Decimal  # allocated payments
    adjusted: Decimal  # credit notes and write-offs
    outstanding: Decimal  # amount − paid − adjusted
    overdue: bool  # past due and something still outstanding


class PaymentOut(BaseModel):
    id: int
    account_id: int
    received_at: datetime
    amount: Decimal
    currency: str
    method: str | None
    reference: str | None
    allocated: Decimal
    unallocated: Decimal
