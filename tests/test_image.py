"""The real image: built from the Dockerfile with ../shared/tools/image.sh (buildah, no daemon), run, checked.

It starts on a free loopback port (the tool runs it on the host's network; the port comes in
through SENDCLOUD_MOCK_HOST/PORT, exactly as `docker run -e` would pass it), its own
HEALTHCHECK command must pass, the kit shipped inside the image must pass against it, its
process must not be root, and SIGTERM must stop it within 10 s. Skipped, with the reason,
where the tool cannot run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
TOOL = ROOT.parent / "shared" / "tools" / "image.sh"
BASE = "docker.io/library/python:3.11-slim"
MAX_ADDED_BYTES = 150_000_000


def _why_not() -> str | None:
    if not TOOL.exists():
        return f"{TOOL} is not beside the project"
    if shutil.which("buildah") and shutil.which("mmdebstrap"):
        return None
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "buildah and mmdebstrap are not installed, and cannot be (needs root and apt-get)"
    return None


pytestmark = [pytest.mark.image, pytest.mark.slow, pytest.mark.skipif(_why_not() is not None, reason=_why_not() or "")]


def tool(*args: str, timeout: float = 1800, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(TOOL), *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          check=check)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def layer_sizes(image: str) -> dict[str, int]:
    """The image's layers (digest -> bytes), from the manifest in buildah's local storage."""
    inspected = json.loads(subprocess.run(["buildah", "inspect", "--type", "image", image], capture_output=True,
                                          text=True, check=True, timeout=60).stdout)
    return {layer["digest"]: layer["size"] for layer in json.loads(inspected["Manifest"])["layers"]}


@pytest.fixture(scope="module")
def image() -> Iterator[str]:
    """The project's Dockerfile built into an image with a tag of its own (removed afterwards)."""
    tag = f"localhost/sendcloud-mock:test-{uuid.uuid4().hex[:10]}"
    built = tool("build", tag, check=False)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    try:
        yield tag
    finally:
        subprocess.run(["buildah", "rmi", "--force", tag], capture_output=True, timeout=120, check=False)


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (children first), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(0), []):
            found.append(child)
            queue.append(child)
    return found


def uids(pid: int) -> set[int]:
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("Uid:"))
    return {int(value) for value in line.split()[1:]}


def inside_image(pid: int) -> bool:
    """Whether the process runs in the image's root filesystem (a chroot), rather than on the host's."""
    try:
        return os.readlink(f"/proc/{pid}/root") != "/"
    except OSError:
        return False


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def test_the_image_config(image: str) -> None:
    """Its config: a numeric non-root USER, CMD `sendcloud-mock serve`, host and port in ENV, a HEALTHCHECK."""
    config = json.loads(tool("inspect", image).stdout.rsplit("}", 1)[0] + "}")
    assert config["User"] == "10001"
    assert config["Cmd"] == ["sendcloud-mock", "serve"]
    assert {"SENDCLOUD_MOCK_HOST=0.0.0.0", "SENDCLOUD_MOCK_PORT=8080"} <= set(config["Env"])
    assert config["Healthcheck"]["Test"] == ["CMD", "sendcloud-mock", "health"]


def test_the_image_adds_less_than_150_mb_to_its_base(image: str) -> None:
    """What the project adds above python:3.11-slim (the fake, the kit, their dependencies) stays under 150 MB."""
    base = layer_sizes(BASE)
    added = sum(size for digest, size in layer_sizes(image).items() if digest not in base)
    print(f"image adds {added / 1e6:.1f} MB above {BASE}")
    assert 0 < added < MAX_ADDED_BYTES


def test_the_image_serves_passes_its_healthcheck_and_the_kit_and_stops_on_sigterm(image: str) -> None:
    """Run as `docker run` would: healthy by its own HEALTHCHECK, the bundled kit passes, non-root, SIGTERM < 10 s."""
    port = free_port()
    env = ["-e", "SENDCLOUD_MOCK_HOST=127.0.0.1", "-e", f"SENDCLOUD_MOCK_PORT={port}", "-e",
           "SENDCLOUD_MOCK_LABEL_DELAY=0"]
    with tempfile.TemporaryFile() as log:
        _serve_and_check(image, port, env, log)


def _serve_and_check(image: str, port: int, env: list[str], log: Any) -> None:
    runner = subprocess.Popen(["bash", str(TOOL), "run", image, *env], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        # The image's own HEALTHCHECK command, run inside the image, until it passes.
        config = json.loads(tool("inspect", image).stdout.rsplit("}", 1)[0] + "}")
        check = config["Healthcheck"]["Test"][1:]
        deadline = time.monotonic() + 90
        while True:
            probe = tool("run", image, *env, "--", *check, check=False, timeout=60)
            if probe.returncode == 0:
                break
            assert runner.poll() is None, _tail(log)
            assert time.monotonic() < deadline, probe.stderr[-2000:] + _tail(log)
            time.sleep(0.5)
        health = json.loads(probe.stdout.strip().splitlines()[-1])
        assert health["status"] == "ok" and health["package"] == "sendcloud-mock"

        # Nothing in the image runs as root: the processes inside its root (the chroot), not the tool's own.
        served = [pid for pid in descendants(runner.pid) if inside_image(pid)]
        assert any("sendcloud-mock" in cmdline(pid) for pid in served), [cmdline(p) for p in descendants(runner.pid)]
        for pid in served:
            assert 0 not in uids(pid) and 10001 in uids(pid), (pid, cmdline(pid), uids(pid))

        # The kit shipped in the image (the contracts extra) passes against the served image.
        kit = tool("run", image, "--", "sendcloud-contracts", "run", "--base-url", f"http://127.0.0.1:{port}",
                   "--max-examples", "3", "--seed", "11", check=False, timeout=600)
        assert kit.returncode == 0, kit.stdout[-4000:] + kit.stderr[-2000:]
        assert "0 failed, 0 error" in kit.stdout

        # SIGTERM (what `docker stop` sends) stops it cleanly within 10 s.
        stopped = time.monotonic()
        runner.send_signal(signal.SIGTERM)
        code = runner.wait(timeout=30)
        assert time.monotonic() - stopped < 10
        assert code == 0, _tail(log)
        assert all(not Path(f"/proc/{pid}").exists() for pid in served)
        assert "Traceback" not in _tail(log)
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0, "still listening after SIGTERM"
    finally:
        if runner.poll() is None:
            os.killpg(runner.pid, signal.SIGKILL)
            runner.wait()


def _tail(log: Any) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")[-3000:]
