"""The rules in force are read once per transaction, and a new version is seen at once."""

from __future__ import annotations

from sqlalchemy import Engine, event

from closeloop.db.engine import unit_of_work
from closeloop.rules.store import active_rules, save_rules
from tests.rules.test_loader import DEFAULT, GOOD, Rules


def _rule_set_reads(engine: Engine) -> list[str]:
    seen: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        if "rule_sets" in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    return seen


def test_one_transaction_reads_the_rule_versions_once(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        save_rules(session, kind="test", text=GOOD, schema=Rules)
    with unit_of_work(engine) as session:
        active_rules(session, "test", Rules, DEFAULT)  # validated once per saved version
    reads = _rule_set_reads(engine)
    with unit_of_work(engine) as session:
        assert active_rules(session, "test", Rules, DEFAULT).version == 1
        assert active_rules(session, "other", Rules, DEFAULT).version == 0
        assert active_rules(session, "test", Rules, DEFAULT).rules.threshold == 60
    assert len(reads) == 1


def test_a_version_saved_elsewhere_is_in_force_in_the_next_transaction(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        save_rules(session, kind="test", text=GOOD, schema=Rules)
    with unit_of_work(engine) as reader:
        assert active_rules(reader, "test", Rules, DEFAULT).version == 1
        reader.commit()  # the same session, a new transaction
        with unit_of_work(engine) as writer:
            save_rules(writer, kind="test", text=GOOD.replace("60", "70"), schema=Rules)
        active = active_rules(reader, "test", Rules, DEFAULT)
        assert (active.version, active.rules.threshold) == (2, 70)


def test_a_version_saved_in_the_transaction_is_in_force_in_it(engine: Engine) -> None:
    with unit_of_work(engine) as session:
        assert active_rules(session, "test", Rules, DEFAULT).version == 0
        save_rules(session, kind="test", text=GOOD, schema=Rules)
        assert active_rules(session, "test", Rules, DEFAULT).version == 1
