"""Lead journeys of one batch: who they are, how far they get, and every status change."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from closeloop.demo import profiles
from closeloop.demo.company import CHANNELS
from closeloop.demo.people import CompanyPool, duplicate_people, people
from closeloop.demo.reference import Reference
from closeloop.demo.wire import SECONDS_PER_DAY, Batch, nullable_ints, timestamps
from closeloop.models import DisqualifyReason, LeadStatus

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
HOUR = 3600.0
DAY = SECONDS_PER_DAY

STATUSES = np.array([s.value for s in LeadStatus], dtype=object)
CODE = {s: i for i, s in enumerate(LeadStatus)}

FIRST_TOUCH_KIND = {
    "paid_search": "ad_click",
    "seo": "visit",
    "social": "ad_click",
    "email": "email_click",
    "webinar": "webinar_attended",
    "trade_show": "trade_show_visit",
    "referral": "referral",
    "partner": "partner_referral",
}
FORM_NAME = {
    "paid_search": "Demo request",
    "seo": "Guide download",
    "social": "Lead gen form",
    "email": "Newsletter CTA",
    "webinar": "Webinar registration",
    "trade_show": "Booth scan",
    "referral": "Referral form",
    "partner": "Partner registration",
}
FOLLOW_UP_TOUCHES = np.array(
    ["email_click", "visit", "content_download", "webinar_attended"], dtype=object
)


@dataclass
class LeadBatch:
    """The rows of one batch of leads, and what the deal generator needs to carry on."""

    tables: dict[str, Batch]
    sql_lead_ids: IntArray
    sql_at: FloatArray
    sql_channel: IntArray
    sql_company: IntArray
    sql_people_index: IntArray  # positions in the batch, to copy name, e-mail, phone, title
    content_index: IntArray  # of every lead, for spend
    created: FloatArray


def _choice(
    rng: np.random.Generator, options: list[str], p: list[float], n: int
) -> npt.NDArray[np.object_]:
    return np.array(options, dtype=object)[rng.choice(len(options), n, p=p)]


def generate_leads(
    rng: np.random.Generator,
    ref: Reference,
    companies: CompanyPool,
    created: FloatArray,
    first_id: int,
    now: float,
    account_ids: tuple[int, int],  # next account id, next contact id
) -> LeadBatch:
    """Leads created at ``created`` (sorted epoch seconds), with ids from ``first_id``."""
    n = len(created)
    ids = np.arange(first_id, first_id + n, dtype=np.int64)
    channel = rng.choice(len(profiles.SHARE), n, p=profiles.SHARE)
    campaign = ref.first_campaign[channel] + (
        rng.random(n) * ref.campaigns_per_channel[channel]
    ).astype(np.int64)
    content = ref.first_content[campaign] + (
        rng.random(n) * ref.contents_per_campaign[campaign]
    ).astype(np.int64)
    company = rng.integers(0, len(companies), n)
    u = rng.random((8, n))
    invalid = u[0] >= profiles.VALID_RATE[channel]
    # About 2 % are the same person as an earlier lead of the batch, written a little differently:
    # the demo's true duplicates, merged into that lead (and the matcher's lead-style test set).
    position = np.arange(n)
    merged = ~invalid & (u[1] < 0.02) & (position > 0)
    back = (rng.random(n) * np.minimum(position, 5000)).astype(np.int64) + 1
    original = np.maximum(0, position - back)
    for _ in range(16):  # an earlier lead may itself be a re-entry: point at the first entry
        chained = merged[original] & merged
        if not chained.any():
            break
        original = np.where(chained, original[original], original)
    company = np.where(merged, company[original], company)
    person = people(rng, companies, company, first_id)
    duplicate_people(rng, person, np.flatnonzero(merged), original)
    valid = ~invalid & ~merged

    def censor(times: FloatArray, reached: BoolArray) -> FloatArray:
        return np.where(reached & (times <= now), times, np.nan)

    assigned = censor(created + rng.lognormal(np.log(3 * HOUR), 0.8, n), valid)
    first_contact = censor(
        assigned + rng.lognormal(np.log(6 * HOUR), 1.0, n), np.isfinite(assigned) & (u[2] < 0.9)
    )
    mql_time = created + rng.exponential(2 * DAY, n)
    sal_time = mql_time + rng.exponential(1.5 * DAY, n)
    sql_time = sal_time + rng.exponential(6 * DAY, n)
    reach_mql = valid & (u[3] < profiles.MQL_RATE[channel]) & (mql_time <= now)
    reach_sal = reach_mql & (u[4] < profiles.SAL_RATE[channel]) & (sal_time <= now)
    reach_sql = reach_sal & (u[5] < profiles.SQL_RATE[channel]) & (sql_time <= now)
    skipped_mql = reach_sal & (u[6] < profiles.SKIP_MQL[channel])
    mql_at = np.where(reach_mql & ~skipped_mql, mql_time, np.nan)
    sal_at = np.where(reach_sal, sal_time, np.nan)
    sql_at = np.where(reach_sql, sql_time, np.nan)

    # Status changes in the order they happen; `last` is each lead's status so far.
    changes: list[tuple[IntArray, IntArray, int, FloatArray]] = []
    last = np.full(n, CODE[LeadStatus.NEW], dtype=np.int64)
    last_time = created.copy()

    def move(mask: BoolArray, status: LeadStatus, at: FloatArray) -> None:
        changes.append((ids[mask], last[mask], CODE[status], at[mask]))
        last[mask] = CODE[status]
        last_time[mask] = at[mask]

    next_stage_time = np.fmin(np.fmin(mql_at, sal_at), sql_at)
    works = np.isfinite(first_contact) & ~(first_contact >= next_stage_time)
    move(works, LeadStatus.WORKING, first_contact)
    move(np.isfinite(mql_at), LeadStatus.MQL, mql_at)
    move(reach_sal, LeadStatus.SAL, sal_at)
    move(reach_sql, LeadStatus.SQL, sql_at)

    # Where leads that stop short end up: nurture, the public pool, or disqualified.
    ends_at = last_time + rng.exponential(10 * DAY, n)
    stops = valid & ~reach_sql & (ends_at <= now)
    after_sal = stops & (last == CODE[LeadStatus.SAL])
    roll = u[7]
    to_nurture = stops & np.where(after_sal, roll < 0.4, roll < 0.5)
    to_pool = stops & ~after_sal & (roll >= 0.5) & (roll < 0.7)
    to_disqualify = stops & ~to_nurture & ~to_pool
    move(to_nurture, LeadStatus.NURTURE, ends_at)
    move(to_pool, LeadStatus.POOL, ends_at)
    reason = np.full(n, None, dtype=object)
    reason[to_disqualify] = _choice(
        rng,
        ["no_budget", "no_need", "competitor", "not_decision_maker"],
        [0.4, 0.3, 0.15, 0.15],
        int(to_disqualify.sum()),
    )
    cleaned_at = np.fmin(created + rng.exponential(0.5 * DAY, n), now)
    reason[invalid] = _choice(
        rng,
        [DisqualifyReason.INVALID, DisqualifyReason.SPAM, DisqualifyReason.UNREACHABLE],
        [0.5, 0.2, 0.3],
        int(invalid.sum()),
    )
    move(to_disqualify, LeadStatus.DISQUALIFIED, ends_at)
    move(invalid, LeadStatus.DISQUALIFIED, cleaned_at)
    move(merged, LeadStatus.MERGED, cleaned_at)
    merged_into = nullable_ints(ids[original], merged)

    sdr = ref.sdr_ids[rng.integers(0, len(ref.sdr_ids), n)]
    score = np.where(
        reach_mql,
        rng.integers(60, 101, n),
        np.where(valid, rng.integers(5, 60, n), rng.integers(0, 20, n)),
    )

    sql_index = np.flatnonzero(reach_sql)
    account = np.full(n, None, dtype=object)
    contact = np.full(n, None, dtype=object)
    account[sql_index] = np.arange(account_ids[0], account_ids[0] + len(sql_index))
    contact[sql_index] = np.arange(account_ids[1], account_ids[1] + len(sql_index))

    created_text = timestamps(created)
    updated_text = timestamps(last_time)
    leads: Batch = {
        "id": ids,
        "full_name": person.full_name,
        "email": person.email,
        "phone": person.phone,
        "company": companies.name[company],
        "company_key": companies.key[company],
        "title": person.title,
        "industry": companies.industry[company],
        "company_size": companies.employees[company],
        "region": companies.region[company],
        "city": companies.city[company],
        "status": STATUSES[last],
        "disqualified_reason": reason,
        "merged_into_id": merged_into,
        "owner_id": nullable_ints(sdr, np.isfinite(assigned)),
        "score": score,
        "channel_id": ref.channel_ids[channel],
        "campaign_id": ref.campaign_ids[campaign],
        "content_id": ref.content_ids[content],
        "first_touch_at": created_text,
        "assigned_at": timestamps(assigned),
        "first_contact_at": timestamps(first_contact),
        "mql_at": timestamps(mql_at),
        "sal_at": timestamps(sal_at),
        "sql_at": timestamps(sql_at),
        "account_id": account,
        "contact_id": contact,
        "created_at": created_text,
        "updated_at": updated_text,
    }
    return LeadBatch(
        tables={
            "leads": leads,
            "lead_status_changes": _status_changes(ids, created, changes),
            "touches": _touches(rng, ref, ids, channel, campaign, content, created, now),
        },
        sql_lead_ids=ids[sql_index],
        sql_at=sql_at[sql_index],
        sql_channel=channel[sql_index],
        sql_company=company[sql_index],
        sql_people_index=sql_index,
        content_index=content,
        created=created,
    )


def _status_changes(
    ids: IntArray, created: FloatArray, changes: list[tuple[IntArray, IntArray, int, FloatArray]]
) -> Batch:
    lead_id = np.concatenate([ids, *(c[0] for c in changes)])
    from_code = np.concatenate([np.full(len(ids), -1), *(c[1] for c in changes)])
    to_code = np.concatenate(
        [np.full(len(ids), CODE[LeadStatus.NEW]), *(np.full(len(c[0]), c[2]) for c in changes)]
    )
    at = timestamps(np.concatenate([created, *(c[3] for c in changes)]))
    from_status = STATUSES[np.maximum(from_code, 0)]
    from_status[from_code < 0] = None
    return {
        "lead_id": lead_id,
        "from_status": from_status,
        "to_status": STATUSES[to_code],
        "changed_at": at,
        "reason": np.full(len(lead_id), None, dtype=object),
        "created_at": at,
        "updated_at": at,
    }


def _touches(
    rng: np.random.Generator,
    ref: Reference,
    ids: IntArray,
    channel: IntArray,
    campaign: IntArray,
    content: IntArray,
    created: FloatArray,
    now: float,
) -> Batch:
    """The first touch (the lead's source) and follow-up touches after it."""
    n = len(ids)
    extra = rng.poisson(0.8, n)
    follow_lead = np.repeat(np.arange(n), extra)
    follow_at = created[follow_lead] + rng.exponential(12 * DAY, len(follow_lead))
    keep = follow_at <= now
    follow_lead, follow_at = follow_lead[keep], follow_at[keep]
    m = len(follow_lead)
    # A follow-up comes through the lead's own campaign half of the time, else another content.
    other_content = rng.integers(0, len(ref.content_ids), m)
    own = rng.random(m) < 0.5
    follow_content = np.where(own, content[follow_lead], other_content)
    follow_campaign = ref.content_campaign[follow_content]
    follow_channel = ref.campaign_channel[follow_campaign]

    first_kind = np.array([FIRST_TOUCH_KIND[c.kind] for c in CHANNELS], dtype=object)
    form = np.array([FORM_NAME[c.kind] for c in CHANNELS], dtype=object)
    utm_source = np.array([c.utm_source for c in CHANNELS], dtype=object)
    utm_medium = np.array([c.utm_medium for c in CHANNELS], dtype=object)
    all_channel = np.concatenate([channel, follow_channel])
    all_campaign = np.concatenate([campaign, follow_campaign])
    all_content = np.concatenate([content, follow_content])
    at = timestamps(np.concatenate([created, follow_at]))
    return {
        "lead_id": np.concatenate([ids, ids[follow_lead]]),
        "channel_id": ref.channel_ids[all_channel],
        "campaign_id": ref.campaign_ids[all_campaign],
        "content_id": ref.content_ids[all_content],
        "kind": np.concatenate([first_kind[channel], FOLLOW_UP_TOUCHES[rng.integers(0, 4, m)]]),
        "occurred_at": at,
        "utm_source": utm_source[all_channel],
        "utm_medium": utm_medium[all_channel],
        "utm_campaign": ref.campaign_codes[all_campaign],
        "utm_content": ref.content_codes[all_content],
        "form_name": np.concatenate([form[channel], np.full(m, None, dtype=object)]),
        "created_at": at,
        "updated_at": at,
    }
