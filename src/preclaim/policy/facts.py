"""Every chart or claim fact a policy condition may name: its type, its unit, and which operators and values fit.

The loader checks each condition against this registry (an unknown fact, or `{fact: dialysis, op: gt, value:
"lots"}`, is refused with the file and key), and the evaluator in rules/facts.py reads facts by these names.
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from typing import Literal, get_args

from preclaim.domain.encounter import ChemoDrug, Phase, Route
from preclaim.domain.limits import preview
from preclaim.policy.schema import Condition, Operator

FactKind = Literal["bool", "number", "date", "code", "string", "enum"]

# What each kind of fact can be compared with. `in`/`not_in` take a list (or one value); on a fact the claim
# holds several of (its diagnoses) a condition asks whether any of them matches, by code or category.
OPERATORS: dict[FactKind, tuple[Operator, ...]] = {
    "bool": ("eq", "ne"),
    "number": ("eq", "ne", "gt", "ge", "lt", "le"),
    "date": ("eq", "ne", "gt", "ge", "lt", "le"),
    "code": ("eq", "ne", "in", "not_in", "starts_with"),
    "string": ("eq", "ne", "in", "not_in", "starts_with"),
    "enum": ("eq", "ne", "in", "not_in"),
}
_EXPECTED: dict[FactKind, str] = {
    "bool": "true or false",
    "number": "a number",
    "date": "a date (YYYY-MM-DD)",
    "code": "a code, or a list of codes",
    "string": "a text, or a list of texts",
    "enum": "one of the values listed, or a list of them",
}


@dataclass(frozen=True, slots=True)
class Fact:
    name: str
    kind: FactKind
    meaning: str
    unit: str | None = None
    values: tuple[str, ...] = ()  # enum: the values it takes
    many: bool = False  # the claim holds several (its diagnoses): a condition asks whether any matches
    code_system: str | None = None  # code: which code set its values come from


# The unit of an amount fact: the drug's billing measure (the catalog's billing unit), unless the condition
# names its own `unit`.
MEASURE = "billing measure"

FACTS: dict[str, Fact] = {
    fact.name: fact
    for fact in (
        Fact("dose", "number", "the dose given on this claim (the chart's, else units x amount per unit)", MEASURE),
        Fact("dose_30_days", "number", "this dose plus earlier doses in the 30 days up to it", MEASURE),
        Fact("injections_30_days", "number", "injection days in the 30 days up to this one, this one included"),
        Fact("units", "number", "HCPCS units billed on the claim's drug lines", "units"),
        Fact("age", "number", "the patient's age on the first date of service", "years"),
        Fact("date_of_service", "date", "the claim's first date of service"),
        Fact("dialysis", "bool", "the patient is on dialysis (the chart, else N18.6, Z99.2 or place of service 65)"),
        Fact("failed_oral_therapy", "bool", "the chart documents that the oral form of the drug failed"),
        Fact("phase", "enum", "the documented treatment phase", values=get_args(Phase)),
        Fact("route", "enum", "the route of administration", values=get_args(Route)),
        Fact("chemo_drug", "enum", "the chemotherapy the drug is given as an adjunct to", values=get_args(ChemoDrug)),
        Fact("diagnosis", "code", "the claim's diagnoses", many=True, code_system="ICD-10-CM"),
        Fact("place_of_service", "code", "the claim's place of service", code_system="CMS place of service"),
    )
}


_AMOUNTS = tuple(name for name, fact in FACTS.items() if fact.unit == MEASURE)


def describe(fact: Fact) -> str:
    """'dose_30_days (number, billing measure)', 'phase (one of loading, maintenance)'."""
    if fact.kind == "enum":
        return f"{fact.name} (one of {', '.join(fact.values)})"
    return f"{fact.name} ({', '.join(p for p in (fact.kind, fact.code_system, fact.unit) if p)})"


def condition_problem(condition: Condition) -> tuple[str, str] | None:
    """(the condition's key that is wrong, what is wrong) when it does not fit its fact, else None."""
    fact = FACTS.get(condition.fact)
    if fact is None:
        close = difflib.get_close_matches(condition.fact, FACTS, n=1)
        hint = f" (did you mean `{close[0]}`?)" if close else f"; known facts: {', '.join(FACTS)}"
        return "fact", f"unknown fact {preview(condition.fact)!r}{hint}"
    allowed = OPERATORS[fact.kind]
    if condition.unit is not None and fact.unit != MEASURE:
        return "unit", f"{describe(fact)} is not an amount; `unit` fits only {', '.join(_AMOUNTS)}"
    if condition.unit is not None and condition.unit == "mL":
        return "unit", "a dose is compared as a mass (g, mg ...), not a volume"
    if condition.op not in allowed:
        return "op", f"{condition.op!r} does not fit {describe(fact)}; use {', '.join(allowed)}"
    problem = _value_problem(fact, condition)
    return ("value", f"{problem}; {describe(fact)} takes {_EXPECTED[fact.kind]}") if problem else None


def _value_problem(fact: Fact, condition: Condition) -> str | None:
    value = condition.value
    if fact.kind == "bool":
        return None if isinstance(value, bool) else f"{_shown(value)} is not true or false"
    if fact.kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else f"{_shown(value)} is not a number"
    if fact.kind == "date":
        return None if isinstance(value, str) and _is_date(value) else f"{_shown(value)} is not a date"
    values = value if isinstance(value, list) else [value]
    if isinstance(value, list) and not (fact.many or condition.op in ("in", "not_in")):
        return f"{condition.op!r} compares with one value, not a list"
    if not values:
        return "an empty list matches nothing"
    for item in values:
        if not isinstance(item, str) or not item:
            return f"{_shown(item)} is not a {'code' if fact.kind == 'code' else 'text'}"
        if fact.kind == "enum" and item not in fact.values:
            close = difflib.get_close_matches(item, fact.values, n=1)
            hint = f" (did you mean `{close[0]}`?)" if close else ""
            return f"{_shown(item)} is not a value of {fact.name}{hint}"
    return None


def _shown(value: object) -> str:
    """A value as an error message quotes it, cut short (a 300 KB value must not become a 300 KB message)."""
    return preview(repr(value), 60)


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def condition_codes(condition: Condition) -> tuple[str, ...]:
    """The codes a condition on a code fact names, as the key its index is kept under."""
    value = condition.value
    return tuple(value) if isinstance(value, list) else (str(value),)
