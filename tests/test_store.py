"""Units for the store shared by worker processes: ids, reopening, migrations of older files."""

from __future__ import annotations

import multiprocessing
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mock_server import Settings, create_app
from mock_server.store import (
    SCHEMA_VERSION,
    Conflict,
    SqliteStore,
    StoreRefused,
    open_store,
)

V1_FILE = Path(__file__).parent / "data" / "store-v1.sqlite3"


def _insert_returns(path: str, count: int, queue: multiprocessing.Queue[list[int]]) -> None:
    store = open_store(path)
    ids = []
    for _ in range(count):
        with store.transaction():
            ids.append(store.insert_return(1, external_reference=None, created_at=0, data={}))
    queue.put(ids)


def test_ids_are_unique_across_processes(db: str) -> None:
    """Four processes inserting at once never receive the same id."""
    path = db
    open_store(path).close()
    queue: multiprocessing.Queue[list[int]] = multiprocessing.get_context("fork").Queue()
    workers = [multiprocessing.get_context("fork").Process(target=_insert_returns, args=(path, 100, queue))
               for _ in range(4)]
    for worker in workers:
        worker.start()
    ids = [i for _ in workers for i in queue.get(timeout=60)]
    for worker in workers:
        worker.join(timeout=60)
    assert len(ids) == 400 and len(set(ids)) == 400


def test_store_survives_reopening(db: str) -> None:
    """What one handle committed, a new handle on the same database reads; its identity stays."""
    store = open_store(db)
    with store.transaction():
        store.set_meta("k", "v")
    again = open_store(db)
    assert again.get_meta("k") == "v"
    assert again.identity == store.identity


def test_default_store_is_a_fresh_temporary_file() -> None:
    """Without a path, each store is a new, empty, temporary database."""
    one, two = SqliteStore(), SqliteStore()
    assert one.temporary and one.path != two.path
    assert one.scan_returns(1, from_ts=None, to_ts=None, pivot=None, ascending=True, limit=10) == []


def test_ids_start_at_production_like_values(db: str) -> None:
    """Return ids look like Sendcloud's (seven digits), not 1, 2, 3."""
    store = open_store(db)
    with store.transaction():
        rid = store.insert_return(1, external_reference=None, created_at=0, data={})
    assert rid == 1_750_001


def test_brands_with_fixture_ids_and_new_ones_never_collide(db: str) -> None:
    """Fixture rows bring their own ids; the next row without one gets an id past them."""
    store = open_store(db)
    with store.transaction():
        account = store.insert_account(api_key="k", api_secret="s", name="n", from_fixtures=True)
        given = store.insert_brand(account, "given.example", {}, 101)
        new = store.insert_brand(account, "new.example", {})
    assert given == 101 and new > 101


def test_a_taken_key_is_a_conflict_and_the_transaction_is_undone(db: str) -> None:
    store = open_store(db)
    with store.transaction():
        store.insert_account(api_key="k", api_secret="s", name="n", from_fixtures=False)
    with pytest.raises(Conflict), store.transaction():
        store.insert_account(api_key="other", api_secret="s", name="n", from_fixtures=False)
        store.insert_account(api_key="k", api_secret="s", name="n", from_fixtures=False)
    assert store.account_by_key("other") is None
    assert store.count_accounts() == 1


def test_a_new_store_records_its_schema_version(db: str) -> None:
    store = open_store(db)
    assert store.schema_version() == SCHEMA_VERSION
    with store.transaction():
        store.clear_all()  # a full reset keeps the version
    assert store.schema_version() == SCHEMA_VERSION


def test_a_store_of_version_1_is_migrated_on_start_keeping_its_data(tmp_path: Path) -> None:
    """tests/data/store-v1.sqlite3 was written by sendcloud-mock 0.2.0 (no schema version; fault
    rules without an account column). Opened now, it is migrated and everything in it still reads."""
    path = tmp_path / "old.sqlite3"
    shutil.copy(V1_FILE, path)
    raw = sqlite3.connect(path)
    assert raw.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() is None
    identity = raw.execute("SELECT id FROM store_identity").fetchone()[0]
    raw.close()

    app = create_app(Settings(db=str(path)))
    mock = app.extensions["sendcloud_mock"]
    assert mock.store.schema_version() == SCHEMA_VERSION
    assert mock.store.identity == identity
    client = app.test_client()
    auth = {"Authorization": "Basic dGVzdF9hcGlfa2V5X3N0cm9vcHdhZmVsOnRlc3RfYXBpX3NlY3JldF9zdHJvb3B3YWZlbA=="}
    listed = client.get("/api/v3/returns?from_date=2000-01-01 00:00:00&to_date=2100-01-01 00:00:00", headers=auth)
    assert listed.status_code == 200
    assert sorted(r["id"] for r in listed.json["data"]) == [1750001, 1750002, 1750003]
    assert sorted(r["collo_count"] for r in listed.json["data"]) == [1, 2, 3]
    # The account-scoped fault rule is found by its account after the migration.
    rules = client.get("/__admin/faults?account=test_api_key_stroopwafel").json["faults"]
    assert [rule["path"] for rule in rules] == ["/api/v3/nothing"]
    # Webhook deliveries and the global clock advance survive too.
    assert len(client.get("/__admin/webhooks/deliveries").json["deliveries"]) == 13
    assert mock.store.clock_state(None)[0] == 100_060_000_000
    # The external reference index came along: a taken reference is still refused.
    assert mock.store.external_reference_taken(1, "v1-ref-1")
    again = SqliteStore(path)
    assert again.schema_version() == SCHEMA_VERSION


