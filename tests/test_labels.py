"""Tests for mock_server.labels: PDF return labels checked with pypdf."""

from __future__ import annotations

import dataclasses
import datetime
import io
import itertools
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from pypdf import PdfReader

from mock_server import labels
from mock_server.labels import LabelAddress, LabelData, render_label

ROOT = Path(__file__).resolve().parents[1]
A6 = (297.64, 419.53)
A4 = (595.28, 841.89)

SENDER = LabelAddress("Jan de Vries", "", "Keizersgracht", "126-A", "1015 CW", "Amsterdam", "NL")
RECIPIENT = LabelAddress(
    "Returns Department", "Shop B.V.", "Stadhuisplein", "10", "5611 EM", "Eindhoven", "NL"
)
DATA = LabelData(
    carrier_code="postnl",
    carrier_name="PostNL",
    tracking_number="3SSCRT28311689",
    parcel_id=123456789,
    sender=SENDER,
    recipient=RECIPIENT,
    weight_kg=1.25,
    order_number="ORD-2024-000123",
    collo_index=1,
    collo_count=2,
    created=datetime.date(2024, 5, 17),
)


def _page(pdf: bytes):
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return reader.pages[0]


def _filled_rects(pdf: bytes) -> list[tuple[float, float, float, float]]:
    """(x, y, w, h) of every rectangle painted with a fill-only operator, in drawing order."""
    ops = _page(pdf).get_contents().operations
    rects = []
    for (operands, op), (_, next_op) in itertools.pairwise(ops):
        if op == b"re" and next_op in (b"f", b"f*"):
            rects.append(tuple(float(v) for v in operands))
    return rects


@pytest.mark.parametrize(("paper", "size"), [("a6", A6), ("a4", A4)])
def test_pdf_parses_with_expected_page_size(paper: str, size: tuple[float, float]) -> None:
    """The PDF parses into one page of the requested paper size."""
    pdf = render_label(DATA, paper)
    assert pdf.startswith(b"%PDF-")
    box = _page(pdf).mediabox
    assert float(box.width) == pytest.approx(size[0], abs=0.5)
    assert float(box.height) == pytest.approx(size[1], abs=0.5)


@pytest.mark.parametrize("paper", ["a6", "a4"])
def test_text_content(paper: str) -> None:
    """The label text has carrier, tracking number, both addresses and the parcel details."""
    text = _page(render_label(DATA, paper)).extract_text()
    for expected in [
        "PostNL", "RETURN", "FROM", "TO", DATA.tracking_number,
        "1015 CW", "Amsterdam", "Jan de Vries", "Keizersgracht 126-A",
        "5611 EM", "Eindhoven", "Shop B.V.", "Stadhuisplein 10",
        "1.25 kg", "ORD-2024-000123", "1/2", "2024-05-17", "123456789",
    ]:
        assert expected in text, expected


def test_missing_weight_and_order_number() -> None:
    """A label without weight or order number still renders, with placeholders."""
    data = dataclasses.replace(DATA, weight_kg=None, order_number=None, collo_index=2)
    text = _page(render_label(data)).extract_text()
    assert "kg" not in text
    assert "2/2" in text


def test_non_latin1_names_are_transliterated() -> None:
    """Characters the standard PDF fonts lack lose their accents instead of printing as boxes."""
    sender = dataclasses.replace(SENDER, name="Zdeněk Łukasz", city="Łódź")
    text = _page(render_label(dataclasses.replace(DATA, sender=sender))).extract_text()
    assert "Zdenek Lukasz" in text
    assert "Lódz" in text


