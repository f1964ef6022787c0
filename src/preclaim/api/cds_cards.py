"""Cards for a clinician, from a preclaim Report: what to do, not a restatement of the coverage annotation.

claim problem the order can still fix      -> warning card (topic `claim`), dose-change suggestion if any
not covered as ordered                      -> warning card (topic `limits`) with the policy's reason
documentation missing or not yet known      -> info card (topic `clinical-reminder`), suggestion to order
                                               a serum B12 test when the lab is what is missing
every B12 order                             -> external-reference card linking the governing policy
"""

from __future__ import annotations

import uuid
from typing import Any

from preclaim.api.cds_models import Action, Card, CardSource, Coding, Indicator, Link, Suggestion
from preclaim.api.fhir_codes import LOINC_SERUM_B12, Resource, dicts, ref
from preclaim.codes.drugs import bundled_catalog
from preclaim.domain.claim import Claim
from preclaim.domain.report import PriorAuthDecision, Report, Source
from preclaim.rules.catalog import catalog

TOPIC_SYSTEM = "http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp"
_TOPIC_DISPLAY = {
    "therapy-alternatives-opt": "Therapy Alternatives: Optional",
    "claim": "Claim",
    "limits": "Limits",
    "clinical-reminder": "Clinical Reminder",
    "guideline": "Guideline",
}
MAX_SUMMARY = 139  # CDS Hooks: fewer than 140 characters


def _order_time(rule: str) -> bool:
    """A finding a clinician can act on at order time (rule catalog `order_time`). NDC, modifiers, place of
    service, bundling and filing dates are the biller's job later; prior authorization is stated by the
    coverage-information annotation."""
    entry = catalog().get(rule)
    return entry is not None and entry.order_time


def _lower_dose_helps(rule: str) -> bool:
    """A lower dose may answer the finding (rule catalog `lower_dose`): units and frequency objections."""
    entry = catalog().get(rule)
    return entry is not None and entry.lower_dose


