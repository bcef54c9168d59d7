"""examples/scale-out/, checked without a Docker engine: the compose file's services fit together,
the fake's settings are ones it reads, and nginx accepts the load balancer's configuration."""

from __future__ import annotations

import re
import shutil
import subprocess
import urllib.parse
from pathlib import Path
from typing import Any

import pytest
import yaml

from mock_server import Settings

ROOT = Path(__file__).resolve().parents[1]
RECIPE = ROOT / "examples" / "scale-out"


def compose() -> dict[str, Any]:
    return yaml.safe_load((RECIPE / "compose.yaml").read_text())


def fakes() -> dict[str, dict[str, Any]]:
    return {name: service for name, service in compose()["services"].items() if name.startswith("fake-")}


def test_three_fake_instances_built_from_this_repository_share_one_postgres() -> None:
    services = compose()["services"]
    assert len(fakes()) == 3
    postgres = services["postgres"]
    assert "healthcheck" in postgres
    for name, fake in fakes().items():
        assert (RECIPE / fake["build"]["context"] / "Dockerfile").resolve() == ROOT / "Dockerfile", name
        assert fake["depends_on"]["postgres"]["condition"] == "service_healthy"
        url = urllib.parse.urlsplit(fake["environment"]["SENDCLOUD_MOCK_DB"])
        assert url.scheme == "postgresql" and url.hostname == "postgres"
        assert url.username == postgres["environment"]["POSTGRES_USER"]
        assert url.password == postgres["environment"]["POSTGRES_PASSWORD"]
        assert url.path.lstrip("/") == postgres["environment"]["POSTGRES_DB"]
        # Every variable set is one the fake reads (a typo would be silently ignored).
        known = {"SENDCLOUD_MOCK_" + field.upper() for field in Settings.__dataclass_fields__}
        assert set(fake["environment"]) <= known, set(fake["environment"]) - known
        # Reachable from other containers: the admin API is protected.
        assert fake["environment"].get("SENDCLOUD_MOCK_ADMIN_TOKEN")


def test_the_image_carries_the_postgres_driver() -> None:
    assert "postgres]'" in (ROOT / "Dockerfile").read_text()


def test_nginx_balances_over_exactly_the_fake_instances_on_their_port() -> None:
    services = compose()["services"]
    nginx = services["nginx"]
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in nginx["volumes"]
    assert set(nginx["depends_on"]) == set(fakes())
    conf = (RECIPE / "nginx.conf").read_text()
    exposed = re.search(r"^EXPOSE (\d+)", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert exposed is not None
    upstream = re.findall(r"^\s*server ([\w-]+):(\d+)", conf, re.MULTILINE)
    assert sorted(upstream) == sorted((name, exposed.group(1)) for name in fakes())
    # POSTs are never retried on another instance (nginx's default without non_idempotent).
    assert "non_idempotent" not in conf
    assert "proxy_set_header Host $http_host" in conf
    # Idle upstream connections are dropped before the fake's own 5 s keep-alive closes them.
    timeout = re.search(r"keepalive_timeout (\d+)s;", conf)
    assert timeout is not None and int(timeout.group(1)) < 5


def test_nginx_accepts_the_configuration(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        pytest.skip("nginx is not installed (apt-get install nginx)")
    # The instances' names resolve only inside compose's network: point them at this machine.
    conf = re.sub(r"server fake-\d+:", "server 127.0.0.1:", (RECIPE / "nginx.conf").read_text())
    conf = conf.replace("events {", f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{", 1)
    (tmp_path / "nginx.conf").write_text(conf)
    checked = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
