"""Cross-origin rules: which pages on other origins may call which part of the fake.

Three groups of paths, three answers:

- **Public** (the Return portal API, service points, the payment page, portal media,
  the OpenAPI document): built to be called from a customer's browser on the shop's own origin, so
  every answer (errors and injected faults included) carries `Access-Control-Allow-Origin: *`
  and a preflight `OPTIONS` is answered 204 with the methods the path accepts and the
  request headers it reads. No credentials mode: the Bearer header and `?token=` URLs
  need none.
- **Basic-auth APIs** (Returns v2/v3, label documents, anything else under /api and the
  OAuth2 token endpoint): server-to-server, since their credentials are the account's
  API secret, which must never be shipped to a browser. No CORS headers at all, a
  preflight included, so a browser refuses to send the call, as Sendcloud's own API does.
- **The admin API** (/__admin): never readable by a web page. No CORS headers, and any
  request that a browser marks as coming from another origin (an `Origin` header that is
  not the fake's own origin, `Origin: null` included) is refused with 403 before it does
  anything, so a page elsewhere cannot even reset the store with a form or `no-cors` post.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import RequestRedirect

from .errors import ApiError
from .operations import json_response

# Path prefixes that pages on other origins may call.
PUBLIC_PREFIXES: tuple[str, ...] = (
    "/api/v2/brand/",          # the Return portal API: settings, lookup, create, polling, download, payment
    "/api/v2/service-points",  # service point search and details (servicepoints.sendcloud.sc)
    "/api/v2/carriers",        # the service points API's carrier list
    "/payments/",              # the customer's payment page of a paid-returns portal
    "/media/",                 # brand and carrier logos, return images the portal shows
    "/openapi.json",
)
ADMIN_PREFIX = "/__admin"
# Request headers the public endpoints read (the CORS-safelisted ones need no mention).
ALLOW_HEADERS = "Authorization, Content-Type, Accept, Accept-Language, Sendcloud-Partner-Id"
# Response headers a page needs beyond the safelisted ones: the label's file name, the wait
# after a 429, the paging links.
EXPOSE_HEADERS = "Content-Disposition, Retry-After, Link, Location, WWW-Authenticate"
MAX_AGE = "600"


def is_public(path: str) -> bool:
    return path.startswith(PUBLIC_PREFIXES)


def is_preflight() -> bool:
    return request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers


def _own_origin() -> str:
    return f"{request.scheme}://{request.host}".lower()


def cross_origin_admin_call() -> bool:
    """True when a browser says this admin request comes from a page on another origin."""
    origin = request.headers.get("Origin")
    return origin is not None and origin.strip().lower() != _own_origin()


def allowed_methods(path: str) -> list[str]:
    """The methods the route at `path` answers (empty when nothing is there)."""
    urls = current_app.url_map.bind_to_environ(request.environ)
    methods: list[str] = []
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"):
        try:
            urls.match(path, method=method)
        except MethodNotAllowed:
            continue
        except RequestRedirect:
            pass  # the route exists with or without its trailing slash
        except HTTPException:
            return []
        methods.append(method)
    return [*methods, "OPTIONS"] if methods else []


def install(app: Flask) -> None:
    """Register before the other hooks, so a preflight is answered before faults or auth see it."""
    app.before_request_funcs.setdefault(None, []).insert(0, _before)
    app.after_request(_after)


def _before() -> Response | None:
    from .app import error_style

    path = request.path
    if path.startswith(ADMIN_PREFIX):
        if cross_origin_admin_call():
            error = ApiError.one(403, "forbidden", "The admin API does not answer pages on other origins.",
                                 header="Origin")
            return json_response(error.render(error_style(), path), 403)
        return None
    if is_preflight() and not is_public(path):
        error = ApiError.one(403, "forbidden", "This API authenticates with the account's API secret, which must "
                             "not reach a browser: call it from a server. Only the Return portal and service "
                             "points APIs answer pages on other origins.")
        return json_response(error.render(error_style(), path), 403)
    if is_preflight():
        methods = allowed_methods(path)
        if not methods:
            error = ApiError.one(404, "not_found", "Not found.")
            return json_response(error.render(error_style(), path), 404)
        response = Response(status=204)
        response.headers["Access-Control-Allow-Methods"] = ", ".join(methods)
        response.headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
        response.headers["Access-Control-Max-Age"] = MAX_AGE
        response.headers["Allow"] = ", ".join(methods)
        return response
    return None


def _after(response: Response) -> Response:
    if is_public(request.path):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
    return response
