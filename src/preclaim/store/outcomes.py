"""How good were the predictions? Stored check reports against the stored 835 outcomes (`preclaim report`).

A claim is compared when it has both a check and a payment (CLP01 = CLM01 and, for reused claim numbers,
the same first date of service; the first payment, the payer's first pass, is the one compared; reversals
are left out), using the last check made before that payment was imported.
- actual denial: CLP02 = 4, or an adjustment whose CARC is a denial (not deductible 1, coinsurance 2,
  copay 3, fee-schedule reduction 45, prior payer 23, sequestration 253);
- predicted denial: the check's verdict was fix or deny (findings that will deny as billed).
Precision = predicted denials that were denied / predicted denials; recall = denials that were
predicted / denials. Per CARC the same, with the CARC numbers (group letters left out: CO-50 and PR-50 are
the same cause) predicted by the check vs those on the payment.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

import msgspec
from sqlalchemy import select

from preclaim.edi.denials import denial_table
from preclaim.store.db import Store
from preclaim.store.models import AdjustmentRow, CheckRow, RemittanceLineRow, RemittanceRow

# Adjustments that are not denials: the 835 denial table's contractual and patient-share CARCs (one list
# for `preclaim denials`, `preclaim report` and the dashboard), plus prior-payer (23) and sequestration (253).
NOT_DENIALS = frozenset(
    {"23", "253"}
    | {code for code, entry in denial_table().carcs.items() if entry.kind in ("contractual", "patient-share")}
)
REVERSAL = "22"


class Counts(msgspec.Struct):
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, predicted: bool, actual: bool) -> None:
        if predicted and actual:
            self.tp += 1
        elif predicted:
            self.fp += 1
        elif actual:
            self.fn += 1
        else:
            self.tn += 1

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


class Compared(msgspec.Struct, frozen=True):
    claim_id: str
    payer_id: str
    verdict: str
    predicted: frozenset[str]  # CARC numbers
    actual: frozenset[str]
    denied: bool
    remarks: frozenset[str]


class Missed(msgspec.Struct, frozen=True):
    carc: str
    claims: int
    examples: tuple[str, ...]
    remarks: tuple[str, ...]


class OutcomeReport(msgspec.Struct, frozen=True):
    compared: int
    payments_without_check: int
    checks_without_payment: int
    clean_claim_rate: float | None  # paid with no denial adjustment, among compared claims
    predicted_clean_rate: float | None
    overall: Counts
    per_payer: dict[str, Counts]
    per_carc: dict[str, Counts]
    missed: tuple[Missed, ...]


def _reason(carc: str) -> str:
    return carc.split("-", 1)[-1]


def _payments(store: Store) -> list[tuple[RemittanceRow, frozenset[str], frozenset[str]]]:
    """First non-reversal payment per claim id, with its denial CARCs and RARCs."""
    with store.transaction(write=False) as session:
        rows = session.scalars(
            select(RemittanceRow).where(RemittanceRow.status != REVERSAL).order_by(RemittanceRow.id)
        ).all()
        adjustments: dict[int, set[str]] = defaultdict(set)
        for remittance_id, reason in session.execute(select(AdjustmentRow.remittance_id, AdjustmentRow.reason)):
            if reason not in NOT_DENIALS:
                adjustments[remittance_id].add(reason)
        remarks: dict[int, set[str]] = defaultdict(set)
        for remittance_id, text in session.execute(select(RemittanceLineRow.remittance_id, RemittanceLineRow.remarks)):
            remarks[remittance_id].update(text.split())
    first: dict[str, RemittanceRow] = {}
    for row in rows:
        first.setdefault(row.claim_id, row)
    return [(r, frozenset(adjustments[r.id]), frozenset(remarks[r.id])) for r in first.values()]


def _last_checks(store: Store) -> dict[str, list[CheckRow]]:
    with store.transaction(write=False) as session:
        checks = session.scalars(select(CheckRow).order_by(CheckRow.checked_at, CheckRow.id)).all()
    by_claim: dict[str, list[CheckRow]] = defaultdict(list)
    for check in checks:
        by_claim[check.claim_id].append(check)
    return by_claim


def compare(store: Store) -> tuple[list[Compared], int, int]:
    """(compared claims, payments without a check, checked claims without a payment)."""
    checks = _last_checks(store)
    compared, unchecked = [], 0
    paid_ids = set()
    for payment, actual, remarks in _payments(store):
        paid_ids.add(payment.claim_id)
        same = checks.get(payment.claim_id, [])
        day = payment.first_date_of_service
        if day is not None:  # a reused claim number: the check of the claim with the paid date of service
            same = [c for c in same if c.first_date_of_service in (day, None)] or same
        before = [c for c in same if c.checked_at <= payment.imported_at]
        candidates = before or same
        if not candidates:
            unchecked += 1
            continue
        check = candidates[-1]
        predicted = frozenset(_reason(c) for c in check.carcs.split())
        denied = payment.status == "4" or bool(actual)
        compared.append(Compared(payment.claim_id, check.payer_id, check.verdict, predicted, actual, denied, remarks))
    return compared, unchecked, len(set(checks) - paid_ids)


def _carc_order(carc: str) -> tuple[int, str]:
    """Numeric CARCs in number order, then the lettered ones (A1, B5...)."""
    return (int(carc), "") if carc.isdigit() else (10_000, carc)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def summarize(compared: Iterable[Compared], unchecked: int = 0, unpaid: int = 0, top: int = 10) -> OutcomeReport:
    items = list(compared)
    overall = Counts()
    per_payer: dict[str, Counts] = defaultdict(Counts)
    per_carc: dict[str, Counts] = defaultdict(Counts)
    missed: Counter[str] = Counter()
    examples: dict[str, list[str]] = defaultdict(list)
    remarks: dict[str, set[str]] = defaultdict(set)
    for item in items:
        predicted_denial = item.verdict in ("fix", "deny")
        overall.add(predicted_denial, item.denied)
        per_payer[item.payer_id].add(predicted_denial, item.denied)
        for carc in item.predicted | item.actual:
            per_carc[carc].add(carc in item.predicted, carc in item.actual)
        for carc in item.actual - item.predicted:
            missed[carc] += 1
            examples[carc].append(item.claim_id)
            remarks[carc] |= item.remarks
    return OutcomeReport(
        compared=len(items),
        payments_without_check=unchecked,
        checks_without_payment=unpaid,
        clean_claim_rate=_rate(sum(not i.denied for i in items), len(items)),
        predicted_clean_rate=_rate(sum(i.verdict == "clean" for i in items), len(items)),
        overall=overall,
        per_payer=dict(sorted(per_payer.items())),
        per_carc=dict(sorted(per_carc.items(), key=lambda kv: _carc_order(kv[0]))),
        missed=tuple(
            Missed(carc, n, tuple(examples[carc][:3]), tuple(sorted(remarks[carc])))
            for carc, n in missed.most_common(top)
        ),
    )


def outcome_report(store: Store, top: int = 10) -> OutcomeReport:
    compared, unchecked, unpaid = compare(store)
    return summarize(compared, unchecked, unpaid, top)
