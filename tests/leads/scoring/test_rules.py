"""Rules files: validated whole, refused with the line and the reason, the old ones in force."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from closeloop.errors import Invalid
from closeloop.leads.scoring.rules import DEFAULT, ScoringRules
from closeloop.leads.scoring.service import current_rules
from closeloop.rules.loader import parse_rules
from tests.leads.scoring.helpers import RULES_YAML, use_rules

OVERLAPPING = """\
mql_threshold: 50
half_life_days: 10
company_size:
  - {min_employees: 0, max_employees: 99, points: 5}
  - {min_employees: 50, points: 15}
"""


def test_the_default_is_version_0(session: Session) -> None:
    active = current_rules(session)
    assert (active.version, active.rules) == (0, DEFAULT)


def test_a_saved_file_is_the_next_version(session: Session) -> None:
    assert use_rules(session) == 1
    assert use_rules(session) == 2
    assert current_rules(session).rules.mql_threshold == 50


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        (RULES_YAML.replace("software: 20", "software: 120"), 5, "less than or equal to 100"),
        (RULES_YAML.replace("visit: 4", "visits: 4\n  bonus: [1]"), 17, "valid integer"),
        (RULES_YAML + "surprise: 1\n", 17, "Extra inputs are not permitted"),
        (RULES_YAML.replace("CN: 5", "China: 5"), 13, "two-letter"),
        (RULES_YAML.replace("half_life_days: 10", "half_life_days: 0"), 2, "greater than 0"),
        (OVERLAPPING, 4, "overlap"),
        ("mql_threshold: [\n", 2, "not valid YAML"),
    ],
)
def test_a_bad_file_is_refused_with_line_and_reason(
    session: Session, text: str, line: int, reason: str
) -> None:
    use_rules(session)
    with pytest.raises(Invalid) as refused:
        use_rules(session, text)
    assert f"line {line}" in str(refused.value)
    assert reason in str(refused.value)
    assert current_rules(session).version == 1  # the old rules stay in force


def test_names_are_matched_ignoring_case() -> None:
    rules = parse_rules(RULES_YAML.replace("software", "Software"), ScoringRules)
    assert rules.industry == {"software": 20}
    assert rules.seniority[0].keywords == ["ceo", "总经理"]
