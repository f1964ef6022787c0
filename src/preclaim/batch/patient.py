"""One patient's claim lines -> claims in date order -> the engine, each claim seeing the earlier ones as History.

Used unchanged by the local (DuckDB + worker processes) and the Spark paths, so both give the same findings.
Rows are plain dicts of the typed line columns (schema.COLUMNS), as Arrow's `to_pylist` gives them.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from preclaim.batch.schema import CLAIM_JSON
from preclaim.domain import Claim, Diagnosis, Encounter, History, Ndc, Patient, Payer, Provider, Report, ServiceLine
from preclaim.engine import Engine
from preclaim.errors import PreclaimError
from preclaim.io.legacy import legacy_amount, upgrade_claim

Row = dict[str, Any]
_WORDS = re.compile(r"[\s;,:]+")


@dataclass(frozen=True, slots=True)
class AuditOptions:
    """as_of: one send date for every claim; None = each claim's submitted_on, else its last date of service
    (an audit looks back at claims already sent, so timely filing is judged only when the send date is known).
    lookback_days: how far back earlier claims are fed as History (bounds work for very long histories)."""

    as_of: dt.date | None = None
    lookback_days: int = 731


def _words(value: str | None) -> tuple[str, ...]:
    return tuple(w for w in _WORDS.split(value.upper()) if w) if value else ()


def _pick(rows: Sequence[Row], name: str) -> Any:
    return next((r[name] for r in rows if r.get(name) is not None), None)


def _line(row: Row, default_number: int) -> ServiceLine:
    ndc = row.get("ndc")
    pointers = row.get("diagnosis_pointers")
    return ServiceLine(
        number=row.get("line") or default_number,
        code=row["code"].upper(),
        units=row["units"],
        date_of_service=row["date_of_service"],
        modifiers=_words(row.get("modifiers")),
        charge=row.get("charge"),
        date_of_service_end=row.get("date_of_service_end"),
        diagnosis_pointers=tuple(int(p) for p in _words(pointers)),
        ndc=Ndc(ndc, row.get("ndc_quantity"), row.get("ndc_unit")) if ndc else None,
        prior_auth=row.get("line_prior_auth"),
    )


def claim_from_rows(rows: Sequence[Row]) -> Claim:
    """A claim from its line rows (same payer_id + claim_id), or from the claim_json a richer input stored."""
    first = rows[0]
    if first.get(CLAIM_JSON):
        return msgspec.convert(upgrade_claim(msgspec.json.decode(first[CLAIM_JSON])), Claim)
    ordered = sorted(rows, key=lambda r: (r.get("line") or 0, r["date_of_service"]))
    dose, phase = _pick(rows, "dose_mcg"), _pick(rows, "phase")
    rendering = _pick(rows, "rendering_npi")
    return Claim(
        id=first["claim_id"],
        payer=Payer(first["payer_id"], _pick(rows, "payer_name")),
        patient=Patient(first["patient_key"], _pick(rows, "birth_date"), _pick(rows, "sex"), _pick(rows, "member_id")),
        place_of_service=_pick(rows, "place_of_service") or "11",
        lines=tuple(_line(row, n) for n, row in enumerate(ordered, start=1)),
        diagnoses=tuple(Diagnosis(code) for code in _words(_pick(rows, "diagnoses"))),
        plan=_pick(rows, "plan"),
        filing_indicator=_pick(rows, "filing_indicator"),
        billing_provider=Provider(npi=_pick(rows, "billing_npi"), state=_pick(rows, "billing_state")),
        rendering_provider=Provider(npi=rendering) if rendering else None,
        prior_auth=_pick(rows, "prior_auth"),
        frequency_code=_pick(rows, "frequency_code") or "1",
        submitted_on=_pick(rows, "submitted_on"),
        encounter=Encounter(dose=legacy_amount(dose), phase=phase) if dose is not None or phase else None,
    )


def claims_of_patient(rows: Iterable[Row]) -> list[Claim]:
    """The patient's claims (lines grouped by payer_id + claim_id), ordered by first date of service, then id."""
    groups: dict[tuple[str, str, int], list[Row]] = {}
    for n, row in enumerate(rows):
        # a whole-claim row stands alone: the same claim id sent twice (a resend) is two claims
        own = n if row.get(CLAIM_JSON) else -1
        groups.setdefault((row["payer_id"], row["claim_id"], own), []).append(row)
    claims = [claim_from_rows(group) for group in groups.values()]
    claims.sort(key=lambda c: (c.first_date_of_service or dt.date.min, c.id, c.payer.id))
    return claims


def _as_of(claim: Claim, options: AuditOptions) -> dt.date:
    if options.as_of is not None:
        return options.as_of
    last = max((line.date_of_service_end or line.date_of_service for line in claim.lines), default=None)
    return claim.submitted_on or last or dt.date.min


def _claim_row(claim: Claim, seen: int) -> Row:
    return {
        "patient_key": claim.patient.key,
        "payer_id": claim.payer.id,
        "claim_id": claim.id,
        "date_of_service": claim.first_date_of_service,
        "lines": len(claim.lines),
        "history_claims": seen,
    }


def _finding_rows(head: Row, report: Report) -> list[Row]:
    base = {k: head[k] for k in ("patient_key", "payer_id", "claim_id", "date_of_service")}
    return [
        base
        | {
            "verdict": report.verdict,
            "line": f.line,
            "rule": f.rule,
            "severity": f.severity,
            "message": f.message,
            "carc": f.carc,
            "rarc": " ".join(f.rarc) or None,
            "fix": f.fix,
            "cure": f.cure,
            "source_id": f.source.id,
            "source_version": f.source.version,
            "source_url": f.source.url,
        }
        for f in report.findings
    ]


def audit_patient(engine: Engine, rows: Iterable[Row], options: AuditOptions) -> tuple[list[Row], list[Row]]:
    """(claim rows, finding rows) for one patient's lines; see schema.CLAIMS and schema.FINDINGS."""
    claims = claims_of_patient(rows)
    days = [c.first_date_of_service or dt.date.min for c in claims]  # ascending: claims are in date order
    window = dt.timedelta(days=options.lookback_days)
    claim_rows: list[Row] = []
    finding_rows: list[Row] = []
    for i, claim in enumerate(claims):
        start = days[i] - window if days[i] > dt.date.min + window else dt.date.min
        earlier = tuple(claims[bisect.bisect_left(days, start, 0, i) : i])
        head = _claim_row(claim, len(earlier))
        try:
            report = engine.check(claim, History(claims=earlier), as_of=_as_of(claim, options))
        except PreclaimError as exc:  # a claim the engine refuses is reported, not fatal to the audit
            claim_rows.append(head | {"verdict": "error", "findings": 0, "errors": 0, "problem": str(exc)})
            continue
        claim_rows.append(
            head
            | {
                "verdict": report.verdict,
                "prior_auth": report.prior_auth.status,
                "findings": len(report.findings),
                "errors": len(report.errors),
                "policies": " ".join(p.id for p in report.policies) or None,
            }
        )
        finding_rows.extend(_finding_rows(head, report))
    return claim_rows, finding_rows
