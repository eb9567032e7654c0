"""Deciding, for each captured lead, whether it is someone we already have.

Exact keys first (canonical e-mail, E.164 phone), then the fuzzy rule: the same company key and a
similar person name. Earlier records of the same batch count as leads we have.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, utils

from closeloop.config import Settings
from closeloop.leads.capture.record import CapturedLead

# Fields a merge may fill in on the lead it merges into, when that lead has none.
FILLABLE = (
    "full_name",
    "email",
    "phone",
    "company",
    "company_key",
    "title",
    "industry",
    "company_size",
    "region",
    "city",
    "external_id",
    "notes",
)
# What matching reads of a lead we have. The rest of FILLABLE is read only for the leads that
# records merge into: late in a large import a batch meets tens of thousands of leads at the same
# companies, and their other columns would be read for nothing.
MATCHING = ("full_name", "email", "phone", "company_key")
_REST = tuple(name for name in FILLABLE if name not in MATCHING)


@dataclass(slots=True)
class KnownLead:
    """A lead already stored (or created earlier in this batch), as matching needs it."""

    id: int | None  # None until a lead new in this batch is inserted
    values: dict[str, Any]
    batch_index: int | None = None  # position in the batch of a lead new in it
    aliases: list[str] = field(default_factory=list)  # e-mails, phones of leads merged into it
    complete: bool = True  # False: a stored lead of which only the MATCHING values are read


# A stored lead that shares only its company with the batch, as read: (id, full_name, email,
# phone, company_key). Late in a large import a batch meets tens of thousands of these; most are
# only compared by name, so the KnownLead is made for those a record merges into.
StoredRow = tuple[int, str | None, str | None, str | None, str]


def oldest_first(known: list[KnownLead | StoredRow]) -> list[KnownLead | StoredRow]:
    """Stored leads by id: where two share an e-mail or phone, or score alike on name and
    company, the oldest is the one matched (whatever order the database returned them in)."""
    return sorted(known, key=lambda lead: lead.id if isinstance(lead, KnownLead) else lead[0])  # type: ignore[arg-type,return-value]


def stored_lead(row: StoredRow, aliases: list[str] | None = None) -> KnownLead:
    """A stored lead with its MATCHING values; the rest are read if a record merges into it."""
    lead_id, name, email, phone, company = row
    # A dict literal, not dict(zip(MATCHING, …)): a batch reads thousands of these.
    values = {"full_name": name, "email": email, "phone": phone, "company_key": company}
    return KnownLead(lead_id, values, aliases=aliases or [], complete=False)


@dataclass
class Decision:
    """What to do with one captured lead."""

    record: CapturedLead
    survivor: KnownLead | None = None  # None: a new lead
    matched_on: str | None = None
    score: int = 0
    contact: tuple[int, int | None] | None = None  # (contact id, account id) of a known person
    lead_id: int | None = None  # the lead row written for this record (new, or merged)
    new: KnownLead | None = None  # for a new lead: its values, filled by later duplicates
    filled: dict[str, Any] = field(default_factory=dict)
    conflicts: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def target_id(self) -> int | None:
        """The lead the record lives in once written: its own, or the one it merged into."""
        return self.lead_id if self.survivor is None else self.survivor.id


def name_similarity(a: str | None, b: str | None) -> int:
    """0–100: how alike two person names are, ignoring case, order and punctuation."""
    if not a or not b:
        return 0
    return round(fuzz.token_sort_ratio(a, b, processor=utils.default_process))


class BatchMatcher:
    """Matches a batch of captured leads against known leads and contacts, and each other."""

    def __init__(
        self,
        known: list[KnownLead | StoredRow],
        contacts: dict[str, tuple[int, int | None]],
        settings: Settings,
    ) -> None:
        self.settings = settings
        self.contacts = contacts  # e-mail or phone → (contact id, account id)
        self.by_email: dict[str, KnownLead] = {}
        self.by_phone: dict[str, KnownLead] = {}
        self.by_company: dict[str, list[KnownLead | StoredRow]] = {}
        for lead in known:
            if type(lead) is KnownLead:
                self._remember(lead)
            else:  # its e-mail and phone are none of the batch's: only its company can match
                self.by_company.setdefault(lead[4], []).append(lead)  # type: ignore[index]

    def _remember(self, lead: KnownLead) -> None:
        values = lead.values
        keys = (values.get("email"), values.get("phone"), *lead.aliases)
        for key in keys:
            if not key:
                continue
            if "@" in key:  # an e-mail; a phone is E.164
                self.by_email.setdefault(key, lead)
            elif key.startswith("+"):
                self.by_phone.setdefault(key, lead)
        if company := values.get("company_key"):
            self.by_company.setdefault(company, []).append(lead)

    def decide(
        self,
        records: list[CapturedLead],
        read_rest: Callable[[list[int]], dict[int, dict[str, Any]]] | None = None,
    ) -> list[Decision]:
        """One decision per record, in order; a new lead is remembered for the records after it.

        ``read_rest`` reads the other FILLABLE values of incomplete known leads, by id: only the
        leads merged into need them. Filling happens field by field, so filling the MATCHING
        fields while matching and the rest afterwards gives what one pass would.
        """
        decisions = []
        for index, record in enumerate(records):
            decision = self._match(record)
            if decision.survivor is None:
                new = KnownLead(id=None, values=lead_values(record), batch_index=index)
                decision.new = new
                self._remember(new)
                if record.email and record.email in self.contacts:
                    decision.contact = self.contacts[record.email]
                elif record.phone and record.phone in self.contacts:
                    decision.contact = self.contacts[record.phone]
            else:
                self._fill(decision, MATCHING)
            decisions.append(decision)
        survivors = [d.survivor for d in decisions if d.survivor is not None]
        incomplete = {s.id: s for s in survivors if not s.complete and s.id is not None}
        if incomplete:
            assert read_rest is not None, "incomplete known leads need read_rest"
            for lead_id, rest in read_rest(sorted(incomplete)).items():
                incomplete[lead_id].values.update(rest)
                incomplete[lead_id].complete = True
        for decision in decisions:
            if decision.survivor is not None:
                self._fill(decision, _REST)
        return decisions

    def _match(self, record: CapturedLead) -> Decision:
        if record.email and (lead := self.by_email.get(record.email)):
            return Decision(record, lead, "email", 100)
        if record.phone and (lead := self.by_phone.get(record.phone)):
            return Decision(record, lead, "phone", 100)
        best: tuple[int, int] | None = None  # score, position among the company's leads
        candidates = self.by_company.get(record.company_key or "", [])
        for position, candidate in enumerate(candidates):
            if type(candidate) is KnownLead:
                values = candidate.values
                name, email, phone = (
                    values.get("full_name"),
                    values.get("email"),
                    values.get("phone"),
                )
            else:
                _, name, email, phone, _ = candidate  # type: ignore[misc]
            score = name_similarity(record.full_name, name)
            if score < self.settings.match_name_threshold:
                continue
            if score < self.settings.match_name_certain and _contradicts(record, email, phone):
                continue
            if best is None or score > best[0]:
                best = (score, position)
        if best is None:
            return Decision(record)
        survivor = candidates[best[1]]
        if type(survivor) is not KnownLead:
            survivor = candidates[best[1]] = stored_lead(survivor)  # type: ignore[arg-type]
        return Decision(record, survivor, "name_company", best[0])

    def _fill(self, decision: Decision, fields: tuple[str, ...]) -> None:
        """Fill the survivor's empty ``fields``; keep disagreements for the merge's history."""
        assert decision.survivor is not None
        values = decision.survivor.values
        incoming_values = lead_values(decision.record)
        for name in fields:
            incoming = incoming_values[name]
            if incoming is None:
                continue
            current = values.get(name)
            if current is None or current == "":
                values[name] = incoming
                decision.filled[name] = incoming
                if name in ("email", "phone", "company_key"):
                    self._remember(decision.survivor)
            elif current != incoming:
                decision.conflicts[name] = [current, incoming]


def _contradicts(record: CapturedLead, email: str | None, phone: str | None) -> bool:
    """Both e-mails and both phones are known and all differ: likely two people."""
    return bool(record.email and email and record.phone and phone)


def lead_values(record: CapturedLead) -> dict[str, Any]:
    """The lead columns a captured record provides."""
    return {
        "full_name": record.full_name,
        "email": record.email,
        "phone": record.phone,
        "company": record.company,
        "company_key": record.company_key,
        "title": record.title,
        "industry": record.industry,
        "company_size": record.company_size,
        "region": record.region,
        "city": record.city,
        "external_id": record.external_id,
        "notes": record.notes,
    }
