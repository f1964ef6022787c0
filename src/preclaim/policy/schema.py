"""The policy file schema. A policy is YAML data: who it applies to, when, its sources, and the parameters the
rule families read. Adding a payer never needs code: write a file with this shape.

Every section names a `source` that must be a key of the file's `sources` map (checked on load).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

Confidence = Literal["verified", "secondary", "unverified", "illustrative"]
FactName = Literal[
    "dose_mcg",
    "dose_mcg_30_days",
    "injections_30_days",
    "units",
    "dialysis",
    "failed_oral_therapy",
    "phase",
    "route",
    "diagnosis",
    "age",
    "chemo_drug",
    "place_of_service",
]
Operator = Literal["eq", "ne", "gt", "ge", "lt", "le", "in", "not_in", "starts_with"]


class _Strict(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    pass


class SourceDoc(_Strict, frozen=True):
    title: str
    url: str | None = None
    version: str | None = None
    effective: dt.date | None = None
    accessed: dt.date | None = None
    confidence: Confidence = "verified"
    note: str | None = None


class Effective(_Strict, frozen=True):
    start: dt.date
    end: dt.date | None = None

    def contains(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


class Match(_Strict, frozen=True):
    """Empty lists match anything. A claim matches when every non-empty list contains its value."""

    payer_ids: tuple[str, ...] = ()
    payer_names: tuple[str, ...] = ()  # case-insensitive substrings of the payer name
    filing_indicators: tuple[str, ...] = ()
    states: tuple[str, ...] = ()  # billing provider state (Medicare jurisdiction)
    plans: tuple[str, ...] = ()


class Condition(_Strict, frozen=True):
    fact: FactName
    op: Operator
    value: str | float | bool | list[str]
    describe: str | None = None  # a human sentence for reasons ("more than 1000 mcg in 30 days")


class DiagnosisEntry(_Strict, frozen=True):
    code: str  # an ICD-10-CM code; a category (e.g. "D51") covers every code under it
    label: str | None = None
    verified: bool = True


class PriorAuth(_Strict, frozen=True):
    requirement: Literal["none", "always", "conditional", "unknown"]
    source: str
    reason: str
    when_any: tuple[Condition, ...] = ()  # conditional: required if any holds
    unless_any: tuple[Condition, ...] = ()  # never required if any holds (e.g. dialysis)
    carc_missing: str = "CO-197"
    carc_invalid: str = "CO-15"
    carc_exceeded: str = "CO-198"
    note: str | None = None


class Coverage(_Strict, frozen=True):
    source: str
    covered: tuple[DiagnosisEntry, ...] = ()
    covered_list: str | None = None  # id of a code list file (imported from the CMS MCD download)
    noncovered: tuple[DiagnosisEntry, ...] = ()
    denial_carc: str = "CO-50"
    denial_rarc: tuple[str, ...] = ()
    noncovered_reason: str = "not a covered indication"
    list_verified: bool = True


class Frequency(_Strict, frozen=True):
    source: str
    maintenance_min_days: int | None = None  # at least this many days between maintenance injections
    loading_phase_allowed: bool = True
    max_per_year: int | None = None
    denial_carc: str = "CO-151"
    denial_rarc: tuple[str, ...] = ()
    benefit_carc: str = "CO-119"
    duplicate_carc: str = "OA-18"


class ChemoRule(_Strict, frozen=True):
    max_days_before_first: int
    description: str
    repeat_min_days: int | None = None
    repeat_max_days: int | None = None


class ChemoAdjunct(_Strict, frozen=True):
    source: str
    pemetrexed: ChemoRule | None = None
    pralatrexate: ChemoRule | None = None


DocRequirement = Literal[
    "order_on_file",
    "dose",
    "route",
    "serum_b12",
    "deficiency_lab_or_condition",
    "waste_amount",
    "abn",
    "chemo_schedule",
    "failed_oral_therapy",
    "phase",
]


class DocumentationItem(_Strict, frozen=True):
    id: str
    item: str
    requires: DocRequirement
    source: str
    within_days: int | None = None  # labs: drawn no more than this many days before the service
    below: float | None = None  # labs: value under this threshold (serum B12 pg/mL)
    routes: tuple[str, ...] = ()  # route: accepted routes
    only_if_any: tuple[Condition, ...] = ()


class Units(_Strict, frozen=True):
    source: str
    amount_per_unit: float  # 1000 (mcg) for J3420
    measure: Literal["mcg", "mg"] = "mcg"
    mue: int | None = None  # medically unlikely edit, only when loaded from the CMS table
    mue_carc: str = "CO-151"
    mue_rarc: tuple[str, ...] = ("N362",)
    ndc_unit: str | None = "ML"  # expected CTP05 unit for this drug
    mcg_per_ndc_unit: float | None = 1000.0  # concentration: mcg per mL


class DrugPolicy(_Strict, frozen=True):
    units: Units | None = None
    prior_auth: PriorAuth | None = None
    coverage: Coverage | None = None
    frequency: Frequency | None = None
    chemo_adjunct: ChemoAdjunct | None = None
    documentation: tuple[DocumentationItem, ...] | None = None


class TimelyFiling(_Strict, frozen=True):
    source: str
    days: int
    carc: str = "CO-29"
    rarc: tuple[str, ...] = ("N211",)


class Bundling(_Strict, frozen=True):
    source: str
    no_99211_with_injection: bool = False
    em_with_injection_needs_25: bool = True
    facility_pos_injection_not_payable: tuple[str, ...] = ()
    carc: str = "CO-97"


class WasteModifiers(_Strict, frozen=True):
    source: str
    required_from: dt.date | None = None  # JW/JZ reporting required for single-dose containers from this date
    exempt_pos: tuple[str, ...] = ()  # RHC/FQHC and the like
    carc: str = "CO-4"


class LiabilityModifiers(_Strict, frozen=True):
    source: str
    enabled: bool = True  # GA/GZ/GY/GX are Medicare ABN modifiers


class NdcRules(_Strict, frozen=True):
    source: str
    required: bool = False
    required_for_noc: bool = True
    allowed_units: tuple[str, ...] = ("F2", "GR", "ME", "ML", "UN")
    carc: str = "CO-16"
    rarc: tuple[str, ...] = ("M119",)


class Ncci(_Strict, frozen=True):
    """Apply the imported CMS NCCI practitioner tables (`preclaim codes import-ncci` / `import-mue`) to this
    payer's claims, and the codes its contractors deny with."""

    source: str
    ptp: bool = True
    mue: bool = True
    ptp_carc: str = "CO-97"  # modifier indicator 0: no modifier makes the pair payable
    ptp_modifier_carc: str = "CO-236"  # indicator 1 without an NCCI-associated modifier
    mue_carc: str = "CO-96"
    mue_rarc: tuple[str, ...] = ("N362",)


class ClaimRules(_Strict, frozen=True):
    timely_filing: TimelyFiling | None = None
    bundling: Bundling | None = None
    waste_modifiers: WasteModifiers | None = None
    liability_modifiers: LiabilityModifiers | None = None
    ndc: NdcRules | None = None
    ncci: Ncci | None = None


class Policy(_Strict, frozen=True):
    id: str
    title: str
    version: str
    effective: Effective
    sources: dict[str, SourceDoc]
    match: Match = Match()
    layer: int = 50  # higher layers override lower ones section by section
    illustrative: bool = False
    payer_label: str | None = None
    summary: str | None = None
    claim_rules: ClaimRules = ClaimRules()
    drugs: dict[str, DrugPolicy] = {}
