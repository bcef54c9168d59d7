"""The image's recipe, built without a Docker engine: its COPY lines, its RUN steps, its CMD and HEALTHCHECK."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile's stages as (instruction, arguments) lists, continuation lines joined."""
    joined = DOCKERFILE.replace("\\\n", " ")
    found: list[list[tuple[str, str]]] = []
    for line in joined.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, arguments = line.partition(" ")
        if instruction.upper() == "FROM":
            found.append([])
        found[-1].append((instruction.upper(), arguments.strip()))
    return found


def test_recipe_shape() -> None:
    """Two stages on a slim base; the final one copies the venv, runs as a numeric non-root user, exposes 8080."""
    build, final = stages()
    assert "slim" in build[0][1] and "slim" in final[0][1]
    final_instructions = dict(final)
    assert final_instructions["USER"].isdigit() and final_instructions["USER"] != "0"
    assert final_instructions["EXPOSE"] == "8080"
    assert not any(i == "RUN" and ("apt-get" in a or "gcc" in a or "pip install" in a) for i, a in final)
    assert "sendcloud-mock" in final_instructions["HEALTHCHECK"] and "curl" not in DOCKERFILE
    # Host and port come from SENDCLOUD_MOCK_HOST/PORT (ENV), so `-e SENDCLOUD_MOCK_PORT=N` moves serve and HEALTHCHECK.
    assert json.loads(final_instructions["CMD"]) == ["sendcloud-mock", "serve"]
    assert "SENDCLOUD_MOCK_HOST=0.0.0.0" in final_instructions["ENV"]
    assert "SENDCLOUD_MOCK_PORT=8080" in final_instructions["ENV"]


def test_the_image_ships_the_kit() -> None:
    """The build stage installs the package with its contracts extra, so `sendcloud-contracts` runs in the image."""
    build, _ = stages()
    assert any(i == "RUN" and "'.[contracts,postgres]'" in a for i, a in build)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_recipe_builds_and_runs_without_docker(tmp_path: Path) -> None:
    """Only what COPY brings, installed by the RUN steps in a fresh venv, starts with CMD and answers HEALTHCHECK."""
    build, final = stages()
    context = tmp_path / "src"
    context.mkdir()
    venv = tmp_path / "opt-venv"
    for instruction, arguments in build:
        if instruction == "COPY":
            *sources, _ = arguments.split()
            for source in sources:
                origin = ROOT / source
                if origin.is_dir():
                    shutil.copytree(origin, context / source, ignore=shutil.ignore_patterns("__pycache__"))
                else:
                    shutil.copy2(origin, context / source)
        elif instruction == "RUN":
            command = arguments.replace("/opt/venv", str(venv)).replace("python -m venv", f"{sys.executable} -m venv")
            subprocess.run(["bash", "-c", command], cwd=context, check=True, capture_output=True, timeout=600)
    assert not (context / "tests").exists() and not (context / ".git").exists()

    port = str(_free_port())
    env = {"PATH": f"{venv}/bin:/usr/bin:/bin", "HOME": str(tmp_path)}
    for instruction, arguments in final:
        if instruction == "ENV":
            for pair in shlex.split(arguments):
                key, _, value = pair.partition("=")
                env[key] = value.replace("$PATH", env["PATH"]).replace("/opt/venv", str(venv))
    env["SENDCLOUD_MOCK_PORT"] = port
    env["SENDCLOUD_MOCK_HOST"] = "127.0.0.1"  # loopback only on a shared machine; the image binds 0.0.0.0
    final_instructions = dict(final)
    command = json.loads(final_instructions["CMD"])
    started = time.monotonic()
    server = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        check = json.loads(final_instructions["HEALTHCHECK"].split("CMD", 1)[1])
        while True:
            probe = subprocess.run(check, env=env, capture_output=True, text=True)
            if probe.returncode == 0:
                break
            assert time.monotonic() - started < 30, probe.stderr
            time.sleep(0.1)
        health = json.loads(probe.stdout)
        assert health["status"] == "ok" and health["package"] == "sendcloud-mock" and health["schemas_version"]
    finally:
        server.terminate()
        assert server.wait(timeout=30) == 0
    assert os.path.exists(venv / "bin" / "sendcloud-mock") and os.path.exists(venv / "bin" / "sendcloud-contracts")
    assert not os.path.exists(venv / "bin" / "pip")
