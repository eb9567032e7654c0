"""Invoices and the adjustments (credit notes, write-offs) made to them."""

from __future__ import annotations

from datetime import date

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from closeloop.db.base import Base, Timestamped


class Invoice(Timestamped, Base):
    """A bill for an order (usually one installment). Overdue: past due and not fully allocated."""

    __tablename__ = "invoices"
    __table_args__ = (Index("ix_invoices_status_due", "status", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    installment_id: Mapped[int | None] = mapped_column(
        ForeignKey("installments.id", ondelete="SET NULL")
    )
    issued_on: Mapped[date]
    due_on: Mapped[date]
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(20), default="open")


class InvoiceAdjustment(Timestamped, Base):
    """A credit note or a write-off that reduces what is still owed on an invoice."""

    __tablename__ = "invoice_adjustments"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        ForeignKey("invoices.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    issued_on: Mapped[date]
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    reason: Mapped[str | None] = mapped_column(String(500))
