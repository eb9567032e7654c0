"""Routing rules: which team a lead goes to, how a rep is chosen in it, and the pool's limits.

The rules are data (kind ``routing`` in ``rule_sets``), validated whole by Pydantic and checked
against the database (team names, channel codes) before a new version is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from closeloop.errors import Invalid
from closeloop.i18n import N_
from closeloop.models import Channel, Team
from closeloop.rules.fields import TimeZoneName
from closeloop.rules.loader import _line_of, parse_rules
from closeloop.rules.store import ActiveRules, active_rules, save_rules

KIND = "routing"
Strategy = Literal["round_robin", "load", "performance"]
RepRole = Literal["sales_rep", "sdr"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Match(_Strict):
    """Conditions on a lead; every condition given must hold (an empty match takes every lead)."""

    regions: list[str] = []  # country codes as leads.region holds them (CN, US, …)
    cities: list[str] = []
    industries: list[str] = []
    size_min: int | None = Field(None, ge=0)  # employees, inclusive
    size_max: int | None = Field(None, ge=0)
    channels: list[str] = []  # channel codes
    products: list[str] = []  # leads carry no product yet: a lead without one passes

    @field_validator("regions")
    @classmethod
    def _country_codes(cls, value: list[str]) -> list[str]:
        for code in value:
            if len(code) != 2 or not code.isalpha():
                raise ValueError(f"not a two-letter country code: {code!r}")
        return [code.upper() for code in value]

    @model_validator(mode="after")
    def _size_range(self) -> Match:
        if (
            self.size_min is not None
            and self.size_max is not None
            and self.size_min > self.size_max
        ):
            raise ValueError(f"size_min {self.size_min} is above size_max {self.size_max}")
        return self


class TeamRule(_Strict):
    """One line of the routing table: leads matching ``match`` go to ``team``."""

    name: str = Field(min_length=1, max_length=80)
    team: str = Field(min_length=1)
    match: Match = Match()


class TeamSettings(_Strict):
    """How a rep is chosen within one team."""

    strategy: Strategy = "round_robin"
    window_days: int = Field(90, ge=7, le=730)  # performance: conversion over this many days
    # performance: every eligible rep gets at least floor × an equal share of the team's leads
    floor: float = Field(0.5, ge=0, le=1)
    roles: list[RepRole] = Field(default=["sales_rep", "sdr"], min_length=1)


class PoolRules(_Strict):
    """The public pool (公海): how many leads a rep may claim per day, in which time zone."""

    daily_claim_limit: int = Field(20, ge=1, le=10_000)
    timezone: TimeZoneName = "UTC"


class RoutingRules(_Strict):
    """The whole routing configuration: team rules (first match wins), fallback, teams, pool."""

    rules: list[TeamRule] = []
    fallback_team: str = Field(min_length=1)
    teams: dict[str, TeamSettings] = {}
    pool: PoolRules = PoolRules()

    def settings_for(self, team: str) -> TeamSettings:
        """The team's settings, or the defaults for a team not listed."""
        return self.teams.get(team) or TeamSettings()


DEFAULT_TEXT = """\
# Routing rules of the demo company (version 0, in force until one is saved).
# Rules are tried in order; the first whose every condition holds picks the team.
rules:
  - name: Key accounts East
    team: Sales East
    match: {regions: [CN, SG], size_min: 500}
  - name: Key accounts West
    team: Sales West
    match: {regions: [US, DE, GB], size_min: 500}
  - name: Referrals, partners and trade shows East
    team: Sales East
    match: {regions: [CN, SG], channels: [referral, partner, trade_show]}
  - name: Referrals, partners and trade shows West
    team: Sales West
    match: {regions: [US, DE, GB], channels: [referral, partner, trade_show]}
fallback_team: Inside sales
teams:
  Inside sales: {strategy: load, roles: [sdr]}
  Sales East: {strategy: performance, window_days: 90, floor: 0.5, roles: [sales_rep]}
  Sales West: {strategy: performance, window_days: 90, floor: 0.5, roles: [sales_rep]}
pool:
  daily_claim_limit: 20
  timezone: Asia/Shanghai
"""
DEFAULT = RoutingRules.model_validate(yaml.safe_load(DEFAULT_TEXT))


@dataclass(frozen=True)
class LeadFacts:
    """What routing reads of a lead."""

    region: str | None
    city: str | None
    industry: str | None
    company_size: int | None
    channel: str | None  # channel code
    product: str | None = None


