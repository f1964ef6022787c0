"""Facts about a claim that policy conditions test, evaluated three ways: True, False, or None (unknown)."""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any, Final, cast

import msgspec

from preclaim.codes.drug_model import Drug
from preclaim.domain.encounter import Phase
from preclaim.domain.quantity import Quantity as Amount
from preclaim.domain.quantity import Unit, exact
from preclaim.policy.code_index import CodeIndex
from preclaim.policy.facts import FACTS, condition_codes
from preclaim.policy.intervals import longest_gap, next_allowed
from preclaim.policy.schema import Condition, DiagnosisEntry, Interval, Units
from preclaim.rules.base import UNKNOWN, RuleContext
from preclaim.rules.replacements import CORRECTIONS, still_counting

FactValue = str | float | bool | dt.date | tuple[str, ...] | None
Reader = Callable[[RuleContext, str, Units | None], FactValue]


class Dose(msgspec.Struct, frozen=True):
    """One administration of the drug: this claim's or an earlier one."""

    date: dt.date
    units: float
    amount: float | None  # the dose in the drug's billing measure (mcg for a drug billed per 1000 mcg)
    phase: Phase | None
    claim_id: str | None


def code_in(code: str, entries: Sequence[DiagnosisEntry] | Sequence[str]) -> DiagnosisEntry | str | None:
    """The entry that covers `code`: an exact code or a category prefix ("D51" covers "D51.0").

    Indexes the list on every call: rules read the resolved policy's prebuilt indexes (ctx.index,
    ctx.drug(code).covered) instead.
    """
    return CodeIndex(entries).find(code)


_BY_DATE: Final = attrgetter("date")


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
    # Each field read once into a local: a field of a domain struct costs an attribute lookup every time
    for adm in history.administrations:
        if adm.code != code:
            continue
        day = adm.date
        other = adm.claim_id
        if day > before or other == claim_id:
            continue
        if other is not None and (day, other) in seen:
            continue  # the same billed line known twice (the store and the file being checked)
        seen.add((day, other))
        given = adm.dose
        amount = None if given is None else _measured(ctx, ctx.catalog_drug(code), given)
        doses.append(Dose(day, adm.units, amount, adm.phase, other))
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
                        _measured(ctx, ctx.catalog_drug(code), enc.dose)
                        if enc is not None and enc.dose is not None
                        else None,
                        enc.phase if enc else None,
                        claim.id,
                    )
                )
    return tuple(sorted(doses, key=_BY_DATE))


def maintenance_of(ctx: RuleContext, code: str) -> tuple[Interval, int] | None:
    """The maintenance interval of `code`'s frequency section and the days after which a dose is due whatever the
    months in between (longest_gap); None without one. Memoised per policy: the section's `interval` property
    and longest_gap run interpreted (the policy schema is not compiled), and every claim asks."""
    key = ("maintenance", code)
    shared = ctx.shared
    known = shared.get(key, UNKNOWN)  # one lookup on a hit: a tuple key is hashed anew each time
    if known is not UNKNOWN:
        return cast("tuple[Interval, int] | None", known)
    cited = ctx.drug(code).frequency
    found: tuple[Interval, int] | None = None
    if cited is not None:
        spec = cited.value
        interval = spec.maintenance_interval or spec.interval
        if interval is not None:
            found = (interval, longest_gap(interval))
    shared[key] = found
    return found


def next_due(ctx: RuleContext, code: str, interval: Interval, last: dt.date) -> dt.date:
    """next_allowed(last, interval) for `code`'s maintenance interval, memoised per policy and day of the last dose."""
    key = ("next-due", code, last)
    due = ctx.shared.get(key)
    if due is None:
        due = ctx.shared[key] = next_allowed(last, interval)
    return cast("dt.date", due)


def _measured(ctx: RuleContext, drug: Drug | None, amount: Amount | None) -> float | None:
    """An amount in the drug's billing measure (a volume through the strength its packages share)."""
    if amount is None or drug is None:
        return None
    mass = ctx.mass(drug, amount)
    return None if mass is None else float(mass.ratio(drug.per_unit) * exact(drug.per_unit.value))