def test_long_values_stay_inside_the_label() -> None:
    """Very long names are shrunk or truncated so nothing is drawn past the label's edge."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    long_name = "Aleksandra Wilhelmina Konstantinopolous-Vanderbilt-Hohenzollern " * 3
    recipient = dataclasses.replace(RECIPIENT, name=long_name, company_name=long_name)
    page = _page(render_label(dataclasses.replace(DATA, recipient=recipient)))
    right_edges = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            width = stringWidth(text.strip(), font["/BaseFont"].lstrip("/"), size * tm[0]) * cm[0]
            right_edges.append(tm[4] * cm[0] + cm[4] + width)

    page.extract_text(visitor_text=visit)
    assert len(right_edges) > 20
    assert max(right_edges) <= A6[0] - 10  # inside the 4 mm margin


def test_a4_label_sits_in_top_left_quarter() -> None:
    """On A4 every piece of text is inside the top-left quarter of the sheet."""
    page = _page(render_label(DATA, "a4"))
    points = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            points.append((tm[4] * cm[0] + tm[5] * cm[2] + cm[4], tm[4] * cm[1] + tm[5] * cm[3] + cm[5]))

    page.extract_text(visitor_text=visit)
    assert points
    assert all(0 <= x < A4[0] / 2 and A4[1] / 2 < y <= A4[1] for x, y in points)


def test_deterministic_bytes() -> None:
    """The same data renders to identical bytes (drawn anew, not the kept PDF); another tracking
    number changes them."""
    first, first_a4 = render_label(DATA), render_label(DATA, "a4")
    labels._rendered.cache_clear()
    assert render_label(DATA) == first
    assert render_label(DATA, "a4") == first_a4
    assert render_label(DATA) != render_label(dataclasses.replace(DATA, tracking_number="3SSCRT28311690"))
    assert render_label(DATA) != render_label(DATA, "a4")


def test_a_label_asked_again_is_not_drawn_again() -> None:
    """The PDF of the same data and paper size is kept: a second download costs no drawing."""
    labels._rendered.cache_clear()
    drawn = render_label(DATA, "a4")
    assert render_label(DATA, "a4") is drawn
    assert labels._rendered.cache_info().hits == 1
    assert render_label(dataclasses.replace(DATA, tracking_number="3SSCRT28311690"), "a4") != drawn


def test_deterministic_across_processes() -> None:
    """A fresh interpreter with another hash seed produces byte-identical output."""
    script = (
        "import sys; from tests.test_labels import DATA; from mock_server.labels import render_label;"
        "sys.stdout.buffer.write(render_label(DATA))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, check=True)
    assert out.stdout == render_label(DATA)


@pytest.mark.parametrize("bad", ["a5", "A4", "letter", "", "a6 "])
def test_bad_paper_size(bad: str) -> None:
    """Paper sizes other than a6 and a4 raise ValueError."""
    with pytest.raises(ValueError):
        render_label(DATA, bad)


@pytest.mark.parametrize("paper", ["a6", "a4"])
@pytest.mark.parametrize("tracking", ["3SSCRT28311689", "1ZA4R9759098137688", "323299364136225425842128"])
def test_barcode_matches_code128_of_tracking_number(paper: str, tracking: str) -> None:
    """The drawn bars and gaps reproduce reportlab's Code 128 pattern for the tracking number."""
    from reportlab.graphics.barcode.code128 import Code128

    pdf = render_label(dataclasses.replace(DATA, tracking_number=tracking), paper)
    rects = _filled_rects(pdf)
    # Bars are the many filled rectangles sharing one height.
    bar_height, _ = Counter(round(h, 3) for *_, h in rects).most_common(1)[0]
    bars = sorted((x, w) for x, _, w, h in rects if round(h, 3) == bar_height)
    assert len(bars) > 20

    code = Code128(tracking)
    code.validate(), code.encode(), code.decompose()
    expected = "".join(c for c in code.decomposed if c.isalpha())
    module = min(w for _, w in bars)
    drawn = []
    for i, (x, w) in enumerate(bars):
        if i:
            prev_x, prev_w = bars[i - 1]
            drawn.append(chr(ord("a") - 1 + round((x - prev_x - prev_w) / module)))
        drawn.append(chr(ord("A") - 1 + round(w / module)))
    assert "".join(drawn) == expected
    assert module > 0.7  # about 0.25 mm: the narrowest bar most scanners read reliably


def test_import_does_not_load_reportlab() -> None:
    """Importing the module leaves reportlab unimported, so server start-up stays fast."""
    script = "import sys, mock_server.labels; print('reportlab' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
