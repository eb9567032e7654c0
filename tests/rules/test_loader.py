"""Rules files: validated whole, each refusal naming the file's line, the field and the reason;
saved as the next version while an invalid file changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict
from sqlalchemy.orm import Session

from closeloop.errors import Invalid
from closeloop.rules.loader import parse_rules, read_rules_file
from closeloop.rules.store import active_rules, save_rules


class Band(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    points: int


class Rules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    threshold: int
    bands: list[Band]


DEFAULT = Rules(threshold=50, bands=[])
GOOD = "threshold: 60\nbands:\n  - name: small\n    points: 5\n  - name: large\n    points: 20\n"


def test_a_valid_file_becomes_the_model() -> None:
    rules = parse_rules(GOOD, Rules, source="r.yaml")
    assert rules.threshold == 60
    assert [(b.name, b.points) for b in rules.bands] == [("small", 5), ("large", 20)]


def test_a_bad_value_names_its_line_and_field() -> None:
    text = GOOD.replace("points: 20", "points: lots")
    with pytest.raises(Invalid) as refused:
        parse_rules(text, Rules, source="r.yaml")
    assert refused.value.field == "bands.1.points"
    assert refused.value.message.startswith("r.yaml line 6: ")


def test_an_unknown_key_names_its_line() -> None:
    with pytest.raises(Invalid, match=r"r\.yaml line 2: Extra inputs") as refused:
        parse_rules("threshold: 60\ncolour: red\nbands: []\n", Rules, source="r.yaml")
    assert refused.value.field == "colour"


def test_broken_yaml_names_its_line() -> None:
    with pytest.raises(Invalid, match=r"r\.yaml line 3: not valid YAML"):
        parse_rules("threshold: 60\nbands: []\n  points: 3\n", Rules, source="r.yaml")


def test_a_file_that_is_no_mapping_is_refused() -> None:
    with pytest.raises(Invalid, match="expected a mapping"):
        parse_rules("- 1\n- 2\n", Rules, source="r.yaml")


def test_a_missing_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(Invalid, match=r"cannot read .*nope\.yaml: No such file"):
        read_rules_file(tmp_path / "nope.yaml")


def test_versions_count_up_and_a_refused_file_keeps_the_rules_in_force(session: Session) -> None:
    assert active_rules(session, "test", Rules, DEFAULT).version == 0
    save_rules(session, kind="test", text=GOOD, schema=Rules)
    save_rules(session, kind="test", text=GOOD.replace("60", "70"), schema=Rules)
    with pytest.raises(Invalid):
        save_rules(session, kind="test", text="threshold: high\nbands: []\n", schema=Rules)
    active = active_rules(session, "test", Rules, DEFAULT)
    assert (active.version, active.rules.threshold) == (2, 70)
