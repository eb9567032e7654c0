"""What the sweep writes for each step: the decision (with the rule and its version) and the
outbox event, whose ``email`` the job system sends to the rep or the manager."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.leads.decisions import DecisionKind
from closeloop.leads.sla.calendar import from_us
from closeloop.leads.sla.rules import SlaRules, TeamSla
from closeloop.models import LeadStatus, User


def _amount(value: float, unit: str) -> str:
    return f"{value:g} working {unit}{'' if value == 1 else 's'}"


@lru_cache(maxsize=256)
def promise_text(kind: str, sla: TeamSla) -> str:
    """The promise a clock of ``kind`` keeps, in words."""
    if kind == "first_contact":
        return f"first contact within {_amount(sla.first_contact_hours, 'hour')}"
    if kind == "accept":
        return f"accept or return within {_amount(sla.accept_days, 'day')}"
    return f"follow up within {_amount(sla.follow_up_days, 'day')}"


@lru_cache(maxsize=1024)
def rule_text(version: int, kind: str, sla: TeamSla, team: str | None, step: str) -> str:
    """E.g. ``sla v2: first contact within 2 working hours (team Sales East)``."""
    where = f"team {team}" if team else "no team"
    promise = promise_text(kind, sla)
    if step == "escalate":
        text = f"sla v{version}: escalate {_amount(sla.escalate_after_hours, 'hour')} after "
        text += f"breach of {promise} ({where})"
    elif step == "recycle":
        text = f"sla v{version}: recycle {_amount(sla.recycle_after_hours, 'hour')} after "
        text += f"breach of {promise} ({where})"
    else:
        text = f"sla v{version}: {promise} ({where})"
    return text[:200]


class Notices:
    """Collects one batch's decisions and events; the sweep writes them in bulk."""

    def __init__(
        self,
        session: Session,
        *,
        version: int,
        rules: SlaRules,
        teams: dict[int, Any],
        user_ids: set[int | None],
        now: datetime,
    ) -> None:
        self.version = version
        self.zone = rules.working_calendar.zone
        self.teams = teams
        self.now = now
        wanted = [i for i in user_ids if i is not None]
        rows = session.execute(
            select(User.id, User.email, User.full_name).where(User.id.in_(wanted))
        )
        self.users = {r.id: r for r in rows} if wanted else {}
        self.decisions: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self._reasons: dict[int, str] = {}
        self._addresses: dict[tuple[int | None, ...], list[str]] = {}
        self._isos: dict[int, str] = {}
        self._locals: dict[int, str] = {}

    def notified(self, row: Any, sla: TeamSla, times: dict[str, int]) -> None:
        """Level 0 → 1: the promise was broken; tell the rep."""
        team, _ = self._team(row)
        rule = rule_text(self.version, row.sla_kind, sla, team, "notify")
        detail = {
            "clock": row.sla_kind,
            "deadline": self._iso(times["deadline"]),
            "escalate_at": self._iso(times["escalate_at"]),
            "recycle_at": self._iso(times["recycle_at"]),
            "level": 1,
        }
        subject = f"SLA breached: lead #{row.id} {self._name(row)}"
        body = (
            f"Lead #{row.id} ({self._name(row)}) was due by {self._local(times['deadline'])}: "
            f"{promise_text(row.sla_kind, sla)}.\n"
            f"Your manager is told at {self._local(times['escalate_at'])}; the lead returns to "
            f"the public pool at {self._local(times['recycle_at'])} unless it is worked.\n"
            f"Rule: {rule}"
        )
        self._add(row, DecisionKind.SLA_NOTIFIED, rule, detail, "lead.sla_breached",
                  [row.owner_id], subject, body)  # fmt: skip

    def escalated(self, row: Any, sla: TeamSla, times: dict[str, int]) -> None:
        """Level 1 → 2: still not kept after ``escalate_after_hours``; tell the manager too."""
        team, manager_id = self._team(row)
        rule = rule_text(self.version, row.sla_kind, sla, team, "escalate")
        detail = {
            "clock": row.sla_kind,
            "escalate_at": self._iso(times["escalate_at"]),
            "recycle_at": self._iso(times["recycle_at"]),
            "manager_id": manager_id,
            "level": 2,
        }
        owner = self.users.get(row.owner_id)
        rep = owner.full_name if owner else f"user {row.owner_id}"
        subject = f"SLA escalated: lead #{row.id} {self._name(row)} ({rep})"
        body = (
            f"Lead #{row.id} ({self._name(row)}), owned by {rep}, broke its SLA "
            f"({promise_text(row.sla_kind, sla)}) and is still not worked.\n"
            f"It returns to the public pool at {self._local(times['recycle_at'])}.\n"
            f"Rule: {rule}"
        )
        self._add(row, DecisionKind.SLA_ESCALATED, rule, detail, "lead.sla_escalated",
                  [manager_id, row.owner_id], subject, body)  # fmt: skip

    def recycled(self, row: Any, sla: TeamSla, times: dict[str, int]) -> None:
        """Level 2 → pool: the lead goes back to the public pool for any rep to claim."""
        team, _ = self._team(row)
        rule = rule_text(self.version, row.sla_kind, sla, team, "recycle")
        self._reasons[row.id] = rule
        detail = {
            "clock": row.sla_kind,
            "recycle_at": self._iso(times["recycle_at"]),
            "from_status": row.status,
            "previous_owner_id": row.owner_id,
        }
        subject = f"Lead #{row.id} {self._name(row)} went back to the public pool"
        body = (
            f"Lead #{row.id} ({self._name(row)}) broke its SLA "
            f"({promise_text(row.sla_kind, sla)}) and was recycled to the public pool.\n"
            f"Rule: {rule}"
        )
        self._add(row, DecisionKind.RECYCLED, rule, detail, "lead.recycled",
                  [row.owner_id], subject, body)  # fmt: skip
        self.events.append(
            {
                "topic": "lead.status_changed",
                "lead_id": row.id,
                "created_at": self.now,
                "payload": {
                    "lead_id": row.id,
                    "from": row.status,
                    "to": LeadStatus.POOL.value,
                    "reason": rule,
                },
            }
        )

    def rule_of(self, row: Any) -> str:
        """The recycle rule recorded for ``row`` (the status change's reason)."""
        return self._reasons[row.id]

    def _add(
        self,
        row: Any,
        kind: DecisionKind,
        rule: str,
        detail: dict[str, Any],
        topic: str,
        recipients: list[int | None],
        subject: str,
        body: str,
    ) -> None:
        team, _ = self._team(row)
        self.decisions.append(
            {
                "lead_id": row.id,
                "kind": kind.value,
                "decided_at": self.now,
                "actor_id": None,
                "rule": rule,
                "rule_version": self.version,
                "detail": detail,
            }
        )
        payload: dict[str, Any] = {
            "lead_id": row.id,
            "owner_id": row.owner_id,
            "team": team,
            "rule": rule,
            "rule_version": self.version,
            **detail,
        }
        emails = self._emails(tuple(recipients))
        if emails:
            payload["email"] = {"to": emails, "subject": subject, "body": body}
        self.events.append(
            {"topic": topic, "lead_id": row.id, "created_at": self.now, "payload": payload}
        )

    def _emails(self, recipients: tuple[int | None, ...]) -> list[str]:
        """The distinct addresses of these users, in order (cached: a batch has few owners)."""
        found = self._addresses.get(recipients)
        if found is None:
            found = []
            for user_id in recipients:
                user = self.users.get(user_id) if user_id is not None else None
                if user is not None and user.email and user.email not in found:
                    found.append(user.email)
            self._addresses[recipients] = found
        return list(found)

    def _team(self, row: Any) -> tuple[str | None, int | None]:
        team = self.teams.get(row.team_id) if row.team_id is not None else None
        return (team.name, team.manager_id) if team else (None, None)

    def _name(self, row: Any) -> str:
        if row.full_name and row.company:
            return f"{row.full_name}, {row.company}"
        return row.full_name or row.company or "(no name)"

    def _iso(self, us: int) -> str:
        """ISO 8601 in UTC of a moment in µs (cached: a batch's deadlines repeat)."""
        found = self._isos.get(us)
        if found is None:
            found = self._isos[us] = from_us(us).isoformat()
        return found

    def _local(self, us: int) -> str:
        """Local wall time to the minute, as e-mails show it (cached per minute)."""
        minute = us // 60_000_000
        found = self._locals.get(minute)
        if found is None:
            moment = from_us(minute * 60_000_000).astimezone(self.zone)
            found = self._locals[minute] = moment.strftime("%Y-%m-%d %H:%M %Z")
        return found
