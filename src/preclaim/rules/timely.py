"""Timely filing: a claim sent after the payer's deadline is denied with no appeal rights (CO-29, N211).

The limit is days, months or calendar years after the line's date of service (its "from" date), as the policy
states: Medicare's one calendar year (42 CFR 424.44) makes a 2024-02-29 service due 2025-02-28.
"""

from __future__ import annotations

from preclaim.domain.report import Finding
from preclaim.policy.schema import TimelyFiling
from preclaim.rules.base import Rule, RuleContext, finding


def check_timely_filing(ctx: RuleContext) -> list[Finding]:
    findings: list[Finding] = []
    rule = ctx.claim_rule("timely_filing", TimelyFiling)
    if rule is None:
        return findings
    sent = ctx.claim.submitted_on or ctx.as_of
    limit = rule.value
    on_time = limit.min_days
    for line in ctx.claim.lines:
        age = (sent - line.date_of_service).days
        if age > on_time and sent > (due := limit.deadline(line.date_of_service)):
            findings.append(
                finding(
                    "timely-filing.late",
                    "error",
                    f"line {line.number}: sent {sent} ({age} days after the date of service {line.date_of_service}); "
                    f"the limit is {limit.describe()}, so it was due by {due}",
                    rule.source,
                    line=line.number,
                    carc=rule.value.carc,
                    rarc=rule.value.rarc,
                    cure="none",
                    fix="the filing deadline has passed; the charge cannot be billed to this payer or the patient",
                )
            )
        elif line.date_of_service > sent:
            findings.append(
                finding(
                    "timely-filing.future",
                    "error",
                    f"line {line.number}: date of service {line.date_of_service} is after the send date {sent}",
                    rule.source,
                    line=line.number,
                    carc="CO-16",
                    rarc=("MA130",),
                    fix="bill services only after they are given; check the date of service",
                )
            )
    return findings


RULES: tuple[Rule, ...] = (check_timely_filing,)
