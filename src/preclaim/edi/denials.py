"""Denials out of 835 remittances: by payer and by CARC/RARC, each with its likely root cause and the
fix preclaim would have suggested before submission (table: edi/data/denials.yaml).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from typing import Literal

import msgspec

from preclaim.domain.report import Source
from preclaim.edi.x12.remit import Adjustment, ClaimPayment, Remittance

Kind = Literal["denial", "contractual", "patient-share", "unknown"]
_UNKNOWN_CAUSE = "Not in preclaim's CARC table: look the code up in the X12 CARC list"


class _Advice(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    root_cause: str
    prevent: str
    rules: tuple[str, ...] = ()


class CarcEntry(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    kind: Kind
    meaning: str
    root_cause: str
    prevent: str
    confidence: Literal["V", "S", "M"]
    rules: tuple[str, ...] = ()
    rarc: dict[str, _Advice] = {}


class DenialTable(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    source: Source
    carcs: dict[str, CarcEntry]


@lru_cache(maxsize=1)
def denial_table() -> DenialTable:
    data = resources.files("preclaim.edi").joinpath("data/denials.yaml").read_bytes()
    return msgspec.yaml.decode(data, type=DenialTable)


class CodeSummary(msgspec.Struct, frozen=True):
    """One group+CARC (e.g. CO-16) for one payer, or for all payers when payer is None."""

    code: str
    kind: Kind
    count: int
    claims: int
    amount: Decimal
    rarcs: dict[str, int]
    meaning: str
    root_cause: str
    prevent: str
    rules: tuple[str, ...]
    payer: str | None = None


class PayerSummary(msgspec.Struct, frozen=True):
    payer: str
    claims: int
    denied_claims: int
    billed: Decimal
    paid: Decimal
    denied_amount: Decimal


class DenialReport(msgspec.Struct, frozen=True):
    remittances: int
    claims: int
    denied_claims: int
    denied_amount: Decimal
    by_payer: tuple[PayerSummary, ...]
    by_code: tuple[CodeSummary, ...]
    by_payer_code: tuple[CodeSummary, ...]
    source: Source
    warnings: tuple[str, ...] = ()


@dataclass
class _Tally:
    count: int = 0
    amount: Decimal = Decimal(0)
    claims: set[str] = field(default_factory=set)
    rarcs: Counter[str] = field(default_factory=Counter)
    denied: bool = False  # an adjustment with a code not in the table that zeroed the payment


def classify(adjustment: Adjustment, claim: ClaimPayment, line_paid: Decimal | None) -> Kind:
    entry = denial_table().carcs.get(adjustment.reason)
    if entry is not None:
        return entry.kind
    zero_paid = line_paid == 0 if line_paid is not None else claim.paid == 0
    return "denial" if claim.denied or zero_paid else "unknown"


def summarize(remittances: Iterable[Remittance]) -> DenialReport:
    tallies: dict[tuple[str, str], _Tally] = defaultdict(_Tally)
    payers: dict[str, list[Decimal | int]] = {}
    denied: set[tuple[str, str]] = set()
    count = 0
    warnings: list[str] = []
    for remittance in remittances:
        count += 1
        warnings.extend(remittance.warnings)
        payer = remittance.payer.name or remittance.payer.id or "unknown payer"
        row = payers.setdefault(payer, [0, Decimal(0), Decimal(0), Decimal(0)])
        for claim in remittance.claims:
            row[0] = int(row[0]) + 1
            row[1] += claim.charge
            row[2] += claim.paid
            for adjustment, rarcs, line_paid in _adjustments(claim):
                tally = tallies[(payer, adjustment.code)]
                tally.count += 1
                tally.amount += adjustment.amount
                tally.claims.add(claim.claim_id)
                tally.rarcs.update(rarcs)
                if classify(adjustment, claim, line_paid) == "denial":
                    tally.denied = True
                    denied.add((payer, claim.claim_id))
                    row[3] += adjustment.amount
            if claim.denied:
                denied.add((payer, claim.claim_id))
    return _report(count, tallies, payers, denied, warnings)


def _adjustments(claim: ClaimPayment) -> Iterable[tuple[Adjustment, tuple[str, ...], Decimal | None]]:
    for adjustment in claim.adjustments:
        yield adjustment, claim.remarks, None
    for service in claim.services:
        for adjustment in service.adjustments:
            yield adjustment, service.remarks, service.paid


def _report(
    count: int,
    tallies: dict[tuple[str, str], _Tally],
    payers: dict[str, list[Decimal | int]],
    denied: set[tuple[str, str]],
    warnings: list[str],
) -> DenialReport:
    per_pair = [_code_summary(code, tally, payer) for (payer, code), tally in tallies.items()]
    merged: dict[str, _Tally] = defaultdict(_Tally)
    for (payer, code), tally in tallies.items():
        total = merged[code]
        total.count += tally.count
        total.amount += tally.amount
        total.claims.update(f"{payer}\x00{c}" for c in tally.claims)
        total.rarcs.update(tally.rarcs)
        total.denied = total.denied or tally.denied
    by_code = sorted((_code_summary(c, t, None) for c, t in merged.items()), key=_rank)
    by_payer = tuple(
        PayerSummary(
            payer=name,
            claims=int(row[0]),
            denied_claims=sum(1 for p, _ in denied if p == name),
            billed=Decimal(row[1]),
            paid=Decimal(row[2]),
            denied_amount=Decimal(row[3]),
        )
        for name, row in sorted(payers.items())
    )
    return DenialReport(
        remittances=count,
        claims=sum(p.claims for p in by_payer),
        denied_claims=len(denied),
        denied_amount=sum((p.denied_amount for p in by_payer), Decimal(0)),
        by_payer=by_payer,
        by_code=tuple(by_code),
        by_payer_code=tuple(sorted(per_pair, key=lambda s: (s.payer or "", *_rank(s)))),
        source=denial_table().source,
        warnings=tuple(warnings),
    )


def _rank(summary: CodeSummary) -> tuple[int, Decimal, str]:
    return (0 if summary.kind == "denial" else 1, -summary.amount, summary.code)


def _code_summary(code: str, tally: _Tally, payer: str | None) -> CodeSummary:
    reason = code.partition("-")[2]
    entry = denial_table().carcs.get(reason)
    rarcs = dict(tally.rarcs.most_common())
    rules: tuple[str, ...] = ()
    if entry is None:
        kind: Kind = "denial" if tally.denied else "unknown"
        meaning, cause, prevent = "", _UNKNOWN_CAUSE, ""
    else:
        kind = entry.kind
        advice = next((entry.rarc[r] for r in rarcs if r in entry.rarc), None)
        meaning = entry.meaning
        cause, prevent, rules = (
            (advice.root_cause, advice.prevent, advice.rules)
            if advice
            else (entry.root_cause, entry.prevent, entry.rules)
        )
    return CodeSummary(code, kind, tally.count, len(tally.claims), tally.amount, rarcs, meaning, cause, prevent,
                       rules, payer)  # fmt: skip
