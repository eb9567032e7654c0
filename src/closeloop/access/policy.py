"""What each role may read and change, by area. Row-level rules are in ``visibility``.

One table, read by the services: the API, the pages and the CLI all ask ``require`` and so
obey the same rules.
"""

from __future__ import annotations

from enum import StrEnum

from closeloop.access.actor import READ, WRITE, Actor
from closeloop.errors import Forbidden
from closeloop.i18n import N_
from closeloop.models import Role


class Area(StrEnum):
    LEADS = "leads"  # leads, their touches, the inbox and the public pool
    MARKETING = "marketing"  # channels, campaigns, contents, spend
    ACCOUNTS = "accounts"  # accounts and contacts
    PIPELINE = "pipeline"  # opportunities
    CASH = "cash"  # orders, invoices, payments (receivables)
    REPORTS = "reports"  # ROI, funnel, leaderboard, the dashboard
    USERS = "users"  # users and teams
    SETTINGS = "settings"  # scoring and routing rules, SLAs, API keys


R, RW = frozenset({READ}), frozenset({READ, WRITE})

# role → area → what it may do there. Missing = nothing (403).
PERMISSIONS: dict[Role, dict[Area, frozenset[str]]] = {
    Role.ADMIN: {area: RW for area in Area},
    Role.MARKETING: {
        Area.LEADS: RW,
        Area.MARKETING: RW,
        Area.ACCOUNTS: R,
        Area.REPORTS: R,
        Area.SETTINGS: R,
    },
    Role.SDR: {Area.LEADS: RW, Area.ACCOUNTS: R},
    Role.SALES_REP: {Area.LEADS: RW, Area.ACCOUNTS: RW, Area.PIPELINE: RW},
    Role.SALES_MANAGER: {
        Area.LEADS: RW,
        Area.ACCOUNTS: RW,
        Area.PIPELINE: RW,
        Area.REPORTS: R,
        Area.USERS: R,
        Area.SETTINGS: RW,
    },
    Role.FINANCE: {Area.ACCOUNTS: R, Area.CASH: RW, Area.REPORTS: R},
    Role.EXECUTIVE: {Area.REPORTS: R},
}


def allowed(actor: Actor, area: Area, action: str = READ) -> bool:
    """May this actor do ``action`` (read or write) in ``area``? Tokens are limited by scope."""
    if action not in actor.scopes:
        return False
    return action in PERMISSIONS.get(actor.role, {}).get(area, frozenset())


def require(actor: Actor, area: Area, action: str = READ) -> None:
    """Raise ``Forbidden`` unless the actor may do ``action`` in ``area``."""
    if not allowed(actor, area, action):
        verb = "change" if action == WRITE else "see"
        raise Forbidden(
            N_("a %(role)s may not %(verb)s %(area)s"),
            role=actor.role.value,
            verb=verb,
            area=area.value,
        )


def areas(actor: Actor) -> list[Area]:
    """The areas the actor may read, in menu order."""
    return [area for area in Area if allowed(actor, area, READ)]
