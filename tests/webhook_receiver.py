"""A real HTTP receiver for webhook tests: records every request, answers as told, can die and come back."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    at: float
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    def signed_with(self, key: str) -> bool:
        expected = hmac.new(key.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.headers.get("Sendcloud-Signature", ""))


class Receiver:
    """Answers `status` (or what `respond(handler)` does) to every POST, on 127.0.0.1."""

    def __init__(self, port: int = 0) -> None:
        self.received: list[Received] = []
        self.status = 200
        self.respond: Callable[[BaseHTTPRequestHandler], None] | None = None
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._start(port)

    def _start(self, port: int) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._changed:
                    receiver.received.append(Received(time.monotonic(), self.path, dict(self.headers), body))
                    receiver._changed.notify_all()
                if receiver.respond is not None:
                    receiver.respond(self)
                    return
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/sendcloud/webhook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def die(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def revive(self) -> None:
        self._start(self.port)

    def bodies(self, action: str | None = None) -> list[dict[str, Any]]:
        return [r.json for r in list(self.received) if action is None or r.json.get("action") == action]

    def wait_for(self, count: int, action: str | None = None, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Block until `count` requests (of `action`) arrived; answers them (fails the test after `timeout`)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.bodies(action)) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"expected {count} {action or 'webhooks'}, got {self.bodies(action)}")
                self._changed.wait(left)
        return self.bodies(action)
