"""The 360° timeline as the pages show it: newest first, in the user's language, money and dates
formatted by the locale (the entries themselves come from ``accounts.timeline``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from closeloop.accounts.timeline import TimelineEntry
from closeloop.i18n import N_, Formatter
from closeloop.labels import (
    LEAD_STATUS_LABELS,
    PAYMENT_METHOD_LABELS,
    TOUCH_KIND_LABELS,
    label,
)
from closeloop.money import from_minor

# What each kind of entry is called on the page (its badge).
KIND_LABELS = {
    "lead": N_("Lead created"),
    "touch": N_("Touch"),
    "status": N_("Status change"),
    "scored": N_("Scored"),
    "assigned": N_("Assigned"),
    "claimed": N_("Claimed"),
    "released": N_("Released"),
    "returned": N_("Returned"),
    "accepted": N_("Accepted"),
    "contacted": N_("Contact logged"),
    "sla_notified": N_("SLA breach: rep notified"),
    "sla_escalated": N_("SLA breach: escalated"),
    "recycled": N_("Recycled to the pool"),
    "opportunity": N_("Opportunity"),
    "stage": N_("Stage change"),
    "won": N_("Won"),
    "lost": N_("Lost"),
    "order": N_("Order"),
    "invoice": N_("Invoice"),
    "payment": N_("Payment"),
}
# The colour family of each kind's dot and badge.
TONES = {
    "touch": "marketing",
    "lead": "marketing",
    "opportunity": "deal",
    "stage": "deal",
    "won": "good",
    "lost": "bad",
    "order": "cash",
    "invoice": "cash",
    "payment": "good",
}


@dataclass(frozen=True)
class ShownEntry:
    at: datetime
    when: str
    kind: str
    label: str
    tone: str
    title: str
    detail: str
    rule: str | None


def _money(fmt: Formatter, facts: dict[str, object]) -> str:
    currency = str(facts["currency"])
    return fmt.money(from_minor(int(facts["amount_minor"]), currency), currency)  # type: ignore[call-overload]


def _texts(fmt: Formatter, entry: TimelineEntry) -> tuple[str, str]:
    """The title and detail in the user's language; data (names, statuses) stays as it is."""
    _ = fmt.gettext
    facts = entry.facts
    kind = entry.kind
    if kind == "lead" and facts:
        status = label(LEAD_STATUS_LABELS, str(facts["status"]), _)
        return (
            _("Lead %(name)s created", name=facts["name"]),
            _("Source: %(source)s; now %(status)s", source=facts["source"], status=status),
        )
    if kind == "status" and facts:
        before = label(LEAD_STATUS_LABELS, facts.get("from"), _)
        after = label(LEAD_STATUS_LABELS, facts.get("to"), _)
        by = _("by %(user)s", user=facts["by"]) if facts.get("by") else None
        return f"{before} → {after}", "; ".join(str(p) for p in (facts.get("reason"), by) if p)
    if kind == "touch" and facts:
        where = str(facts.get("where") or "") or _("unattributed")
        form = _("form %(name)s", name=facts["form"]) if facts.get("form") else None
        title = label(TOUCH_KIND_LABELS, facts.get("touch_kind"), _)
        return title, "; ".join(p for p in (where, form) if p)
    if kind == "opportunity" and facts:
        return (
            _("Opportunity %(name)s opened", name=facts["name"]),
            _("%(amount)s; stage %(stage)s", amount=_money(fmt, facts), stage=facts["stage"]),
        )
    if kind == "won" and facts:
        return _("Opportunity %(name)s won", name=facts["name"]), _money(fmt, facts)
    if kind == "lost" and facts:
        return _("Opportunity %(name)s lost", name=facts["name"]), entry.detail
    if kind == "order" and facts:
        return _("Order %(number)s signed", number=facts["number"]), _money(fmt, facts)
    if kind == "invoice" and facts:
        return (
            _("Invoice %(number)s issued", number=facts["number"]),
            _(
                "%(amount)s; due %(due)s",
                amount=_money(fmt, facts),
                due=fmt.date(facts["due_on"]),
            ),
        )
    if kind == "payment" and facts:
        method = (
            label(PAYMENT_METHOD_LABELS, facts.get("method"), _) if facts.get("method") else None
        )
        parts = [_money(fmt, facts), method, facts.get("reference")]
        return _("Payment received"), "; ".join(str(p) for p in parts if p)
    if kind in KIND_LABELS and kind not in ("touch", "status", "stage"):
        # A decision: its label is the title; the detail without the rule (shown apart).
        rule = facts.get("rule")
        detail = entry.detail
        if rule and detail.endswith(f"rule {rule}"):
            detail = detail[: -len(f"rule {rule}")].rstrip("; ")
        return _(KIND_LABELS[kind]), detail
    return entry.title, entry.detail


def shown(fmt: Formatter, entries: Iterable[TimelineEntry]) -> list[ShownEntry]:
    """The entries newest first, ready for the page."""
    rows = []
    for entry in reversed(list(entries)):
        title, detail = _texts(fmt, entry)
        label = KIND_LABELS.get(entry.kind)
        rows.append(
            ShownEntry(
                at=entry.at,
                when=fmt.datetime(entry.at),
                kind=entry.kind,
                label=fmt.gettext(label) if label else entry.kind.replace("_", " "),
                tone=TONES.get(entry.kind, "lead"),
                title=title,
                detail=detail,
                rule=str(entry.facts["rule"]) if entry.facts.get("rule") else None,
            )
        )
    return rows
