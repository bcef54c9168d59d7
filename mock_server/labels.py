"""Deterministic PDF return labels (A6 label-printer format, or A6 on an A4 sheet).

reportlab is imported inside :func:`render_label` only: it takes a noticeable fraction of a
second to import, and the server must start fast and pay that only when a label is asked for.
"""

from __future__ import annotations

import datetime
import functools
import io
import unicodedata
from dataclasses import dataclass
from typing import Any

__all__ = ["PAPER_SIZES", "LabelAddress", "LabelData", "render_label"]

_MM = 72 / 25.4
# Page sizes in points, as (width, height).
_A6 = (105 * _MM, 148 * _MM)
_A4 = (210 * _MM, 297 * _MM)
PAPER_SIZES = ("a6", "a4")

_MARGIN = 4 * _MM
_BOLD = "Helvetica-Bold"
_REGULAR = "Helvetica"
_BARCODE_HEIGHT = 72.0


@dataclass(frozen=True)
class LabelAddress:
    """A postal address; field names follow Sendcloud's Returns API v3."""

    name: str
    company_name: str
    address_line_1: str
    house_number: str
    postal_code: str
    city: str
    country_code: str


@dataclass(frozen=True)
class LabelData:
    carrier_code: str
    carrier_name: str
    tracking_number: str
    parcel_id: int
    sender: LabelAddress  # the customer sending the return
    recipient: LabelAddress  # the shop's return address
    weight_kg: float | None
    order_number: str | None
    collo_index: int  # 1-based
    collo_count: int
    created: datetime.date


def render_label(data: LabelData, paper_size: str = "a6") -> bytes:
    """Render ``data`` as a one-page PDF label; the same data always gives the same bytes.

    ``paper_size`` is "a6" (105x148 mm, label printers) or "a4" (label in the top-left
    quarter of the sheet, like Sendcloud's A4 labels). Anything else raises ValueError.
    """
    if paper_size not in PAPER_SIZES:
        raise ValueError(f"paper_size must be one of {PAPER_SIZES}, got {paper_size!r}")
    return _rendered(data, paper_size)


# A label is downloaded again and again (each collo, each paper size, by every client that asks):
# the same data gives the same bytes, so the last few PDFs are kept (each some kilobytes).
@functools.lru_cache(maxsize=64)
def _rendered(data: LabelData, paper_size: str) -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    page = _A6 if paper_size == "a6" else _A4
    buf = io.BytesIO()
    # invariant=1 pins the creation date and document ID, so output is byte-stable.
    canv = Canvas(buf, pagesize=page, invariant=1, pageCompression=1)
    canv.setTitle(f"{data.carrier_name} return label {data.tracking_number}")
    canv.setAuthor("Sendcloud mock")
    canv.setCreator("sendcloud-mock")
    canv.setSubject(f"Parcel {data.parcel_id}")

    if paper_size == "a4":
        _draw_cut_lines(canv, page)
        canv.translate(0, page[1] - _A6[1])
    _draw_label(canv, data)

    canv.showPage()
    canv.save()
    return buf.getvalue()


# --- drawing helpers --------------------------------------------------------------------


def _draw_cut_lines(canv: Any, page: tuple[float, float]) -> None:
    canv.saveState()
    canv.setDash(4, 3)
    canv.setLineWidth(0.5)
    canv.setStrokeGray(0.6)
    canv.line(_A6[0], page[1], _A6[0], page[1] - _A6[1])
    canv.line(0, page[1] - _A6[1], _A6[0], page[1] - _A6[1])
    canv.restoreState()


