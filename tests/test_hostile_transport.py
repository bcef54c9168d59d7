"""No input answers 500: lone surrogates, undecodable credentials, broken or endless framing,
and the server's own rejections, over the app and over a real socket."""

from __future__ import annotations

import base64
import json
import socket
import time
from collections.abc import Iterator

import pytest
from conftest import DEFAULT_KEY, DEFAULT_SECRET, RETURN_BODY
from test_portal import PORTAL, bearer, lookup, portal_body
from test_server import Server

from mock_server import Settings, create_app

BASIC = b"Basic " + base64.b64encode(f"{DEFAULT_KEY}:{DEFAULT_SECRET}".encode())

# Every JSON-body operation, with a body that carries a lone surrogate somewhere.
SURROGATE_CALLS = [
    ("post", "/api/v3/returns", '{"from_address": {"name": "\\ud800"}}'),
    ("post", "/api/v3/returns", '{"order_number": "A\\udfffB"}'),
    ("post", "/api/v3/returns/validate", '{"\\ud83d": 1}'),
    ("post", "/api/v3/returns/announce-synchronously", '{"parcel_items": [{"description": "\\udc00"}]}'),
    ("patch", "/api/v3/returns/1/cancel", '{"x": "\\ud800"}'),
    ("post", "/__admin/accounts", '{"api_key": "\\ud800", "api_secret": "s"}'),
    ("post", "/__admin/faults", '{"path": "/api/\\ud800", "status": 500}'),
    ("post", "/__admin/reset", '{"account": "\\ud800"}'),
    ("post", "/__admin/clock/advance", '{"seconds": 1, "note": "\\udbff"}'),
]


@pytest.mark.parametrize(("method", "path", "raw"), SURROGATE_CALLS)
def test_lone_surrogate_escapes_are_400(client, auth, method, path, raw) -> None:
    """A lone surrogate escape anywhere in a JSON body is a 400 naming where, never a 500."""
    answer = getattr(client, method)(path, data=raw, headers={**auth, "Content-Type": "application/json"})
    assert answer.status_code in (400, 401, 404), answer.data
    assert answer.status_code != 500
    json.loads(answer.data)


def test_lone_surrogate_in_a_portal_body_is_400(client) -> None:
    found = lookup(client).json
    body = json.dumps(portal_body(found)).replace('"Sanne', '"\\udc80Sanne', 1)
    if "\\udc80" not in body:
        body = json.dumps({**portal_body(found), "note": "\\udc80"}).replace("\\\\udc80", "\\udc80")
    answer = client.post(f"{PORTAL}/incoming", data=body,
                         headers={**bearer(found["access_token"]), "Content-Type": "application/json"})
    assert answer.status_code == 400, answer.data


