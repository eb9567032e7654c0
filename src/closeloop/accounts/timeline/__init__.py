"""The 360° timeline of an account or a lead: every touch, status change, decision, opportunity
and its stage changes, order, invoice and payment, on one list sorted by time.

Each part obeys the actor's rights: leads (and their touches and decisions) only for actors who
may see leads, and only the leads they may see; opportunities likewise; orders, invoices and
payments only for actors allowed the cash area (admin, finance). A few set-based queries per
timeline, whatever the number of leads or deals.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.access.actor import Actor
from closeloop.access.policy import Area, allowed
from closeloop.access.visibility import get_readable, opportunity_condition
from closeloop.accounts.timeline.deal_parts import cash_entries, opportunity_entries
from closeloop.accounts.timeline.entry import TimelineEntry, sorted_entries
from closeloop.accounts.timeline.lead_parts import lead_entries
from closeloop.models import Account, Allocation, Invoice, Lead, Opportunity, Order, Payment

__all__ = ["TimelineEntry", "account_timeline", "lead_timeline"]


def account_timeline(session: Session, actor: Actor, account_id: int) -> list[TimelineEntry]:
    """Everything that happened with an account the actor may see (404 otherwise), oldest first."""
    get_readable(session, actor, Account, account_id)
    entries: list[TimelineEntry] = []
    lead_ids: set[int] = set()
    if allowed(actor, Area.PIPELINE):
        opportunities = list(
            session.scalars(
                select(Opportunity).where(
                    Opportunity.account_id == account_id, opportunity_condition(actor)
                )
            )
        )
        entries += opportunity_entries(session, opportunities)
        lead_ids |= {o.lead_id for o in opportunities if o.lead_id is not None}
    if allowed(actor, Area.LEADS):
        lead_ids |= set(session.scalars(select(Lead.id).where(Lead.account_id == account_id)))
        entries += lead_entries(session, actor, lead_ids)
    if allowed(actor, Area.CASH):
        orders = list(session.scalars(select(Order).where(Order.account_id == account_id)))
        invoices = list(
            session.scalars(
                select(Invoice)
                .join(Order, Order.id == Invoice.order_id)
                .where(Order.account_id == account_id)
            )
        )
        payments = list(session.scalars(select(Payment).where(Payment.account_id == account_id)))
        entries += cash_entries(orders, invoices, payments)
    return sorted_entries(entries)


def lead_timeline(session: Session, actor: Actor, lead_id: int) -> list[TimelineEntry]:
    """Everything that happened with a lead the actor may see, and, once converted, with its
    opportunities and their orders, invoices and payments; oldest first."""
    get_readable(session, actor, Lead, lead_id)
    entries = lead_entries(session, actor, {lead_id})
    opportunity_ids: list[int] = []
    if allowed(actor, Area.PIPELINE):
        opportunities = list(
            session.scalars(
                select(Opportunity).where(
                    Opportunity.lead_id == lead_id, opportunity_condition(actor)
                )
            )
        )
        entries += opportunity_entries(session, opportunities)
        opportunity_ids = [o.id for o in opportunities]
    elif allowed(actor, Area.CASH):
        opportunity_ids = list(
            session.scalars(select(Opportunity.id).where(Opportunity.lead_id == lead_id))
        )
    if allowed(actor, Area.CASH) and opportunity_ids:
        orders = list(
            session.scalars(select(Order).where(Order.opportunity_id.in_(opportunity_ids)))
        )
        order_ids = [o.id for o in orders]
        invoices = (
            list(session.scalars(select(Invoice).where(Invoice.order_id.in_(order_ids))))
            if order_ids
            else []
        )
        invoice_ids = [i.id for i in invoices]
        payments = (
            list(
                session.scalars(
                    select(Payment).where(
                        Payment.id.in_(
                            select(Allocation.payment_id).where(
                                Allocation.invoice_id.in_(invoice_ids)
                            )
                        )
                    )
                )
            )
            if invoice_ids
            else []
        )
        entries += cash_entries(orders, invoices, payments)
    return sorted_entries(entries)
