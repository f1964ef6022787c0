"""The policy file schema. A policy is YAML data: who it applies to, when, its sources, and the parameters the
rule families read. Adding a payer never needs code: write a file with this shape.

Every section names a `source` that must be a key of the file's `sources` map (checked on load).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Literal

import msgspec

from preclaim.domain.quantity import Unit
from preclaim.policy.program import Program

Confidence = Literal["verified", "secondary", "unverified", "illustrative"]
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
    # The claim's program (line of business) derived from SBR09, payer id, name and plan: medicare-ffs,
    # medicare-advantage, medicaid-ffs, medicaid-managed-care, commercial, unknown (see policy/program.py).
    programs: tuple[Program, ...] = ()


class Condition(_Strict, frozen=True):
    """A test of one chart or claim fact; the fact names, their types and the operators that fit them are in
    policy/facts.py (checked on load)."""

    fact: str
    op: Operator
    value: str | float | bool | list[str]
    # An amount fact (dose, dose_30_days): the unit `value` is in; without one, the drug's billing measure.
    unit: Unit | None = None
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
    # A line pointing away from the covered diagnosis on the claim: CO-11 by default; an LCD's MAC edits the
    # pointed diagnosis against the article's list and denies it for medical necessity (CO-50, N115).
    pointer_carc: str = "CO-11"
    pointer_rarc: tuple[str, ...] = ()
    noncovered_reason: str = "not a covered indication"
    list_verified: bool = True


class Interval(_Strict, frozen=True):
    """How far apart maintenance injections must be: a number of days, or a number of calendar months.

    `month_rule` says what a month means: `same-day` (not before the same day of the month N months later; the
    last day of that month when it is shorter) or `calendar-month` (at most one injection per calendar month,
    any day in it).
    """

    days: int | None = None
    months: int | None = None
    month_rule: Literal["same-day", "calendar-month"] = "same-day"


class Frequency(_Strict, frozen=True):
    source: str
    maintenance_min_days: int | None = None  # older form of maintenance_interval: {days: N}
    maintenance_interval: Interval | None = None
    # A maintenance dose sooner than the interval is a medical-review risk (a warning) unless the payer states the
    # interval as a hard limit: then this names the source (a key of `sources`) that says so, and it is an error.
    hard_limit_source: str | None = None
    loading_phase_allowed: bool = True
    max_per_year: int | None = None
    denial_carc: str = "CO-151"
    denial_rarc: tuple[str, ...] = ()
    benefit_carc: str = "CO-119"
    duplicate_carc: str = "OA-18"

    @property
    def interval(self) -> Interval | None:
        """The maintenance interval, whichever form the file uses (one Interval per day count, reused)."""
        if self.maintenance_interval is not None:
            return self.maintenance_interval
        days = self.maintenance_min_days
        if days is None:
            return None
        found = _DAYS.get(days)
        if found is None:
            found = _DAYS[days] = Interval(days=days)
        return found


_DAYS: dict[int, Interval] = {}


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
    "lab",
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
    loinc: str | None = None  # lab: the test, by LOINC code (the drug catalog lists the drug's labs)
    within_days: int | None = None  # labs: drawn no more than this many days before the service
    below: float | None = None  # lab: value under this threshold (default: the catalog's borderline band)
    routes: tuple[str, ...] = ()  # route: accepted routes
    only_if_any: tuple[Condition, ...] = ()


class Units(_Strict, frozen=True):
    """What a payer says about a drug's units. The amount one unit stands for, and a package's strength, are the
    drug's (the drug catalog); the keys older files used for them are ignored on load (docs/policies.md)."""

    source: str
    mue: int | None = None  # medically unlikely edit, only when loaded from the CMS table
    mue_carc: str = "CO-151"
    mue_rarc: tuple[str, ...] = ("N362",)
    ndc_unit: str | None = "ML"  # expected CTP05 unit for this drug


class DrugPolicy(_Strict, frozen=True):
    units: Units | None = None
    prior_auth: PriorAuth | None = None
    coverage: Coverage | None = None
    frequency: Frequency | None = None
    chemo_adjunct: ChemoAdjunct | None = None
    documentation: tuple[DocumentationItem, ...] | None = None


class TimelyFiling(_Strict, frozen=True):
    """The filing limit from the date of service: exactly one of days, months or years.

    Months and years are calendar based (42 CFR 424.44: one calendar year, so a 2024-02-29 service is due
    2025-02-28); days count days.
    """

    source: str
    days: int | None = None
    months: int | None = None
    years: int | None = None
    carc: str = "CO-29"
    rarc: tuple[str, ...] = ("N211",)

    def __post_init__(self) -> None:
        given = [n for n in (self.days, self.months, self.years) if n is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of `days`, `months` or `years`")
        if given[0] <= 0:
            raise ValueError("the filing limit must be a positive number")

    @property
    def min_days(self) -> int:
        """A lower bound of the limit in days (a month has at least 28, a year 365): a claim sent within it is on
        time without any calendar arithmetic, which is nearly every claim."""
        return self.days if self.days is not None else 28 * (self.months or 0) + 365 * (self.years or 0)

    def deadline(self, service: dt.date) -> dt.date:
        """The last day a claim for this date of service is timely."""
        if self.days is not None:
            return service + dt.timedelta(days=self.days)
        return _months_after(service, (self.months or 0) + 12 * (self.years or 0))

    def describe(self) -> str:
        """'90 days', '12 months', '1 calendar year'."""
        if self.days is not None:
            return f"{self.days} day{'s' * (self.days != 1)}"
        if self.years is not None:
            return f"{self.years} calendar year{'s' * (self.years != 1)}"
        return f"{self.months} month{'s' * (self.months != 1)}"


@functools.lru_cache(maxsize=4096)
def _months_after(service: dt.date, months: int) -> dt.date:
    """The same day `months` later, or that month's last day (a batch repeats a few dates of service)."""
    year, month = divmod(service.month - 1 + months, 12)
    year += service.year
    month += 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(service.day, last))


class Bundling(_Strict, frozen=True):
    source: str
    no_99211_with_injection: bool = False
    em_with_injection_needs_25: bool = True
    facility_pos_injection_not_payable: tuple[str, ...] = ()
    carc: str = "CO-97"


class IncidentTo(_Strict, frozen=True):
    """Drugs a practitioner bills "incident to" his own service: not in a facility, where the facility furnishes
    and bills the drug (Medicare Benefit Policy Manual ch. 15 §50.3, §60)."""

    source: str
    drug_not_payable_pos: tuple[str, ...] = ()  # places of service where the practitioner's drug line is not paid
    drug_carc: str = "CO-171"


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
    incident_to: IncidentTo | None = None
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
