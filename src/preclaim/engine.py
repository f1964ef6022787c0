"""The engine: resolve the policy for a claim, run every rule, and merge findings into a Report.

Pure: it reads nothing and knows no clock. Build it once (policies and code sets load at construction)
and call `check` per claim.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Final, cast

from preclaim.codes import CodeSets, load_codes
from preclaim.domain.claim import Claim
from preclaim.domain.history import EMPTY_HISTORY, History
from preclaim.domain.report import Finding, PriorAuthDecision, Report, Verdict
from preclaim.policy import PayerKey, PolicyLibrary, ResolvedPolicy, load_library
from preclaim.rules import RuleContext, rules_for
from preclaim.rules.base import first_day_of
from preclaim.rules.documentation import documented
from preclaim.rules.prior_auth import decide

_SEVERITY_ORDER: Final = {"error": 0, "warning": 1, "info": 2}
_RESOLVED_LIMIT: Final = 4096  # (claim fields, day) -> resolved policy entries kept per engine
_DECISION: Final = "engine.decision"  # the shared memo's key prefix for prior-authorization decisions
_SHARED_LIMIT: Final = 16_384  # results one policy's memo keeps (checklists, coverage judgements, NDCs) before a reset


def payer_key(claim: Claim) -> PayerKey:
    return PayerKey(
        payer_id=claim.payer.id,
        payer_name=claim.payer.name,
        filing_indicator=claim.filing_indicator,
        state=claim.billing_provider.state,
        plan=claim.plan,
    )


def for_patient(history: History, key: str) -> History:
    """history.for_patient(key), or the history itself when it holds only this patient's records already (as the
    in-file and stored histories do): checking is cheaper than copying."""
    if history is EMPTY_HISTORY:
        return history
    for adm in history.administrations:
        if adm.patient_key != key:
            return history.for_patient(key)
    for claim in history.claims:
        if claim.patient.key != key:
            return history.for_patient(key)
    for auth in history.authorizations:
        if auth.patient_key is not None and auth.patient_key != key:
            return history.for_patient(key)
    return history


def verdict_of(findings: Sequence[Finding]) -> Verdict:
    """deny: an error editing cannot cure; fix: any other error or warning; clean: neither."""
    verdict: Verdict = "clean"
    for f in findings:
        if f.severity == "error" and f.cure == "none":
            return "deny"
        if f.severity in ("error", "warning"):
            verdict = "fix"
    return verdict


def _order(f: Finding) -> tuple[int, int]:
    return (f.line if f.line is not None else 0, _SEVERITY_ORDER[f.severity])


class Engine:
    """Owns every cache the rules use: resolved policies (with their diagnosis indexes, built at resolve time)
    and, per resolved policy, the memo of results derived from it and this engine's code sets."""

    def __init__(self, policies: PolicyLibrary, codes: CodeSets) -> None:
        self.policies = policies
        self.codes = codes
        self.rules = rules_for(codes)
        self._resolved: dict[tuple[object, ...], tuple[ResolvedPolicy, dict[object, object]]] = {}
        # Keyed by the resolved policy itself (identity): the library hands out one per set of matching policies,
        # so every day and claim field it governs shares one memo.
        self._shared: dict[ResolvedPolicy, dict[object, object]] = {}

    @classmethod
    def default(cls, policy_dirs: Sequence[Path] = (), codes_dir: Path | None = None) -> Engine:
        """Bundled policies and code sets, plus those imported into the data folder `codes_dir` (an edge finds
        it: preclaim.facade.load_engine), plus `policy_dirs`; policy drug keys are checked against those codes."""
        codes = load_codes(codes_dir)
        return cls(load_library(policy_dirs, home=codes_dir, codes=codes), codes)

    @property
    def dose_codes(self) -> frozenset[str]:
        """The codes whose earlier lines the rules read as doses (its policies' drug codes): an in-file history
        need not hand over the rest."""
        return self.policies.drug_codes

    def warm(self) -> None:
        """Load now what the first check would load: a process about to fork checkers loads it once for all."""
        self.codes.warm()

    def resolve(self, claim: Claim, as_of: dt.date) -> ResolvedPolicy:
        return self._policy(claim, first_day_of(claim) or as_of)[0]

    def _policy(self, claim: Claim, day: dt.date) -> tuple[ResolvedPolicy, dict[object, object]]:
        """PolicyLibrary.resolve and its memo, memoised on plain fields: cheaper than building and hashing a
        PayerKey per claim."""
        payer = claim.payer
        key = (
            self.policies,
            payer.id,
            payer.name,
            claim.filing_indicator,
            claim.billing_provider.state,
            claim.plan,
            day,
        )
        found = self._resolved.get(key)
        if found is None:
            if len(self._resolved) >= _RESOLVED_LIMIT:  # a service or a years-long audit meets new days forever
                self._resolved.clear()
            policy = self.policies.resolve(payer_key(claim), day)
            shared = self._shared.get(policy)
            if shared is None:
                shared = self._shared[policy] = {}
            found = self._resolved[key] = (policy, shared)
        return found

    def context(self, claim: Claim, history: History, as_of: dt.date) -> RuleContext:
        first = first_day_of(claim)
        policy, shared = self._policy(claim, first or as_of)
        if len(shared) > _SHARED_LIMIT:  # distinct NDCs, diagnoses and checklists: bound the odd flood
            shared.clear()
        history = for_patient(history, claim.patient.key)
        return RuleContext(claim, history, policy, self.codes, as_of, first, shared)

    def prior_auth(self, claim: Claim, history: History = EMPTY_HISTORY, *, as_of: dt.date) -> PriorAuthDecision:
        return decide(self.context(claim, history, as_of))

    def check(self, claim: Claim, history: History = EMPTY_HISTORY, *, as_of: dt.date) -> Report:
        ctx = self.context(claim, history, as_of)
        findings: list[Finding] = []
        for rule in self.rules:
            findings.extend(rule(ctx))
        documentation = documented(ctx)
        findings.extend(documentation.findings)
        if len(findings) > 1:  # most claims have none or one: nothing to merge
            findings = list(dict.fromkeys(findings))
            findings.sort(key=_order)
        decision = decide(ctx)
        # One object per distinct decision (a policy set gives a handful): reports share it, and a JSON writer
        # encodes it once (io/report_json.py).
        decision = cast("PriorAuthDecision", ctx.shared.setdefault((_DECISION, decision), decision))
        return Report(
            claim_id=claim.id,
            verdict=verdict_of(findings),
            prior_auth=decision,
            findings=tuple(findings),
            checklist=documentation.items,
            policies=ctx.policy.refs,
        )
