"""Blueprint: the inspector page (/__admin/ui), server-rendered HTML over the fake's state.

Returns of every account, accounts, one return's timeline with its label and a cancel
button, the request journal, fault rules, the clock. No JavaScript framework, no build
step, nothing fetched from elsewhere. Also serves the example return portal at
/__admin/examples/return-portal/.
"""

from __future__ import annotations

import hmac
import json
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request
from werkzeug.security import safe_join
from werkzeug.wrappers import Response as BaseResponse

from ..clock import iso
from ..config import resource_dir
from ..errors import ApiError
from ..returns.documents import render_return_label
from . import queries
from .session import COOKIE

bp = Blueprint("inspector", __name__, url_prefix="/__admin", template_folder="templates")

UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
# The inspector's pages may load only their own origin's resources.
CSP = ("default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")


def when(value: Any) -> str:
    """An ISO timestamp as people read it: 2026-12-01 06:56:50 (UTC, seconds)."""
    text = str(value or "")
    return text[:19].replace("T", " ") if len(text) >= 19 and text[10] == "T" else text


bp.add_app_template_filter(when, "when")


def _mock() -> Any:
    return current_app.extensions["sendcloud_mock"]


def admin_token() -> str | None:
    return getattr(_mock().settings, "admin_token", None) or None


def token_matches(given: str | None) -> bool:
    token = admin_token()
    return token is not None and given is not None and hmac.compare_digest(given.encode(), token.encode())


def _page(template: str, status: int = 200, **context: Any) -> BaseResponse:
    mock = _mock()
    html = render_template(template, now=iso(mock.clock.now()), frozen=mock.clock.is_frozen(),
                           notice=request.args.get("notice"), error=request.args.get("error"),
                           signed_in=admin_token() is not None, has_webhooks=_webhooks() is not None,
                           **context)
    response = Response(html, status=status, mimetype="text/html")
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _back(path: str, **message: str) -> BaseResponse:
    return redirect(path + ("?" + urlencode(message) if message else ""), code=303)


# -- signing in --------------------------------------------------------------------------


@bp.get("/ui")
@bp.get("/ui/")
def home() -> BaseResponse:
    """The landing view: the newest returns of all accounts, no click needed."""
    given = request.args.get("token")
    if given is not None:
        if not token_matches(given):
            return _page("signin.html", status=401, title="Sign in")
        # Trade the token in the URL for a cookie scripts cannot read and other sites cannot send.
        response = redirect("/__admin/ui", code=303)
        response.set_cookie(COOKIE, given, httponly=True, samesite="Strict", path="/__admin",
                            secure=request.scheme == "https")
        return response
    return _page("returns.html", title="Newest returns", returns=queries.newest_returns(_mock()), account=None)


@bp.post("/ui/signout")
def signout() -> BaseResponse:
    response = redirect("/__admin/ui", code=303)
    response.delete_cookie(COOKIE, path="/__admin")
    return response


# -- accounts and returns ----------------------------------------------------------------


@bp.get("/ui/accounts")
def accounts() -> BaseResponse:
    return _page("accounts.html", title="Accounts", accounts=queries.accounts(_mock()))


@bp.get("/ui/accounts/<api_key>")
def account(api_key: str) -> BaseResponse:
    mock = _mock()
    found = queries.account_by_key(mock, api_key)
    if found is None:
        abort(404)
    return _page("returns.html", title=f"Returns of {found.name}", account=found,
                 returns=queries.newest_returns(mock, api_key=api_key, limit=200))


@bp.get("/ui/returns/<int:return_id>")
def return_detail(return_id: int) -> BaseResponse:
    row = queries.find_return(_mock(), return_id)
    if row is None:
        abort(404)
    return _page("return.html", title=f"Return {row.id}", row=row,
                 view_json=json.dumps(row.view, indent=2, ensure_ascii=False, default=str))


@bp.post("/ui/returns/<int:return_id>/cancel")
def cancel(return_id: int) -> BaseResponse:
    mock = _mock()
    row = queries.find_return(mock, return_id)
    if row is None:
        abort(404)
    try:
        mock.returns.cancel(row.account, return_id)
    except ApiError as refused:
        return _back(f"/__admin/ui/returns/{return_id}", error=refused.problems[0].detail)
    return _back(f"/__admin/ui/returns/{return_id}", notice="Cancelled.")


@bp.get("/ui/returns/<int:return_id>/label.pdf")
def label(return_id: int) -> BaseResponse:
    row = queries.find_return(_mock(), return_id)
    if row is None or not row.announced:
        abort(404)
    record = _mock().returns.get(row.account, return_id)
    paper = "a4" if request.args.get("paper_size") == "a4" else "a6"
    pdf = render_return_label(record, record.parcels[0].id, paper)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="return-label-{return_id}.pdf"'})


# -- journal, faults, clock --------------------------------------------------------------


