"""Look at a PDF the way a reader would: pages, extracted text, and where ink lands on the rendered page."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pypdfium2 as pdfium

POINTS_PER_INCH = 72


@dataclass
class PageInk:
    width: float
    height: float
    left: float  # bounding box of every non-white pixel, in points from the top-left corner
    top: float
    right: float
    bottom: float


def pages(data: bytes) -> int:
    return len(pdfium.PdfDocument(data))


def text(data: bytes) -> str:
    doc = pdfium.PdfDocument(data)
    return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))


def ink(data: bytes, page: int = 0, save: Path | None = None, scale: float = 2.0) -> PageInk:
    """Render the page and find the box holding all non-white pixels (the printed area)."""
    doc = pdfium.PdfDocument(data)
    pdf_page = doc[page]
    width, height = pdf_page.get_size()
    image = pdf_page.render(scale=scale).to_pil().convert("L")
    if save is not None:
        save.parent.mkdir(parents=True, exist_ok=True)
        image.save(save)
    mask = image.point(lambda v: 255 if v < 245 else 0)
    box = mask.getbbox()
    assert box is not None, "the page is blank"
    left, top, right, bottom = (v / scale for v in box)
    return PageInk(width, height, left, top, right, bottom)


def char_boxes_outside(data: bytes, margin: float, bottom_margin: float) -> list[str]:
    """Characters whose box leaves the text area (left/right/top margin, and a smaller bottom for the footer)."""
    doc = pdfium.PdfDocument(data)
    outside = []
    for n in range(len(doc)):
        page = doc[n]
        width, height = page.get_size()
        textpage = page.get_textpage()
        for i in range(textpage.count_chars()):
            left, bottom, right, top = textpage.get_charbox(i)
            if right <= left:  # spaces and line breaks have empty boxes
                continue
            if left < margin - 1 or right > width - margin + 1 or top > height - margin + 1 or bottom < bottom_margin:
                outside.append(f"page {n + 1} char {textpage.get_text_range(i, 1)!r} at {left:.0f},{bottom:.0f}")
    return outside
