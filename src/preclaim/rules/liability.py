"""Who pays when Medicare denies a line as not reasonable and necessary: with GA and a signed ABN, the patient.

A line billed with GA (an ABN was issued as required) that Medicare denies for medical necessity (coverage,
frequency, the chemotherapy-adjunct schedule) is assigned to the beneficiary: group PR, not CO (CR 6563;
Claims Processing Manual Pub. 100-04 ch. 30 §40.3.6). Correctly billed, such a line is nothing for the biller
to fix: the finding stays in the report as information with the PR outcome. GZ (no ABN) stays CO.
"""

from __future__ import annotations

import msgspec

from preclaim.domain.report import Finding
from preclaim.rules.base import RuleContext, split_carc


def patient_liable(ctx: RuleContext, line_number: int) -> bool:
    """True when the line carries GA alone among GA/GZ/GY, an ABN is not known to be missing, and the payer's
    policy uses the Medicare liability modifiers."""
    rule = ctx.claim_rules.liability_modifiers
    if rule is None or not rule.value.enabled:
        return False
    enc = ctx.claim.encounter
    if enc is not None and enc.abn_on_file is False:
        return False  # modifiers.ga-without-abn: the clinic is liable
    for line in ctx.claim.lines:
        if line.number == line_number:
            mods = line.modifiers
            return "GA" in mods and "GZ" not in mods and "GY" not in mods
    return False


def as_patient_liability(found: Finding) -> Finding:
    """The medical-necessity denial `found`, as the patient-liability outcome a GA line with an ABN expects."""
    _group, reason = split_carc(found.carc or "CO-50")
    carc = f"PR-{reason}"
    return msgspec.structs.replace(
        found,
        severity="info",
        message=f"{found.message}. Billed with GA and an ABN on file: if Medicare denies the line, the patient "
        f"pays ({carc}); nothing to fix",
        carc=carc,
        fix=None,
        cure="none",
        correction=None,
    )