def summary(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_SUMMARY else text[: MAX_SUMMARY - 1].rstrip() + "…"


def _source(label: str, topic: str, cited: Source | None) -> CardSource:
    return CardSource(
        label=label, url=cited.url if cited else None, topic=Coding(TOPIC_SYSTEM, topic, _TOPIC_DISPLAY[topic])
    )


def _card(text: str, indicator: Indicator, label: str, topic: str, cited: Source | None, **extra: Any) -> Card:
    detail = extra.pop("detail", None)
    if cited is not None:
        version = f", version {cited.version}" if cited.version else ""
        detail = (detail + "\n\n" if detail else "") + f"Source: {cited.title}{version}"
    return Card(
        summary=summary(text),
        indicator=indicator,
        source=_source(label, topic, cited),
        uuid=str(uuid.uuid4()),
        detail=detail,
        **extra,
    )


def dose_suggestion(order: Resource, report: Report | None = None) -> Suggestion | None:
    """Propose 1000 mcg (one J3420 unit) when the order asks for more and (given a report) a units/dose rule
    objects."""
    if order.get("resourceType") != "MedicationRequest":
        return None
    if report is not None and not any(_lower_dose_helps(f.rule) for f in report.findings if f.severity != "info"):
        return None
    dosages = dicts(order.get("dosageInstruction"))
    rates = dicts(dosages[0].get("doseAndRate")) if dosages else []
    qty = rates[0].get("doseQuantity") if rates else None
    if not isinstance(qty, dict) or not isinstance(qty.get("value"), int | float):
        return None
    scale = 1000.0 if str(qty.get("code") or qty.get("unit")).lower() == "mg" else 1.0
    if qty["value"] * scale <= 1000:
        return None
    new_qty = {"value": 1000, "unit": "mcg", "system": "http://unitsofmeasure.org", "code": "ug"}
    new_rate = {**rates[0], "doseQuantity": new_qty}
    new_dosage = {**dosages[0], "doseAndRate": [new_rate, *rates[1:]]}
    updated = {**order, "dosageInstruction": [new_dosage, *dosages[1:]]}
    action = Action(type="update", description="Set the dose to 1000 mcg", resource=updated)
    return Suggestion(label="Change the dose to 1000 mcg (one J3420 unit)", uuid=str(uuid.uuid4()), actions=(action,))


def dose_for_pa_card(order: Resource, payer_label: str, pa: PriorAuthDecision) -> Card | None:
    """The engine said no PA would be needed at 1000 mcg: offer that dose as the alternative to a PA request."""
    suggestion = dose_suggestion(order)
    if suggestion is None:
        return None
    cited = pa.sources[0] if pa.sources else None
    text = f"{payer_label} needs prior authorization at this dose, not at 1000 mcg: lower the dose or request PA"
    detail = "\n".join(f"- {r}" for r in pa.reasons) or None
    return _card(
        text,
        "warning",
        payer_label,
        "therapy-alternatives-opt",
        cited,
        detail=detail,
        suggestions=(suggestion,),
        selectionBehavior="at-most-one",
    )


def lab_suggestion(order: Resource, patient_ref: str) -> Suggestion:
    request = {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "order",
        "code": {
            "coding": [
                {
                    "system": "http://loinc.org",
                    "code": LOINC_SERUM_B12,
                    "display": "Cobalamin (Vitamin B12) [Mass/volume] in Serum or Plasma",
                }
            ]
        },
        "subject": {"reference": patient_ref},
    }
    if order.get("requester"):
        request["requester"] = order["requester"]
    action = Action(type="create", description="Order a serum B12 test", resource=request)
    return Suggestion(
        label="Record the serum B12 result (order the test)",
        uuid=str(uuid.uuid4()),
        isRecommended=True,
        actions=(action,),
    )


def _drug_code(claim: Claim) -> str:
    """The claim's drug: its first line whose code is a catalog drug (J3420 when none is, as for J3490)."""
    catalog = bundled_catalog()
    return next((line.code for line in claim.lines if catalog.drug(line.code) is not None), "J3420")


def _drug_words(claim: Claim) -> str:
    """'B12' for the B12 codes, else the catalog drug's name ('ketorolac tromethamine')."""
    code = _drug_code(claim)
    drug = bundled_catalog().drug(code) if code not in ("J3420", "J3424", "J3425") else None
    return drug.substance if drug is not None else "B12"


def cards_for(report: Report, claim: Claim, order: Resource, payer_label: str, *, supporting: bool) -> list[Card]:
    cards: list[Card] = []
    policy_source = next((f.source for f in report.findings), None) or next((c.source for c in report.checklist), None)
    for f in [f for f in report.findings if f.severity == "error" and f.cure == "none"][:1]:
        cards.append(
            _card(f"Not covered as ordered: {f.message}", "warning", payer_label, "limits", f.source, detail=f.fix)
        )
    claim_fixes = [
        f for f in report.findings if f.severity in ("error", "warning") and f.cure == "claim" and _order_time(f.rule)
    ]
    if claim_fixes:
        f = claim_fixes[0]
        dose = dose_suggestion(order, report) if _drug_code(claim) == "J3420" else None
        extra: dict[str, Any] = {
            "detail": "\n".join(f"- {x.message}" + (f" Fix: {x.fix}" if x.fix else "") for x in claim_fixes[:5])
        }
        if dose:
            extra.update(suggestions=(dose,), selectionBehavior="at-most-one")
        cards.append(_card(f.fix or f.message, "warning", payer_label, "claim", f.source, **extra))
    open_items = [c for c in report.checklist if c.status != "met"]
    if open_items and not supporting:
        lines = "\n".join(f"- {c.item}" + (f" ({c.detail})" if c.detail else "") for c in open_items)
        needs_lab = any(c.id in ("deficiency", "lab") or "serum b12" in c.item.lower() for c in open_items)
        extra = {"detail": "The chart should show:\n" + lines}
        if needs_lab:
            patient_ref = ref(order.get("subject")) or ref(order.get("patient")) or f"Patient/{claim.patient.key}"
            extra.update(suggestions=(lab_suggestion(order, patient_ref),), selectionBehavior="at-most-one")
        text = "Document the serum B12 result and " if needs_lab else "Document "
        cards.append(
            _card(
                text + f"{len(open_items)} item(s) {payer_label} needs for {_drug_words(claim)} injections",
                "info",
                payer_label,
                "clinical-reminder",
                open_items[0].source,
                **extra,
            )
        )
    if policy_source is not None and policy_source.url:
        link = Link(label=summary(policy_source.title)[:100], url=policy_source.url, type="absolute")
        cards.append(
            _card(
                f"{payer_label} {_drug_words(claim)} injection policy",
                "info",
                payer_label,
                "guideline",
                policy_source,
                links=(link,),
            )
        )
    return cards