def test_a_store_of_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "newer.sqlite3"
    SqliteStore(path).close()
    raw = sqlite3.connect(path)
    raw.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    raw.commit()
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    before = path.read_bytes()
    with pytest.raises(StoreRefused, match=f"newer sendcloud-mock .*version {SCHEMA_VERSION + 1}"):
        SqliteStore(path)
    assert path.read_bytes() == before
    cli = subprocess.run([sys.executable, "-m", "mock_server", "serve", "--db", str(path), "--port", "0"],
                         capture_output=True, text=True, timeout=60)
    assert cli.returncode == 2
    assert cli.stderr.count("\n") == 1 and "newer sendcloud-mock" in cli.stderr
    assert path.read_bytes() == before


@pytest.fixture
def pg(postgres_server: Any) -> Iterator[tuple[str, Any]]:
    """A new PostgreSQL database and a connection to it."""
    import psycopg

    url = postgres_server.new_database()
    with psycopg.connect(url, autocommit=True) as conn:
        yield url, conn


def test_postgres_schema_with_foreign_tables_is_refused_untouched(pg: tuple[str, Any]) -> None:
    url, conn = pg
    conn.execute("CREATE SCHEMA sendcloud_mock")
    conn.execute("CREATE TABLE sendcloud_mock.customers (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO sendcloud_mock.customers VALUES (1, 'Ada')")
    with pytest.raises(StoreRefused, match=r"not a sendcloud-mock store .*customers"):
        open_store(url)
    cli = subprocess.run([sys.executable, "-m", "mock_server", "serve", "--db", url, "--port", "0"],
                         capture_output=True, text=True, timeout=60)
    assert cli.returncode == 2 and cli.stderr.count("\n") == 1 and "customers" in cli.stderr
    tables = [row[0] for row in conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'sendcloud_mock'")]
    assert tables == ["customers"]
    assert conn.execute("SELECT name FROM sendcloud_mock.customers").fetchall() == [("Ada",)]


def test_postgres_store_of_a_newer_version_is_refused(pg: tuple[str, Any]) -> None:
    url, conn = pg
    open_store(url).close()
    conn.execute("UPDATE sendcloud_mock.meta SET value = %s WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    with pytest.raises(StoreRefused, match="newer sendcloud-mock"):
        open_store(url)


def test_postgres_unreachable_database_is_refused_with_one_line(postgres_server: Any) -> None:
    url = postgres_server.url("no_such_database")
    cli = subprocess.run([sys.executable, "-m", "mock_server", "serve", "--db", url, "--port", "0"],
                         capture_output=True, text=True, timeout=60)
    assert cli.returncode == 2 and cli.stderr.count("\n") == 1 and "no_such_database" in cli.stderr


def _start(url: str, queue: multiprocessing.Queue[tuple[str, int]]) -> None:
    app = create_app(Settings(db=url))
    store = app.extensions["sendcloud_mock"].store
    queue.put((store.identity, store.count_accounts()))


def test_postgres_instances_starting_together_migrate_and_seed_once(postgres_server: Any) -> None:
    url = postgres_server.new_database()
    context = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue[tuple[str, int]] = context.Queue()
    starters = [context.Process(target=_start, args=(url, queue)) for _ in range(4)]
    for starter in starters:
        starter.start()
    seen = [queue.get(timeout=120) for _ in starters]
    for starter in starters:
        starter.join(timeout=60)
    assert len({identity for identity, _ in seen}) == 1
    accounts = {count for _, count in seen}
    assert len(accounts) == 1 and accounts.pop() > 0


GREENLETS = """
import sys
from mock_server.store import open_store
store = open_store(sys.argv[1])  # psycopg is imported before the patch, as in a gunicorn worker
import gevent
from gevent import monkey
monkey.patch_all(thread=False)

def first():
    try:
        with store.transaction():
            store.insert_fault({"path": "/first"})
            gevent.sleep(0.2)  # yields while holding the instances' write lock
            raise LookupError("rolled back")
    except LookupError:
        pass

def second():
    gevent.sleep(0.05)
    with store.transaction():
        store.insert_fault({"path": "/second"})

gevent.joinall([gevent.spawn(first), gevent.spawn(second)], raise_error=True)
print([__import__("json").loads(row["data"])["path"] for row in store.faults()])
"""


def test_postgres_greenlet_waiting_for_the_write_lock_lets_its_holder_finish(postgres_server: Any) -> None:
    """Under gevent, a greenlet that yields inside a transaction keeps it to itself, and another
    greenlet of the same thread waiting to write does not block the thread (which would hang it)."""
    url = postgres_server.new_database()
    out = subprocess.run([sys.executable, "-c", GREENLETS, url], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[0] == "['/second']"
