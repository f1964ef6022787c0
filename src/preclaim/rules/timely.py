"""Timely filing: a claim sent after the payer's deadline is denied with no appeal rights (CO-29, N211).

The limit is days, months or calendar years after the line's date of service (its "from" date), as the policy
states: Medicare's one calendar year (42 CFR 424.44) makes a 2024-02-29 service due 2025-02-28.
"""

from __future__ import annotations

import datetime as dt
from typing import Final, cast

from preclaim.domain.report import Finding
from preclaim.policy.resolver import Cited
from preclaim.policy.schema import TimelyFiling
from preclaim.rules.base import UNKNOWN, Rule, RuleContext, finding

_LIMIT: Final = "timely.limit"  # the shared memo's key for the policy's limit: its bound in days and its wording
_DEADLINE: Final = "timely.deadline"  # and its prefix for the deadline of a date of service
_FINDING: Final = "timely.finding"  # and for the finding of a (line number, send date, date of service)


def check_timely_filing(ctx: RuleContext) -> list[Finding]:
    findings: list[Finding] = []
    rule = ctx.claim_rules.timely_filing
    if rule is None:
        return findings
    sent = ctx.claim.submitted_on or ctx.as_of
    on_time = _limit(ctx, rule.value)[0]
    shared = ctx.shared
    for line in ctx.claim.lines:
        day = line.date_of_service
        if (sent - day).days > on_time or day > sent:
            # Memoised per policy, line number and dates: a file repeats them, and the message's dates cost
            # more to write than the rule does to decide.
            key = (_FINDING, line.number, sent, day)
            known = shared.get(key, UNKNOWN)
            if known is UNKNOWN:
                known = shared[key] = _problem(ctx, rule, line.number, sent, day)
            problem = cast("Finding | None", known)
            if problem is not None:
                findings.append(problem)
    return findings


def _problem(ctx: RuleContext, rule: Cited[TimelyFiling], number: int, sent: dt.date, day: dt.date) -> Finding | None:
    """The finding of a line sent late (past the deadline) or before its date of service, if any."""
    limit = rule.value
    on_time, described = _limit(ctx, limit)
    age = (sent - day).days
    if age > on_time and sent > (due := _deadline(ctx, limit, day)):
        return finding(
            "timely-filing.late",
            "error",
            f"line {number}: sent {sent} ({age} days after the date of service {day}); "
            f"the limit is {described}, so it was due by {due}",
            rule.source,
            line=number,
            carc=limit.carc,
            rarc=limit.rarc,
            cure="none",
            fix="the filing deadline has passed; the charge cannot be billed to this payer or the patient",
        )
    if day > sent:
        return finding(
            "timely-filing.future",
            "error",
            f"line {number}: date of service {day} is after the send date {sent}",
            rule.source,
            line=number,
            carc="CO-16",
            rarc=("MA130",),
            fix="bill services only after they are given; check the date of service",
        )
    return None


def _deadline(ctx: RuleContext, limit: TimelyFiling, day: dt.date) -> dt.date:
    """limit.deadline(day), memoised per policy: a file repeats its dates of service, and the method runs
    interpreted."""
    key = (_DEADLINE, day)
    due = ctx.shared.get(key)
    if due is None:
        due = ctx.shared[key] = limit.deadline(day)
    return cast("dt.date", due)


def _limit(ctx: RuleContext, limit: TimelyFiling) -> tuple[int, str]:
    """(limit.min_days, limit.describe()), asked once per policy: the schema is not compiled, so both run
    interpreted, and every claim asks for the bound."""
    known = ctx.shared.get(_LIMIT)
    if known is None:
        known = ctx.shared[_LIMIT] = (limit.min_days, limit.describe())
    return cast("tuple[int, str]", known)


RULES: tuple[Rule, ...] = (check_timely_filing,)
