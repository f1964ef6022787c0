"""Frequency against history: duplicates (OA-18), maintenance more often than allowed (CO-151), yearly
benefit maximum (CO-119). The initial/acute (loading) phase may be more frequent when documented."""

from __future__ import annotations

import datetime as dt

from preclaim.domain.report import Finding, Source
from preclaim.policy.resolver import Cited
from preclaim.policy.schema import Frequency
from preclaim.rules.base import RuleContext, finding
from preclaim.rules.facts import Dose, earlier_doses


def check_frequency(ctx: RuleContext) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[str] = set()
    for line in ctx.dose_lines:
        code = ctx.drug_code_of(line)
        if code is None or code in seen:
            continue
        seen.add(code)
        cited = ctx.section(code, "frequency", Frequency)
        earlier = earlier_doses(ctx, code, line.date_of_service)
        same_day = [d for d in earlier if d.date == line.date_of_service]
        if same_day:
            findings.append(_duplicate(ctx, line.number, line.date_of_service, same_day[0], cited))
            continue
        if cited is None:
            continue
        prior = [d for d in earlier if d.date < line.date_of_service]
        if (too_soon := _interval(ctx, line.number, line.date_of_service, prior, cited)) is not None:
            findings.append(too_soon)
        if (too_many := _yearly(line.number, line.date_of_service, prior, cited)) is not None:
            findings.append(too_many)
    return findings


def _duplicate(ctx: RuleContext, number: int, day: dt.date, other: Dose, cited: Cited[Frequency] | None) -> Finding:
    carc = cited.value.duplicate_carc if cited else "OA-18"
    source = cited.source if cited else Source("carc-18", "CARC 18 Exact duplicate claim/service")
    where = f"claim {other.claim_id}" if other.claim_id else "the chart's administration record"
    return finding(
        "frequency.duplicate",
        "error",
        f"line {number}: {day.isoformat()} was already billed or recorded for this patient ({where})",
        source,
        line=number,
        carc=carc,
        rarc=("N522",),
        cure="none",
        fix="do not send a second claim for the same injection; to correct the first claim send a replacement "
        "(CLM05-3 = 7) with its payer claim number",
    )


# The helpers below report at most one finding each: they return it (or None) rather than yield it.


def _interval(
    ctx: RuleContext, number: int, day: dt.date, prior: list[Dose], cited: Cited[Frequency]
) -> Finding | None:
    spec = cited.value
    if spec.maintenance_min_days is None or not prior:
        return None
    last = prior[-1]
    gap = (day - last.date).days
    if gap >= spec.maintenance_min_days:
        return None
    enc = ctx.claim.encounter
    phase = enc.phase if enc else None
    next_day = last.date + dt.timedelta(days=spec.maintenance_min_days)
    if phase == "loading" and spec.loading_phase_allowed:
        return None  # more frequent doses are allowed in the documented initial/acute phase
    text = (
        f"line {number}: {gap} days after the previous injection on {last.date.isoformat()}; maintenance "
        f"injections are allowed no more often than every {spec.maintenance_min_days} days"
    )
    if phase == "maintenance" or last.phase == "maintenance" or not spec.loading_phase_allowed:
        return finding(
            "frequency.too-soon",
            "error",
            text,
            cited.source,
            line=number,
            carc=spec.denial_carc,
            rarc=spec.denial_rarc,
            cure="none",
            fix=f"hold the injection until {next_day.isoformat()}, unless the chart documents an initial/acute "
            "phase (then record it)",
        )
    return finding(
        "frequency.too-soon",
        "warning",
        text + " unless this is the initial/acute (loading) phase",
        cited.source,
        line=number,
        carc=spec.denial_carc,
        rarc=spec.denial_rarc,
        cure="documentation",
        fix=f"document the loading phase (labs, schedule) or hold the injection until {next_day.isoformat()}",
    )


def _yearly(number: int, day: dt.date, prior: list[Dose], cited: Cited[Frequency]) -> Finding | None:
    spec = cited.value
    if spec.max_per_year is None:
        return None
    start = day - dt.timedelta(days=364)
    count = len({d.date for d in prior if d.date >= start}) + 1
    if count > spec.max_per_year:
        return finding(
            "frequency.yearly-max",
            "error",
            f"line {number}: injection {count} in 365 days; the plan pays at most {spec.max_per_year}",
            cited.source,
            line=number,
            carc=spec.benefit_carc,
            cure="none",
            fix="ask the plan for an exception or authorization for more injections before giving them",
        )
    return None


RULES = (check_frequency,)
