"""What every rule sees, and small helpers to build findings. Rules are pure: no I/O, no clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Final

from preclaim.codes import CodeSets
from preclaim.codes.drug_model import Drug
from preclaim.domain.claim import Claim, ServiceLine
from preclaim.domain.history import History
from preclaim.domain.quantity import Quantity as Amount
from preclaim.domain.report import Correction, Cure, Finding, Severity, Source
from preclaim.policy.code_index import CodeIndex
from preclaim.policy.resolver import NO_DRUG, ResolvedClaimRules, ResolvedDrug, ResolvedPolicy

# Final: compiled, a Final module name is a C static, not a dictionary lookup at each use.
INJECTION_CODES: Final = frozenset({"96372"})
EM_CODES: Final = frozenset({"99211", "99212", "99213", "99214", "99215"})
_NO_DRUG: Final = NO_DRUG
# A memo's "not worked out yet", for memos where None is a result: `memo.get(key, UNKNOWN)`.
UNKNOWN: Final = object()


def first_day_of(claim: Claim) -> dt.date | None:
    """claim.first_date_of_service, compiled: the engine and the in-file history ask for every claim, and the
    property runs interpreted (the domain types are not compiled)."""
    first: dt.date | None = None
    for line in claim.lines:
        day = line.date_of_service
        if first is None or day < first:
            first = day
    return first


class RuleContext:
    """One claim with its history, policy and code sets, plus the facts nearly every rule reads.

    A plain slotted class built once per check: the derived facts are computed here, in claim order, rather
    than as cached properties (cheaper, and each is needed by several rules anyway). Rules never assign to it.

    Two memos: `memo` lives for this check; `shared` is the engine's, for results derived from this policy and
    these code sets that every claim the policy governs reuses (each rule owns its keys).
    """

    __slots__ = (
        "_drug_codes",
        "_drugs",
        "as_of",
        "claim",
        "claim_rules",
        "codes",
        "dose_lines",
        "drug_codes",
        "drug_lines",
        "first_day",
        "history",
        "memo",
        "policy",
        "shared",
    )

    def __init__(
        self,
        claim: Claim,
        history: History,
        policy: ResolvedPolicy,
        codes: CodeSets,
        as_of: dt.date,
        first_day: dt.date | None = None,
        shared: dict[object, object] | None = None,
    ) -> None:
        """`first_day` is the claim's first date of service, when the caller has it already; `shared` the
        engine's memo for this policy (a fresh one when none is given)."""
        self.claim = claim
        self.history = history
        self.policy = policy
        self.claim_rules: ResolvedClaimRules = policy.claim_rules
        self._drugs = policy.drugs
        self.codes = codes
        self.as_of = as_of
        self.memo: dict[object, object] = {}  # per-check results rules share
        self.shared: dict[object, object] = {} if shared is None else shared
        self.first_day = first_day if first_day is not None else first_day_of(claim)
        # Keyed by line number like the claim's own references; the first line with a number decides.
        self._drug_codes: dict[int, str | None] = {}
        drug_lines: list[ServiceLine] = []
        given: list[ServiceLine] = []
        governing: set[str] = set()
        known = self._drug_codes
        for line in claim.lines:
            number = line.number
            if number in known:
                code = known[number]
            else:
                code = known[number] = self._drug_code_of(line)
            if code is not None:
                drug_lines.append(line)
                if "JW" not in line.modifiers:
                    given.append(line)
                if code:
                    governing.add(code)
        # Lines billing a drug this policy set knows (J3420), plus that drug billed under a wrong or NOC code.
        self.drug_lines = tuple(drug_lines)
        # Drug lines billing the amount given: those without JW, or every drug line when all carry JW.
        self.dose_lines = tuple(given) or self.drug_lines
        # The distinct drug codes those lines are governed by, sorted.
        self.drug_codes = tuple(sorted(governing))

    def drug_code_of(self, line: ServiceLine) -> str | None:
        """The drug code whose policy governs this line: its own code, or the code it should have used."""
        number = line.number  # read once: a field of a domain struct costs an attribute lookup each time
        known = self._drug_codes
        if number in known:
            return known[number]
        code = known[number] = self._drug_code_of(line)
        return code

    def _drug_code_of(self, line: ServiceLine) -> str | None:
        code = line.code
        if code in self._drugs:
            return code
        entry = self.codes.hcpcs(code)
        if entry is None or (entry.use_instead is None and entry.replacement is None):
            return None
        # A code billed on a date it is not valid, or for a drug that has its own code (the code set says which).
        target = entry.code_for(self.substance_of(line), line.date_of_service)
        return target if target in self._drugs else None

    def substance_of(self, line: ServiceLine) -> str | None:
        """Which substance the line gives, by the drug catalog: its NDC's package, else the catalog name or alias
        its description names, else the chart's drug (its catalog substance, or the chart's word for it)."""
        if line.ndc is not None:
            package = self.codes.ndc(line.ndc.code)
            if package is not None:
                return package.drug
        catalog = self.codes.drugs
        if line.description:
            named = catalog.named_in(line.description)
            if named is not None:
                return named.substance
        encounter = self.claim.encounter
        if encounter is None or encounter.drug is None:
            return None
        found = catalog.by_name(encounter.drug)
        return found[0].substance if found else encounter.drug

    def catalog_drug(self, code: str | None) -> Drug | None:
        """The drug catalog's entry for a HCPCS code (amount per unit, packages, labs), or None."""
        return self.codes.drugs.drugs.get(code) if code is not None else None

    def label(self, code: str | None) -> str:
        """How messages name the drug of a code: the catalog's `label`, else the code itself."""
        drug = self.catalog_drug(code)
        return drug.label if drug is not None else code or "drug"

    def strength(self, drug: Drug, line: ServiceLine | None) -> Amount | None:
        """Amount per mL of the line's solution: its NDC's package when the catalog lists it for this drug, else
        the strength every catalogued package of the drug shares (None when they differ)."""
        if line is not None and line.ndc is not None:
            package = self.codes.drugs.package(line.ndc.code)
            if package is not None and package.hcpcs == drug.hcpcs and package.per_ml is not None:
                return package.per_ml
        return drug.common_strength

    def mass(self, drug: Drug, amount: Amount, line: ServiceLine | None = None) -> Amount | None:
        """The amount as a mass: a volume through the solution's strength; None when the strength is unknown."""
        if amount.is_mass:
            return amount
        strength = self.strength(drug, line)
        return None if strength is None else strength.times(amount.value)

    def drug(self, code: str | None) -> ResolvedDrug:
        """The policy of a drug code, section by section (every section None when no policy names the code)."""
        return self._drugs.get(code, _NO_DRUG) if code is not None else _NO_DRUG

    def index(self, codes: tuple[str, ...]) -> CodeIndex:
        """The policy's index of a diagnosis list (prefix-aware lookups)."""
        found = self.policy.indexes.get(codes)  # built already (the usual case): no interpreted call
        return found if found is not None else self.policy.index(codes)

    def lines_on(self, day: dt.date) -> tuple[ServiceLine, ...]:
        return tuple(line for line in self.claim.lines if line.date_of_service == day)


def split_carc(carc: str) -> tuple[str, str]:
    group, _, reason = carc.partition("-")
    return group, reason


def finding(
    rule: str,
    severity: Severity,
    message: str,
    source: Source,
    *,
    line: int | None = None,
    carc: str | None = None,
    rarc: Iterable[str] = (),
    fix: str | None = None,
    cure: Cure = "claim",
    correction: Correction | None = None,
) -> Finding:
    # Positional, in Finding's field order: a struct matches keyword names one by one, for every finding
    return Finding(rule, severity, line, message, carc, tuple(rarc), fix, source, cure, correction)


# Rules build and return a list: a generator per rule and claim would cost more than most rules' own work.
Rule = Callable[[RuleContext], Iterable[Finding]]


def units_text(units: float) -> str:
    return f"{int(units)}" if float(units).is_integer() else f"{units:g}"


def plural(count: float, word: str) -> str:
    return f"{units_text(count)} {word}{'' if count == 1 else 's'}"
