"""SLA rules files: validated whole, refused with the line and the reason, versioned."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from closeloop.errors import Invalid
from closeloop.leads.sla.rules import DEFAULT, SlaRules, active_sla_rules, save_sla_rules
from closeloop.rules.loader import parse_rules
from tests.leads.sla.conftest import RULES, Org


def refused(session: Session, text: str) -> str:
    with pytest.raises(Invalid) as caught:
        save_sla_rules(session, text=text, source="sla.yaml")
    return str(caught.value)


def test_the_built_in_default_is_version_0(session: Session) -> None:
    active = active_sla_rules(session)
    assert active.version == 0
    assert active.rules == DEFAULT
    assert DEFAULT.calendar.holiday_country == "CN"
    assert DEFAULT.calendar.hours == ["09:00-12:00", "13:30-18:00"]


def test_a_team_inherits_what_it_does_not_override() -> None:
    rules = parse_rules(RULES, SlaRules)
    east = rules.for_team("Sales East")
    assert (east.first_contact_hours, east.accept_days, east.recycle_after_hours) == (1, 2, 6)
    assert rules.for_team("Sales West") == rules.default
    assert rules.for_team(None) == rules.default


def test_an_invalid_file_is_refused_with_its_line_and_the_old_rules_stay(
    session: Session, org: Org
) -> None:
    bad = RULES.replace("follow_up_days: 3", "follow_up_days: -3")

    message = refused(session, bad)

    assert message.startswith("default.follow_up_days: sla.yaml line 8:")
    assert "greater than 0" in message
    assert active_sla_rules(session).version == 1


@pytest.mark.parametrize(
    ("change", "line", "reason"),
    [
        (("Asia/Shanghai", "Asia/Shangai"), 2, "unknown IANA time zone 'Asia/Shangai'"),
        (("[mon, tue", "[mon, tues, thurs"), 3, "'tues' is not a weekday"),
        (('["09:00-18:00"]', '["09:00-13:00", "12:00-18:00"]'), 4, "overlap at 12:00"),
        (('["09:00-18:00"]', '["9am to 6pm"]'), 4, "not a span of hours"),
        (("recycle_after_hours: 6", "recycle_after_hours: 1"), 6, "greater than escalate"),
        (("accept_days: 2", "accept_days: 2\n  acept_days: 3"), 8, "Extra inputs"),
        (("    first_contact_hours: 1", "    first_contact_hours: 0"), 13, "greater than 0"),
        (("  Sales East:\n", "  Sales East:\n    escalate_after_hours: 7\n"), 12, "Sales East"),
    ],
)
def test_each_mistake_names_its_line(
    session: Session, change: tuple[str, str], line: int, reason: str
) -> None:
    message = refused(session, RULES.replace(*change))
    assert f"sla.yaml line {line}:" in message
    assert reason in message


def test_a_team_that_does_not_exist_is_refused(session: Session, org: Org) -> None:
    message = refused(session, RULES.replace("Sales East:", "Sales North:"))
    assert message == (
        "teams.Sales North: sla.yaml line 12: no team named 'Sales North' "
        "(teams: Sales East, Sales West)"
    )
    assert active_sla_rules(session).version == 1


def test_broken_yaml_is_refused(session: Session) -> None:
    assert "not valid YAML" in refused(session, "default: [unclosed\n")


def test_a_saved_file_is_the_next_version(session: Session, org: Org) -> None:
    text = RULES.replace("escalate_after_hours: 2", "escalate_after_hours: 3")
    saved = save_sla_rules(session, text=text)
    assert saved.version == 2
    active = active_sla_rules(session)
    assert (active.version, active.rules.default.escalate_after_hours) == (2, 3)
