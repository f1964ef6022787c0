"""An amount with its unit (1000 mcg, 1 g, 2 mL), drug-agnostic: the units of measure preclaim reads.

The domain uses it as preclaim.domain.quantity (which re-exports this module); the vocabulary of units lives
here, outside the domain package, which names no drug, unit of a drug or lab.

Mass units convert among themselves exactly (decimal arithmetic, so 0.3 mg / 0.1 mg is 3, not 2.999...).
Volume (mL) never converts to mass here: that needs a concentration, which belongs to a drug package.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Annotated, Literal

import msgspec

# The largest amount or count input may give (domain/limits.py reads it as MAX_QUANTITY): defined here, where
# nothing of preclaim is imported, so the domain can import this module.
MAX_AMOUNT = 1_000_000.0
Bounded = Annotated[float, msgspec.Meta(le=MAX_AMOUNT, ge=-MAX_AMOUNT)]

Unit = Literal["g", "mg", "mcg", "mL"]
MassUnit = Literal["g", "mg", "mcg"]
UNITS: tuple[Unit, ...] = ("g", "mg", "mcg", "mL")
# Micrograms per unit: the common base for every mass conversion.
_MCG: dict[str, int] = {"g": 1_000_000, "mg": 1_000, "mcg": 1}
# Spellings seen on labels and in FDA data ("ug", "µg", "ml") for the canonical units.
_SPELLINGS: dict[str, Unit] = {
    "g": "g",
    "gm": "g",
    "mg": "mg",
    "mcg": "mcg",
    "ug": "mcg",
    "µg": "mcg",
    "μg": "mcg",
    "ml": "mL",
}
_TEXT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-zµμ]+)\s*$")


class QuantityError(ValueError):
    """A unit that is not known, or two amounts that cannot be compared (mL against mg)."""


def unit_of(text: str) -> Unit:
    """ "MG", "ug", "ml" -> the canonical unit; QuantityError naming the units accepted."""
    unit = _SPELLINGS.get(text.strip().lower())
    if unit is None:
        raise QuantityError(f"unit {text!r} is not one of {', '.join(UNITS)}")
    return unit


def exact(value: float) -> Fraction:
    """The decimal a person wrote (0.3), not the binary float nearest to it."""
    return Fraction(repr(float(value)))


class Quantity(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    value: Bounded  # a number within the input limits (domain/limits.py)
    unit: Unit

    @classmethod
    def parse(cls, text: str) -> Quantity:
        """ "1000 mcg", "1 g", "2mL" -> Quantity; QuantityError saying what was expected."""
        match = _TEXT.match(text)
        if match is None:
            raise QuantityError(f"{text!r} is not an amount with a unit, e.g. '1000 mcg' or '1 g'")
        return cls(float(match.group(1)), unit_of(match.group(2)))

    @property
    def is_mass(self) -> bool:
        return self.unit != "mL"

    def mcg(self) -> Fraction:
        """The amount in micrograms, exactly; QuantityError for a volume."""
        if not self.is_mass:
            raise QuantityError(f"{self} is a volume, not a mass: it needs a concentration to convert")
        return exact(self.value) * _MCG[self.unit]

    def to(self, unit: MassUnit) -> Quantity:
        if unit not in _MCG:
            raise QuantityError(f"cannot convert {self} to {unit!r}: only g, mg and mcg convert")
        return Quantity(float(self.mcg() / _MCG[unit]), unit)

    def ratio(self, per: Quantity) -> Fraction:
        """How many `per` fit in this amount, exactly (1 g / 250 mg = 4)."""
        if per.value <= 0:
            raise QuantityError(f"cannot divide by {per}")
        if self.unit == "mL" or per.unit == "mL":
            if self.unit != per.unit:
                raise QuantityError(f"cannot compare {self} with {per}: a volume and a mass")
            return exact(self.value) / exact(per.value)
        return self.mcg() / per.mcg()

    def plus(self, other: Quantity) -> Quantity:
        """The sum in this amount's unit (500 mcg + 1 mg = 1500 mcg); QuantityError for a volume and a mass."""
        if self.unit == other.unit:
            return Quantity(float(exact(self.value) + exact(other.value)), self.unit)
        if not (self.is_mass and other.is_mass):
            raise QuantityError(f"cannot add {other} to {self}: a volume and a mass")
        return Quantity(float((self.mcg() + other.mcg()) / _MCG[self.unit]), self.unit)

    def times(self, factor: float) -> Quantity:
        return Quantity(float(exact(self.value) * exact(factor)), self.unit)

    def __str__(self) -> str:
        return f"{self.value:g} {self.unit}"


def units_needed(dose: Quantity, per_unit: Quantity) -> int:
    """Billing units for a dose: every started unit counts (1500 mcg at 1000 mcg a unit is 2)."""
    if not (math.isfinite(dose.value) and dose.value >= 0):
        raise QuantityError(f"dose {dose} must be a finite amount of zero or more")
    return math.ceil(dose.ratio(per_unit))


__all__ = ["UNITS", "MassUnit", "Quantity", "QuantityError", "Unit", "exact", "unit_of", "units_needed"]
