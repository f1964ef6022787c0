"""The plan checklist as a one-page PDF: content that would run over is shrunk to fit, never cut or split."""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import LETTER
from reportlab.platypus import Flowable, KeepInFrame, Paragraph, SimpleDocTemplate, Spacer

from preclaim.letters.pdf import MARGIN, bullets, safe, source_line, styles
from preclaim.web.checklist import PlanSheet

CHECKBOX = '<font name="ZapfDingbats" size="9">o</font>'  # an empty box, drawn by the standard symbol font
SIGN_OFF = "Clinic: ______________________   Date: ____________   Checked by (initials): ________"


def _story(sheet: PlanSheet) -> list[Flowable]:
    st = styles()
    numbers = {(s.id, s.title): n for n, s in enumerate(sheet.sources, start=1)}
    story: list[Flowable] = [Paragraph(safe(sheet.title), st["LetterTitle"])]
    refs = "; ".join(f"{p.title} ({p.version})" for p in sheet.policies)
    story.append(Paragraph(safe(f"Policies as of {sheet.as_of.isoformat()}: {refs}"), st["Small"]))
    if sheet.illustrative:
        story.append(Paragraph("<b>ILLUSTRATIVE policy: not a real payer's rules.</b>", st["Normal"]))
    for group in sheet.groups:
        story.append(Paragraph(safe(group.heading), st["H"]))
        rows = []
        for item in group.items:
            ref = f" <super>[{numbers[(item.source.id, item.source.title)]}]</super>" if item.source else ""
            rows.append(Paragraph(f"{CHECKBOX} {safe(item.text)}{ref}", st["Normal"]))
        story.append(bullets(rows))
    story += [Spacer(1, 8), Paragraph(SIGN_OFF, st["Normal"])]
    story += [Spacer(1, 6), Paragraph("<b>Sources</b>", st["Small"])]
    story += [Paragraph(f"[{n}] {source_line(src)}", st["Small"]) for n, src in enumerate(sheet.sources, start=1)]
    return story


def render_checklist_pdf(sheet: PlanSheet) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=sheet.title,
        author="preclaim",
    )
    frame = KeepInFrame(doc.width, doc.height, _story(sheet), mode="shrink")
    doc.build([frame])
    return buffer.getvalue()