def this_dose(ctx: RuleContext, code: str, units: Units | None) -> float | None:
    """This claim's dose in the drug's billing measure: the chart's, else the units billed times the amount one
    unit stands for (when the policy has a units section)."""
    drug = ctx.catalog_drug(code)
    enc = ctx.claim.encounter
    if enc is not None and enc.dose is not None:
        line = ctx.dose_lines[0] if ctx.dose_lines else None
        mass = ctx.mass(drug, enc.dose, line) if drug is not None else None
        return None if mass is None or drug is None else float(mass.ratio(drug.per_unit) * exact(drug.per_unit.value))
    if units is None or drug is None:
        return None
    billed = sum(line.units for line in ctx.drug_lines)
    return billed * drug.per_unit.value if billed else None


def _window(ctx: RuleContext, code: str, days: int) -> tuple[list[Dose], dt.date] | None:
    day = ctx.first_day
    if day is None:
        return None
    start = day - dt.timedelta(days=days - 1)
    return [d for d in earlier_doses(ctx, code, day) if d.date >= start], day


def _dose_30(ctx: RuleContext, code: str, units: Units | None) -> FactValue:
    window = _window(ctx, code, 30)
    current = this_dose(ctx, code, units)
    drug = ctx.catalog_drug(code)
    if window is None or current is None or drug is None:
        return None
    per_unit = drug.per_unit.value
    return current + sum(d.amount if d.amount is not None else d.units * per_unit for d in window[0])


def _injections_30(ctx: RuleContext, code: str, units: Units | None) -> FactValue:
    window = _window(ctx, code, 30)
    if window is None or this_dose(ctx, code, units) is None:
        return None
    return float(len({d.date for d in window[0]} | {ctx.first_day}))


def _age(ctx: RuleContext, code: str, units: Units | None) -> FactValue:
    born, day = ctx.claim.patient.birth_date, ctx.first_day
    if born is None or day is None:
        return None
    return float(day.year - born.year - ((day.month, day.day) < (born.month, born.day)))


def _chemo_drug(ctx: RuleContext, code: str, units: Units | None) -> FactValue:
    enc = ctx.claim.encounter
    return enc.chemo.drug if enc is not None and enc.chemo is not None else None


def _chart(name: str) -> Reader:
    """A reader of one encounter field: None when the input carries no chart."""

    def read(ctx: RuleContext, code: str, units: Units | None) -> FactValue:
        enc = ctx.claim.encounter
        value = getattr(enc, name, None) if enc is not None else None
        return value if isinstance(value, (str, bool, float, int)) else None

    return read


# How each fact of the registry (policy/facts.py) is read from a claim, its chart and its history.
READERS: Final[dict[str, Reader]] = {
    "dose": lambda ctx, code, units: this_dose(ctx, code, units),
    "dose_30_days": _dose_30,
    "injections_30_days": _injections_30,
    "units": lambda ctx, code, units: float(sum(line.units for line in ctx.drug_lines)),
    "age": _age,
    "date_of_service": lambda ctx, code, units: ctx.first_day,
    "dialysis": lambda ctx, code, units: dialysis(ctx),
    "failed_oral_therapy": _chart("failed_oral_therapy"),
    "phase": _chart("phase"),
    "route": _chart("route"),
    "chemo_drug": _chemo_drug,
    "diagnosis": lambda ctx, code, units: tuple([dx.code for dx in ctx.claim.diagnoses]),
    "place_of_service": lambda ctx, code, units: ctx.claim.place_of_service,
}


def fact(ctx: RuleContext, code: str, name: str, units: Units | None) -> FactValue:
    """The value of a registry fact for this claim, or None when the input does not say."""
    reader = READERS.get(name)
    return reader(ctx, code, units) if reader is not None else None


