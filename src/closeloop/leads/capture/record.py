"""One captured record: cleaned into a lead candidate, or rejected with the field and reason."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any
from urllib.parse import parse_qs, urlsplit

from closeloop.leads.capture.normalize import (
    NormalizationError,
    clean_email,
    clean_int,
    clean_name,
    clean_region,
    clean_text,
    company_key,
    is_cjk,
    parse_phone,
)

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_content")


@dataclass(slots=True)
class CapturedLead:
    """A record that can become a lead, with every value cleaned (slotted: an import builds a
    million of these; its cleaning process sends them as ``captured_values``)."""

    source_key: str
    row_number: int | None
    external_id: str | None = None
    full_name: str | None = None
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    company_key: str | None = None
    title: str | None = None
    industry: str | None = None
    company_size: int | None = None
    region: str | None = None
    city: str | None = None
    notes: str | None = None
    source: str | None = None
    landing_url: str | None = None
    utm: dict[str, str] = field(default_factory=dict)
    form_name: str | None = None
    captured_at: datetime | None = None


# A record's values in field order, ``CapturedLead(*values)`` builds it again.
captured_values: Callable[[CapturedLead], tuple[Any, ...]] = attrgetter(
    *(f.name for f in fields(CapturedLead))
)


@dataclass
class Rejection:
    """A record that cannot become a lead: which row, which field, why."""

    source_key: str
    row_number: int | None
    field: str
    reason: str
    raw: dict[str, Any]


def source_key(raw: dict[str, Any]) -> str:
    """The identity of a captured record: the same row captured twice has the same key."""
    content = "\x1f".join(
        f"{k}\x1e{'' if v is None else v}" for k, v in sorted(raw.items(), key=lambda i: str(i[0]))
    )
    return hashlib.sha256(content.encode()).hexdigest()


def clean_record(
    raw: dict[str, Any],
    mapping: dict[str, str],
    *,
    row_number: int | None,
    default_region: str | None,
    key: str | None = None,
) -> CapturedLead | Rejection:
    """Clean a raw record whose columns ``mapping`` assigns to fields."""
    key = key or source_key(raw)
    values: dict[str, Any] = {}
    extra_notes: list[str] = []
    for column, value in raw.items():
        target = mapping.get(column)
        if target:
            values[target] = value
        elif clean_text(value):
            extra_notes.append(f"{column}: {clean_text(value)}")

    lead = CapturedLead(source_key=key, row_number=row_number)
    problems: list[tuple[str, str]] = []
    try:
        lead.email = clean_email(values.get("email"))
    except NormalizationError as error:
        problems.append(("email", str(error)))
    phone_country = None
    try:
        found = parse_phone(values.get("phone"), default_region)
        if found:
            lead.phone, phone_country = found
    except NormalizationError as error:
        problems.append(("phone", str(error)))
    if not lead.email and not lead.phone:
        if problems:
            field_name, reason = problems[0]
            return Rejection(key, row_number, field_name, reason, raw)
        return Rejection(key, row_number, "email", "no e-mail or phone to reach the person", raw)

    name = clean_name(values.get("full_name"))
    if not name:
        parts = [clean_name(values.get("last_name")), clean_name(values.get("first_name"))]
        cjk = any(p and is_cjk(p) for p in parts)
        ordered = parts if cjk else parts[::-1]
        name = ("" if cjk else " ").join(p for p in ordered if p) or None
    lead.full_name = name
    lead.external_id = clean_text(values.get("external_id"))
    lead.company = clean_text(values.get("company"))
    lead.company_key = company_key(lead.company)
    lead.title = clean_text(values.get("title"))
    lead.industry = clean_text(values.get("industry"))
    lead.city = clean_text(values.get("city"))
    lead.source = clean_text(values.get("source"))
    lead.form_name = clean_text(values.get("form_name"))
    lead.landing_url = clean_text(values.get("landing_url"))
    for name_of, cleaner in (("company_size", clean_int), ("region", clean_region)):
        try:
            setattr(lead, name_of, cleaner(values.get(name_of)))
        except NormalizationError as error:
            problems.append((name_of, str(error)))
    if not lead.region:
        lead.region = phone_country
    lead.utm = _utm(values, lead.landing_url)
    lead.captured_at = _timestamp(values.get("captured_at"), problems)

    notes = [clean_text(values.get("notes"))] if clean_text(values.get("notes")) else []
    notes += extra_notes
    notes += [
        f"{name_of} {clean_text(values.get(name_of))!r} ignored: {reason}"
        for name_of, reason in problems
    ]
    lead.notes = "\n".join(n for n in notes if n) or None
    return lead


def _utm(values: dict[str, Any], landing_url: str | None) -> dict[str, str]:
    utm = {}
    if landing_url:
        query = parse_qs(urlsplit(landing_url).query)
        utm = {k: v[0].strip() for k in UTM_FIELDS if (v := query.get(k)) and v[0].strip()}
    for name in UTM_FIELDS:  # explicit columns win over the URL
        text = clean_text(values.get(name))
        if text:
            utm[name] = text
    return utm


_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y年%m月%d日",
    "%d.%m.%Y",
)


def _timestamp(value: Any, problems: list[tuple[str, str]]) -> datetime | None:
    """When the record was captured; naive times are taken as UTC."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    text = clean_text(value)
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        for pattern in _DATE_FORMATS:
            try:
                parsed = datetime.strptime(text, pattern)
                break
            except ValueError:
                continue
        else:
            problems.append(("captured_at", f"not a date: {text!r}"))
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
