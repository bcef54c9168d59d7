"""Scale-out benchmark: 1, 2 and 3 instances of the fake on one PostgreSQL, behind nginx, with wrk.

    apt-get install -y postgresql nginx wrk      # once (Debian's packages)
    python benchmarks/scale_out.py [--seconds 10] [--rounds 3] [--workers 1]
                                                  # writes benchmarks/results/scale-out.json

Starts a throw-away PostgreSQL server (as tests/postgres_support.py does), three instances of
`sendcloud-mock serve --db postgresql://...` on their own ports, and three nginx front ends:
over the first instance, the first two, and all three. Each round measures every front end in
turn (interleaved, since the machine is noisy) for three loads: a return by id, a returns list
page, and creating returns. The single-instance SQLite default (no nginx) is measured in the
same rounds for reference. The table shows the median of the rounds.

All of it shares this machine's cores with PostgreSQL, nginx and wrk: on a 2-core machine the
instances compete for the same two cores, so the growth measured here is a floor, not what
separate hosts would show.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))
from postgres_support import PostgresServer, free_port  # noqa: E402 - beside the tests' copy

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
NGINX = """
pid {folder}/nginx.pid;
error_log {folder}/error.log;
worker_processes 1;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    upstream fake {{ {servers} keepalive 64; keepalive_timeout 4s; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{ proxy_pass http://fake; proxy_http_version 1.1; proxy_set_header Connection "";
                     proxy_set_header Host $http_host; }}
    }}
}}
"""


def start_instance(db: str, workers: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_server", "serve", "--port", str(port), "--db", db, "--workers", str(workers),
         "--log-level", "warning"], stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/__admin/health", timeout=2).ok:
                return process, url
        except requests.RequestException:
            time.sleep(0.1)
    raise TimeoutError(f"instance on {db} did not start; see {log}")


def start_nginx(folder: Path, upstreams: list[str]) -> tuple[subprocess.Popen[bytes], str]:
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    servers = " ".join(f"server {url.removeprefix('http://')};" for url in upstreams)
    (folder / "nginx.conf").write_text(NGINX.format(folder=folder, servers=servers, port=port))
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    process = subprocess.Popen([nginx, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            requests.get(url + "/__admin/health", timeout=2)
            return process, url
        except requests.RequestException:
            time.sleep(0.05)
    raise TimeoutError("nginx did not start")


def wrk(url: str, seconds: int, script: Path | None = None) -> dict[str, float]:
    command = ["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", "-H", f"Authorization: {BASIC}"]
    if script is not None:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], capture_output=True, text=True, timeout=seconds + 60).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)

    def millis(label: str) -> float:
        value, unit = re.search(rf"{label}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    return {"rps": rate, "p50_ms": millis("50"), "p99_ms": millis("99"),
            "non_2xx": int(errors.group(1)) if errors else 0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1, help="worker processes per instance")
    args = parser.parse_args()
    for tool in ("wrk", "initdb"):
        if not (shutil.which(tool) or list(Path("/usr/lib/postgresql").glob(f"*/bin/{tool}"))):
            sys.exit(f"{tool} is missing: apt-get install -y postgresql nginx wrk")

    folder = Path(tempfile.mkdtemp(prefix="scale-out-"))
    server = PostgresServer()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        server.start()
        db = server.new_database()
        instances = []
        for n in range(3):
            process, url = start_instance(db, args.workers, folder / f"instance-{n}.log")
            processes.append(process)
            instances.append(url)
        sqlite, sqlite_url = start_instance(str(folder / "store.sqlite3"), args.workers, folder / "sqlite.log")
        processes.append(sqlite)
        fronts = {}
        for n in (1, 2, 3):
            process, url = start_nginx(folder / f"nginx-{n}", instances[:n])
            processes.append(process)
            fronts[f"postgres x{n} + nginx"] = url
        fronts["sqlite x1 (no nginx)"] = sqlite_url

        ids = {}
        for name, url in fronts.items():
            created = requests.post(url + "/api/v3/returns", json=RETURN, headers={"Authorization": BASIC}, timeout=10)
            created.raise_for_status()
            ids[name] = created.json()["return_id"]
        create_script = folder / "create.lua"
        create_script.write_text(f'wrk.method = "POST"\nwrk.body = {json.dumps(json.dumps(RETURN))}\n'
                                 'wrk.headers["Content-Type"] = "application/json"\n')
        loads = {
            "return by id": lambda name, url: wrk(f"{url}/api/v3/returns/{ids[name]}", args.seconds),
            "list page": lambda name, url: wrk(
                f"{url}/api/v3/returns?from_date=2000-01-01%2000:00:00&to_date=2100-01-01%2000:00:00&page_size=20",
                args.seconds),
            "create": lambda name, url: wrk(f"{url}/api/v3/returns", args.seconds, create_script),
        }
        samples: dict[str, dict[str, list[dict[str, float]]]] = {load: {name: [] for name in fronts} for load in loads}
        for round_number in range(args.rounds):
            for load, measure in loads.items():
                for name, url in fronts.items():
                    result = measure(name, url)
                    samples[load][name].append(result)
                    print(f"round {round_number + 1} {load:>12} {name:<22} {result['rps']:8.0f} req/s"
                          f"  p99 {result['p99_ms']:7.1f} ms  non-2xx {result['non_2xx']}", flush=True)
        summary = {load: {name: {"rps": statistics.median(r["rps"] for r in runs),
                                 "p50_ms": statistics.median(r["p50_ms"] for r in runs),
                                 "p99_ms": statistics.median(r["p99_ms"] for r in runs),
                                 "non_2xx": sum(int(r["non_2xx"]) for r in runs)}
                          for name, runs in by_front.items()} for load, by_front in samples.items()}
        print(f"\nmedian of {args.rounds} rounds, {args.seconds} s each, wrk -t2 -c32, "
              f"{args.workers} worker(s) per instance, {os.cpu_count()} cores")
        for load, by_front in summary.items():
            print(f"\n{load}")
            for name, figures in by_front.items():
                print(f"  {name:<22} {figures['rps']:8.0f} req/s   p50 {figures['p50_ms']:6.1f} ms"
                      f"   p99 {figures['p99_ms']:6.1f} ms   non-2xx {figures['non_2xx']}")
        out = HERE / "results" / "scale-out.json"
        out.write_text(json.dumps({"cores": os.cpu_count(), "seconds": args.seconds, "rounds": args.rounds,
                                   "workers_per_instance": args.workers, "median": summary, "samples": samples},
                                  indent=2) + "\n")
        print(f"\nwritten to {out.relative_to(ROOT)}")
    finally:
        for process in processes:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, 15)
                except (ProcessLookupError, PermissionError):
                    process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
