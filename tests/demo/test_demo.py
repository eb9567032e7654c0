"""The demo company: reproducible, consistent, and its reports recover its ground truth."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from closeloop.analytics.funnel import funnel_report
from closeloop.analytics.period import Grouping, Period
from closeloop.analytics.roi import roi_report
from closeloop.db.base import Base
from closeloop.db.engine import unit_of_work
from closeloop.demo.company import (
    CHANNELS,
    best_converting_channel,
    best_roas_channel,
    worst_roas_channel,
)
from closeloop.demo.service import DemoOptions, generate_demo
from closeloop.errors import Conflict
from closeloop.models import (
    Channel,
    Invoice,
    Lead,
    LeadStatusChange,
    Opportunity,
    Order,
    StageOutcome,
)

END = date(2026, 6, 30)


def small(seed: int = 3, leads: int = 4_000) -> DemoOptions:
    return DemoOptions(seed=seed, leads=leads, months=12, end=END)


def fingerprint(engine: Engine) -> tuple[object, ...]:
    """Counts and sums that change if any generated value changes."""
    with engine.connect() as c:
        return tuple(
            c.execute(text(sql)).one()
            for sql in (
                "SELECT count(*), sum(score), sum(channel_id * id), sum(length(email)) FROM leads",
                "SELECT count(*), sum(amount_minor), sum(stage_id) FROM opportunities",
                "SELECT count(*), sum(amount_minor) FROM payments",
                "SELECT count(*), sum(amount_minor) FROM spend_entries",
                "SELECT count(*) FROM lead_status_changes",
                "SELECT count(*) FROM touches",
            )
        )


def test_same_seed_gives_the_same_company(engine: Engine) -> None:
    generate_demo(engine, small(seed=11))
    first = fingerprint(engine)
    generate_demo(engine, small(seed=11), reset=True)
    assert fingerprint(engine) == first
    generate_demo(engine, small(seed=12), reset=True)
    assert fingerprint(engine) != first


def test_refuses_a_database_with_data_unless_reset(engine: Engine) -> None:
    generate_demo(engine, small(leads=500))
    before = fingerprint(engine)
    with pytest.raises(Conflict, match="already holds 500 leads"):
        generate_demo(engine, small(leads=800))
    assert fingerprint(engine) == before


def test_every_foreign_key_finds_its_row(engine: Engine) -> None:
    """The loader skips row-by-row FK checks, so check them all here, set-based."""
    generate_demo(engine, small())
    with engine.connect() as c:
        for table in Base.metadata.sorted_tables:
            for fk in table.foreign_keys:
                parent = fk.column.table.alias("parent")
                key = parent.c[fk.column.name]
                orphans = c.scalar(
                    select(func.count())
                    .select_from(table.outerjoin(parent, fk.parent == key))
                    .where(fk.parent.is_not(None), key.is_(None))
                )
                assert orphans == 0, f"{table.name}.{fk.parent.name} → {fk.column.table.name}"


def test_history_matches_the_lead_and_money_reconciles(engine: Engine) -> None:
    generate_demo(engine, small())
    with Session(engine) as s:
        leads = s.scalar(select(func.count()).select_from(Lead))
        created = s.scalar(
            select(func.count()).where(
                LeadStatusChange.from_status.is_(None), LeadStatusChange.to_status == "new"
            )
        )
        assert created == leads == 4_000
        # The last change of every lead ends in the lead's current status.
        last_change = (
            select(LeadStatusChange.lead_id, func.max(LeadStatusChange.changed_at).label("at"))
            .group_by(LeadStatusChange.lead_id)
            .subquery()
        )
        mismatched = s.scalar(
            select(func.count())
            .select_from(Lead)
            .join(last_change, last_change.c.lead_id == Lead.id)
            .join(
                LeadStatusChange,
                (LeadStatusChange.lead_id == Lead.id)
                & (LeadStatusChange.changed_at == last_change.c.at),
            )
            .where(LeadStatusChange.to_status != Lead.status)
        )
        assert mismatched == 0
        # Every won opportunity became exactly one order of the same amount; no other did.
        won = s.scalar(select(func.count()).where(Opportunity.status == StageOutcome.WON))
        orders = s.execute(
            select(func.count(), func.count(Opportunity.id))
            .select_from(Order)
            .join(
                Opportunity,
                (Opportunity.id == Order.opportunity_id)
                & (Opportunity.status == StageOutcome.WON)
                & (Opportunity.amount_minor == Order.amount_minor),
            )
        ).one()
        assert orders == (won, won)
        # cash ≤ invoiced ≤ booked for every order.
        invoiced = (
            select(Invoice.order_id, func.sum(Invoice.amount_minor).label("amount"))
            .group_by(Invoice.order_id)
            .subquery()
        )
        cash = s.execute(
            text(
                "SELECT i.order_id, sum(a.amount_minor) AS amount FROM allocations a "
                "JOIN invoices i ON i.id = a.invoice_id GROUP BY i.order_id"
            )
        ).all()
        invoiced_by_order = dict(s.execute(select(invoiced.c.order_id, invoiced.c.amount)).all())
        booked = dict(s.execute(select(Order.id, Order.amount_minor)).all())
        assert cash, "some cash must have been collected"
        for order_id, amount in cash:
            assert amount <= invoiced_by_order[order_id] <= booked[order_id]
        assert all(invoiced_by_order[o] <= booked[o] for o in invoiced_by_order)


def test_postgresql_sequences_continue_after_the_demo(engine: Engine) -> None:
    generate_demo(engine, small(leads=300))
    with unit_of_work(engine) as s:
        channel = Channel(code="new", name="New channel", kind="direct")
        s.add(channel)
        s.flush()
        assert channel.id == len(CHANNELS) + 1


@pytest.mark.parametrize("seed", [1, 2])
def test_reports_recover_the_ground_truth(engine: Engine, seed: int) -> None:
    generate_demo(engine, small(seed=seed, leads=20_000))
    with unit_of_work(engine) as s:
        report = roi_report(s, grouping=Grouping.CHANNEL, period=Period())
    rows = {row.key: row for row in report.rows}
    assert len(rows) == len(CHANNELS)

    def conversion(name: str) -> Decimal:
        return Decimal(rows[name].won) / rows[name].leads

    assert max(rows, key=conversion) == best_converting_channel() == "Referrals"
    assert max(rows, key=lambda n: rows[n].roas or 0) == best_roas_channel()
    assert min(rows, key=lambda n: rows[n].roas or 0) == worst_roas_channel() == "Social ads"
    assert rows[worst_roas_channel()].roi is not None and rows[worst_roas_channel()].roi < 0
    for profile in CHANNELS:
        row = rows[profile.name]
        # Spend is booked at the true cost per lead, with ±15 % noise per day that averages out.
        retainer = Decimal(3_000 * 12) if profile.code == "seo" else Decimal(0)
        true_cpl = Decimal(str(profile.cost_per_lead))
        assert abs((row.spend - retainer) / row.leads - true_cpl) / true_cpl < Decimal("0.05")
        # Invalid leads are drawn at the channel's true rate; merged duplicates take ~2 % more.
        valid_share = row.valid_leads / row.leads
        assert abs(valid_share - profile.valid_rate * 0.98) < 0.03, profile.name


def test_funnel_of_the_demo_narrows_and_agrees_with_roi(engine: Engine) -> None:
    generate_demo(engine, small())
    with unit_of_work(engine) as s:
        funnel = funnel_report(s, grouping=None, period=Period())
        roi = roi_report(s, grouping=Grouping.CHANNEL, period=Period())
    counts = [row.count for row in funnel.rows]
    assert counts == sorted(counts, reverse=True)
    by_stage = {row.stage: row.count for row in funnel.rows}
    total = roi.total
    assert (by_stage["lead"], by_stage["valid_lead"], by_stage["mql"]) == (
        total.leads,
        total.valid_leads,
        total.mql,
    )
    assert (by_stage["sal"], by_stage["sql"], by_stage["won"]) == (total.sal, total.sql, total.won)
    assert by_stage["paid"] > 0
    assert all(row.median_days is not None for row in funnel.rows[2:])
