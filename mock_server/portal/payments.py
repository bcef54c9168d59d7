"""Blueprint: the customer's payment page of a paid-returns portal (what Mollie is in production).

The portal's create answer links here (`payment_url`); the page shows the fee and two buttons.
Choosing "pay" or "fail" settles the return through the same domain call as the admin API's
POST /__admin/returns/{id}/payment. It lives outside /__admin: a customer opens it, not an operator.
"""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, current_app

from ..guards import base_url
from ..operations import Reply, operation
from ..returns.models import ReturnRecord
from ..tokens import Claims

bp = Blueprint("portal_payments", __name__, url_prefix="/payments")

PAYMENT_TOKEN_TTL = 7 * 86400
CHECKOUT = "payments/checkout"
STATUS_TEXT = {
    "awaiting_payment": "Waiting for your payment.",
    "open": "Paid. Your return label is being made.",
    "payment_failed": "The payment failed. This return will not be sent.",
}


def payment_url(token: str) -> str:
    return f"{base_url()}{CHECKOUT}?{urlencode({'token': token})}"


def _mock():
    return current_app.extensions["sendcloud_mock"]


def _verified(token: str) -> tuple[Claims, ReturnRecord]:
    mock = _mock()
    claims = mock.tokens.verify(token, purpose="payment", brand=None, where={"parameter": "token"})
    brand = mock.portal.brand(claims.brand)
    return claims, mock.returns.get(brand.account, claims.subject)


def _page(record: ReturnRecord, brand_domain: str, token: str) -> bytes:
    status = record.data.status
    fee = record.data.payment.fee
    amount = f"{float(fee.value if fee else 0):.2f} {fee.currency if fee else 'EUR'}"
    buttons = ""
    if status == "awaiting_payment":
        buttons = "".join(
            f'<form method="post" action="checkout?{escape(urlencode({"token": token, "outcome": outcome}))}">'
            f'<button type="submit" name="outcome" value="{outcome}">{label}</button></form>'
            for outcome, label in (("pay", "Pay"), ("fail", "Fail the payment")))
    html = (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>Pay for return {record.id}</title></head><body>"
        f"<h1>Return fee for {escape(brand_domain)}</h1>"
        f"<p>Return <strong id=\"return\">{record.id}</strong>: <span id=\"amount\">{escape(amount)}</span></p>"
        f"<p id=\"status\" data-status=\"{escape(status)}\">{escape(STATUS_TEXT.get(status, status))}</p>"
        f"{buttons}<p><small>Payment page of the Sendcloud fake: no money moves.</small></p></body></html>"
    )
    return html.encode("utf-8")


@bp.get("/checkout")
@operation("payment_page")
def page(params: dict[str, Any], body: None) -> Reply:
    claims, record = _verified(params["token"])
    return Reply(200, raw=_page(record, claims.brand, params["token"]), mimetype="text/html",
                 headers={"Cache-Control": "no-store"})


@bp.post("/checkout")
@operation("payment_settle")
def settle(params: dict[str, Any], body: None) -> Reply:
    claims, _ = _verified(params["token"])
    record = _mock().returns.pay(claims.subject, paid=params["outcome"] == "pay")
    return Reply(200, raw=_page(record, claims.brand, params["token"]), mimetype="text/html",
                 headers={"Cache-Control": "no-store"})
