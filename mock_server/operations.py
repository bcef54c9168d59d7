"""The thin layer between Flask and the domain: parse a request by its operation, send a reply.

A view is decorated with `@operation("operationId")`; it receives `params` (typed query,
path and header values) and `body` (the validated JSON), and returns a `Reply` whose data
is laid out through the operation's response schema.
"""

from __future__ import annotations

import functools
import json
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Response, current_app, g, request

from .coercion import DRF_FALSE, DRF_TRUE, coerce
from .errors import ApiError, Problem
from .spec import Operation, Parameter, problems_from

INT64 = 2**63 - 1
# Django REST framework's IntegerField also takes "3000.0" (it strips a zero fraction).
_INTEGER = re.compile(r"[+-]?\d{1,19}(\.0*)?")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


@dataclass
class Reply:
    status: int
    data: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    # Set for non-JSON answers (PDF labels).
    raw: bytes | None = None
    mimetype: str = "application/json"
    # The data is a remembered object that never changes: its encoding may be remembered too.
    memoize: bool = False
    # This member of the data is a list of such remembered objects (a page): each one's encoding
    # is remembered, and a page is put together from them.
    memoize_items: str | None = None


class ResponseContractViolation(AssertionError):
    """The server was about to send a response its own schema forbids."""


def operation(operation_id: str) -> Callable[[Callable[..., Reply]], Callable[..., Response]]:
    """Bind a view to its documented operation; its documented security is checked before any input is."""

    def decorate(view: Callable[..., Reply]) -> Callable[..., Response]:
        @functools.wraps(view)
        def wrapper(**path_args: Any) -> Response:
            state = current_app.extensions["sendcloud_mock"]
            op = state.spec.operations[operation_id]
            g.operation_id = operation_id
            if op.guard is not None:
                op.guard(**path_args)
            params = parse_parameters(op, path_args)
            body = parse_body(op, state.settings.max_body_bytes) if op.body_validator else None
            reply = view(params=params, body=body)
            return respond(op, reply, validate=state.settings.validate_responses)

        wrapper.operation_id = operation_id  # type: ignore[attr-defined]
        return wrapper

    return decorate


