"""Accounts, contacts and opportunities for the leads that became SQL, with stage histories."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from closeloop.demo import names, profiles
from closeloop.demo.leads_gen import DAY, LeadBatch
from closeloop.demo.people import CompanyPool
from closeloop.demo.reference import Reference
from closeloop.demo.wire import Batch, dates, timestamps
from closeloop.models import StageOutcome

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass
class DealBatch:
    tables: dict[str, Batch]
    won_opportunity_ids: IntArray
    won_account_ids: IntArray
    won_amount_minor: IntArray
    won_at: FloatArray


def generate_deals(
    rng: np.random.Generator,
    ref: Reference,
    companies: CompanyPool,
    leads: LeadBatch,
    *,
    first_ids: dict[str, int],
    now: float,
    currency: str,
) -> DealBatch:
    """One account, contact and opportunity per SQL lead of the batch."""
    m = len(leads.sql_lead_ids)
    company = leads.sql_company
    channel = leads.sql_channel
    lead_rows = leads.tables["leads"]
    people_at = leads.sql_people_index
    account_ids = np.arange(first_ids["accounts"], first_ids["accounts"] + m)
    contact_ids = np.arange(first_ids["contacts"], first_ids["contacts"] + m)
    opportunity_ids = np.arange(first_ids["opportunities"], first_ids["opportunities"] + m)

    rep = rng.integers(0, len(ref.rep_ids), m)
    size_factor = np.clip(companies.employees[company] / 200, 0.5, 3.0) ** 0.3
    mean = profiles.DEAL_SIZE[channel] * size_factor
    amount = np.round(rng.lognormal(np.log(mean) - 0.125, 0.5) / 100) * 100  # whole hundreds
    amount_minor = (np.maximum(amount, 500) * 100).astype(np.int64)
    win_p = np.minimum(0.95, profiles.WIN_RATE[channel] * ref.rep_skill[rep])
    cycle = rng.lognormal(np.log(profiles.CYCLE_DAYS[channel]) - 0.08, 0.4) * DAY
    close_at = leads.sql_at + cycle
    closed = close_at <= now
    won = closed & (rng.random(m) < win_p)
    lost = closed & ~won
    n_open = len(ref.open_stage_ids)
    lost_after = rng.integers(0, n_open, m)  # open stages a lost deal passed through, minus one
    open_reached = np.clip(((now - leads.sql_at) / cycle * n_open).astype(np.int64), 0, n_open - 1)
    current = np.where(won, -1, np.where(lost, -2, open_reached))
    stage_id = np.where(
        current == -1,
        ref.won_stage_id,
        np.where(
            current == -2, ref.lost_stage_id, ref.open_stage_ids[np.clip(current, 0, n_open - 1)]
        ),
    )
    probability = np.where(won, 100, np.where(lost, 0, ref.open_stage_probability[open_reached]))
    status = np.where(
        won,
        StageOutcome.WON.value,
        np.where(lost, StageOutcome.LOST.value, StageOutcome.OPEN.value),
    ).astype(object)
    lost_reason = np.full(m, None, dtype=object)
    lost_reason[lost] = np.array(names.LOST_REASONS, dtype=object)[
        rng.choice(len(names.LOST_REASONS), int(lost.sum()), p=[0.3, 0.3, 0.2, 0.1, 0.1])
    ]
    competitor = np.full(m, None, dtype=object)
    by_competitor = lost_reason == "competitor"
    competitor[by_competitor] = np.array(names.COMPETITORS, dtype=object)[
        rng.integers(0, len(names.COMPETITORS), int(by_competitor.sum()))
    ]
    expected_close = np.where(closed, close_at, np.maximum(close_at, now + 7 * DAY))
    closed_at = np.where(closed, close_at, np.nan)
    sql_text = timestamps(leads.sql_at)
    closed_text = timestamps(closed_at)
    stamp_updated = timestamps(np.where(closed, close_at, leads.sql_at))

    accounts: Batch = {
        "id": account_ids,
        "name": companies.name[company],
        "company_key": companies.key[company],
        "industry": companies.industry[company],
        "employees": companies.employees[company],
        "region": companies.region[company],
        "city": companies.city[company],
        "owner_id": ref.rep_ids[rep],
        "created_at": sql_text,
        "updated_at": sql_text,
    }
    contacts: Batch = {
        "id": contact_ids,
        "account_id": account_ids,
        "full_name": lead_rows["full_name"][people_at],
        "email": lead_rows["email"][people_at],
        "phone": lead_rows["phone"][people_at],
        "title": lead_rows["title"][people_at],
        "created_at": sql_text,
        "updated_at": sql_text,
    }
    opportunities: Batch = {
        "id": opportunity_ids,
        "name": np.array(
            [
                f"{c} — {p}"
                for c, p in zip(companies.name[company].tolist(), ["Platform"] * m, strict=True)
            ],
            dtype=object,
        ),
        "account_id": account_ids,
        "lead_id": leads.sql_lead_ids,
        "pipeline_id": np.full(m, ref.pipeline_id),
        "stage_id": stage_id,
        "owner_id": ref.rep_ids[rep],
        "amount_minor": amount_minor,
        "currency": np.full(m, currency, dtype=object),
        "probability": probability,
        "expected_close": dates(expected_close),
        "status": status,
        "closed_at": closed_text,
        "lost_reason": lost_reason,
        "competitor": competitor,
        "created_at": sql_text,
        "updated_at": stamp_updated,
    }

    # Stage history: every open stage passed, then Won or Lost for closed deals.
    passed = np.where(won, n_open, np.where(lost, lost_after + 1, open_reached + 1))
    rows_per = passed + closed.astype(np.int64)
    owner = np.repeat(np.arange(m), rows_per)
    k = np.arange(len(owner)) - np.repeat(np.cumsum(rows_per) - rows_per, rows_per)
    terminal = closed[owner] & (k == rows_per[owner] - 1)
    to_stage = np.where(
        terminal,
        np.where(won[owner], ref.won_stage_id, ref.lost_stage_id),
        ref.open_stage_ids[np.clip(k, 0, n_open - 1)],
    )
    from_stage = ref.open_stage_ids[np.clip(k - 1, 0, n_open - 1)].astype(object)
    from_stage[k == 0] = None
    at = np.where(terminal, close_at[owner], leads.sql_at[owner] + cycle[owner] * k / n_open)
    at_text = timestamps(at)
    stage_changes: Batch = {
        "opportunity_id": opportunity_ids[owner],
        "from_stage_id": from_stage,
        "to_stage_id": to_stage,
        "changed_at": at_text,
        "reason": np.where(
            terminal & lost[owner], lost_reason[owner], np.array(None, dtype=object)
        ),
        "created_at": at_text,
        "updated_at": at_text,
    }
    return DealBatch(
        tables={
            "accounts": accounts,
            "contacts": contacts,
            "opportunities": opportunities,
            "opportunity_stage_changes": stage_changes,
        },
        won_opportunity_ids=opportunity_ids[won],
        won_account_ids=account_ids[won],
        won_amount_minor=amount_minor[won],
        won_at=close_at[won],
    )