# ESRD (N18.6) and dependence on renal dialysis (Z99.2) in ICD-10-CM; POS 65 is an end-stage renal disease
# treatment facility in the CMS place-of-service code set.
DIALYSIS_DIAGNOSES: Final = ("N18.6", "Z99.2")
DIALYSIS_POS: Final = "65"


def dialysis(ctx: RuleContext) -> bool | None:
    """On dialysis: the chart's answer when it has one, else True when the claim shows it (N18.6, Z99.2 or POS 65),
    else unknown (a claim without those codes says nothing either way)."""
    enc = ctx.claim.encounter
    if enc is not None and enc.dialysis is not None:
        return enc.dialysis
    claim = ctx.claim
    if claim.place_of_service == DIALYSIS_POS or any(ln.place_of_service == DIALYSIS_POS for ln in claim.lines):
        return True
    index = ctx.index(DIALYSIS_DIAGNOSES)
    if any(index.find(dx.code) is not None for dx in claim.diagnoses if dx.system == "icd10"):
        return True
    return None


_COMPARE: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}


def _in_measure(ctx: RuleContext, code: str, value: float, unit: Unit) -> float | None:
    """A condition's amount in the drug's billing measure, which the dose facts are in (None: not comparable)."""
    key = ("in-measure", code, value, unit)
    memo = ctx.shared
    known = memo.get(key, UNKNOWN)
    if known is UNKNOWN:  # a policy's few condition amounts: converted once per policy memo
        drug = ctx.catalog_drug(code)
        amount = Amount(value, unit)
        known = memo[key] = (
            None
            if drug is None or not amount.is_mass
            else float(amount.ratio(drug.per_unit) * exact(drug.per_unit.value))
        )
    return cast("float | None", known)


def evaluate(ctx: RuleContext, condition: Condition, value: FactValue, code: str = "") -> bool | None:
    """Whether the condition holds for the fact's value, by the fact's registry type; None when unknown."""
    # isinstance with tuples of types, not `A | B`: compiled, a union is built and tested generically each call
    spec = FACTS.get(condition.fact)
    if value is None or spec is None:  # the loader refuses unknown facts; a policy built in code may not
        return None
    expected = condition.value
    op = condition.op
    if spec.many:  # the claim's diagnoses: does any match a listed code or category
        index = ctx.index(condition_codes(condition))
        hit = any(index.find(code) is not None for code in value) if isinstance(value, tuple) else False
        return hit if op in ("in", "eq", "starts_with") else not hit
    if op in ("in", "not_in"):
        members = expected if isinstance(expected, list) else [expected]
        found = str(value) in {str(m) for m in members}
        return found if op == "in" else not found
    if op == "starts_with":
        return str(value).startswith(str(expected))
    if spec.kind == "date":
        if not isinstance(value, dt.date) or not isinstance(expected, str):
            return None
        return _COMPARE[op](value, dt.date.fromisoformat(expected))
    if condition.unit is not None and isinstance(expected, (int, float)) and not isinstance(expected, bool):
        converted = _in_measure(ctx, code, float(expected), condition.unit)
        if converted is None:
            return None
        expected = converted
    if op in ("eq", "ne"):
        return _COMPARE[op](value, expected)
    if isinstance(value, (bool, str, tuple, dt.date)) or isinstance(expected, (bool, list, str)):
        return None  # an order between values that have none (the loader refuses such a condition)
    return _COMPARE[op](value, expected)


def any_holds(
    ctx: RuleContext, code: str, conditions: Sequence[Condition], units: Units | None
) -> tuple[bool | None, list[Condition]]:
    """(True, the conditions that hold) if any holds; (None, []) if none holds but some are unknown."""
    if not conditions:
        return False, []
    holding: list[Condition] = []
    unknown = False
    for c in conditions:
        outcome = evaluate(ctx, c, fact(ctx, code, c.fact, units), code)
        if outcome is True:
            holding.append(c)
        elif outcome is None:
            unknown = True
    if holding:
        return True, holding
    return (None if unknown else False), []
