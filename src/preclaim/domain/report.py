"""Findings and reports: the output contract every interface shares (CLI, REST, CDS Hooks, web, audit).

JSON shape (stable):
{"claims":[{"claim_id","verdict","prior_auth":{"status","reasons":[...]},
  "findings":[{"rule","severity","line","message","carc","rarc":[...],"fix","source":{...}}],
  "checklist":[{"item","status","source"}]}]}
"""

from __future__ import annotations

from typing import Literal

import msgspec

Severity = Literal["error", "warning", "info"]
Verdict = Literal["clean", "fix", "deny"]
# How a problem can be cured: by editing the claim, by the chart, or not at all (the service is not covered).
Cure = Literal["claim", "documentation", "none"]
PriorAuthStatus = Literal["required", "not-required", "conditional", "on-file", "unknown"]
ChecklistStatus = Literal["met", "missing", "unknown"]


class Source(msgspec.Struct, frozen=True, omit_defaults=False):
    """Where a rule or code comes from: a policy document, a manual section or a code set."""

    id: str
    title: str
    url: str | None = None
    version: str | None = None


CorrectionAction = Literal["set-units", "add-modifier", "remove-modifier", "set-modifiers", "set-ndc", "set-code"]


class Correction(msgspec.Struct, frozen=True):
    """A mechanical fix a writer can apply to the line without a human (units, JZ, modifier order, NDC format)."""

    action: CorrectionAction
    value: str


class Finding(msgspec.Struct, frozen=True):
    rule: str
    severity: Severity
    line: int | None
    message: str
    carc: str | None  # group + reason, e.g. "CO-50"
    rarc: tuple[str, ...]
    fix: str | None
    source: Source
    cure: Cure = "claim"
    correction: Correction | None = None


class PriorAuthDecision(msgspec.Struct, frozen=True):
    status: PriorAuthStatus
    reasons: tuple[str, ...]
    sources: tuple[Source, ...] = ()


class ChecklistItem(msgspec.Struct, frozen=True):
    item: str
    status: ChecklistStatus
    source: Source
    id: str = ""
    detail: str | None = None


class PolicyRef(msgspec.Struct, frozen=True):
    id: str
    title: str
    version: str
    illustrative: bool


class Report(msgspec.Struct, frozen=True):
    claim_id: str
    verdict: Verdict
    prior_auth: PriorAuthDecision
    findings: tuple[Finding, ...]
    checklist: tuple[ChecklistItem, ...]
    policies: tuple[PolicyRef, ...] = ()

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")


class ReportBatch(msgspec.Struct, frozen=True):
    claims: tuple[Report, ...]
