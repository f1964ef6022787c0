"""Clinical and chart facts about the visit, when the input can carry them (an 837P cannot).

Every field is optional: None means "not known", which the engine reports as `unknown` in the
documentation checklist rather than as a problem with the claim.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from preclaim.domain.limits import Identifier, Quantity, Text
from preclaim.domain.quantity import Quantity as Amount

VialType = Literal["single-dose", "multi-dose"]
Route = Literal["IM", "SC", "IV", "oral", "nasal"]
Phase = Literal["loading", "maintenance"]
ChemoDrug = Literal["pemetrexed", "pralatrexate"]


class Lab(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A lab result keyed by its LOINC code; what the value means for a drug is in the drug catalog's labs."""

    loinc: Identifier  # e.g. 2132-9
    value: Quantity
    unit: Identifier  # pg/mL, pmol/L, nmol/L, umol/L
    date: dt.date


class ChemoSchedule(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Pemetrexed or pralatrexate schedule the injected drug is an adjunct to."""

    # For vitamin B12: LCD L33967 indications 2 and 3.

    drug: ChemoDrug
    first_dose: dt.date
    cycle_days: int | None = None


class Encounter(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    dose: Amount | None = None  # the amount given, in any unit ({value: 1000, unit: mcg})
    wasted: Amount | None = None  # the amount discarded from a single-dose vial
    vial_type: VialType | None = None
    route: Route | None = None
    order_on_file: bool | None = None
    labs: tuple[Lab, ...] = ()
    abn_on_file: bool | None = None
    chemo: ChemoSchedule | None = None
    failed_oral_therapy: bool | None = None
    dialysis: bool | None = None
    phase: Phase | None = None  # initial/acute (loading) or maintenance, as documented
    drug: Text | None = None  # the substance, when the chart names it (a catalog name or alias)

    def latest_lab(self, loinc: str) -> Lab | None:
        matching = [lab for lab in self.labs if lab.loinc == loinc]
        return max(matching, key=lambda lab: lab.date) if matching else None
