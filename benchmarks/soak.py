"""Soak: speed with 100,000 returns in the store against an empty one, and memory over a long run.

    python benchmarks/soak.py [--returns 100000] [--minutes 10]   # writes benchmarks/results/soak.json

1. Serve a fresh store holding one page of returns (40); measure (wrk -t2 -c16) a returns list page, a return by id
   and an outgoing lookup.
2. Add the returns (rows written straight into the store, as the API would store them),
   and measure the same three again.
3. Loop over the same endpoints for --minutes, sampling each worker's resident memory.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import BASIC, KEY, RETURN, ROOT, SECRET, children, free_port, rss_mb, wait_for, wrk

HERE = Path(__file__).resolve().parent


def measure(base: str, rid: int, seconds: int) -> dict[str, float]:
    auth = {"Authorization": BASIC}
    return {
        "returns_list_page": wrk(f"{base}/api/v3/returns?from_date=2000-01-01%2000:00:00"
                                 f"&to_date=2100-01-01%2000:00:00&page_size=40", auth, seconds)["requests_per_second"],
        "return_by_id": wrk(f"{base}/api/v3/returns/{rid}", auth, seconds)["requests_per_second"],
        "outgoing_lookup": wrk(f"{base}/api/v2/brand/stroopwafel-co/return-portal/outgoing"
                               f"?postal_code=3511%20AZ&identifier=3SSCRT10493821", {}, seconds)["requests_per_second"],
    }


def fill(db: str, template_id: int, count: int) -> None:
    """Copy one stored return `count` times, with its parcel, in one transaction."""
    conn = sqlite3.connect(db, timeout=60)
    row = conn.execute("SELECT account_id, created_at, data FROM returns WHERE id = ?", (template_id,)).fetchone()
    parcel = conn.execute("SELECT collo_index, tracking_number FROM parcels WHERE return_id = ?",
                          (template_id,)).fetchone()
    with conn:
        for start in range(0, count, 5000):
            batch = min(5000, count - start)
            first = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'returns'").fetchone()[0] + 1
            conn.executemany("INSERT INTO returns (account_id, created_at, data) VALUES (?, ?, ?)",
                             [(row[0], row[1] + i * 0.001, row[2]) for i in range(batch)])
            conn.executemany("INSERT INTO parcels (return_id, account_id, collo_index, tracking_number)"
                             " VALUES (?, ?, ?, ?)", [(first + i, row[0], parcel[0], parcel[1]) for i in range(batch)])
    conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--returns", type=int, default=100_000)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--seconds", type=int, default=8, help="wrk duration per measurement")
    parser.add_argument("--output", default=str(HERE / "results" / "soak.json"))
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="soak-")
    db = os.path.join(folder, "soak.sqlite3")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(os.path.join(folder, "server.log"), "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen([sys.executable, "-m", "mock_server", "serve", "--port", str(port), "--db", db,
                                "--workers", "2"], stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        wait_for(base + "/__admin/health", {}, time.monotonic())
        # The baseline store holds one full page (40 returns), so both pages carry the same work.
        rids = [requests.post(base + "/api/v3/returns", json=RETURN, auth=(KEY, SECRET)).json()["return_id"]
                for _ in range(40)]
        rid = rids[0]
        empty = measure(base, rid, args.seconds)
        started = time.monotonic()
        fill(db, rid, args.returns)
        filled_in = round(time.monotonic() - started, 1)
        full = measure(base, rid, args.seconds)
        samples, deadline = [], time.monotonic() + args.minutes * 60
        while time.monotonic() < deadline:
            measure(base, rid, 3)
            samples.append({"t": round(time.monotonic() - started, 1),
                            "rss_mb": [round(rss_mb(pid), 1) for pid in children(process.pid)]})
        report = {
            "returns": args.returns, "filled_in_seconds": filled_in,
            "empty_store": empty, "full_store": full,
            "slowdown": {key: round(empty[key] / full[key], 2) for key in empty},
            "memory": {"minutes": args.minutes, "samples": samples,
                       "first_mb": samples[0]["rss_mb"] if samples else None,
                       "last_mb": samples[-1]["rss_mb"] if samples else None},
        }
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        log.close()
    Path(args.output).write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({k: v for k, v in report.items() if k != "memory"}, indent=2))
    print("memory first/last (MB per worker):", report["memory"]["first_mb"], report["memory"]["last_mb"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