def parse_parameters(op: Operation, path_args: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    problems: list[Problem] = []
    for param in op.parameters:
        raw = _raw_parameter(param, path_args, problems)
        if raw is None:
            if param.required:
                problems.append(_param_problem(param, "required", "This field is required."))
            continue
        value = raw if not isinstance(raw, str) else _coerce(param, raw)
        if value is _INVALID:
            if param.location == "path":
                raise ApiError.one(404, "not_found", "Not found.")
            problems.append(_param_problem(param, "invalid", f"Expected a valid {_type_name(param)}."))
            continue
        errors = _parameter_errors(param, value)
        if errors:
            if param.location == "path":
                raise ApiError.one(404, "not_found", "Not found.")
            if param.location == "query":
                problems.extend(problems_from(errors, parameter=param.name))
            else:
                problems.extend(problems_from(errors, header=param.name))
            continue
        values[param.name] = value
    if problems:
        raise ApiError(400, problems)
    return values


def _parameter_errors(param: Parameter, value: Any) -> list[Any]:
    """Schema errors of one parameter value; the same values recur, so answers are remembered."""
    if isinstance(value, (str, int, float, bool)) and (len(value) < 200 if isinstance(value, str) else True):
        return _remembered_errors(param, type(value).__name__, value)  # True, 1 and 1.0 are equal keys
    return list(param.validator.iter_errors(value))


@functools.lru_cache(maxsize=4096)
def _remembered_errors(param: Parameter, kind: str, value: Any) -> list[Any]:
    return list(param.validator.iter_errors(value))


def _raw_parameter(param: Parameter, path_args: Mapping[str, Any], problems: list[Problem]) -> Any:
    if param.location == "path":
        return path_args.get(param.name)
    if param.location == "header":
        return request.headers.get(param.name)
    given = request.args.getlist(param.name)
    if len(given) > 1:
        problems.append(_param_problem(param, "invalid", "This parameter was given more than once."))
        return None
    return given[0] if given else None


_INVALID = object()


def _coerce(param: Parameter, raw: str) -> Any:
    kind = param.schema.get("type")
    if kind == "integer":
        if not _INTEGER.fullmatch(raw) or abs(int(raw.split(".")[0])) > INT64:
            return _INVALID
        return int(raw.split(".")[0])
    if kind == "number":
        if not _NUMBER.fullmatch(raw):
            return _INVALID
        number = float(raw)
        return number if math.isfinite(number) else _INVALID
    if kind == "boolean":
        lowered = raw.strip().lower()
        if lowered not in DRF_TRUE | DRF_FALSE:
            return _INVALID
        return lowered in DRF_TRUE
    return raw


def _type_name(param: Parameter) -> str:
    kind = param.schema.get("type")
    return kind if kind in ("integer", "number", "boolean") else "value"


def _param_problem(param: Parameter, code: str, detail: str) -> Problem:
    if param.location == "header":
        return Problem(code, detail, header=param.name)
    return Problem(code, detail, parameter=param.name)


def parse_body(op: Operation, max_bytes: int) -> Any:
    validator = op.body_validator
    if validator is None:  # the operation documents no body
        return None
    length = request.content_length
    if length is not None and length > max_bytes:
        raise _too_large(max_bytes)
    if op.body_optional and not length and not request.headers.get("Transfer-Encoding"):
        body: Any = {}
        errors = list(validator.iter_errors(body))
        if errors:
            raise ApiError(400, problems_from(errors))
        return body
    mimetype = request.mimetype
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise ApiError.one(415, "unsupported_media_type",
                           f'Unsupported media type "{request.content_type or ""}" in request. Use application/json.',
                           header="Content-Type")
    body = decode_json(read_body(max_bytes))
    if op.liberal_input:
        body = coerce(validator, body)
    errors = list(validator.iter_errors(body))
    if errors:
        raise ApiError(400, problems_from(errors))
    return body


READ_STEP = 64 * 1024
# Seconds a request body may pause between two pieces before the request is refused.
BODY_IDLE_SECONDS = 10.0


def read_body(max_bytes: int) -> bytes:
    """The request body, read piece by piece and cut at `max_bytes` while it arrives.

    A streamed (chunked) body has no Content-Length to refuse up front: it is refused with 413
    as soon as it passes the limit, before the rest arrives. A body whose framing is broken
    (an invalid chunk size, a missing chunk terminator, a connection cut short) is a 400.
    Both close the connection, since the rest of the body was never read.
    """
    stream = request.environ.get("wsgi.input")
    if stream is None:
        return b""
    length = request.content_length
    pieces: list[bytes] = []
    received = 0
    # A client that stops sending mid-body is cut off, not waited for (gunicorn's socket).
    sock = request.environ.get("gunicorn.socket")
    if sock is not None:
        sock.settimeout(BODY_IDLE_SECONDS)
    try:
        while True:
            want = READ_STEP if length is None else min(READ_STEP, length - received)
            if want <= 0:
                break
            piece = stream.read(want)
            if not piece:
                break
            received += len(piece)
            if received > max_bytes:
                raise _too_large(max_bytes)
            pieces.append(piece)
    except ApiError:
        raise
    except Exception as exc:  # noqa: BLE001 - the server's framing errors have no common base class
        raise ApiError.one(400, "parse_error", f"The request body could not be read ({type(exc).__name__}: "
                                               f"{str(exc)[:120]}).", pointer="",
                           headers={"Connection": "close"}) from None
    finally:
        if sock is not None:
            sock.settimeout(None)
    if length is not None and received < length:
        raise ApiError.one(400, "parse_error", f"The request body ended after {received} of {length} bytes.",
                           pointer="", headers={"Connection": "close"})
    data = b"".join(pieces)
    # Later readers (request.get_data(), get_json()) see the body read here, not a drained stream.
    request._cached_data = data
    return data


def body_for_hooks(max_bytes: int) -> bytes | None:
    """The body for hooks that run after the view (journal, webhooks), never read past the limit.

    The body the view read is kept; one the view never read is read only when its declared
    length is within the limit. A streamed or oversized body the view refused stays unread, so
    a 413 answers before the rest of it arrives.
    """
    cached = getattr(request, "_cached_data", None)
    if cached is not None:
        return cached
    length = request.content_length
    if length is None or length > max_bytes:
        return None
    return request.get_data(cache=True)


def _too_large(max_bytes: int) -> ApiError:
    return ApiError.one(413, "too_large", f"The request body is larger than {max_bytes} bytes.",
                        headers={"Connection": "close"})


def decode_json(raw: bytes) -> Any:
    """Strict JSON: no NaN or Infinity, no integers SQLite cannot hold, no pathological nesting,
    no lone surrogate escapes (text that cannot be stored or sent back as UTF-8)."""
    try:
        text = raw.decode("utf-8")
        body = json.loads(text, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        reason = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:120]
        detail = "JSON parse error - " + reason
        raise ApiError.one(400, "parse_error", detail, pointer="") from None
    if "\\u" in text:  # only escapes can smuggle a lone surrogate past the decoder
        where = _lone_surrogate(body, [])
        if where is not None:
            raise ApiError.one(400, "invalid", "Text must be valid Unicode (a lone surrogate escape such as "
                                                "\\ud800 is not).", pointer=where)
    where = _oversized_integer(body, [])
    if where is not None:
        raise ApiError.one(400, "invalid", "Ensure this value is a 64-bit integer.", pointer=where)
    where = _overlong_array(body, [])
    if where is not None:
        raise ApiError.one(400, "max_length", f"Ensure this field has no more than {MAX_ARRAY_ITEMS} elements.",
                           pointer=where)
    return body


# Longest array any request body may hold (schemas may say less): validating and storing a
# million-element list would cost seconds and megabytes for nothing a real integration sends.
MAX_ARRAY_ITEMS = 1000


def _overlong_array(node: Any, path: list[str]) -> str | None:
    if isinstance(node, list):
        if len(node) > MAX_ARRAY_ITEMS:
            return "".join("/" + p for p in path)
        for index, value in enumerate(node):
            if isinstance(value, (list, dict)):
                found = _overlong_array(value, [*path, str(index)])
                if found is not None:
                    return found
    elif isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, (list, dict)):
                found = _overlong_array(value, [*path, key.replace("~", "~0").replace("/", "~1")])
                if found is not None:
                    return found
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _lone_surrogate(node: Any, path: list[str]) -> str | None:
    """The JSON pointer of the first key or string holding an unpaired surrogate, if any."""
    if isinstance(node, str):
        return "".join("/" + p for p in path) if _SURROGATE.search(node) else None
    if isinstance(node, dict):
        for key, value in node.items():
            step = [*path, key.replace("~", "~0").replace("/", "~1")]
            if _SURROGATE.search(key):
                return "".join("/" + p.encode("utf-8", "replace").decode() for p in step)
            found = _lone_surrogate(value, step)
            if found is not None:
                return found.encode("utf-8", "replace").decode()
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found = _lone_surrogate(value, [*path, str(index)])
            if found is not None:
                return found
    return None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _oversized_integer(node: Any, path: list[str]) -> str | None:
    if isinstance(node, bool):
        return None
    if isinstance(node, int):
        return "".join("/" + p for p in path) if abs(node) > INT64 else None
    if isinstance(node, float) and not math.isfinite(node):
        return "".join("/" + p for p in path)
    if isinstance(node, dict):
        for key, value in node.items():
            found = _oversized_integer(value, [*path, key.replace("~", "~0").replace("/", "~1")])
            if found is not None:
                return found
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found = _oversized_integer(value, [*path, str(index)])
            if found is not None:
                return found
    return None


