"""Facts about a claim that policy conditions test, evaluated three ways: True, False, or None (unknown)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from operator import attrgetter
from typing import cast

import msgspec

from preclaim.codes import normalize_icd10
from preclaim.domain.encounter import Phase
from preclaim.policy.schema import Condition, DiagnosisEntry, Units
from preclaim.rules.base import RuleContext
from preclaim.rules.replacements import CORRECTIONS, still_counting

FactValue = str | float | bool | tuple[str, ...] | None


class Dose(msgspec.Struct, frozen=True):
    """One administration of the drug: this claim's or an earlier one."""

    date: dt.date
    units: float
    dose_mcg: float | None
    phase: Phase | None
    claim_id: str | None


class _CodeIndex:
    """Normalised exact codes and category prefixes of a diagnosis list, for O(length of code) lookups."""

    def __init__(self, entries: Sequence[DiagnosisEntry] | Sequence[str]) -> None:
        self.entries = entries  # kept alive so the id() key below cannot be reused
        self.by_code: dict[str, DiagnosisEntry | str] = {}
        for entry in entries:
            target = normalize_icd10(entry.code if isinstance(entry, DiagnosisEntry) else entry)
            self.by_code.setdefault(target, entry)
        self.longest = max(map(len, self.by_code), default=0)
        self.found: dict[str, DiagnosisEntry | str | None] = {}  # claims repeat a few diagnosis codes

    def find(self, code: str) -> DiagnosisEntry | str | None:
        try:
            return self.found[code]
        except KeyError:
            pass
        if len(self.found) > 4096:
            self.found.clear()
        hit = self.found[code] = self._find(code)
        return hit

    def _find(self, code: str) -> DiagnosisEntry | str | None:
        normal = normalize_icd10(code)
        # "D51" covers "D51.0"; "K90.8" covers "K90.89": try the code, then each shorter prefix. Only
        # prefixes as long as the longest entry can match, so a huge code costs one pass, not one per prefix.
        hit = self.by_code.get(normal)
        if hit is not None:
            return hit
        for end in range(min(len(normal) - 1, self.longest), 2, -1):
            hit = self.by_code.get(normal[:end].rstrip("."))
            if hit is not None:
                return hit
        return None


_INDEXES: dict[int, _CodeIndex] = {}


def code_in(code: str, entries: Sequence[DiagnosisEntry] | Sequence[str]) -> DiagnosisEntry | str | None:
    """The entry that covers `code`: an exact code or a category prefix ("D51" covers "D51.0")."""
    index = _INDEXES.get(id(entries))
    if index is None or index.entries is not entries:
        if len(_INDEXES) > 4096:  # lists built per call would otherwise accumulate
            _INDEXES.clear()
        index = _INDEXES[id(entries)] = _CodeIndex(entries)
    return index.find(code)


_BY_DATE = attrgetter("date")


def earlier_doses(ctx: RuleContext, code: str, before: dt.date) -> tuple[Dose, ...]:
    """Earlier administrations of `code` for this patient, from the chart and from earlier claims, by date.

    Memoised per check: the frequency, checklist, chemotherapy and prior-authorization rules ask the same.
    """
    key = ("earlier-doses", code, before)
    doses = ctx.memo.get(key)
    if doses is None:
        doses = ctx.memo[key] = _earlier_doses(ctx, code, before)
    return cast("tuple[Dose, ...]", doses)


def _earlier_doses(ctx: RuleContext, code: str, before: dt.date) -> tuple[Dose, ...]:
    claim_id = ctx.claim.id
    history = ctx.history
    # A replacement, a void or a claim naming a payer claim number, or claims in history that may be corrected:
    # first drop what no longer counts. The usual claim (X12 batch history holds no claims) skips that.
    if ctx.claim.frequency_code in CORRECTIONS or ctx.claim.payer_claim_control_number is not None or history.claims:
        history = still_counting(ctx.claim, history)
    seen: set[tuple[dt.date, str | None]] = set()
    doses: list[Dose] = []
    for adm in history.administrations:
        if adm.code == code and adm.date <= before and adm.claim_id != claim_id:
            if adm.claim_id is not None and (adm.date, adm.claim_id) in seen:
                continue  # the same billed line known twice (the store and the file being checked)
            seen.add((adm.date, adm.claim_id))
            doses.append(Dose(adm.date, adm.units, adm.dose_mcg, adm.phase, adm.claim_id))
    for claim in history.claims:
        if claim.id == claim_id or claim.frequency_code == "8":
            continue
        for line in claim.lines:
            key = (line.date_of_service, claim.id)
            if line.code == code and line.date_of_service <= before and key not in seen:
                seen.add(key)
                enc = claim.encounter
                doses.append(
                    Dose(
                        line.date_of_service,
                        line.units,
                        enc.dose_mcg if enc else None,
                        enc.phase if enc else None,
                        claim.id,
                    )
                )
    return tuple(sorted(doses, key=_BY_DATE))


