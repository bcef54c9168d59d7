"""What a return holds, typed: the data the store keeps for it, and nothing of how an API shows it.

A return is its create request (the v3 body, as validated), the carrier it ships with, its
schedule, where it came from, and what the return portal added: payment, reason, refund, the
customer's message and pictures, and the outgoing parcel it answers. The v3 and v2 objects,
webhooks and labels are built from this when read (see `representations`).

The store keeps it as JSON in `returns.data` (`to_json` / `from_json`); fields at their default
are left out, so a field added with a default needs no migration. Changing what a stored field
means does: see `migrations`.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, Union

from .lifecycle import Schedule

T = TypeVar("T")
Origin = Literal["v3", "portal"]
AWAITING_PAYMENT, PAYMENT_FAILED, OPEN = "awaiting_payment", "payment_failed", "open"


@dataclass(frozen=True)
class Money:
    value: float
    currency: str


@dataclass(frozen=True)
class Payment:
    """What the customer pays for the return (paid-returns portals only)."""

    required: bool = False
    fee: Money | None = None
    paid_at: float | None = None
    failed: bool = False

    @property
    def status(self) -> str:
        """The return's status as both APIs name it: open, awaiting_payment or payment_failed."""
        if not self.required or self.paid_at is not None:
            return OPEN
        return PAYMENT_FAILED if self.failed else AWAITING_PAYMENT

    @property
    def awaiting(self) -> bool:
        return self.status == AWAITING_PAYMENT


@dataclass(frozen=True)
class Reason:
    id: int
    description: str


@dataclass(frozen=True)
class Refund:
    """The refund option the customer chose, as the portal offered it then."""

    code: str
    label: str
    require_message: bool
    message: str | None = None


@dataclass(frozen=True)
class Image:
    filename: str
    product_id: str | int | None = None
    description: str | None = None


@dataclass(frozen=True)
class PortalLink:
    """The brand whose portal made the return and the outgoing parcel it sends back."""

    brand: str  # the brand's domain
    brand_name: str
    outgoing_parcel: int
    tracking_number: str
    order_number: str | None = None
    # The outgoing parcel's addressee: the customer who returns it.
    customer_name: str = ""
    customer_email: str | None = None
    customer_country: str = ""
    shipping_method: int | None = None  # the outgoing parcel's


@dataclass(frozen=True)
class ReturnData:
    request: dict[str, Any]
    carrier: str
    schedule: Schedule
    origin: Origin = "v3"
    payment: Payment = field(default_factory=Payment)
    reason: Reason | None = None
    refund: Refund | None = None
    message: str | None = None  # the customer's, given in the portal
    images: tuple[Image, ...] = ()
    shipping_method: int | None = None  # Sendcloud's id of the return's shipping method
    service_point: int | None = None  # where the customer drops the parcel off
    portal: PortalLink | None = None

    @property
    def status(self) -> str:
        return self.payment.status

    def to_json(self) -> dict[str, Any]:
        return to_json(self)

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> ReturnData:
        return _load(cls, value)


# -- JSON, driven by the dataclasses' own field types -----------------------------------------


def to_json(value: Any) -> Any:
    """Plain JSON values of a record (or any part of one); fields at their default are left out."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {}
        for f in dataclasses.fields(value):
            item = getattr(value, f.name)
            if f.default is not dataclasses.MISSING and item == f.default:
                continue
            if f.default_factory is not dataclasses.MISSING and item == f.default_factory():
                continue
            out[f.name] = to_json(item)
        return out
    if isinstance(value, tuple):
        return [to_json(item) for item in value]
    return value


def _load(kind: type[T], value: dict[str, Any]) -> T:
    return _loader(kind)(value)


def _same(value: Any) -> Any:
    return value


_LOADERS: dict[Any, Callable[[Any], Any]] = {}


def _loader(kind: Any) -> Callable[[Any], Any]:
    """A function from JSON to `kind`, made once per type (reading a record is on every request)."""
    known = _LOADERS.get(kind)
    if known is None:
        known = _LOADERS[kind] = _make_loader(kind)
    return known


def _make_loader(kind: Any) -> Callable[[Any], Any]:
    origin = typing.get_origin(kind)
    if origin in (Union, types.UnionType):
        options = [option for option in typing.get_args(kind) if option is not type(None)]
        inner = _loader(options[0]) if len(options) == 1 else _same
        return _same if inner is _same else (lambda value: None if value is None else inner(value))
    if origin is tuple:
        item = _loader(typing.get_args(kind)[0])
        return lambda value: tuple(item(part) for part in value)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        plain = frozenset(name for name, hint in hints.items() if _loader(hint) is _same)
        special = [(name, _loader(hint)) for name, hint in hints.items() if name not in plain]

        def load(value: dict[str, Any]) -> Any:
            # Names the type does not know (yet, or any more) are left out.
            args = {name: item for name, item in value.items() if name in plain}
            for name, convert in special:
                if name in value:
                    args[name] = convert(value[name])
            return kind(**args)

        return load
    return _same
