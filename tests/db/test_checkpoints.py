"""SQLite's WAL checkpoints of a bulk write run on a thread of their own, and only meanwhile."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from closeloop.db.checkpoints import DEFAULT_AUTOCHECKPOINT, checkpoints_in_background
from closeloop.db.engine import make_engine

ROWS = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "


def autocheckpoint(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())


def test_committed_pages_reach_the_database_file_from_the_background_thread(
    tmp_path: Path,
) -> None:
    path = tmp_path / "checkpoints.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE notes (body TEXT)")
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    size_before = path.stat().st_size

    with checkpoints_in_background(engine) as committed:
        assert autocheckpoint(engine) == 0  # the writers leave it to the thread
        for _ in range(3):  # about 2,000 pages of WAL in all: past SQLite's own threshold
            with engine.begin() as connection:
                connection.exec_driver_sql(
                    ROWS + "INSERT INTO notes SELECT printf('%.1000c', 'x') FROM n"
                )
            committed()

    # Nobody checkpointed after the block: the rows are in the file because the thread put them
    # there (4 KiB pages: 6,000 rows of 1 KB are more than 1,000 pages).
    assert path.stat().st_size - size_before > 1000 * 4096
    # The last checkpoint emptied the write-ahead log, though the pool keeps connections open.
    assert Path(f"{path}-wal").stat().st_size == 0
    assert autocheckpoint(engine) == DEFAULT_AUTOCHECKPOINT
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM notes").scalar_one() == 6000
    engine.dispose()
