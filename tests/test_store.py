"""Units for the SQLite store shared by worker processes."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from mock_server.store import Store


def _insert_returns(path: str, count: int, queue: "multiprocessing.Queue[list[int]]") -> None:
    store = Store(path)
    ids = []
    for _ in range(count):
        with store.transaction() as db:
            ids.append(db.execute(
                "INSERT INTO returns (account_id, created_at, data) VALUES (1, 0, '{}')").lastrowid)
    queue.put(ids)


def test_ids_are_unique_across_processes(tmp_path: Path) -> None:
    """Four processes inserting at once never receive the same id."""
    path = str(tmp_path / "shared.sqlite3")
    Store(path)
    queue: multiprocessing.Queue[list[int]] = multiprocessing.get_context("fork").Queue()
    workers = [multiprocessing.get_context("fork").Process(target=_insert_returns, args=(path, 100, queue))
               for _ in range(4)]
    for worker in workers:
        worker.start()
    ids = [i for _ in workers for i in queue.get(timeout=60)]
    for worker in workers:
        worker.join(timeout=60)
    assert len(ids) == 400 and len(set(ids)) == 400


def test_file_store_survives_reopening(tmp_path: Path) -> None:
    """What one handle committed, a new handle on the same file reads."""
    path = tmp_path / "kept.sqlite3"
    with Store(path).transaction() as db:
        db.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')")
    assert Store(path).get_meta("k") == "v"


def test_default_store_is_a_fresh_temporary_file() -> None:
    """Without a path, each store is a new, empty, temporary database."""
    one, two = Store(), Store()
    assert one.temporary and one.path != two.path
    assert one.query("SELECT * FROM returns") == []


def test_ids_start_at_production_like_values(tmp_path: Path) -> None:
    """Return ids look like Sendcloud's (seven digits), not 1, 2, 3."""
    store = Store(tmp_path / "db")
    with store.transaction() as db:
        rid = db.execute("INSERT INTO returns (account_id, created_at, data) VALUES (1, 0, '{}')").lastrowid
    assert rid > 1_000_000
