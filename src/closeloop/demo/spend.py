"""Marketing spend that produced the demo's leads, and the company's targets."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from closeloop.demo import profiles
from closeloop.demo.company import CHANNEL_RETAINERS, CHANNELS
from closeloop.demo.reference import Reference
from closeloop.demo.timeline import months_before
from closeloop.demo.wire import Batch
from closeloop.models import Target


def spend_entries(
    rng: np.random.Generator,
    ref: Reference,
    leads_per_content_day: npt.NDArray[np.int64],
    start: date,
    currency: str,
    now: datetime,
) -> Batch:
    """Daily spend per content (about the channel's true cost per lead), plus monthly retainers."""
    content, day = np.nonzero(leads_per_content_day)
    channel = ref.campaign_channel[ref.content_campaign[content]]
    noise = rng.lognormal(-0.01, 0.15, len(content))
    amount = leads_per_content_day[content, day] * profiles.COST_PER_LEAD[channel] * noise
    minor = np.round(amount * 100).astype(np.int64)
    channel_ids = ref.channel_ids[channel].tolist()
    campaign_ids = ref.campaign_ids[ref.content_campaign[content]].tolist()
    content_ids = ref.content_ids[content].tolist()
    spent_on = [(start + timedelta(days=d)).isoformat() for d in day.tolist()]
    notes: list[str | None] = [None] * len(content)

    days = leads_per_content_day.shape[1]
    month = start.replace(day=1)
    while month <= start + timedelta(days=days - 1):
        for code, monthly in CHANNEL_RETAINERS.items():
            if month >= start:
                index = next(i for i, c in enumerate(CHANNELS) if c.code == code)
                channel_ids.append(int(ref.channel_ids[index]))
                campaign_ids.append(None)
                content_ids.append(None)
                spent_on.append(month.isoformat())
                minor = np.append(minor, monthly * 100)
                notes.append("Tools and agency retainer")
        month = months_before(month, -1)

    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f")
    n = len(channel_ids)
    return {
        "channel_id": channel_ids,
        "campaign_id": campaign_ids,
        "content_id": content_ids,
        "spent_on": spent_on,
        "amount_minor": minor.tolist(),
        "currency": [currency] * n,
        "note": notes,
        "created_at": [stamp] * n,
        "updated_at": [stamp] * n,
    }


def targets(
    session: Session,
    ref: Reference,
    start: date,
    months: int,
    leads: int,
    currency: str,
    now: datetime,
) -> int:
    """Monthly lead targets per channel and a company revenue target, 10 % above plan."""
    per_month = leads / months
    expected_won_value = sum(c.share * c.lead_to_won * c.deal_size for c in CHANNELS) * per_month
    month = start.replace(day=1)
    rows: list[Target] = []
    for _ in range(months + 1):
        end = months_before(month, -1) - timedelta(days=1)
        stamp = {"created_at": now, "updated_at": now, "period_start": month, "period_end": end}
        for index, profile in enumerate(CHANNELS):
            rows.append(
                Target(
                    metric="leads",
                    channel_id=int(ref.channel_ids[index]),
                    planned_value=round(per_month * profile.share * 1.1),
                    **stamp,
                )
            )
        rows.append(
            Target(
                metric="revenue",
                planned_value=round(expected_won_value * 110),
                currency=currency,
                **stamp,
            )
        )
        month = months_before(month, -1)
    session.add_all(rows)
    return len(rows)
