"""Prior authorization: is it required for this payer, plan and patient, and is it on the claim and on file?

The decision is `unknown` for a payer no policy describes: preclaim never guesses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final, cast

from preclaim.domain.claim import ServiceLine
from preclaim.domain.history import Authorization
from preclaim.domain.report import Finding, PriorAuthDecision, PriorAuthStatus, Source
from preclaim.policy.resolver import Cited
from preclaim.policy.schema import Condition, PriorAuth
from preclaim.rules.base import Rule, RuleContext, finding, units_text
from preclaim.rules.facts import any_holds


def _requirement(ctx: RuleContext, code: str) -> tuple[PriorAuthStatus, list[str], Cited[PriorAuth] | None]:
    """Memoised per check: the decision and the findings both need it."""
    key = ("prior-auth", code)
    known = ctx.memo.get(key)  # one lookup on a hit: a tuple key is hashed anew each time
    if known is None:
        known = ctx.memo[key] = _compute_requirement(ctx, code)
    return cast("tuple[PriorAuthStatus, list[str], Cited[PriorAuth] | None]", known)


def _compute_requirement(ctx: RuleContext, code: str) -> tuple[PriorAuthStatus, list[str], Cited[PriorAuth] | None]:
    cited = ctx.drug(code).prior_auth
    if cited is None:
        payer = ctx.claim.payer.name or ctx.claim.payer.id
        return (
            "unknown",
            [f"no policy on file says whether {payer} requires prior authorization for {code}"],
            None,
        )
    spec = cited.value
    requirement = spec.requirement
    if requirement == "none":
        return "not-required", [spec.reason], cited
    if requirement == "always":
        return "required", [spec.reason], cited
    units = ctx.drug(code).units
    unit_spec = units.value if units else None
    exempt, why_exempt = any_holds(ctx, code, spec.unless_any, unit_spec)
    if exempt:
        return "not-required", [f"{spec.reason}; not needed here: {_says(why_exempt)}"], cited
    if requirement == "unknown":  # an exemption the payer states still answers (e.g. dialysis patients)
        return "unknown", [spec.reason], cited
    needed, why = any_holds(ctx, code, spec.when_any, unit_spec)
    if needed:
        return "required", [f"{spec.reason}; here: {_says(why)}"], cited
    if needed is None:
        asks = "; ".join(c.describe or c.fact for c in spec.when_any)
        return "conditional", [f"{spec.reason}; required if: {asks} (not known from this input)"], cited
    return "not-required", [f"{spec.reason}; none of its conditions holds here"], cited


def _says(conditions: Sequence[Condition]) -> str:
    return "; ".join(c.describe or c.fact for c in conditions)


def matching_authorizations(ctx: RuleContext, code: str) -> list[Authorization]:
    if not ctx.history.authorizations:
        return []  # the usual case (X12 input carries none)
    return [
        a
        for a in ctx.history.authorizations
        if a.payer_id == ctx.claim.payer.id and a.code == code and a.patient_key in (None, ctx.claim.patient.key)
    ]


def _claim_auth_number(ctx: RuleContext, line: ServiceLine) -> str | None:
    return line.prior_auth or ctx.claim.prior_auth


# The overall status of a claim with several drug codes: the first of these any code has.
_PRECEDENCE: Final[tuple[PriorAuthStatus, ...]] = ("required", "unknown", "conditional", "on-file", "not-required")


def decide(ctx: RuleContext) -> PriorAuthDecision:
    codes = ctx.drug_codes
    if not codes:
        return PriorAuthDecision("not-required", ("no drug on this claim is governed by a prior-authorization rule",))
    statuses: list[PriorAuthStatus] = []
    reasons: list[str] = []
    sources: list[Source] = []
    for code in codes:
        status, why, cited = _requirement(ctx, code)
        if status in ("required", "conditional") and _on_file(ctx, code):
            status = "on-file"
            why = [*why, "an authorization matching this service is on the claim and on file"]
        statuses.append(status)
        reasons.extend(why)
        if cited:
            sources.append(cited.source)
    overall = statuses[0] if len(statuses) == 1 else next(s for s in _PRECEDENCE if s in statuses)
    return PriorAuthDecision(overall, tuple(reasons), tuple(sources))


def _on_file(ctx: RuleContext, code: str) -> bool:
    auths = matching_authorizations(ctx, code)
    for line in ctx.drug_lines:
        number = _claim_auth_number(ctx, line)
        if number and any(a.number == number and a.covers(line.date_of_service) for a in auths):
            return True
        if number and not auths:
            return True  # the number is on the claim; nothing on file contradicts it
    return False


def check_prior_auth(ctx: RuleContext) -> list[Finding]:
    findings: list[Finding] = []
    for code in ctx.drug_codes:
        status, reasons, cited = _requirement(ctx, code)
        if cited is None:
            continue
        lines = [ln for ln in ctx.dose_lines if ctx.drug_code_of(ln) == code]
        for line in lines:
            if (problem := _line_auth(ctx, code, line, status, reasons, cited)) is not None:
                findings.append(problem)
    return findings


def _line_auth(
    ctx: RuleContext,
    code: str,
    line: ServiceLine,
    status: PriorAuthStatus,
    reasons: list[str],
    cited: Cited[PriorAuth],
) -> Finding | None:
    """The one authorization problem of a dose line, if any."""
    spec, src = cited.value, cited.source
    number = _claim_auth_number(ctx, line)
    auths = matching_authorizations(ctx, code)
    if number is None:
        if status == "required":
            on_file = [a for a in auths if a.covers(line.date_of_service) and a.status in ("approved", "partial")]
            fix = (
                f"add authorization {on_file[0].number} in REF*G1 (loop 2300)"
                if on_file
                else "obtain prior authorization before the injection and report its number in REF*G1 (loop 2300)"
            )
            return finding(
                "prior-auth.missing",
                "error",
                f"line {line.number}: prior authorization required - {reasons[0]}",
                src,
                line=line.number,
                carc=spec.carc_invalid if on_file else spec.carc_missing,
                fix=fix,
            )
        if status == "conditional":
            return finding(
                "prior-auth.conditional",
                "warning",
                f"line {line.number}: prior authorization may be required - {reasons[0]}",
                src,
                line=line.number,
                carc=spec.carc_missing,
                cure="documentation",
                fix="record the facts the rule needs (dose history, dialysis, ...) or obtain authorization",
            )
        return None
    if not auths:
        return None
    return _against_file(code, line, number, auths, cited)


def _against_file(
    code: str, line: ServiceLine, number: str, auths: list[Authorization], cited: Cited[PriorAuth]
) -> Finding | None:
    spec, src = cited.value, cited.source
    same = [a for a in auths if a.number == number]
    if not same:
        known = ", ".join(a.number for a in auths)
        return finding(
            "prior-auth.number-mismatch",
            "error",
            f"line {line.number}: authorization {number} is not one on file for {code} (on file: {known})",
            src,
            line=line.number,
            carc=spec.carc_invalid,
            fix="report the authorization number the payer issued",
        )
    auth = same[0]
    if auth.status == "denied":
        return finding(
            "prior-auth.denied",
            "error",
            f"line {line.number}: authorization {number} was denied by the payer",
            src,
            line=line.number,
            carc="CO-39",
            cure="none",
            fix="appeal the authorization decision first",
        )
    if not auth.covers(line.date_of_service):
        return finding(
            "prior-auth.out-of-range",
            "error",
            f"line {line.number}: {line.date_of_service} is outside authorization {number} "
            f"({auth.start} to {auth.end})",
            src,
            line=line.number,
            carc=spec.carc_invalid,
            fix="request an extension or a new authorization covering the date of service",
        )
    if auth.units_left is not None and line.units > auth.units_left:
        return finding(
            "prior-auth.units-exceeded",
            "error",
            f"line {line.number}: {units_text(line.units)} units billed, {units_text(max(auth.units_left, 0))} left "
            f"on authorization {number}",
            src,
            line=line.number,
            carc=spec.carc_exceeded,
            fix="ask the payer to extend the authorized units before billing more",
        )
    if auth.end - line.date_of_service < dt.timedelta(days=30):
        return finding(
            "prior-auth.expiring",
            "info",
            f"authorization {number} ends {auth.end.isoformat()}; request a renewal for later injections",
            src,
            line=line.number,
        )
    return None


RULES: tuple[Rule, ...] = (check_prior_auth,)
