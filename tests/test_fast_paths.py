"""The request path's shortcuts answer exactly what the long way answers.

Remembered encodings (a return by id, the returns a page lists), the journal's remembered
body forms, redaction's quick look for secrets, and the server's one-call head and body:
each is checked against the way it replaces, byte for byte or value for value.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from conftest import LIST_URL
from gunicorn.http import wsgi
from hypothesis import given, settings
from hypothesis import strategies as st

from mock_server import redact
from mock_server.journal import EncodedJson, _body_text, _line
from mock_server.server import head_with_body


def _answers(client, auth, url: str, validate: bool) -> bytes:
    state = client.application.extensions["sendcloud_mock"]
    state.settings = state.settings.with_(validate_responses=validate)
    response = client.get(url, headers=auth)
    assert response.status_code == 200, response.json
    return response.data


@pytest.mark.parametrize("url", ["/api/v3/returns/{id}", LIST_URL + "&page_size=3", "/api/v2/returns?page_size=3",
                                 "/api/v2/returns/{id}"])
def test_remembered_encodings_are_the_validated_bytes(client, auth, create_return, advance, url) -> None:
    """The validating path (shaped, checked, encoded whole) and the remembered one agree, before
    and after the returns settle, and on a second (remembered) read."""
    ids = [create_return()["return_id"] for _ in range(4)]
    url = url.format(id=ids[1])
    for _ in range(2):
        checked = _answers(client, auth, url, validate=True)
        assert _answers(client, auth, url, validate=False) == checked
        assert _answers(client, auth, url, validate=False) == checked
        advance(30)


def test_every_secret_name_holds_a_clue() -> None:
    """redact.body skips texts without a clue: every secret name it replaces must contain one."""
    for name in (*redact.SECRET_MEMBERS, *redact.SECRET_PARAMETERS):
        assert any(clue in name.lower() for clue in redact._CLUES), name
    assert redact.body('{"Api_Secret": "x"}') == '{"Api_Secret": "x"}'  # members are matched as spelled
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
    assert redact.body(f'{{"a": "{jwt}"}}') == f'{{"a": "{redact.mark(jwt)}"}}'
    assert redact.body('{"id": 1, "status": "open"}') == '{"id": 1, "status": "open"}'


@pytest.mark.parametrize("raw", [b'{"a": 1, "b": [1, 2], "c": "\xc3\xa9"}', b'{\n  "a": 1\n}', b'"text"', b"[1,2]",
                                 b"not json", b'{"access_token": "secret"}', b"", b"null"])
def test_journal_lines_hold_the_body_values(raw: bytes) -> None:
    """A body put into a line as encoded text reads back as the value the line used to hold."""
    value, cut = _body_text(raw)
    assert not cut
    expected = None if not raw else "not json" if raw == b"not json" else json.loads(redact.body(raw.decode()))
    line = _line({"method": "GET", "response": value, "status": 200})
    assert "\n" not in line
    assert json.loads(line) == {"method": "GET", "response": expected, "status": 200}
    assert json.loads(_line({"only": EncodedJson("[1]")})) == {"only": [1]}


class _Socket:
    def __init__(self) -> None:
        self.calls: list[bytes] = []

    def sendall(self, data: bytes) -> None:
        self.calls.append(data)


def _response(sock: _Socket, method: str = "GET") -> wsgi.Response:
    request = SimpleNamespace(version=(1, 1), method=method, should_close=lambda: False)
    response = wsgi.Response(request, sock, SimpleNamespace(is_ssl=False, sendfile=False))
    return response


def test_head_and_body_leave_in_one_call(monkeypatch) -> None:
    """A whole body goes out with its head in one send; anything else keeps gunicorn's way."""
    monkeypatch.setattr(wsgi.Response, "write", wsgi.Response.write)
    head_with_body(wsgi.Response)
    whole = _Socket()
    response = _response(whole)
    response.status, response.status_code = "200 OK", 200
    response.headers, response.response_length = [("Content-Length", "5")], 5
    response.write(b"hello")
    response.close()
    assert len(whole.calls) == 1
    assert whole.calls[0].startswith(b"HTTP/1.1 200 OK\r\n") and whole.calls[0].endswith(b"\r\n\r\nhello")
    assert b"Content-Length: 5\r\n" in whole.calls[0] and response.sent == 5

    pieces = _Socket()
    response = _response(pieces)
    response.status, response.status_code = "200 OK", 200
    response.headers, response.response_length = [("Content-Length", "10")], 10
    response.write(b"hello")
    response.write(b"world")
    assert pieces.calls[1:] == [b"hello", b"world"] and pieces.calls[0].endswith(b"\r\n\r\n")


