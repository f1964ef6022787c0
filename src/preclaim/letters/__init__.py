"""Letters a practice sends a payer, built from the facts and citations on file (never invented ones).

    from preclaim.letters import necessity_letter, appeal_letter, render_pdf
    letter = necessity_letter(claim, report, codes, today)    # prior-authorization request / medical necessity
    letter = appeal_letter(payment, payer_name, codes, today, claim=claim, report=report)
    pdf_bytes = render_pdf(letter)

A fact that is not on file becomes a visible Blank ("________ (serum B12 result and date)") for the writer
to fill in by hand; the letter lists how many blanks are left.
"""

from preclaim.letters.appeal import appeal_letter
from preclaim.letters.model import Blank, Letter, Section, Text, blanks_in
from preclaim.letters.necessity import necessity_letter
from preclaim.letters.pdf import render_pdf

__all__ = ["Blank", "Letter", "Section", "Text", "appeal_letter", "blanks_in", "necessity_letter", "render_pdf"]
