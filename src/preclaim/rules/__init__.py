"""Rule families. Each rule is a pure function RuleContext -> Iterable[Finding]; the engine runs them all."""

from preclaim.codes import CodeSets
from preclaim.rules import (
    bundling,
    code_validity,
    coverage,
    frequency,
    modifiers,
    ncci,
    ndc_units,
    prior_auth,
    timely,
)
from preclaim.rules.base import Rule, RuleContext

ALL_RULES: tuple[Rule, ...] = (
    *code_validity.RULES,
    *ndc_units.RULES,
    *modifiers.RULES,
    *bundling.RULES,
    *ncci.RULES,
    *coverage.RULES,
    *frequency.RULES,
    *prior_auth.RULES,
    *timely.RULES,
)

_WITHOUT_TABLES = tuple(rule for rule in ALL_RULES if rule not in ncci.RULES)


def rules_for(codes: CodeSets) -> tuple[Rule, ...]:
    """The rules an engine runs with these code sets: the NCCI table rules only when tables were imported."""
    return ALL_RULES if codes.ncci is not None else _WITHOUT_TABLES


__all__ = ["ALL_RULES", "Rule", "RuleContext", "rules_for"]
