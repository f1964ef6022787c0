"""PDF output with reportlab (pure Python, from PyPI): letters here, the plan checklist in preclaim.web.

Standard PDF fonts only (no system fonts needed); text outside Latin-1 is mapped to ASCII first.
"""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, StyleSheet1, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Flowable, ListFlowable, ListItem, Paragraph, SimpleDocTemplate, Spacer, Table

from preclaim.domain.report import Source
from preclaim.letters.model import BLANK_RULE, Blank, Letter, Section, Text

MARGIN = 0.75 * inch
BLANK_COLOR = "#8a1c00"
_ASCII = str.maketrans({"–": "-", "—": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "≥": ">=", "≤": "<=", "…": "..."})


def safe(value: str) -> str:
    """Escape for reportlab markup, keeping to the Latin-1 repertoire of the standard fonts."""
    mapped = value.translate(_ASCII).encode("latin-1", "replace").decode("latin-1")
    return escape(mapped)


def markup(runs: Text) -> str:
    parts = []
    for run in runs:
        if isinstance(run, Blank):
            parts.append(f'<font color="{BLANK_COLOR}"><b>{BLANK_RULE}</b> <i>({safe(run.label)})</i></font>')
        else:
            parts.append(safe(run))
    return "".join(parts)


def styles(scale: float = 1.0) -> StyleSheet1:
    """The letter's type; `scale` below 1 tightens it so a letter that just runs over still fits one page."""
    sheet = getSampleStyleSheet()
    sheet["Normal"].fontSize = 10 * scale
    sheet["Normal"].leading = 13 * scale
    sheet.add(
        ParagraphStyle(
            "Small", parent=sheet["Normal"], fontSize=7.5, leading=9 * scale, textColor=colors.HexColor("#333333")
        )
    )
    sheet.add(ParagraphStyle("H", parent=sheet["Heading4"], fontSize=10.5 * scale, spaceBefore=7 * scale, spaceAfter=2))
    sheet.add(ParagraphStyle("LetterTitle", parent=sheet["Title"], fontSize=13, leading=16, spaceAfter=6 * scale))
    return sheet


def bullets(items: list[Flowable], size: float = 10) -> ListFlowable:
    return ListFlowable(
        [ListItem(i, leftIndent=12) for i in items], bulletType="bullet", start="•", leftIndent=12, bulletFontSize=size
    )


def source_line(src: Source) -> str:
    version = f", {src.version}" if src.version else ""
    url = f" {src.url}" if src.url else ""
    return safe(f"{src.title}{version}{url}")


def _section(section: Section, sheet: StyleSheet1) -> list[Flowable]:
    out: list[Flowable] = [Paragraph(safe(section.heading), sheet["H"])] if section.heading else [Spacer(1, 4)]
    if section.style == "rows":
        data = [[Paragraph(safe(k), sheet["Normal"]), Paragraph(markup(v), sheet["Normal"])] for k, v in section.rows]
        table = Table(data, colWidths=[1.6 * inch, None], hAlign="LEFT")
        table.setStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)])
        out.append(table)
    elif section.style == "bullets":
        out.append(bullets([Paragraph(markup(p), sheet["Normal"]) for p in section.paragraphs]))
    else:
        out += [Paragraph(markup(p), sheet["Normal"]) for p in section.paragraphs]
    return out


def _heading(letter: Letter, sheet: StyleSheet1, gap: float) -> list[Flowable]:
    """Letterhead on the left, date on the right; the addressee below."""
    sender = [Paragraph(markup(line), sheet["Normal"]) for line in letter.sender]
    date = Paragraph(safe(letter.date.strftime("%B %d, %Y")), sheet["Normal"])
    top = Table([[sender, date]], colWidths=[None, 1.6 * inch], hAlign="LEFT")
    top.setStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    story: list[Flowable] = [top, Spacer(1, gap)]
    story += [Paragraph(markup(line), sheet["Normal"]) for line in letter.recipient if line]
    return story


def letter_flowables(letter: Letter, sheet: StyleSheet1, gap: float = 8) -> list[Flowable]:
    story = _heading(letter, sheet, gap)
    story += [Spacer(1, gap), Paragraph(safe(letter.title), sheet["LetterTitle"])]
    for label, value in letter.subject:
        story.append(Paragraph(f"<b>{safe(label)}:</b> {markup(value)}", sheet["Normal"]))
    story += [Spacer(1, gap), Paragraph(safe(letter.salutation), sheet["Normal"])]
    for section in letter.sections:
        story += _section(section, sheet)
    story.append(Spacer(1, gap))
    story += [Paragraph(markup(line) or "&nbsp;", sheet["Normal"]) for line in letter.closing]
    if letter.citations:
        story += [Spacer(1, gap), Paragraph("<b>Sources</b>", sheet["Small"])]
        story += [Paragraph(source_line(src), sheet["Small"]) for src in letter.citations]
    story += [Paragraph(f"<b>Note:</b> {safe(note)}", sheet["Small"]) for note in letter.notes]
    return story


def _footer(title: str):  # type: ignore[no-untyped-def]
    def draw(canvas, doc) -> None:  # type: ignore[no-untyped-def]
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.drawString(MARGIN, 0.55 * inch, safe(title)[:110])
        canvas.drawRightString(LETTER[0] - MARGIN, 0.55 * inch, f"page {doc.page}")
        canvas.restoreState()

    return draw


TIGHTER = ((1.0, 8.0), (0.93, 5.0), (0.87, 3.0))  # (type scale, gap): tried in turn until the letter fits a page


def _build(letter: Letter, scale: float, gap: float) -> tuple[bytes, int]:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=letter.title,
        author="preclaim",
    )
    footer = _footer(f"Generated by preclaim. {BLANK_RULE} marks a fact not on file: fill it in before sending.")
    doc.build(letter_flowables(letter, styles(scale), gap), onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue(), doc.page


def render_pdf(letter: Letter) -> bytes:
    """The letter on one page when its content fits one (the type tightens a little first); else on more."""
    first = b""
    for scale, gap in TIGHTER:
        data, pages = _build(letter, scale, gap)
        if pages == 1:
            return data
        first = first or data
    return first  # it does not fit one page: normal type over several