@dataclass(frozen=True)
class TeamChoice:
    team: str
    rule: str  # the rule's name, or "fallback"


class CompiledRules:
    """The rules as sets for fast matching, with a cache per distinct lead profile."""

    def __init__(self, rules: RoutingRules) -> None:
        self.rules = rules
        self._lines = [
            (
                rule,
                frozenset(rule.match.regions),
                frozenset(c.casefold() for c in rule.match.cities),
                frozenset(i.casefold() for i in rule.match.industries),
                frozenset(rule.match.channels),
                frozenset(p.casefold() for p in rule.match.products),
            )
            for rule in rules.rules
        ]
        self._fallback = TeamChoice(rules.fallback_team, "fallback")
        self._cache: dict[tuple[str | int | None, ...], TeamChoice] = {}

    def team_for(self, lead: LeadFacts) -> TeamChoice:
        """The first rule the lead matches, else the fallback team."""
        return self.team_for_values(
            lead.region, lead.city, lead.industry, lead.company_size, lead.channel, lead.product
        )

    def team_for_values(
        self,
        region: str | None,
        city: str | None,
        industry: str | None,
        size: int | None,
        channel: str | None,
        product: str | None = None,
    ) -> TeamChoice:
        """``team_for`` on a lead's values as read (the bulk path skips building LeadFacts)."""
        key = (region, city, industry, size, channel, product)
        found = self._cache.get(key)
        if found is not None:
            return found
        found = self._fallback
        region = (region or "").upper()
        city = (city or "").casefold()
        industry = (industry or "").casefold()
        product = (product or "").casefold()
        for rule, regions, cities, industries, channels, products in self._lines:
            match = rule.match
            if regions and region not in regions:
                continue
            if cities and city not in cities:
                continue
            if industries and industry not in industries:
                continue
            if channels and channel not in channels:
                continue
            if products and product and product not in products:
                continue
            if match.size_min is not None and (size is None or size < match.size_min):
                continue
            if match.size_max is not None and (size is None or size > match.size_max):
                continue
            found = TeamChoice(rule.team, rule.name)
            break
        if len(self._cache) < 100_000:
            self._cache[key] = found
        return found


def current_rules(session: Session) -> ActiveRules[RoutingRules]:
    """The routing rules in force (version 0 is ``DEFAULT``)."""
    return active_rules(session, KIND, RoutingRules, DEFAULT)


def save_routing_rules(
    session: Session, *, text: str, source: str = "routing", actor_id: int | None = None
) -> ActiveRules[RoutingRules]:
    """Validate ``text`` whole (schema, then teams and channels in the database) and store it
    as the next version; anything invalid raises ``Invalid`` and stores nothing."""
    rules = parse_rules(text, RoutingRules, source=source)
    problem = _unknown_reference(session, rules)
    if problem is not None:
        path, template, values = problem
        line = _line_of(yaml.compose(text, Loader=yaml.SafeLoader), path)
        raise Invalid(template, field=".".join(map(str, path)), source=source, line=line, **values)
    return save_rules(
        session, kind=KIND, text=text, schema=RoutingRules, source=source, actor_id=actor_id
    )


_UNKNOWN_TEAM = N_("%(source)s line %(line)s: unknown team %(team)r (teams: %(known)s)")
_UNKNOWN_TEAM_NONE = N_("%(source)s line %(line)s: unknown team %(team)r (teams: none)")


def _unknown_reference(
    session: Session, rules: RoutingRules
) -> tuple[list[Any], str, dict[str, str]] | None:
    """The first team name or channel code of ``rules`` the database does not know: its path,
    and the template and values of the message (without the source and line)."""
    teams = set(session.scalars(select(Team.name)))
    channels = set(session.scalars(select(Channel.code)))
    known = ", ".join(sorted(teams))
    unknown_team = _UNKNOWN_TEAM if known else _UNKNOWN_TEAM_NONE
    for index, rule in enumerate(rules.rules):
        if rule.team not in teams:
            return ["rules", index, "team"], unknown_team, {"team": rule.team, "known": known}
        for position, code in enumerate(rule.match.channels):
            if code not in channels:
                return (
                    ["rules", index, "match", "channels", position],
                    N_("%(source)s line %(line)s: unknown channel code %(code)r"),
                    {"code": code},
                )
    if rules.fallback_team not in teams:
        return ["fallback_team"], unknown_team, {"team": rules.fallback_team, "known": known}
    for name in rules.teams:
        if name not in teams:
            return ["teams", name], unknown_team, {"team": name, "known": known}
    return None
