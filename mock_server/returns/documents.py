"""Blueprint: the label documents a Return links to (/api/v3/parcels/{id}/documents/label)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app

from ..guards import current_account
from ..labels import LabelAddress, LabelData, render_label
from ..operations import Reply, operation
from .models import ReturnRecord, weight_in_kg
from .representations import carrier_name, day_of

bp = Blueprint("parcel_documents", __name__, url_prefix="/api/v3/parcels")


@bp.get("/<int:id>/documents/label")
@operation("parcels_v3_label")
def label(params: dict[str, Any], body: None) -> Reply:
    record, parcel = current_app.extensions["sendcloud_mock"].returns.labelled_parcel(current_account(), params["id"])
    pdf = render_return_label(record, parcel.id, params.get("paper_size", "a6"))
    return Reply(200, raw=pdf, mimetype="application/pdf",
                 headers={"Content-Disposition": f'inline; filename="label-{parcel.id}.pdf"'})


def render_return_label(record: ReturnRecord, parcel_id: int, paper_size: str) -> bytes:
    """One collo's label as a PDF (the same return always gives the same bytes)."""
    return render_label(label_data(record, parcel_id), paper_size)


def _address(address: dict[str, Any]) -> LabelAddress:
    return LabelAddress(
        name=address.get("name", ""),
        company_name=address.get("company_name", ""),
        address_line_1=address.get("address_line_1", ""),
        house_number=address.get("house_number", ""),
        postal_code=address.get("postal_code", ""),
        city=address.get("city", ""),
        country_code=address.get("country_code", ""),
    )


def label_data(record: ReturnRecord, parcel_id: int) -> LabelData:
    """Everything printed on one collo's label."""
    request = record.request
    parcel = next(p for p in record.parcels if p.id == parcel_id)
    carrier = record.data.carrier
    return LabelData(
        carrier_code=carrier,
        carrier_name=carrier_name(carrier),
        tracking_number=parcel.tracking_number,
        parcel_id=parcel.id,
        sender=_address(request["from_address"]),
        recipient=_address(request["to_address"]),
        weight_kg=round(weight_in_kg(request["weight"]), 3),
        order_number=request.get("order_number"),
        collo_index=parcel.collo_index,
        collo_count=len(record.parcels),
        created=day_of(record.created_at),
    )
