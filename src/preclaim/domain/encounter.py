"""Clinical and chart facts about the visit, when the input can carry them (an 837P cannot).

Every field is optional: None means "not known", which the engine reports as `unknown` in the
documentation checklist rather than as a problem with the claim.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from preclaim.domain.limits import Identifier, Quantity, Text

LabName = Literal["serum_b12", "methylmalonic_acid", "homocysteine"]
VialType = Literal["single-dose", "multi-dose"]
Route = Literal["IM", "SC", "IV", "oral", "nasal"]
Phase = Literal["loading", "maintenance"]
ChemoDrug = Literal["pemetrexed", "pralatrexate"]


class Lab(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: LabName
    value: Quantity
    unit: Identifier  # pg/mL, pmol/L, nmol/L, umol/L
    date: dt.date


class ChemoSchedule(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Pemetrexed or pralatrexate schedule that makes B12 an adjunct (LCD L33967 indications 2 and 3)."""

    drug: ChemoDrug
    first_dose: dt.date
    cycle_days: int | None = None


class Encounter(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    dose_mcg: Quantity | None = None
    wasted_mcg: Quantity | None = None
    vial_type: VialType | None = None
    route: Route | None = None
    order_on_file: bool | None = None
    labs: tuple[Lab, ...] = ()
    abn_on_file: bool | None = None
    chemo: ChemoSchedule | None = None
    failed_oral_therapy: bool | None = None
    dialysis: bool | None = None
    phase: Phase | None = None  # initial/acute (loading) or maintenance, as documented
    drug: Text | None = None  # "cyanocobalamin" or "hydroxocobalamin" when the chart names it

    def latest_lab(self, name: LabName) -> Lab | None:
        matching = [lab for lab in self.labs if lab.name == name]
        return max(matching, key=lambda lab: lab.date) if matching else None
