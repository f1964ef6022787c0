"""Frequency against history: duplicates (OA-18), maintenance more often than allowed (CO-151 at risk, or a
denial where the payer states a hard limit), yearly benefit maximum (CO-119). The initial/acute (loading)
phase may be more frequent when documented. A void (CLM05-3 = 8) cancels a claim: it has no frequency."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from operator import attrgetter

from preclaim.domain.claim import ServiceLine
from preclaim.domain.report import Finding, Source
from preclaim.policy.intervals import describe
from preclaim.policy.resolver import Cited
from preclaim.policy.schema import Frequency
from preclaim.rules.base import Rule, RuleContext, finding
from preclaim.rules.facts import Dose, earlier_doses, maintenance_of, next_due
from preclaim.rules.liability import as_patient_liability, patient_liable

DUPLICATE_LINE_SOURCE = Source(
    "carc-18-line",
    "X12 CARC 18 (exact duplicate claim/service); units of a drug are reported as multiples of the HCPCS "
    "descriptor's dosage, the amount given on one line and a discarded amount on a JW line (CGS Part B, Billing "
    "and Coding: JW and JZ Modifier Guidelines, 2023-06-27)",
    "https://cgsmedicare.com/partb/pubs/news/2023/06/cope140894.html",
)
_BY_DATE = attrgetter("date")


def check_frequency(ctx: RuleContext) -> list[Finding]:
    findings: list[Finding] = []
    if ctx.claim.frequency_code == "8":
        return findings
    lines = ctx.dose_lines
    if len(lines) == 1:  # the usual claim: one drug line, nothing to pair
        code = ctx.drug_code_of(lines[0])
        if code is not None:
            _against_history(ctx, code, lines[0].date_of_service, lines[0], {}, findings)
        return findings
    first_lines: dict[tuple[str, dt.date], ServiceLine] = {}
    for line in lines:
        code = ctx.drug_code_of(line)
        if code is None:
            continue
        first = first_lines.setdefault((code, line.date_of_service), line)
        if first is not line:
            findings.append(_twice(line, first, code))
    own = first_lines if len(first_lines) > 1 else {}  # the claim's own earlier dates count too
    for (code, day), line in first_lines.items():
        _against_history(ctx, code, day, line, own, findings)
    return findings


def _against_history(
    ctx: RuleContext,
    code: str,
    day: dt.date,
    line: ServiceLine,
    own: dict[tuple[str, dt.date], ServiceLine],
    findings: list[Finding],
) -> None:
    """Add the history findings of the first line billing `code` on `day` to `findings`."""
    cited = ctx.drug(code).frequency
    earlier = earlier_doses(ctx, code, day)
    if earlier and earlier[-1].date == day:  # sorted by date, none after `day`: a same-day dose is last
        same_day = next(d for d in earlier if d.date == day)
        findings.append(_duplicate(ctx, line.number, day, same_day, cited))
        return
    if cited is None:
        return
    prior: Sequence[Dose] = earlier
    if own:
        prior = sorted([*prior, *_own_doses(ctx, code, day, own)], key=_BY_DATE)
    if (too_soon := _interval(ctx, code, line.number, day, prior, cited)) is not None:
        findings.append(as_patient_liability(too_soon) if patient_liable(ctx, line.number) else too_soon)
    if (too_many := _yearly(line.number, day, prior, cited)) is not None:
        findings.append(too_many)


def _own_doses(
    ctx: RuleContext, code: str, day: dt.date, first_lines: dict[tuple[str, dt.date], ServiceLine]
) -> list[Dose]:
    enc = ctx.claim.encounter
    phase = enc.phase if enc else None
    return [
        Dose(other_day, line.units, None, phase, ctx.claim.id)
        for (other_code, other_day), line in first_lines.items()
        if other_code == code and other_day < day
    ]


def _twice(line: ServiceLine, first: ServiceLine, code: str) -> Finding:
    day = line.date_of_service.isoformat()
    return finding(
        "frequency.duplicate-line",
        "error",
        f"line {line.number}: {code} is billed again for {day} (also on line {first.number}); a drug is billed on "
        "one line per date of service, with the units of the whole dose",
        DUPLICATE_LINE_SOURCE,
        line=line.number,
        carc="OA-18",
        fix=f"bill one {code} line for {day} with the total units (lines {first.number} and {line.number} "
        f"together), or delete line {line.number} if it repeats line {first.number}; a discarded amount from a "
        "single-dose vial goes on its own line with JW",
    )


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
    ctx: RuleContext, code: str, number: int, day: dt.date, prior: Sequence[Dose], cited: Cited[Frequency]
) -> Finding | None:
    if not prior:
        return None
    found = maintenance_of(ctx, code)
    if found is None:
        return None
    interval, longest = found
    last = prior[-1]
    gap = (day - last.date).days
    if gap >= longest:
        return None  # due whatever the months in between: most claims stop here
    due = next_due(ctx, code, interval, last.date)
    if day >= due:
        return None
    spec = cited.value
    enc = ctx.claim.encounter
    phase = enc.phase if enc else None
    if phase == "loading" and spec.loading_phase_allowed:
        return None  # more frequent doses are allowed in the documented initial/acute phase
    text = (
        f"line {number}: {gap} days after the previous injection on {last.date.isoformat()}; "
        f"the policy allows maintenance injections {describe(interval)}, so not before {due.isoformat()}"
    )
    maintenance = phase == "maintenance" or last.phase == "maintenance" or not spec.loading_phase_allowed
    if spec.hard_limit_source is not None and maintenance:
        return finding(
            "frequency.too-soon",
            "error",
            text + "; the payer states this as a limit, so the line will deny",
            cited.cite(spec.hard_limit_source),
            line=number,
            carc=spec.denial_carc,
            rarc=spec.denial_rarc,
            cure="none",
            fix=f"hold the injection until {due.isoformat()}, unless the chart documents an initial/acute "
            "phase (then record it)",
        )
    why = "" if maintenance else "; more frequent injections are accepted in the initial/acute (loading) phase"
    return finding(
        "frequency.too-soon",
        "warning",
        text + why + f"; a sooner maintenance dose is a medical-review risk ({spec.denial_carc} if the record "
        "does not justify it)",
        cited.source,
        line=number,
        carc=spec.denial_carc,
        rarc=spec.denial_rarc,
        cure="documentation",
        fix=f"hold the injection until {due.isoformat()}, or document why it is needed sooner (initial/acute "
        "phase with labs, or the clinical reason)",
    )


def _yearly(number: int, day: dt.date, prior: Sequence[Dose], cited: Cited[Frequency]) -> Finding | None:
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


RULES: tuple[Rule, ...] = (check_frequency,)
