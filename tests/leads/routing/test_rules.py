"""Team rules (first match wins, fallback) and validating a routing file whole."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from closeloop.db.engine import unit_of_work
from closeloop.errors import Invalid
from closeloop.leads.routing.rules import (
    DEFAULT,
    CompiledRules,
    LeadFacts,
    RoutingRules,
    current_rules,
    save_routing_rules,
)
from closeloop.rules.loader import parse_rules
from tests.leads.routing.conftest import RULES, Floor

TABLE = """\
rules:
  - name: Big Shanghai manufacturers
    team: A
    match: {cities: [上海], industries: [Manufacturing], size_min: 500}
  - name: Small companies
    team: B
    match: {size_max: 49}
  - name: Partner leads for the CRM product
    team: C
    match: {channels: [partner], products: [crm]}
  - name: Europe
    team: D
    match: {regions: [de, gb]}
fallback_team: E
"""


def facts(**fields: object) -> LeadFacts:
    base: dict[str, object] = dict(
        region=None, city=None, industry=None, company_size=None, channel=None
    )
    return LeadFacts(**{**base, **fields})  # type: ignore[arg-type]


@pytest.fixture
def table() -> CompiledRules:
    return CompiledRules(parse_rules(TABLE, RoutingRules))


@pytest.mark.parametrize(
    ("lead", "team", "rule"),
    [
        (
            facts(city="上海", industry="manufacturing", company_size=500),
            "A",
            "Big Shanghai manufacturers",
        ),
        # Too small for rule 1, so the next matching rule (small companies) wins.
        (facts(city="上海", industry="manufacturing", company_size=40), "B", "Small companies"),
        # Size unknown: a size condition does not hold.
        (facts(city="上海", industry="manufacturing"), "E", "fallback"),
        (facts(channel="partner"), "C", "Partner leads for the CRM product"),  # no product: ignored
        (facts(channel="partner", product="CRM"), "C", "Partner leads for the CRM product"),
        (facts(channel="partner", product="ERP"), "E", "fallback"),
        (facts(region="de", company_size=40), "B", "Small companies"),  # first match wins
        (facts(region="DE", company_size=50), "D", "Europe"),
        (facts(region="US"), "E", "fallback"),
    ],
)
def test_first_matching_rule_picks_the_team_else_the_fallback(
    table: CompiledRules, lead: LeadFacts, team: str, rule: str
) -> None:
    choice = table.team_for(lead)
    assert (choice.team, choice.rule) == (team, rule)


def test_the_default_fits_the_demo_teams() -> None:
    table = CompiledRules(DEFAULT)
    assert table.team_for(facts(region="CN", company_size=800)).team == "Sales East"
    assert table.team_for(facts(region="US", channel="referral")).team == "Sales West"
    assert table.team_for(facts(region="US", channel="seo", company_size=20)).team == "Inside sales"
    assert DEFAULT.settings_for("Sales East").strategy == "performance"
    assert DEFAULT.settings_for("Inside sales").roles == ["sdr"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rules: []\n", "line 1: Field required"),
        (
            "fallback_team: E\nteams:\n  E: {strategy: fastest}\n",
            "line 3: Input should be 'round_robin', 'load' or 'performance'",
        ),
        (
            "fallback_team: E\nrules:\n  - name: x\n    team: E\n"
            "    match: {size_min: 9, size_max: 1}\n",
            "line 5: Value error, size_min 9 is above size_max 1",
        ),
        (
            "fallback_team: E\nrules:\n  - name: x\n    team: E\n    match: {regions: [China]}\n",
            "line 5: Value error, not a two-letter country code: 'China'",
        ),
        (
            "fallback_team: E\npool: {timezone: Mars/Olympus}\n",
            "line 2: Value error, unknown IANA time zone",
        ),
        (
            "fallback_team: E\nteams:\n  E: {floor: 1.5}\n",
            "line 3: Input should be less than or equal to 1",
        ),
        (
            "fallback_team: E\nrules:\n  - name: x\n    team: E\n    match: {country: [CN]}\n",
            "line 5: Extra inputs are not permitted",
        ),
    ],
)
def test_a_file_that_does_not_validate_names_the_line_and_reason(text: str, message: str) -> None:
    with pytest.raises(Invalid) as error:
        parse_rules(text, RoutingRules, source="routing.yaml")
    assert f"routing.yaml {message}" in error.value.message


@pytest.mark.parametrize(
    ("replace", "by", "message", "field"),
    [
        (
            "team: Sales West\n",
            "team: Sales North\n",
            "line 6: unknown team 'Sales North'",
            "rules.1.team",
        ),
        (
            "channels: [referral]",
            "channels: [referal]",
            "line 7: unknown channel code 'referal'",
            "rules.1.match.channels.0",
        ),
        (
            "fallback_team: Inside sales",
            "fallback_team: Marketing",
            "line 8: unknown team 'Marketing'",
            "fallback_team",
        ),
        (
            "  Sales West: {",
            "  Sales Wset: {",
            "line 11: unknown team 'Sales Wset'",
            "teams.Sales Wset",
        ),
    ],
)
def test_unknown_teams_and_channels_are_refused_and_the_running_version_stays(
    engine: Engine, floor: Floor, replace: str, by: str, message: str, field: str
) -> None:
    assert replace in RULES
    text = RULES.replace(replace, by)
    with pytest.raises(Invalid) as error, unit_of_work(engine) as session:
        save_routing_rules(session, text=text, source="routing.yaml")
    assert f"routing.yaml {message}" in error.value.message
    assert error.value.field == field
    with unit_of_work(engine) as session:
        active = current_rules(session)
    assert active.version == 1
    assert active.rules == parse_rules(RULES, RoutingRules)


def test_a_valid_file_becomes_the_next_version(session: Session, floor: Floor) -> None:
    saved = save_routing_rules(
        session, text=RULES.replace("daily_claim_limit: 2", "daily_claim_limit: 9")
    )
    assert saved.version == 2
    assert current_rules(session).rules.pool.daily_claim_limit == 9


def test_version_0_is_the_default(session: Session) -> None:
    active = current_rules(session)
    assert (active.version, active.rules) == (0, DEFAULT)
