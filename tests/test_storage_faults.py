"""Storage faults are honest: a full store keeps reads answering and says so; a --db file that is
not ours (or is corrupt) is refused with one line and exit code 2, and left untouched."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import LIST_URL

from mock_server import Settings, create_app
from mock_server.store import StoreRefused


def fill_up(app) -> sqlite3.Connection:
    """Cap the store at its current size (SQLite's max_page_count): the next write needing a page fails."""
    store = app.extensions["sendcloud_mock"].store
    db = store.connection()
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")
    return db


def test_full_store_reads_answer_writes_507_health_degraded(client, app, auth, return_body, create_return) -> None:
    """With no room left, reads answer 200, writes answer 507 JSON, health is 503 "degraded";
    once there is room again, health is ok and writes succeed."""
    existing = create_return()["return_id"]
    db = fill_up(app)
    big = return_body(parcel_items=[{**return_body()["parcel_items"][0], "description": "x" * 1000}
                                    for _ in range(20)])
    refused = [client.post("/api/v3/returns", json=big, headers=auth) for _ in range(3)]
    assert {answer.status_code for answer in refused} == {507}, refused[0].data
    assert refused[0].json["errors"][0]["code"] == "insufficient_storage"
    # Reads keep answering (and the journal's failure, if any, never fails them).
    assert client.get(LIST_URL, headers=auth).status_code == 200
    assert client.get(f"/api/v3/returns/{existing}", headers=auth).status_code == 200
    assert client.get("/api/v2/returns", headers=auth).status_code == 200
    health = client.get("/__admin/health")
    assert health.status_code == 503 and health.json["status"] == "degraded"
    # Room again: the health probe's write succeeds, and so do creates.
    db.execute("PRAGMA max_page_count = 1073741823")
    health = client.get("/__admin/health")
    assert health.status_code == 200 and health.json["status"] == "ok"
    assert client.post("/api/v3/returns", json=big, headers=auth).status_code == 201


def test_journal_that_cannot_append_never_fails_a_request(client, app, auth) -> None:
    journal = app.extensions["sendcloud_mock"].journal
    os.chmod(os.path.dirname(journal.path), 0o755)
    journal._local.fd = os.open(os.devnull, os.O_RDONLY)  # every append now fails (EBADF)
    assert client.get("/api/v2/returns", headers=auth).status_code == 200


@pytest.mark.slow
def test_full_tmpfs_disk(tmp_path: Path) -> None:
    """A real full disk (a 2 MB tmpfs): writes 507 or 503 in JSON, reads 200, health degraded."""
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root, or no mount permission)")
    try:
        app = create_app(Settings(db=str(mount / "store.sqlite3"), validate_responses=True))
        app.testing = True
        client = app.test_client()
        from conftest import DEFAULT_KEY, DEFAULT_SECRET, RETURN_BODY, basic

        auth = basic(DEFAULT_KEY, DEFAULT_SECRET)
        assert client.post("/api/v3/returns", json=RETURN_BODY, headers=auth).status_code == 201
        filler = mount / "filler"
        with open(filler, "wb") as handle:
            try:
                while True:
                    handle.write(b"\0" * 65536)
                    handle.flush()
            except OSError:
                pass
        statuses = set()
        for _ in range(60):
            answer = client.post("/api/v3/returns", json={**RETURN_BODY, "order_number": "x" * 3000},
                                 headers=auth)
            statuses.add(answer.status_code)
            assert answer.is_json
        assert statuses <= {201, 503, 507} and statuses & {503, 507}, statuses
        assert client.get(LIST_URL, headers=auth).status_code == 200
        assert client.get("/__admin/health").status_code == 503
        filler.unlink()
        assert client.get("/__admin/health").status_code == 200
        assert client.post("/api/v3/returns", json=RETURN_BODY, headers=auth).status_code == 201
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _foreign(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO customers (name) VALUES ('Ada')")
    conn.commit()
    conn.close()


def _corrupt(path: Path) -> None:
    _foreign(path)
    data = bytearray(path.read_bytes())
    data[100:4096] = os.urandom(3996)  # the schema page
    path.write_bytes(bytes(data))


def _not_sqlite(path: Path) -> None:
    path.write_bytes(b"this is a text file, not a database\n" * 100)


def _snapshot(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("make", [_foreign, _corrupt, _not_sqlite])
def test_foreign_or_corrupt_db_is_refused_untouched(tmp_path: Path, make) -> None:
    """`serve --db` on a file that is not ours: one clear line, exit code 2, the file and folder unchanged."""
    folder = tmp_path / "data"
    folder.mkdir()
    db = folder / "their.sqlite3"
    make(db)
    before = _snapshot(folder)
    mode = os.stat(db).st_mtime_ns
    run = subprocess.run([sys.executable, "-m", "mock_server", "serve", "--db", str(db), "--port", "1"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2, run.stderr
    lines = [line for line in (run.stderr + run.stdout).splitlines() if line.strip()]
    assert len(lines) == 1 and "refusing --db" in lines[0] and str(db) in lines[0], lines
    assert _snapshot(folder) == before and os.stat(db).st_mtime_ns == mode
    with pytest.raises(StoreRefused):
        create_app(Settings(db=str(db)))
    assert _snapshot(folder) == before


def test_our_own_and_empty_files_are_accepted(tmp_path: Path) -> None:
    """A store this fake made (even one made before store_identity existed) and an empty file are fine."""
    ours = tmp_path / "ours.sqlite3"
    create_app(Settings(db=str(ours)))
    create_app(Settings(db=str(ours)))
    conn = sqlite3.connect(ours)
    conn.execute("DROP TABLE store_identity")
    conn.commit()
    conn.close()
    create_app(Settings(db=str(ours)))
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    create_app(Settings(db=str(empty)))
