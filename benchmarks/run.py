"""Side-by-side benchmark: the fake against WireMock, Stoplight Prism and Mockoon, in one run.

    apt-get install -y wrk openjdk-17-jre-headless && npm ci --prefix benchmarks   # once
    python benchmarks/run.py                 # writes benchmarks/results/latest.json

All four servers are started here from their packages (WireMock's standalone jar from the npm
package `wiremock`, run by Java 17; Prism and Mockoon CLI from npm), each measured from launch
to its first answer and for its resident memory (the whole process tree). Then, in interleaved
rounds (each round measures every server on every endpoint, in a rotating order, so a busy
moment of the machine hits them all alike), `wrk -t2 -c16` loads:

- a return by id with Basic auth: the fake answers a stored ~5.5 KB return (five parcel items)
  after authenticating, reading the store and replaying its lifecycle; WireMock answers the
  same bytes from a static stub that matches the same Basic credentials; Prism and Mockoon
  answer the upstream example (5.6 KB) of Sendcloud's published v3 Returns OpenAPI;
- a returns list page: the fake pages 40 stored returns; WireMock answers the same page's
  bytes from a stub, Prism and Mockoon the upstream example list;
- the fake alone: an outgoing lookup (signs two JWTs) and, with a Python load generator, the
  whole portal flow (lookup, create, poll, download the label PDF; 8 clients).

Medians over the rounds and ratios are printed and written with the load average. Before
the rounds, a second fake with --validate-responses serves the same store, and the fast path
must answer the same bytes as it for every endpoint measured (else the run stops).
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
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Every server logs as it does by default; the fake's and Prism's output goes to files here.
LOGS = Path(os.environ.get("TMPDIR", "/tmp"))
UPSTREAM = ROOT.parent / "shared" / "reference" / "upstream" / "sendcloud-v3-returns-openapi.yml"
WIREMOCK_JAR = HERE / "node_modules" / "wiremock" / "build"
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
_ITEM = {"description": "T-Shirt XL", "quantity": 1, "weight": {"value": 0.4, "unit": "kg"},
         "price": {"value": 29.95, "currency": "EUR"}, "value": {"value": 29.95, "currency": "EUR"},
         "hs_code": "6205.20", "origin_country": "NL", "product_id": "19284", "return_reason_id": "1",
         "return_message": "Too big", "mid_code": "NLOZR92MEL", "material_content": "100% Cotton",
         "intended_use": "Personal use", "properties": {"size": "XL", "color": "green"}}
# The return read by id: about the size of the upstream example the other servers answer.
RICH_RETURN = {**RETURN, "dimensions": {"length": 15, "width": 20.5, "height": 37, "unit": "cm"},
               "parcel_items": [{**_ITEM, "item_id": str(5552 + i), "sku": f"TS{1234 + i}"} for i in range(5)],
               "order_number": "ORD12345", "total_order_value": {"value": 149.75, "currency": "EUR"}}
LIST_QUERY = "from_date=2000-01-01%2000:00:00&to_date=2100-01-01%2000:00:00"
LOOKUP = "/api/v2/brand/stroopwafel-co/return-portal/outgoing?postal_code=3511%20AZ&identifier=3SSCRT10493821"
# Every fake request names this host, so two fakes on different ports answer the same URLs.
HOST = "fake.bench"


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
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], check=False, capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


def tree(pid: int) -> list[int]:
    found = [pid]
    for child in children(pid):
        found.extend(tree(child))
    return found


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (shared pages counted in each)."""
    return round(sum(rss_mb(p) for p in tree(pid)), 1)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process tree so far."""
    total = 0
    for each in tree(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def pss_mb(pid: int) -> float:
    """Proportional resident memory: pages shared by N processes count 1/N in each."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def tree_pss_mb(pid: int) -> float:
    """What a process tree costs the machine: the sum of its proportional resident memory."""
    return round(sum(pss_mb(p) for p in tree(pid)), 1)


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def wrk(url: str, headers: dict[str, str], seconds: int) -> dict[str, float]:
    command = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    result = {"requests_per_second": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
              "requests": int(re.search(r"(\d+) requests in", out).group(1))}
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


