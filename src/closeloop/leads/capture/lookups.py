"""What capture reads before it decides: records captured before, the leads and contacts that
share an e-mail, phone or company key with a batch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select, union_all
from sqlalchemy.orm import Session

from closeloop.db.dialect import fetch_tuples, one_of
from closeloop.leads.capture.dedup import (
    FILLABLE,
    MATCHING,
    KnownLead,
    StoredRow,
    oldest_first,
    stored_lead,
)
from closeloop.leads.capture.record import CapturedLead
from closeloop.models import Contact, Lead, LeadStatus


def one_of_values(session: Session, column: Any, values: Sequence[Any]) -> Any:
    return one_of(session.get_bind().dialect.name, column, values)


def already_captured(session: Session, keys: list[str]) -> dict[str, int]:
    """Source keys captured before → the lead they live in now (following merges)."""
    if not keys:
        return {}
    statement = select(Lead.source_key, Lead.id, Lead.merged_into_id).where(
        one_of_values(session, Lead.source_key, list(set(keys)))
    )
    rows = fetch_tuples(session, statement)
    return {key: merged_into or lead_id for key, lead_id, merged_into in rows}


_KNOWN_COLUMNS = [Lead.id, Lead.status, Lead.merged_into_id, *(getattr(Lead, f) for f in MATCHING)]


@dataclass(frozen=True, slots=True)
class BatchKeys:
    """A batch's e-mails, phones and company keys, each once (the lookups' lists)."""

    emails: list[str]
    phones: list[str]
    companies: list[str]


def batch_keys(leads: Sequence[CapturedLead]) -> BatchKeys:
    emails: set[str] = set()
    phones: set[str] = set()
    companies: set[str] = set()
    for lead in leads:
        if lead.email:
            emails.add(lead.email)
        if lead.phone:
            phones.add(lead.phone)
        if lead.company_key:
            companies.add(lead.company_key)
    return BatchKeys(list(emails), list(phones), list(companies))


def known_leads(session: Session, keys: BatchKeys) -> list[KnownLead | StoredRow]:
    """Leads sharing an e-mail, phone or company key with the batch, with the values matching
    reads (``rest_of_leads`` reads the others); merged ones lead to their survivor, whose keys
    then match too. Those that share only the company stay rows (``StoredRow``)."""
    emails, phones, companies = keys.emails, keys.phones, keys.companies
    rows: dict[int, Any] = {}
    # One SELECT per key, joined by UNION ALL into one round trip: in an OR of three lists one
    # bad estimate would turn all three into a table scan.
    lookups = [
        select(*_KNOWN_COLUMNS).where(one_of_values(session, column, values))
        for column, values in (
            (Lead.email, emails),
            (Lead.phone, phones),
            (Lead.company_key, companies),
        )
        if values
    ]
    if lookups:
        statement = union_all(*lookups) if len(lookups) > 1 else lookups[0]
        rows.update((row[0], row) for row in fetch_tuples(session, statement))
    # Rows: id, status, merged_into_id, then MATCHING (full_name, email, phone, company_key).
    # Survivors not found by a key of their own, until every merged lead's survivor is read.
    while missing := {row[2] for row in rows.values() if row[2]} - rows.keys():
        statement = select(*_KNOWN_COLUMNS).where(one_of_values(session, Lead.id, sorted(missing)))
        rows.update((row[0], row) for row in fetch_tuples(session, statement))

    def root(lead_id: int) -> int:
        seen = set()
        while rows[lead_id][2] and lead_id not in seen:
            seen.add(lead_id)
            lead_id = rows[lead_id][2]
        return lead_id

    merged = LeadStatus.MERGED
    aliases: dict[int, list[str]] = {}
    # A merged lead's own e-mail and phone still identify the person: its survivor answers them.
    for lead_id, (_, status, _, _, email, phone, _) in rows.items():
        if status == merged and (own := [v for v in (email, phone) if v]):
            aliases.setdefault(root(lead_id), []).extend(own)
    wanted = set(emails).union(phones)
    known: list[KnownLead | StoredRow] = []
    for lead_id, status, _, name, email, phone, company in rows.values():
        if status == merged:
            continue
        row = (lead_id, name, email, phone, company)
        if email in wanted or phone in wanted or lead_id in aliases:
            known.append(stored_lead(row, aliases.get(lead_id)))
        else:
            known.append(row)
    return oldest_first(known)


_REST_COLUMNS = [getattr(Lead, f) for f in FILLABLE if f not in MATCHING]


def rest_of_leads(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    """The FILLABLE values ``known_leads`` leaves out, of the leads with ``ids``."""
    statement = select(Lead.id, *_REST_COLUMNS).where(one_of_values(session, Lead.id, ids))
    names = [column.key for column in _REST_COLUMNS]
    return {row[0]: dict(zip(names, row[1:], strict=True)) for row in session.execute(statement)}


def known_contacts(session: Session, keys: BatchKeys) -> dict[str, tuple[int, int | None]]:
    """Known people (contacts of accounts) by e-mail and phone."""
    emails, phones = keys.emails, keys.phones
    found: dict[str, tuple[int, int | None]] = {}
    wanted = [
        one_of_values(session, column, values)
        for column, values in ((Contact.email, emails), (Contact.phone, phones))
        if values
    ]
    if not wanted:
        return found
    statement = select(Contact.id, Contact.account_id, Contact.email, Contact.phone).where(
        or_(*wanted)
    )
    for contact_id, account_id, email, phone in session.execute(statement):
        for value in (email, phone):
            if value:
                found.setdefault(value, (contact_id, account_id))
    return found
