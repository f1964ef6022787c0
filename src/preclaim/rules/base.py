"""What every rule sees, and small helpers to build findings. Rules are pure: no I/O, no clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import TypeVar

from preclaim.codes import CodeSets
from preclaim.domain.claim import Claim, ServiceLine
from preclaim.domain.history import History
from preclaim.domain.report import Correction, Cure, Finding, Severity, Source
from preclaim.policy.resolver import Cited, ResolvedPolicy

T = TypeVar("T")

INJECTION_CODES = frozenset({"96372"})
EM_CODES = frozenset({"99211", "99212", "99213", "99214", "99215"})


class RuleContext:
    """One claim with its history, policy and code sets, plus the facts nearly every rule reads.

    A plain slotted class built once per check: the derived facts are computed here, in claim order, rather
    than as cached properties (cheaper, and each is needed by several rules anyway). Rules never assign to it.
    """

    __slots__ = (
        "_drug_codes",
        "as_of",
        "claim",
        "codes",
        "dose_lines",
        "drug_codes",
        "drug_lines",
        "first_day",
        "history",
        "memo",
        "policy",
    )

    def __init__(
        self,
        claim: Claim,
        history: History,
        policy: ResolvedPolicy,
        codes: CodeSets,
        as_of: dt.date,
        first_day: dt.date | None = None,
    ) -> None:
        """`first_day` is the claim's first date of service, when the caller has it already."""
        self.claim = claim
        self.history = history
        self.policy = policy
        self.codes = codes
        self.as_of = as_of
        self.memo: dict[object, object] = {}  # per-check results rules share
        self.first_day = first_day if first_day is not None else claim.first_date_of_service
        # Keyed by line number like the claim's own references; the first line with a number decides.
        self._drug_codes: dict[int, str | None] = {}
        drug_lines: list[ServiceLine] = []
        given: list[ServiceLine] = []
        governing: set[str] = set()
        for line in claim.lines:
            if line.number in self._drug_codes:
                code = self._drug_codes[line.number]
            else:
                code = self._drug_codes[line.number] = self._drug_code_of(line)
            if code is not None:
                drug_lines.append(line)
                if "JW" not in line.modifiers:
                    given.append(line)
                if code:
                    governing.add(code)
        # Lines billing a drug this policy set knows (J3420), plus B12 billed under a wrong or NOC code.
        self.drug_lines = tuple(drug_lines)
        # Drug lines billing the amount given: those without JW, or every drug line when all carry JW.
        self.dose_lines = tuple(given) or self.drug_lines
        # The distinct drug codes those lines are governed by, sorted.
        self.drug_codes = tuple(sorted(governing))

    def drug_code_of(self, line: ServiceLine) -> str | None:
        """The drug code whose policy governs this line: its own code, or the code it should have used."""
        if line.number in self._drug_codes:
            return self._drug_codes[line.number]
        code = self._drug_codes[line.number] = self._drug_code_of(line)
        return code

    def _drug_code_of(self, line: ServiceLine) -> str | None:
        if line.code in self.policy.drugs:
            return line.code
        entry = self.codes.hcpcs(line.code)
        if entry is None or (entry.use_instead is None and entry.replacement is None):
            return None
        # A code billed on a date it is not valid, or for a drug that has its own code (the code set says which).
        target = entry.code_for(self.b12_drug(line), line.date_of_service)
        return target if target in self.policy.drugs else None

    def b12_drug(self, line: ServiceLine) -> str | None:
        """Which B12 the line is, from its NDC, then the description, then the chart."""
        if line.ndc is not None:
            package = self.codes.ndc(line.ndc.code)
            if package is not None:
                return package.drug
        text = (line.description or "").lower()
        for drug in ("cyanocobalamin", "hydroxocobalamin"):
            if drug in text or (drug == "cyanocobalamin" and "b12" in text.replace("-", "").replace(" ", "")):
                return drug
        encounter = self.claim.encounter
        return encounter.drug if encounter is not None else None

    # The two lookups below run a dozen times a check: dict access inline, and no typing.cast call.
    def section(self, code: str, name: str, kind: type[T]) -> Cited[T] | None:
        sections = self.policy.drugs.get(code)
        cited = sections.get(name) if sections is not None else None
        return cited if cited is not None and isinstance(cited.value, kind) else None  # type: ignore[return-value]

    def claim_rule(self, name: str, kind: type[T]) -> Cited[T] | None:
        cited = self.policy.claim_rules.get(name)
        return cited if cited is not None and isinstance(cited.value, kind) else None  # type: ignore[return-value]

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
    return Finding(
        rule=rule,
        severity=severity,
        line=line,
        message=message,
        carc=carc,
        rarc=tuple(rarc),
        fix=fix,
        source=source,
        cure=cure,
        correction=correction,
    )


# Rules build and return a list: a generator per rule and claim would cost more than most rules' own work.
Rule = Callable[[RuleContext], Iterable[Finding]]


def units_text(units: float) -> str:
    return f"{int(units)}" if float(units).is_integer() else f"{units:g}"


def plural(count: float, word: str) -> str:
    return f"{units_text(count)} {word}{'' if count == 1 else 's'}"