def test_lone_surrogate_is_named(client, auth) -> None:
    answer = client.post("/api/v3/returns", data='{"from_address": {"name": "\\ud800"}}',
                         headers={**auth, "Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.json["errors"][0]["source"]["pointer"] == "/from_address/name"


def test_paired_surrogates_are_fine(client, auth, return_body) -> None:
    """A correctly paired escape (an emoji) is ordinary text and is stored verbatim."""
    raw = json.dumps(return_body(order_number="SW-\U0001F600"), ensure_ascii=True)
    assert "\\ud83d\\ude00" in raw
    answer = client.post("/api/v3/returns", data=raw, headers={**auth, "Content-Type": "application/json"})
    assert answer.status_code == 201, answer.json


@pytest.mark.parametrize("value", [
    "Basic \xff\xfe\xe9t\xe9", "Basic " + base64.b64encode("clé:sécret".encode("latin-1")).decode(),
    "Basic " + base64.b64encode(b"\xff\xfe\xfd:\x80").decode(), "Basic ###", "Basic", "Basic =",
    "\xe9\xe9\xe9", "Basic \x00\x01",
])
def test_undecodable_basic_credentials_are_401(client, value) -> None:
    """Non-ASCII bytes, bad base64 or non-UTF-8 credentials in a Basic header are a 401, never a 500."""
    for path in ("/api/v2/returns", "/api/v3/returns", "/api/v2/returns/1"):
        answer = client.get(path, environ_overrides={"HTTP_AUTHORIZATION": value})
        assert answer.status_code == 401, (path, answer.data)


def test_non_ascii_bearer_tokens_are_401(client) -> None:
    found = lookup(client).json
    answer = client.post(f"{PORTAL}/incoming", json=portal_body(found),
                         environ_overrides={"HTTP_AUTHORIZATION": "Bearer \xe9\xff" + found["access_token"]})
    assert answer.status_code == 401


def test_token_of_an_earlier_store_is_401(tmp_path) -> None:
    """With a fixed --jwt-secret, a token issued by an earlier store (a fresh database after a
    restart, a --db file replaced) is refused, never resolved against this store's rows."""
    secret = "fixed-signing-key-0123456789abcdef"
    first = create_app(Settings(db=str(tmp_path / "first.sqlite3"), jwt_secret=secret))
    first.testing = True
    old = first.test_client()
    found = lookup(old).json
    created = old.post(f"{PORTAL}/incoming", json=portal_body(found), headers=bearer(found["access_token"])).json
    poller = created["poller_url"]
    assert old.get(poller).status_code in (200, 202)

    second = create_app(Settings(db=str(tmp_path / "second.sqlite3"), jwt_secret=secret))
    second.testing = True
    new = second.test_client()
    # The same rows exist here (same fixtures, same first ids): only the store tells them apart.
    assert lookup(new).json["access_token"] != found["access_token"]
    answer = new.post(f"{PORTAL}/incoming", json=portal_body(found), headers=bearer(found["access_token"]))
    assert answer.status_code == 401 and "another store" in answer.json["error"]["message"]
    new.post(f"{PORTAL}/incoming", json=portal_body(found), headers=bearer(lookup(new).json["access_token"]))
    assert new.get(poller).status_code == 401
    # The same file opened again is the same store: its tokens stay valid.
    again = create_app(Settings(db=str(tmp_path / "first.sqlite3"), jwt_secret=secret))
    again.testing = True
    assert again.test_client().get(poller).status_code in (200, 202)


# --- over a real socket: the server's own framing ---------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    running = Server("--workers", "1")
    yield running
    running.stop()


def exchange(server: Server, raw: bytes, *, wait: float = 10) -> bytes:
    """Send raw bytes, read until the server closes or stops answering."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=wait) as sock:
        sock.sendall(raw)
        received = b""
        try:
            while True:
                piece = sock.recv(65536)
                if not piece:
                    break
                received += piece
                if b"\r\n\r\n" in received:
                    head, _, rest = received.partition(b"\r\n\r\n")
                    length = [int(line.split(b":")[1]) for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length:")]
                    if length and len(rest) >= length[0]:
                        break
        except TimeoutError:
            pass
    return received


def status_and_json(answer: bytes) -> tuple[int, dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"content-type: application/json" in head.lower(), answer[:300]
    return int(head.split(b" ")[1]), json.loads(body)


def chunked_request(chunks: bytes, path: bytes = b"/api/v3/returns") -> bytes:
    return (b"POST " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + BASIC
            + b"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks)


@pytest.mark.slow
@pytest.mark.parametrize("chunks", [b"zz\r\n{}\r\n0\r\n\r\n", b"-5\r\n{}\r\n0\r\n\r\n",
                                    b"2\r\n{}XX0\r\n\r\n", b"ffffffffffffffffffffffff\r\n{}\r\n0\r\n\r\n",
                                    b"2;\x00\r\n{}\r\n0\r\n\r\n"])
def test_invalid_chunked_framing_is_400_json(server, chunks) -> None:
    """An invalid chunk size (or terminator) in a chunked body is a 400 in JSON, never a 500."""
    status, body = status_and_json(exchange(server, chunked_request(chunks), wait=20))
    assert status == 400, body
    assert body["errors"][0]["code"] in ("invalid", "parse_error")  # the v3 format: the app read it and refused


@pytest.mark.slow
def test_chunked_body_is_cut_at_the_limit_while_streaming(server) -> None:
    """A streamed body past the limit is refused with 413 before the rest of it is sent."""
    piece = b"8000\r\n" + b" " * 0x8000 + b"\r\n"
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        start = b'{"a": "xxxxxxxx'
        sock.sendall(chunked_request(b"%x\r\n" % len(start) + start + b"\r\n"))
        sent = 0
        answer = b""
        sock.settimeout(0.05)
        while sent < 50_000_000 and not answer:
            try:
                sock.sendall(piece)
                sent += len(piece)
            except (BrokenPipeError, ConnectionResetError):
                break
            try:
                answer = sock.recv(65536)
            except TimeoutError:
                pass
        sock.settimeout(10)
        try:
            while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
                piece_in = sock.recv(65536)
                if not piece_in:
                    break
                answer += piece_in
        except (TimeoutError, ConnectionResetError):
            pass
    assert sent < 3_000_000, "the server kept reading a streamed body far past its limit"
    status, body = status_and_json(answer)
    assert status == 413 and body["errors"][0]["code"] == "too_large"


@pytest.mark.slow
@pytest.mark.parametrize(("raw", "expected"), [
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET /api/v2/returns HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 9000 + b"\r\n\r\n", 431),
    (b"GET /api/v2/returns HTTP/1.1\r\nHost: x\r\n" + b"X-Many: 1\r\n" * 200 + b"\r\n", 431),
    (b"GET /api/v2/returns HTTP/9.9\r\nHost: x\r\n\r\n", 400),
    (b"G\x00T /api/v2/returns HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET /api/v2/returns HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n", 400),
    (b"POST /api/v3/returns HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n{}", 400),
    (b"POST /api/v3/returns HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
])
def test_server_level_rejections_are_json(server, raw, expected) -> None:
    """What the server refuses before the app sees it is still answered in Sendcloud's v2 format."""
    status, body = status_and_json(exchange(server, raw))
    assert status == expected
    assert body["error"]["code"] == expected and body["error"]["message"]


@pytest.mark.slow
def test_server_survives_the_hostile_inputs(server) -> None:
    """After all of the above the server still answers normally."""
    time.sleep(0.1)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GET /__admin/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        assert sock.recv(12) == b"HTTP/1.1 200"


def test_return_body_constant_is_valid() -> None:
    assert RETURN_BODY["from_address"]["name"]