def _draw_label(canv: Any, data: LabelData) -> None:
    width, height = _A6
    left, right = _MARGIN, width - _MARGIN
    inner = right - left
    y = height - _MARGIN

    # Header: carrier name and a reversed-out RETURN marker.
    marker_w, header_h = 82.0, 34.0
    canv.setFillGray(0)
    canv.rect(right - marker_w, y - header_h, marker_w, header_h, stroke=0, fill=1)
    canv.setFillGray(1)
    canv.setFont(_BOLD, 17)
    canv.drawCentredString(right - marker_w / 2, y - header_h / 2 - 6, "RETURN")
    canv.setFillGray(0)
    _text(canv, left, y - 24, data.carrier_name, _BOLD, 24, inner - marker_w - 8)
    y -= header_h + 6
    canv.setLineWidth(1.2)
    canv.line(left, y, right, y)

    # FROM: the customer returning the parcel.
    y -= 11
    _caption(canv, left, y, "FROM")
    y -= 11
    for line in _address_lines(data.sender):
        _text(canv, left, y, line, _REGULAR, 9, inner)
        y -= 10.5
    y -= 2

    # TO: the return address, big and boxed because it is what the carrier sorts on.
    to_lines = _address_lines(data.recipient)
    box_h = 56 + 14 * (len(to_lines) - 2)  # padding + name lines + postal/city + country
    canv.setLineWidth(2)
    canv.rect(left, y - box_h, inner, box_h, stroke=1, fill=0)
    ty = y - 12
    _caption(canv, left + 6, ty, "TO")
    ty -= 16
    for line in to_lines[:-2]:
        _text(canv, left + 6, ty, line, _BOLD, 12, inner - 12)
        ty -= 14
    ty -= 5
    _text(canv, left + 6, ty, to_lines[-2], _BOLD, 16, inner - 12)
    ty -= 15
    _text(canv, left + 6, ty, to_lines[-1], _BOLD, 11, inner - 12)
    y -= box_h + 6

    # Info grid: two rows of captioned cells.
    weight = "-" if data.weight_kg is None else f"{data.weight_kg:.2f} kg"
    rows = [
        [("WEIGHT", weight), ("COLLI", f"{data.collo_index}/{data.collo_count}"),
         ("DATE", data.created.strftime("%Y-%m-%d"))],
        [("ORDER", data.order_number or "-"), ("PARCEL ID", str(data.parcel_id))],
    ]
    cell_h = 23.0
    canv.setLineWidth(0.8)
    for row in rows:
        cell_w = inner / len(row)
        for i, (caption, value) in enumerate(row):
            x = left + i * cell_w
            canv.rect(x, y - cell_h, cell_w, cell_h, stroke=1, fill=0)
            _caption(canv, x + 4, y - 8, caption)
            _text(canv, x + 4, y - 19, value, _BOLD, 10, cell_w - 8)
        y -= cell_h
    y -= 8

    # Barcode of the tracking number, with the number in plain text underneath.
    _caption(canv, left, y - 6, f"TRACKING NUMBER ({data.carrier_code})")
    y -= 10
    _draw_barcode(canv, data.tracking_number, left, y - _BARCODE_HEIGHT, inner)
    y -= _BARCODE_HEIGHT + 15
    canv.setFont(_BOLD, 13)
    canv.drawCentredString(width / 2, y, _pdf_text(data.tracking_number))

    canv.setFont(_REGULAR, 6)
    canv.setFillGray(0.35)
    canv.drawString(left, _MARGIN, "Printed with Sendcloud (mock)")
    canv.drawRightString(right, _MARGIN, f"{data.carrier_code} · {data.parcel_id}")
    canv.setFillGray(0)


def _draw_barcode(canv: Any, value: str, x: float, y: float, max_width: float) -> None:
    from reportlab.graphics.barcode.code128 import Code128

    # Widest bars that fit (quiet zones included), capped so short codes do not get huge.
    modules = Code128(value, barWidth=1.0, quiet=1, lquiet=10, rquiet=10).width
    bar_width = min(1.6, max_width / modules)
    code = Code128(
        value,
        barWidth=bar_width,
        barHeight=_BARCODE_HEIGHT,
        quiet=1,
        lquiet=10 * bar_width,
        rquiet=10 * bar_width,
        humanReadable=0,
    )
    code.drawOn(canv, x + (max_width - code.width) / 2, y)


def _address_lines(address: LabelAddress) -> list[str]:
    street = f"{address.address_line_1} {address.house_number}".strip()
    lines = [address.name, address.company_name, street,
             f"{address.postal_code} {address.city}".strip(), address.country_code.upper()]
    # Keep the last two (postal code + city, country) even if empty: the layout relies on them.
    return [line for line in lines[:-2] if line] + lines[-2:]


def _caption(canv: Any, x: float, y: float, text: str) -> None:
    canv.setFont(_BOLD, 7)
    canv.setFillGray(0.35)
    canv.drawString(x, y, text)
    canv.setFillGray(0)


def _text(canv: Any, x: float, y: float, text: str, font: str, size: float, max_width: float) -> None:
    """Draw one line, shrinking the font (down to 6 pt) and then truncating to fit."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    text = _pdf_text(text)
    while size > 6 and stringWidth(text, font, size) > max_width:
        size -= 0.5
    if stringWidth(text, font, size) > max_width:
        while text and stringWidth(text + "…", font, size) > max_width:
            text = text[:-1]
        text += "…"
    canv.setFont(font, size)
    canv.drawString(x, y, text)


# Letters that NFKD does not split into base letter + accent.
_NO_DECOMPOSITION = str.maketrans("ŁłĐđĦħı", "LlDdHhi")


def _pdf_text(text: str) -> str:
    """Make text drawable with the standard PDF fonts (WinAnsi/cp1252 glyphs only).

    Characters outside cp1252 would print as black boxes, so they lose their accents
    (ř -> r) or, failing that, become "?".
    """
    out = []
    for ch in text.translate(_NO_DECOMPOSITION):
        try:
            ch.encode("cp1252")
            out.append(ch)
        except UnicodeEncodeError:
            base = unicodedata.normalize("NFKD", ch).encode("cp1252", "ignore").decode("cp1252")
            out.append(base or "?")
    return "".join(out)
