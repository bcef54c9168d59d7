"""Side-by-side benchmark: the fake against Stoplight Prism 5, on this machine, in one run.

    apt-get install -y wrk && npm install --prefix benchmarks   # once
    python benchmarks/run.py                                     # writes benchmarks/results/latest.json

Measures launch-to-first-healthy-answer, resident memory per worker, and with wrk (-t2 -c16)
requests per second with p50/p99 for: a return by id, a returns list page, an outgoing
lookup (which signs two JWTs), and (with a Python load generator) the whole portal flow.
Prism serves Sendcloud's published v3 Returns OpenAPI from ../shared/reference/upstream.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Both servers log as they do by default (one line per request), each to a file here.
LOGS = Path(os.environ.get("TMPDIR", "/tmp"))
UPSTREAM = ROOT.parent / "shared" / "reference" / "upstream" / "sendcloud-v3-returns-openapi.yml"
WARM_UP = 3
KEY, SECRET = "test_api_key_stroopwafel", "test_api_secret_stroopwafel"
BASIC = "Basic " + base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
RETURN = {
    "from_address": {"name": "Sanne de Vries", "address_line_1": "Oudegracht", "house_number": "158",
                     "postal_code": "3511 AZ", "city": "Utrecht", "country_code": "NL"},
    "to_address": {"name": "Returns", "address_line_1": "Kanaalstraat", "house_number": "12",
                   "postal_code": "5611 LX", "city": "Eindhoven", "country_code": "NL"},
    "ship_with": {"type": "shipping_option_code", "shipping_option_code": "postnl:standard/return"},
    "weight": {"value": 1.2, "unit": "kg"},
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, headers: dict[str, str], started: float, timeout: float = 30) -> float:
    """Seconds from `started` until `url` answers (any HTTP status counts as an answer)."""
    while time.monotonic() - started < timeout:
        try:
            urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=1).read()
            return time.monotonic() - started
        except urllib.error.HTTPError:
            return time.monotonic() - started
        except OSError:
            time.sleep(0.005)
    raise TimeoutError(url)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def wrk(url: str, headers: dict[str, str], seconds: int) -> dict[str, float]:
    command = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    result = {"requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    for label, key in (("50%", "p50_ms"), ("99%", "p99_ms")):
        value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out).groups()
        result[key] = round(float(value) * _UNITS[unit], 3)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["non_2xx"] = int(errors.group(1)) if errors else 0
    return result


def portal_flows(base: str, seconds: float, clients: int = 8) -> dict[str, float]:
    """Lookup, create, poll until ready, download: complete flows per second and their latency."""
    portal = f"{base}/api/v2/brand/stroopwafel-co/return-portal"
    durations: list[float] = []
    deadline = time.monotonic() + seconds
    lock = threading.Lock()

    def client() -> None:
        session = requests.Session()
        while time.monotonic() < deadline:
            began = time.monotonic()
            found = session.get(portal + "/outgoing", params={"postal_code": "3511 AZ",
                                                               "identifier": "3SSCRT10493821"}).json()
            body = {"reason": 26, "outgoing_parcel": found["parcel"]["id"], "delivery_option": "drop_off_point",
                    "service_point": {"id": found["service_point"]["id"]},
                    "refund": {"refund_type": {"code": "money"}},
                    "products": [{"product_id": "SW-HONEY-12", "quantity": 1}],
                    "incoming_parcel": {"from_name": "Sanne de Vries", "from_address_1": "Oudegracht",
                                        "from_city": "Utrecht", "from_postal_code": "3511 AZ", "from_country": "NL"}}
            created = session.post(portal + "/incoming", json=body,
                                   headers={"Authorization": f"Bearer {found['access_token']}"}).json()
            poll = session.get(created["poller_url"])
            while poll.status_code == 202:
                poll = session.get(created["poller_url"])
            pdf = session.get(poll.json()["download_url"])
            assert pdf.content.startswith(b"%PDF")
            with lock:
                durations.append(time.monotonic() - began)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    ordered = sorted(durations)
    return {"flows_per_second": round(len(ordered) / elapsed, 1), "flows": len(ordered),
            "p50_ms": round(statistics.median(ordered) * 1000, 2),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 2)}


def run_fake(seconds: int) -> dict[str, object]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "SENDCLOUD_MOCK_LABEL_DELAY": "0"}
    started = time.monotonic()
    log = open(LOGS / "fake.log", "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen([sys.executable, "-m", "mock_server", "serve", "--port", str(port), "--workers", "2"],
                               env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        startup = wait_for(base + "/__admin/health", {}, started)
        ids = [requests.post(base + "/api/v3/returns", json=RETURN, auth=(KEY, SECRET)).json()["return_id"]
               for _ in range(60)]
        auth = {"Authorization": BASIC}
        results: dict[str, object] = {"startup_seconds": round(startup, 3)}
        wrk(f"{base}/api/v3/returns/{ids[0]}", auth, WARM_UP)
        results["return_by_id"] = wrk(f"{base}/api/v3/returns/{ids[0]}", auth, seconds)
        results["returns_list_page"] = wrk(f"{base}/api/v3/returns?from_date=2000-01-01%2000:00:00"
                                           f"&to_date=2100-01-01%2000:00:00&page_size=40", auth, seconds)
        results["outgoing_lookup"] = wrk(f"{base}/api/v2/brand/stroopwafel-co/return-portal/outgoing"
                                         f"?postal_code=3511%20AZ&identifier=3SSCRT10493821", {}, seconds)
        results["portal_flow"] = portal_flows(base, seconds)
        results["rss_mb_per_worker"] = [round(rss_mb(pid), 1) for pid in children(process.pid)]
        return results
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def run_prism(prism: str, seconds: int) -> dict[str, object]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    log = open(LOGS / "prism.log", "wb")  # noqa: SIM115 - closed with the process
    process = subprocess.Popen([prism, "mock", "-h", "127.0.0.1", "-p", str(port), str(UPSTREAM)],
                               stdout=log, stderr=subprocess.STDOUT)
    try:
        auth = {"Authorization": BASIC}
        startup = wait_for(base + "/returns/1751075", auth, started, timeout=60)
        results: dict[str, object] = {"startup_seconds": round(startup, 3)}
        # Prism's JIT needs warming up, or it looks slower than it is.
        wrk(f"{base}/returns/1751075", auth, WARM_UP)
        results["return_by_id"] = wrk(f"{base}/returns/1751075", auth, seconds)
        results["returns_list_page"] = wrk(f"{base}/returns?from_date=2000-01-01%2000:00:00"
                                           f"&to_date=2100-01-01%2000:00:00", auth, seconds)
        results["rss_mb"] = round(rss_mb(process.pid), 1)
        return results
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per endpoint")
    parser.add_argument("--prism", default=str(HERE / "node_modules" / ".bin" / "prism"))
    parser.add_argument("--output", default=str(HERE / "results" / "latest.json"))
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install -y wrk")
    if not Path(args.prism).exists():
        sys.exit("Prism is missing: npm install --prefix benchmarks")
    fake = run_fake(args.seconds)
    prism = run_prism(args.prism, args.seconds)
    ratio = fake["return_by_id"]["requests_per_second"] / prism["return_by_id"]["requests_per_second"]  # type: ignore[index]
    report = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
              "fake": fake, "prism": prism, "return_by_id_ratio": round(ratio, 2)}
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