class Server:
    """One server under test: its process, base URL, startup time and the URLs it is loaded on."""

    def __init__(self, name: str, command: list[str], port: int, probe: str, probe_headers: dict[str, str],
                 env: dict[str, str] | None = None, timeout: float = 60) -> None:
        self.name, self.port = name, port
        self.base = f"http://127.0.0.1:{port}"
        self.urls: dict[str, tuple[str, dict[str, str]]] = {}
        self.log = open(LOGS / f"bench-{name}.log", "wb")  # noqa: SIM115 - closed in stop()
        started = time.monotonic()
        self.process = subprocess.Popen(command, env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT,
                                        start_new_session=True)
        self.startup = round(wait_for(self.base + probe, probe_headers, started, timeout), 3)

    def memory_mb(self) -> float:
        return tree_rss_mb(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


def start_fake(db: str, *extra: str) -> Server:
    env = {**os.environ, "SENDCLOUD_MOCK_LABEL_DELAY": "0", "SENDCLOUD_MOCK_JWT_SECRET": "bench"}
    port = free_port()
    return Server("fake" if not extra else "fake-validating",
                  [sys.executable, "-m", "mock_server", "serve", "--port", str(port), "--db", db, *extra],
                  port, "/__admin/health", {}, env=env)


def start_wiremock(java: str, root: Path) -> Server:
    jar = next(WIREMOCK_JAR.glob("wiremock-standalone-*.jar"))
    port = free_port()
    return Server("wiremock", [java, "-jar", str(jar), "--port", str(port), "--bind-address", "127.0.0.1",
                               "--root-dir", str(root), "--disable-banner"],
                  port, "/__admin/mappings", {})


def wiremock_stubs(root: Path, bodies: dict[str, tuple[str, bytes]]) -> None:
    """One stub per endpoint: GET, the same path and query, Basic credentials matched, the fake's bytes."""
    (root / "mappings").mkdir(parents=True, exist_ok=True)
    (root / "__files").mkdir(parents=True, exist_ok=True)
    for name, (url, body) in bodies.items():
        (root / "__files" / f"{name}.json").write_bytes(body)
        stub = {"request": {"method": "GET", "url": url,
                            "basicAuthCredentials": {"username": KEY, "password": SECRET}},
                "response": {"status": 200, "bodyFileName": f"{name}.json",
                             "headers": {"Content-Type": "application/json"}}}
        (root / "mappings" / f"{name}.json").write_text(json.dumps(stub))


def start_prism(prism: str) -> Server:
    port = free_port()
    return Server("prism", [prism, "mock", "-h", "127.0.0.1", "-p", str(port), str(UPSTREAM)],
                  port, "/returns/1751075", {"Authorization": BASIC}, timeout=120)


def start_mockoon(mockoon: str, home: Path) -> Server:
    port = free_port()
    # Mockoon logs to files under $HOME by default: a home of its own keeps them out of the user's.
    return Server("mockoon", [mockoon, "start", "--data", str(UPSTREAM), "--port", str(port),
                              "--hostname", "127.0.0.1"],
                  port, "/api/v3/returns/1751075", {"Authorization": BASIC}, env={**os.environ, "HOME": str(home)},
                  timeout=120)


def fetch(url: str, headers: dict[str, str]) -> bytes:
    response = requests.get(url, headers=headers, timeout=10)
    response.raise_for_status()
    return response.content


def prove_same_bytes(fake: Server, checking: Server, paths: list[str]) -> dict[str, int]:
    """The fast path's answers are the validating server's, byte for byte; their sizes."""
    headers = {"Authorization": BASIC, "Host": HOST}
    sizes = {}
    for path in paths:
        fast, checked = fetch(fake.base + path, headers), fetch(checking.base + path, headers)
        if fast != checked:
            raise SystemExit(f"{path}: the fast path answers other bytes than --validate-responses")
        sizes[path] = len(fast)
    return sizes


def load_average() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: round(statistics.median(run[key] for run in runs), 3) for key in runs[0]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per endpoint per round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (medians are reported)")
    parser.add_argument("--prism", default=str(HERE / "node_modules" / ".bin" / "prism"))
    parser.add_argument("--mockoon", default=str(HERE / "node_modules" / ".bin" / "mockoon-cli"))
    parser.add_argument("--java", default=shutil.which("java") or "java")
    parser.add_argument("--only", nargs="*", help="only these peers (wiremock, prism, mockoon)")
    parser.add_argument("--output", default=str(HERE / "results" / "latest.json"))
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install -y wrk")
    peers = args.only if args.only is not None else ["wiremock", "prism", "mockoon"]
    missing = (("prism" in peers and not Path(args.prism).exists())
               or ("mockoon" in peers and not Path(args.mockoon).exists())
               or ("wiremock" in peers and not list(WIREMOCK_JAR.glob("wiremock-standalone-*.jar"))))
    if missing:
        sys.exit("Prism, Mockoon or WireMock is missing: npm ci --prefix benchmarks")
    if "wiremock" in peers and shutil.which(args.java) is None:
        sys.exit("Java is missing: apt-get install -y openjdk-17-jre-headless")

    work = Path(tempfile.mkdtemp(prefix="sendcloud-bench-"))
    servers: dict[str, Server] = {}
    load_before = load_average()
    try:
        fake = servers["fake"] = start_fake(str(work / "store.sqlite3"))
        auth = {"Authorization": BASIC, "Host": HOST}
        rich = requests.post(fake.base + "/api/v3/returns", json=RICH_RETURN, headers=auth).json()["return_id"]
        for _ in range(60):
            requests.post(fake.base + "/api/v3/returns", json=RETURN, headers=auth).raise_for_status()
        by_id, page = f"/api/v3/returns/{rich}", f"/api/v3/returns?{LIST_QUERY}&page_size=40"
        fake.urls = {"return_by_id": (by_id, auth), "returns_list_page": (page, auth), "outgoing_lookup": (LOOKUP, {})}
        # The portal flow writes thousands of returns: on a fake of its own, so the pages and the
        # stubs copied from them stay what they were.
        flows = start_fake(str(work / "flows.sqlite3"))
        servers["fake-flows"] = flows
        checking = start_fake(str(work / "store.sqlite3"), "--validate-responses")
        try:
            sizes = prove_same_bytes(fake, checking, [by_id, page, "/api/v2/returns?page_size=40"])
        finally:
            checking.stop()
        print(f"fast path answers the validating server's bytes: {sizes}", flush=True)
        if "wiremock" in peers:
            root = work / "wiremock"
            wiremock_stubs(root, {"return_by_id": (by_id, fetch(fake.base + by_id, auth)),
                                  "returns_list_page": (page, fetch(fake.base + page, auth))})
            servers["wiremock"] = start_wiremock(args.java, root)
            servers["wiremock"].urls = {"return_by_id": (by_id, {"Authorization": BASIC}),
                                        "returns_list_page": (page, {"Authorization": BASIC})}
        if "prism" in peers:
            servers["prism"] = start_prism(args.prism)
            servers["prism"].urls = {"return_by_id": ("/returns/1751075", {"Authorization": BASIC}),
                                     "returns_list_page": (f"/returns?{LIST_QUERY}", {"Authorization": BASIC})}
        if "mockoon" in peers:
            servers["mockoon"] = start_mockoon(args.mockoon, work / "mockoon-home")
            servers["mockoon"].urls = {"return_by_id": ("/api/v3/returns/1751075", {"Authorization": BASIC}),
                                       "returns_list_page": (f"/api/v3/returns?{LIST_QUERY}",
                                                             {"Authorization": BASIC})}
        for server in servers.values():  # JITs (and the fake's caches) warm up before anything counts
            for path, headers in server.urls.values():
                wrk(server.base + path, headers, WARM_UP)
        runs: dict[str, dict[str, list[dict[str, float]]]] = {name: {} for name in servers}
        endpoints = ["return_by_id", "returns_list_page", "outgoing_lookup", "portal_flow"]
        order = [name for name in servers if name != "fake-flows"]
        for round_number in range(args.rounds):
            for endpoint in endpoints:
                shift = round_number % len(order)
                for name in order[shift:] + order[:shift]:
                    server = servers[name]
                    if endpoint == "portal_flow" and name == "fake":
                        spent = cpu_seconds(flows.process.pid)
                        result = portal_flows(flows.base, args.seconds)
                        result["server_cpu_ms_per_flow"] = round(
                            (cpu_seconds(flows.process.pid) - spent) * 1000 / max(1, result["flows"]), 3)
                    elif endpoint in server.urls:
                        path, headers = server.urls[endpoint]
                        spent = cpu_seconds(server.process.pid)
                        result = wrk(server.base + path, headers, args.seconds)
                        # CPU per request: steadier than req/s when others share the machine.
                        result["cpu_ms_per_request"] = round(
                            (cpu_seconds(server.process.pid) - spent) * 1000 / max(1, result["requests"]), 3)
                    else:
                        continue
                    runs[name].setdefault(endpoint, []).append(result)
            print(f"round {round_number + 1}/{args.rounds} done, load {load_average()}", flush=True)
        report: dict[str, Any] = {
            "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                        "load_average_before": load_before, "load_average_after": load_average()},
            "method": f"{args.rounds} interleaved rounds of wrk -t2 -c16 -d{args.seconds}s per endpoint; medians",
            "body_bytes": sizes,
        }
        for name, server in servers.items():
            if name == "fake-flows":
                continue
            report[name] = {"startup_seconds": server.startup, "rss_mb": server.memory_mb(),
                            "pss_mb": tree_pss_mb(server.process.pid),
                            **{endpoint: median_of(results) for endpoint, results in runs[name].items()},
                            "rounds": runs[name]}
        report["fake"]["rss_mb_per_process"] = [round(rss_mb(p), 1) for p in tree(fake.process.pid)]
        report["ratios"] = ratios(report)
    finally:
        for server in servers.values():
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(report, indent=2) + "\n")
    print(summary(report))
    return 0


