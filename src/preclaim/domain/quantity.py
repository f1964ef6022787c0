"""Amounts with their unit, as the domain uses them: `Quantity(value, unit)`, `units_needed(dose, per_unit)`.

The type and the unit vocabulary are defined in preclaim.measure (a drug-agnostic measurement module); this
module is the domain's name for them.
"""

from preclaim.measure import UNITS, MassUnit, Quantity, QuantityError, Unit, exact, unit_of, units_needed

__all__ = ["UNITS", "MassUnit", "Quantity", "QuantityError", "Unit", "exact", "unit_of", "units_needed"]
