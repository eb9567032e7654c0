"""Deciding an import batch while the one before it is written.

An import batch's time on PostgreSQL is mostly waiting: for the lookups that decide it, then for
its writes. Deciding batch n+1 on a second connection while batch n is written lets the database
do both at once. The second connection cannot see batch n's writes until they are committed, so
``InFlight`` supplies them from batch n's decisions: the source keys it captures, the leads it
creates and the values and aliases its merges give the leads they merge into: what batch n+1's
lookups would find once batch n is committed.

The hand-over keeps captures over HTTP from slipping in between (see overlapped.py): batch n+1
is read from a snapshot taken while batch n holds every capture lock, and before it is written
the writer checks that no lead arrived since; if one did, batch n+1 is decided again.
"""

from __future__ import annotations

from collections.abc import Sequence

from closeloop.leads.capture.dedup import Decision, KnownLead, StoredRow, oldest_first
from closeloop.leads.capture.lookups import BatchKeys


class InFlight:
    """What a batch being written adds, for deciding the next one."""

    def __init__(self, decisions: Sequence[Decision]) -> None:
        # Source key → the decision that captures it (its lead id is known once written).
        self.captured = {d.record.source_key: d for d in decisions}
        # Each lead the batch creates or merges into, with the e-mails and phones of the records
        # merged into it (they identify the person too, as aliases).
        self._leads: dict[int, tuple[KnownLead, list[str]]] = {}
        for d in decisions:
            lead = d.new if d.survivor is None else d.survivor
            assert lead is not None
            merged = self._leads.setdefault(id(lead), (lead, []))[1]
            if d.survivor is not None:
                merged.extend(v for v in (d.record.email, d.record.phone) if v)
        # The copies handed to the next batch's matching, which may fill them while this batch
        # is written; a lead new in this batch gets its id when written (see ``settle``).
        self._copies: list[tuple[KnownLead, KnownLead]] = []

    def with_its_writes(
        self, known: list[KnownLead | StoredRow], keys: BatchKeys
    ) -> list[KnownLead | StoredRow]:
        """``known`` (read without this batch's writes) as it will be once they are committed:
        the leads this batch fills replaced by copies, the leads it creates added (those that
        share a key with the next batch: the others cannot match it)."""
        found = {lead.id if isinstance(lead, KnownLead) else lead[0] for lead in known}
        wanted = {*keys.emails, *keys.phones}
        companies = set(keys.companies)
        ours: dict[int, KnownLead] = {}  # stored leads this batch merges into, by id
        created: list[KnownLead | StoredRow] = []  # leads it creates, in its order
        for lead, merged in self._leads.values():
            stored_id = lead.id if lead.batch_index is None else None
            values = lead.values
            if not (
                (stored_id is not None and stored_id in found)
                or values.get("email") in wanted
                or values.get("phone") in wanted
                or values.get("company_key") in companies
                or any(alias in wanted for alias in (*lead.aliases, *merged))
            ):
                continue
            copy = KnownLead(stored_id, dict(values), aliases=[*lead.aliases, *merged])
            self._copies.append((copy, lead))
            if stored_id is not None:
                ours[stored_id] = copy
            else:
                created.append(copy)
        kept: list[KnownLead | StoredRow] = []
        for item in known:
            if isinstance(item, KnownLead):
                mine = ours.get(item.id) if item.id is not None else None
                if mine is None:
                    kept.append(item)
                else:  # aliases found by the next batch's keys join those the copy has
                    mine.aliases.extend(a for a in item.aliases if a not in mine.aliases)
            elif item[0] not in ours:
                kept.append(item)
        # In the order the database would return them once committed (see ``oldest_first``).
        return oldest_first(kept + list(ours.values())) + created

    def settle(self) -> None:
        """Once this batch is written: the ids of the leads it created, on their copies."""
        for copy, lead in self._copies:
            if copy.id is None:
                copy.id = lead.id
