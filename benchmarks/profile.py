"""Flame graphs of one fake worker under load: where a request's time goes, per endpoint.

    pip install py-spy && python benchmarks/profile.py     # writes benchmarks/profiles/*.svg

Starts the fake as benchmarks/run.py does, loads one endpoint at a time with wrk (the portal
flow with run.py's Python clients), and records one worker with py-spy (wall-clock samples,
so time spent waiting for the CPU shows too; run.py's CPU-bound figures are the measure).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (
    BASIC,
    HERE,
    HOST,
    LIST_QUERY,
    LOOKUP,
    RETURN,
    RICH_RETURN,
    children,
    portal_flows,
    start_fake,
    wrk,
)


def record(pid: int, seconds: int, target: Path, load: threading.Thread) -> None:
    spy = subprocess.Popen(["py-spy", "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "200",
                            "--nonblocking", "--format", "flamegraph", "--output", str(target)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    load.start()
    load.join()
    spy.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--output", default=str(HERE / "profiles"))
    args = parser.parse_args()
    if shutil.which("py-spy") is None:
        sys.exit("py-spy is missing: pip install py-spy")
    out = Path(args.output)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="sendcloud-profile-"))
    fake = start_fake(str(work / "store.sqlite3"))
    try:
        auth = {"Authorization": BASIC, "Host": HOST}
        rich = requests.post(fake.base + "/api/v3/returns", json=RICH_RETURN, headers=auth).json()["return_id"]
        for _ in range(60):
            requests.post(fake.base + "/api/v3/returns", json=RETURN, headers=auth).raise_for_status()
        worker = children(fake.process.pid)[0]
        loads = {
            "return_by_id": lambda: wrk(f"{fake.base}/api/v3/returns/{rich}", auth, args.seconds),
            "returns_list_page": lambda: wrk(f"{fake.base}/api/v3/returns?{LIST_QUERY}&page_size=40", auth,
                                             args.seconds),
            "outgoing_lookup": lambda: wrk(fake.base + LOOKUP, {}, args.seconds),
            "portal_flow": lambda: portal_flows(fake.base, args.seconds),
        }
        for name, load in loads.items():
            load()  # warm up
            record(worker, args.seconds, out / f"{name}.svg", threading.Thread(target=load))
            print(f"{out / name}.svg", flush=True)
    finally:
        fake.stop()
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