_ENCODED = threading.local()
# Encodings remembered per thread: answers read by id, and the returns that pages list.
_ENCODED_KEEP = 2048


def respond(op: Operation, reply: Reply, *, validate: bool) -> Response:
    if reply.raw is not None:
        return Response(reply.raw, status=reply.status, mimetype=reply.mimetype, headers=reply.headers)
    shape = op.shapes.get(reply.status)
    if reply.memoize and not validate:
        return Response(_encoded(op.operation_id, reply.data, shape), status=reply.status,
                        mimetype="application/json", headers=reply.headers)
    if reply.memoize_items is not None and not validate and shape is not None and isinstance(reply.data, dict):
        page = _encoded_page(op.operation_id, reply.data, reply.memoize_items, shape)
        if page is not None:
            return Response(page, status=reply.status, mimetype="application/json", headers=reply.headers)
    body = shape(reply.data) if shape else reply.data
    if validate:
        check_response(op, reply.status, body)
    return json_response(body, reply.status, reply.headers)


def _encoded(kind: str, data: Any, shape: Callable[[Any], Any] | None) -> bytes:
    """The shaped, encoded form of an unchanging data object, remembered by its identity."""
    memo: OrderedDict[tuple[str, int], tuple[Any, bytes]] = _ENCODED.__dict__.setdefault("memo", OrderedDict())
    key = (kind, id(data))
    hit = memo.get(key)
    if hit is not None and hit[0] is data:
        memo.move_to_end(key)
        return hit[1]
    encoded = _dumps(shape(data) if shape else data).encode()
    # Holding the data object keeps its id from being reused while the entry lives.
    memo[key] = (data, encoded)
    if len(memo) > _ENCODED_KEEP:
        memo.popitem(last=False)
    return encoded