def this_dose_mcg(ctx: RuleContext, units: Units | None) -> float | None:
    enc = ctx.claim.encounter
    if enc is not None and enc.dose_mcg is not None:
        return enc.dose_mcg
    if units is None:
        return None
    billed = sum(line.units for line in ctx.drug_lines)
    return billed * units.amount_per_unit if billed else None


def _window(ctx: RuleContext, code: str, days: int) -> tuple[list[Dose], dt.date] | None:
    day = ctx.first_day
    if day is None:
        return None
    start = day - dt.timedelta(days=days - 1)
    return [d for d in earlier_doses(ctx, code, day) if d.date >= start], day


def fact(ctx: RuleContext, code: str, name: str, units: Units | None) -> FactValue:
    enc = ctx.claim.encounter
    if name == "dose_mcg":
        return this_dose_mcg(ctx, units)
    if name in ("dose_mcg_30_days", "injections_30_days"):
        window = _window(ctx, code, 30)
        current = this_dose_mcg(ctx, units)
        if window is None or current is None:
            return None
        doses, _ = window
        if name == "injections_30_days":
            return float(len({d.date for d in doses} | {ctx.first_day}))
        per_unit = units.amount_per_unit if units else 1000.0
        return current + sum(d.dose_mcg if d.dose_mcg is not None else d.units * per_unit for d in doses)
    if name == "units":
        return float(sum(line.units for line in ctx.drug_lines))
    if name == "diagnosis":
        return tuple(dx.code for dx in ctx.claim.diagnoses)
    if name == "place_of_service":
        return ctx.claim.place_of_service
    if name == "age":
        born, day = ctx.claim.patient.birth_date, ctx.first_day
        if born is None or day is None:
            return None
        return float(day.year - born.year - ((day.month, day.day) < (born.month, born.day)))
    if name == "chemo_drug":
        return enc.chemo.drug if enc and enc.chemo else None
    if name == "dialysis":
        return dialysis(ctx)
    if enc is None:
        return None
    value = getattr(enc, name, None)
    return value if isinstance(value, str | bool | float | int) else None


# ESRD (N18.6) and dependence on renal dialysis (Z99.2) in ICD-10-CM; POS 65 is an end-stage renal disease
# treatment facility in the CMS place-of-service code set.
DIALYSIS_DIAGNOSES = ("N18.6", "Z99.2")
DIALYSIS_POS = "65"


def dialysis(ctx: RuleContext) -> bool | None:
    """On dialysis: the chart's answer when it has one, else True when the claim shows it (N18.6, Z99.2 or POS 65),
    else unknown (a claim without those codes says nothing either way)."""
    enc = ctx.claim.encounter
    if enc is not None and enc.dialysis is not None:
        return enc.dialysis
    claim = ctx.claim
    if claim.place_of_service == DIALYSIS_POS or any(ln.place_of_service == DIALYSIS_POS for ln in claim.lines):
        return True
    if any(code_in(dx.code, DIALYSIS_DIAGNOSES) is not None for dx in claim.diagnoses if dx.system == "icd10"):
        return True
    return None


def evaluate(condition: Condition, value: FactValue) -> bool | None:
    if value is None:
        return None
    expected = condition.value
    op = condition.op
    if isinstance(value, tuple):  # diagnosis codes
        wanted = expected if isinstance(expected, list) else [str(expected)]
        hit = any(code_in(code, wanted) is not None for code in value)
        return hit if op in ("in", "eq", "starts_with") else not hit
    if op in ("in", "not_in"):
        members = expected if isinstance(expected, list) else [expected]
        found = str(value) in {str(m) for m in members}
        return found if op == "in" else not found
    if op == "eq":
        return value == expected
    if op == "ne":
        return value != expected
    if op == "starts_with":
        return str(value).startswith(str(expected))
    if isinstance(value, bool | str) or isinstance(expected, bool | list | str):
        return None
    if op == "gt":
        return value > expected
    if op == "ge":
        return value >= expected
    if op == "lt":
        return value < expected
    if op == "le":
        return value <= expected
    raise KeyError(op)


def any_holds(
    ctx: RuleContext, code: str, conditions: Sequence[Condition], units: Units | None
) -> tuple[bool | None, list[Condition]]:
    """(True, the conditions that hold) if any holds; (None, []) if none holds but some are unknown."""
    if not conditions:
        return False, []
    holding: list[Condition] = []
    unknown = False
    for c in conditions:
        outcome = evaluate(c, fact(ctx, code, c.fact, units))
        if outcome is True:
            holding.append(c)
        elif outcome is None:
            unknown = True
    if holding:
        return True, holding
    return (None if unknown else False), []
