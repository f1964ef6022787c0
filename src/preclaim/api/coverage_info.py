"""The Da Vinci CRD coverage-information extension for one order, built from a preclaim Report.

Mapping (Da Vinci CRD coverage-information extension; invariants q1-q5 hold by construction):
    verdict deny                      -> covered=not-covered, no pa-needed (q2)
    prior_auth required / not-required / on-file (with number) / conditional -> auth-needed / no-auth /
        satisfied + satisfied-pa-id (q5) / conditional; unknown -> pa-needed omitted, reason says why
    checklist item missing or unknown -> doc-needed=clinical, doc-purpose withclaim (+ withpa when auth-needed,
        never with satisfied: q4); none -> no-doc. Supporting hooks (order-select) never ask for documentation.
    any value `conditional`           -> info-needed=timeframe (q3): B12 conditions are about dose and schedule.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from preclaim.api.fhir_codes import HCPCS_SYSTEM, Resource, as_list
from preclaim.domain.claim import Claim
from preclaim.domain.history import History
from preclaim.domain.report import Report

EXT_URL = "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information"
CPT_SYSTEM = "http://www.ama-assn.org/go/cpt"
_PA = {"required": "auth-needed", "not-required": "no-auth", "conditional": "conditional"}


def _sub(url: str, kind: str, value: Any) -> dict[str, Any]:
    return {"url": url, kind: value}


def satisfied_pa_id(report: Report, claim: Claim, history: History) -> str | None:
    if report.prior_auth.status != "on-file":
        return None
    if claim.prior_auth:
        return claim.prior_auth
    day = claim.first_date_of_service
    found = [
        a for a in history.authorizations if a.status in ("approved", "partial") and (day is None or a.covers(day))
    ]
    return found[0].number if found else None


def decide(report: Report, claim: Claim, history: History, *, supporting: bool) -> dict[str, Any]:
    """The coded answer: covered, pa-needed, doc-needed, doc-purpose, info-needed, satisfied-pa-id, reasons."""
    out: dict[str, Any] = {"reasons": []}
    if report.verdict == "deny":
        out["covered"] = "not-covered"
        out["reasons"] = [f.message for f in report.findings if f.severity == "error" and f.cure == "none"][:3]
        return out
    out["covered"] = "covered"
    pa_id = satisfied_pa_id(report, claim, history)
    status = report.prior_auth.status
    pa = "satisfied" if pa_id else ("auth-needed" if status == "on-file" else _PA.get(status))
    if pa:
        out["pa-needed"] = pa
    if pa_id:
        out["satisfied-pa-id"] = pa_id
    if status != "not-required":
        out["reasons"] = list(report.prior_auth.reasons[:3])
    if not supporting:
        open_items = [c for c in report.checklist if c.status != "met"]
        out["doc-needed"] = "clinical" if open_items else "no-doc"
        if open_items:
            out["doc-purpose"] = ["withclaim"] + (["withpa"] if pa == "auth-needed" else [])
    if "conditional" in (out.get("covered"), out.get("pa-needed"), out.get("doc-needed")):
        out["info-needed"] = "timeframe"
    return out


def assertion_id(coverage_ref: str, order_ref: str, decision: dict[str, Any]) -> str:
    """Stable for the same coverage, order and answer; different coverages get different ids."""
    key = "|".join([coverage_ref, order_ref, str(sorted((k, str(v)) for k, v in decision.items()))])
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def extension(
    decision: dict[str, Any], claim: Claim, coverage_ref: str, order_ref: str, today: dt.date
) -> dict[str, Any]:
    subs = [
        _sub("coverage", "valueReference", {"reference": coverage_ref}),
        _sub("covered", "valueCode", decision["covered"]),
    ]
    for name in ("pa-needed", "doc-needed"):
        if name in decision:
            subs.append(_sub(name, "valueCode", decision[name]))
    subs += [_sub("doc-purpose", "valueCode", p) for p in decision.get("doc-purpose", [])]
    if "info-needed" in decision:
        subs.append(_sub("info-needed", "valueCode", decision["info-needed"]))
    for line in claim.lines:
        system = CPT_SYSTEM if line.code[:1].isdigit() else HCPCS_SYSTEM
        subs.append(_sub("billingCode", "valueCoding", {"system": system, "code": line.code}))
    subs += [_sub("reason", "valueCodeableConcept", {"text": r}) for r in decision["reasons"]]
    subs.append(_sub("date", "valueDate", today.isoformat()))
    subs.append(_sub("coverage-assertion-id", "valueString", assertion_id(coverage_ref, order_ref, decision)))
    if "satisfied-pa-id" in decision:
        subs.append(_sub("satisfied-pa-id", "valueString", decision["satisfied-pa-id"]))
    return {"url": EXT_URL, "extension": subs}


def annotate(order: Resource, ext: dict[str, Any]) -> Resource:
    """A copy of the order with our coverage information replacing any earlier one."""
    kept = [e for e in as_list(order.get("extension")) if not (isinstance(e, dict) and e.get("url") == EXT_URL)]
    return {**order, "extension": [*kept, ext]}