def _encoded_page(kind: str, data: dict[str, Any], member: str, shape: Callable[[Any], Any]) -> bytes | None:
    """A page whose `member` lists unchanging objects, encoded from their remembered encodings:
    the same bytes as encoding the shaped page whole. None when the schema does not say how."""
    items = data.get(member)
    item_shape = getattr(getattr(shape, "members", {}).get(member), "item", None)
    if not isinstance(items, list) or item_shape is None:
        return None
    shaped = shape({**data, member: []})
    if not isinstance(shaped, dict) or shaped.get(member) != []:
        return None
    # One join of all the pieces: a page is often past 100 KB, and each extra concatenation
    # would copy it again into freshly mapped memory.
    pieces = [b"{"]
    for name, value in shaped.items():
        if len(pieces) > 1:
            pieces.append(b",")
        pieces += (_dumps(name).encode(), b":")
        if name != member:
            pieces.append(_dumps(value).encode())
            continue
        pieces.append(b"[")
        for index, item in enumerate(items):
            if index:
                pieces.append(b",")
            pieces.append(_encoded(kind + "[]", item, item_shape))
        pieces.append(b"]")
    pieces.append(b"}")
    return b"".join(pieces)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def check_response(op: Operation, status: int, body: Any) -> None:
    if status not in op.response_types:
        raise ResponseContractViolation(f"{op.operation_id}: status {status} is not documented")
    validator = op.response_validators.get(status)
    if validator is not None:
        errors = sorted(validator.iter_errors(body), key=lambda e: list(map(str, e.absolute_path)))
        if errors:
            described = "; ".join(f"{list(e.absolute_path)}: {e.message[:200]}" for e in errors[:5])
            raise ResponseContractViolation(f"{op.operation_id} {status} breaks its schema: {described}")


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    text = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    return Response(text, status=status, mimetype="application/json", headers=dict(headers or {}))