@bp.get("/ui/requests")
def journal() -> BaseResponse:
    limit = request.args.get("limit", "100")
    entries = _mock().journal.newest(int(limit) if limit.isdigit() else 100)
    return _page("requests.html", title="Requests", entries=entries, pretty=_pretty)


def _pretty(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


@bp.get("/ui/faults")
def faults() -> BaseResponse:
    rules = [(fault, {k: v for k, v in fault.items() if k not in ("id", "hits", "remaining")})
             for fault in _mock().faults.all()]
    return _page("faults.html", title="Fault rules", faults=rules, pretty=_pretty)


@bp.post("/ui/faults")
def add_fault() -> BaseResponse:
    form = request.form
    rule: dict[str, Any] = {"path": form.get("path", "").strip(), "method": form.get("method", "*")}
    try:
        if form.get("name", "").strip():
            rule["name"] = form["name"].strip()
        for name, kind in (("status", int), ("delay_ms", int), ("times", int), ("probability", float)):
            if form.get(name, "").strip():
                rule[name] = kind(form[name])
        if form.get("body", "").strip():
            rule["body"] = json.loads(form["body"])
    except ValueError as wrong:
        return _back("/__admin/ui/faults", error=f"Not a valid rule: {wrong}")
    errors = list(_mock().spec.operations["admin_faults_create"].body_validator.iter_errors(rule))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path)
        return _back("/__admin/ui/faults", error=f"{where or 'rule'}: {errors[0].message}")
    added = _mock().faults.add(rule)
    return _back("/__admin/ui/faults", notice=f"Added rule {added.get('id', '')}.")


@bp.post("/ui/faults/<int:rule_id>/delete")
def delete_fault(rule_id: int) -> BaseResponse:
    deleted = _mock().faults.delete(rule_id)
    return _back("/__admin/ui/faults", **({"notice": "Deleted."} if deleted else {"error": "No such rule."}))


@bp.get("/ui/clock")
def clock() -> BaseResponse:
    return _page("clock.html", title="Clock", units=UNITS)


@bp.post("/ui/clock/advance")
def advance() -> BaseResponse:
    try:
        amount = float(request.form.get("amount", ""))
    except ValueError:
        return _back("/__admin/ui/clock", error="The amount must be a number.")
    unit = UNITS.get(request.form.get("unit", "seconds"))
    if unit is None or not 0 < amount * unit <= 366 * 86400:
        return _back("/__admin/ui/clock", error="Advance by more than nothing and at most a year.")
    _mock().clock.advance(amount * unit)
    return _back("/__admin/ui/clock", notice=f"Advanced by {amount:g} {request.form.get('unit', 'seconds')}.")


@bp.post("/ui/clock/freeze")
def freeze() -> BaseResponse:
    frozen = request.form.get("frozen") == "true"
    _mock().clock.freeze(frozen)
    return _back("/__admin/ui/clock", notice="Frozen." if frozen else "Running.")


# -- webhook deliveries (when the webhooks package is installed in the app) ----------------


def _webhooks() -> Any:
    return current_app.extensions.get("sendcloud_mock_webhooks")


@bp.get("/ui/webhooks")
def webhooks() -> BaseResponse:
    hooks = _webhooks()
    if hooks is None:
        abort(404)
    account = request.args.get("account") or None
    deliveries = hooks.store.deliveries(account=account, event=None, status=None, limit=100)
    return _page("webhooks.html", title="Webhook deliveries", deliveries=deliveries, account=account,
                 pretty=_pretty)


@bp.post("/ui/webhooks/<int:delivery_id>/redeliver")
def redeliver(delivery_id: int) -> BaseResponse:
    hooks = _webhooks()
    if hooks is None:
        abort(404)
    new_id = hooks.store.redeliver(delivery_id)
    if new_id is None:
        return _back("/__admin/ui/webhooks", error="No webhook delivery has this id.")
    hooks.send_now(hooks.store.delivery(new_id)["account"], new_id)
    return _back("/__admin/ui/webhooks", notice=f"Redelivered as delivery {new_id}.")


# -- the example portal ------------------------------------------------------------------


def examples_dir() -> Path:
    return resource_dir("examples")


@bp.get("/examples/return-portal/")
@bp.get("/examples/return-portal/<path:name>")
def example_portal(name: str = "index.html") -> BaseResponse:
    folder = examples_dir() / "return-portal"
    found = safe_join(str(folder), name)
    if found is None or not Path(found).is_file():
        abort(404)
    kind = mimetypes.guess_type(found)[0] or "application/octet-stream"
    content = Path(found).read_bytes()
    if name == "index.html" and not request.path.endswith("/"):
        # Without the slash (answered too, never redirected) relative links need a base to resolve.
        content = content.replace(b"<head>", b'<head>\n  <base href="/__admin/examples/return-portal/">', 1)
    response = Response(content, mimetype=kind)
    response.headers["Cache-Control"] = "no-store"
    return response