def test_a_page_is_read_again_only_after_a_write(client, auth, create_return, monkeypatch) -> None:
    """The last pages are kept until anyone writes: a repeated list reads no rows, and a return
    created in between is listed at once."""
    from mock_server.returns.models import ReturnsBackend

    scans = []
    scan = ReturnsBackend._scan
    monkeypatch.setattr(ReturnsBackend, "_scan", lambda self, *a, **k: (scans.append(1), scan(self, *a, **k))[1])
    first = create_return()["return_id"]
    url = LIST_URL + "&page_size=5"
    assert [r["id"] for r in client.get(url, headers=auth).json["data"]] == [first]
    read = len(scans)
    assert [r["id"] for r in client.get(url, headers=auth).json["data"]] == [first]
    assert len(scans) == read
    second = create_return()["return_id"]
    assert [r["id"] for r in client.get(url, headers=auth).json["data"]] == [second, first]
    assert len(scans) > read


def _redacted_the_long_way(text: str) -> str:
    """Every pass over every text, as redact.body did before it looked for clues first."""
    from urllib.parse import unquote_plus

    text = redact._MEMBER.sub(lambda m: f'"{m.group(1)}"{m.group(2)}"{redact.mark(m.group(3))}"', text)
    text = redact._FORM_SECRET.sub(lambda m: m.group(1) + redact.mark(unquote_plus(m.group(2))), text)
    text = redact._URL_TOKEN.sub(lambda m: m.group(1) + redact.mark(m.group(2)), text)
    return redact._JWT.sub(lambda m: redact.mark(m.group(0)), text)


_PIECES = ['"access_token"', '"token"', '"secret"', '"password"', ": ", '"', "x", "=", "&", "?", "Token=", "token=",
           "client_secret=", "PASSWORD=", "eyJhbGciOiJIUzI1NiJ9", "eyJhbGciOi", ".", "eyJzdWIi", "abc_-", "\\", " ",
           "{", "}", "api_secret"]


@given(st.lists(st.sampled_from(_PIECES), max_size=30))
@settings(max_examples=400, deadline=None)
def test_redaction_by_clues_is_redaction_in_full(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert redact.body(text) == _redacted_the_long_way(text)


def test_the_date_header_is_made_once_a_second(monkeypatch) -> None:
    import email.utils
    import time

    from mock_server.server import second_date

    made = []

    def formatdate(timestamp: float) -> str:
        made.append(timestamp)
        return email.utils.formatdate(timestamp, usegmt=True)

    http_date = second_date(formatdate)
    monkeypatch.setattr(time, "time", lambda: 1_800_000_000.25)
    first = http_date()
    monkeypatch.setattr(time, "time", lambda: 1_800_000_000.75)
    assert http_date() == first == email.utils.formatdate(1_800_000_000.25, usegmt=True) and len(made) == 1
    monkeypatch.setattr(time, "time", lambda: 1_800_000_001.0)
    assert http_date() == email.utils.formatdate(1_800_000_001, usegmt=True) and len(made) == 2
    assert http_date(0) == email.utils.formatdate(0, usegmt=True)


def test_flask_hooks_are_looked_at_once(app) -> None:
    """ensure_sync answers the same function for a hook each time, and remembers it."""
    hook = app.before_request_funcs[None][0]
    assert app.ensure_sync(hook) is app.ensure_sync(hook) is hook
    assert app.__dict__["_ensured"][hook] is hook


def test_service_point_views_are_copies(app) -> None:
    """A view is the stored point's data, copied deep: changing one changes neither the index nor the next view."""
    from datetime import datetime, timezone

    points = app.extensions["sendcloud_mock"].points
    point = points._points[0]
    now = datetime(2026, 12, 5, tzinfo=timezone.utc)
    first = point.view(now, 10)
    second = point.view(now, 10)
    assert first == second and first is not second
    for name, value in first.items():
        if isinstance(value, (dict, list)):
            assert value is not second[name] and value is not point.stored.get(name)
    first["extra_data"]["changed"] = True
    first["opening_times"] = None
    assert point.view(now, 10) == second


def test_the_loaded_app_is_frozen_for_the_collector(tmp_path) -> None:
    """What the master builds before forking is frozen: workers' collections skip it, and its pages stay shared."""
    import gc

    from mock_server.config import Settings
    from mock_server.server import FakeServer

    gc.unfreeze()
    try:
        FakeServer(Settings(db=str(tmp_path / "store.sqlite3"), port=0)).load()
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