def ratios(report: dict[str, Any]) -> dict[str, float]:
    """The fake's median req/s over each peer's, per endpoint both serve."""
    out = {}
    for peer in ("wiremock", "prism", "mockoon"):
        for endpoint in ("return_by_id", "returns_list_page"):
            if peer in report and endpoint in report[peer]:
                mine = report["fake"][endpoint]["requests_per_second"]
                out[f"{endpoint}_vs_{peer}"] = round(mine / report[peer][endpoint]["requests_per_second"], 2)
                # How many times the fake's CPU per request the peer spends (above 1: the fake does more with less).
                out[f"{endpoint}_cpu_{peer}_over_fake"] = round(
                    report[peer][endpoint]["cpu_ms_per_request"] / report["fake"][endpoint]["cpu_ms_per_request"], 2)
    return out


def summary(report: dict[str, Any]) -> str:
    names = [name for name in ("fake", "wiremock", "prism", "mockoon") if name in report]

    def cell(r: dict[str, Any], e: str) -> str:
        if e not in r:
            return "-"
        return (f"{r[e]['requests_per_second']:,.0f}/s p50 {r[e]['p50_ms']} p99 {r[e]['p99_ms']} "
                f"cpu {r[e]['cpu_ms_per_request']} ms/req")

    lines = [" | ".join(["", *names]),
             " | ".join(["startup s", *(str(report[n]["startup_seconds"]) for n in names)]),
             " | ".join(["memory MB (RSS / PSS)", *(f'{report[n]["rss_mb"]} / {report[n]["pss_mb"]}' for n in names)])]
    for endpoint in ("return_by_id", "returns_list_page", "outgoing_lookup"):
        lines.append(" | ".join([endpoint, *(cell(report[n], endpoint) for n in names)]))
    flow = report["fake"]["portal_flow"]
    lines.append(f"portal_flow | {flow['flows_per_second']}/s p50 {flow['p50_ms']} ms p99 {flow['p99_ms']} ms "
                 f"server cpu {flow['server_cpu_ms_per_flow']} ms/flow")
    lines.append(f"ratios {report['ratios']}  load {report['machine']}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
