"""Rule families. Each rule is a pure function RuleContext -> Iterable[Finding]; the engine runs them all."""

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

__all__ = ["ALL_RULES", "Rule", "RuleContext"]
