"""A throw-away PostgreSQL server for the tests, from Debian's `postgresql` package.

Started once per test session in a temporary folder owned by the `postgres` user (initdb
and pg_ctl refuse to run as root), on a free port, without durability (fsync off: the
tests never outlive it); each test gets a database of its own. Where it cannot run
(no package, no `postgres` user, no psycopg), `unavailable()` says why and the tests skip.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="sendcloud-mock-pg-"))
        self.port = free_port()
        self.data = self.folder / "data"
        self._as_postgres = [] if os.getuid() != 0 else ["runuser", "-u", "postgres", "--"]

    def start(self) -> None:
        if os.getuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
        self.folder.chmod(0o700)
        subprocess.run([*self._as_postgres, _bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                        "--no-sync", "-E", "UTF8"], check=True, capture_output=True, timeout=120)
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
                   " -c synchronous_commit=off -c full_page_writes=off -c max_connections=400")
        subprocess.run([*self._as_postgres, _bin("pg_ctl"), "-D", str(self.data), "-o", options, "-l",
                        str(self.folder / "log"), "-w", "-t", "60", "start"],
                       check=True, capture_output=True, timeout=90)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database; answers its URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:16]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def stop(self) -> None:
        subprocess.run([*self._as_postgres, _bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(self.folder, ignore_errors=True)


def unavailable() -> str | None:
    """Why no PostgreSQL server can be started here, or None when one can."""
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install 'sendcloud-mock[postgres]')"
    if _bin("initdb") is None or _bin("pg_ctl") is None:
        return "PostgreSQL is not installed (apt-get install postgresql)"
    if os.getuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a postgres user to run initdb and pg_ctl as"
        if shutil.which("runuser") is None:
            return "running as root without runuser to run initdb and pg_ctl as postgres"
    return None
