"""Resolve the policy that governs a claim: every matching, effective policy, layered section by section.

A more specific layer (higher `layer`) replaces a lower one's section: an LCD's coverage section replaces the
national one for its states, while the national timely-filing rule stays.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Generic, TypeVar

from preclaim.domain.report import PolicyRef, Source
from preclaim.policy.code_index import EMPTY_INDEX, CodeIndex
from preclaim.policy.facts import FACTS, condition_codes
from preclaim.policy.program import ProgramMatch, derive_program
from preclaim.policy.schema import (
    Bundling,
    ChemoAdjunct,
    ClaimRules,
    Coverage,
    DiagnosisEntry,
    DocumentationItem,
    DrugPolicy,
    Frequency,
    IncidentTo,
    LiabilityModifiers,
    Ncci,
    NdcRules,
    Policy,
    PriorAuth,
    TimelyFiling,
    Units,
    WasteModifiers,
)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Cited(Generic[T]):
    """A policy section together with the policy it came from and its cited source."""

    value: T
    policy: Policy
    source: Source
    # Every source of the same policy, cited once when the policy was resolved (documentation items and hard
    # limits name their own).
    sources: Mapping[str, Source] = field(default_factory=dict, compare=False, repr=False)

    def cite(self, source_id: str) -> Source:
        """The citation of another source of the section's policy."""
        found = self.sources.get(source_id)
        return found if found is not None else source_of(self.policy, source_id)


@dataclass(frozen=True, slots=True)
class PayerKey:
    payer_id: str
    payer_name: str | None
    filing_indicator: str | None
    state: str | None
    plan: str | None

    @property
    def program(self) -> ProgramMatch:
        """The claim's program (line of business), derived from the other fields (memoised by derive_program)."""
        return derive_program(self.filing_indicator, self.payer_id, self.payer_name, self.plan)


_RESOLVE_CACHE_LIMIT = 4096


def source_of(policy: Policy, source_id: str) -> Source:
    """The citation for a policy's source id (a resolved policy builds each once: see Cited.cite)."""
    doc = policy.sources[source_id]
    title = doc.title if not policy.illustrative else f"{doc.title} (ILLUSTRATIVE, not a real payer rule)"
    return Source(id=source_id, title=title, url=doc.url, version=doc.version)


@dataclass(frozen=True, slots=True)
class ResolvedDrug:
    """One drug's policy after layering: each section with the policy and source it came from, None when no
    matching policy has it, plus the diagnosis indexes its coverage section is read through."""

    units: Cited[Units] | None = None
    prior_auth: Cited[PriorAuth] | None = None
    coverage: Cited[Coverage] | None = None
    frequency: Cited[Frequency] | None = None
    chemo_adjunct: Cited[ChemoAdjunct] | None = None
    documentation: Cited[tuple[DocumentationItem, ...]] | None = None
    covered: CodeIndex = EMPTY_INDEX  # the coverage section's own codes, then its code list's
    noncovered: CodeIndex = EMPTY_INDEX

    def section(self, name: str) -> Cited[object] | None:
        """A section by its policy-file name (pages that list sections generically); rules use the fields."""
        found: Cited[object] | None = getattr(self, name) if name in DrugPolicy.__struct_fields__ else None
        return found


NO_DRUG = ResolvedDrug()  # what a code no matching policy names resolves to: every section None


@dataclass(frozen=True, slots=True)
class ResolvedClaimRules:
    """The claim-level sections after layering, each with its policy and source; None when none has it."""

    timely_filing: Cited[TimelyFiling] | None = None
    bundling: Cited[Bundling] | None = None
    incident_to: Cited[IncidentTo] | None = None
    waste_modifiers: Cited[WasteModifiers] | None = None
    liability_modifiers: Cited[LiabilityModifiers] | None = None
    ndc: Cited[NdcRules] | None = None
    ncci: Cited[Ncci] | None = None

    def get(self, name: str) -> Cited[object] | None:
        """A section by its policy-file name (pages that list sections generically); rules use the fields."""
        found: Cited[object] | None = getattr(self, name) if name in ClaimRules.__struct_fields__ else None
        return found


NO_CLAIM_RULES = ResolvedClaimRules()


@dataclass(frozen=True, eq=False)
class ResolvedPolicy:
    """The policy governing a set of claims: typed sections, and the indexes its lists are read through.

    Compared and hashed by identity: an engine keys what it derives from a resolved policy on the object itself.
    """

    layers: tuple[Policy, ...]
    claim_rules: ResolvedClaimRules = NO_CLAIM_RULES
    drugs: dict[str, ResolvedDrug] = field(default_factory=dict)
    code_lists: dict[str, tuple[DiagnosisEntry, ...]] = field(default_factory=dict)
    # Diagnosis indexes by their codes: every condition's list is indexed when the policy is resolved; a rule's
    # own constant list (dialysis codes) is indexed on first use.
    indexes: dict[tuple[str, ...], CodeIndex] = field(default_factory=dict, repr=False)

    @property
    def known_payer(self) -> bool:
        """True when a payer-specific (non-baseline) policy matched."""
        return any(p.layer > 0 for p in self.layers)

    @cached_property
    def refs(self) -> tuple[PolicyRef, ...]:
        return tuple(PolicyRef(p.id, p.title, p.version, p.illustrative) for p in self.layers)

    def drug(self, code: str) -> ResolvedDrug:
        return self.drugs.get(code, NO_DRUG)

    def index(self, codes: tuple[str, ...]) -> CodeIndex:
        found = self.indexes.get(codes)
        if found is None:
            found = self.indexes[codes] = CodeIndex(codes)
        return found

    def claim_rule(self, name: str) -> Cited[object] | None:
        """A claim-level section by name, for pages that list them generically (rules read claim_rules.<name>)."""
        return self.claim_rules.get(name)

    def drug_section(self, code: str, name: str) -> Cited[object] | None:
        """A drug section by name, for pages that list them generically (rules read drugs[code].<name>)."""
        drug = self.drugs.get(code)
        return drug.section(name) if drug is not None else None

    def drug_codes(self) -> frozenset[str]:
        return frozenset(self.drugs)


def _matches(policy: Policy, key: PayerKey) -> bool:
    """Whether the policy's `match` selects this payer key (effective dates are checked separately)."""
    m = policy.match
    if m.payer_ids and key.payer_id not in m.payer_ids:
        name = (key.payer_name or "").lower()
        if not (m.payer_names and any(n.lower() in name for n in m.payer_names)):
            return False
    elif not m.payer_ids and m.payer_names:
        name = (key.payer_name or "").lower()
        if not any(n.lower() in name for n in m.payer_names):
            return False
    if m.filing_indicators and key.filing_indicator not in m.filing_indicators:
        return False
    if m.programs and key.program.program not in m.programs:
        return False
    if m.states and key.state not in m.states:
        return False
    return not (m.plans and key.plan not in m.plans)


class PolicyLibrary:
    def __init__(
        self, policies: Sequence[Policy], code_lists: dict[str, tuple[DiagnosisEntry, ...]] | None = None
    ) -> None:
        self.policies = tuple(sorted(policies, key=lambda p: (p.layer, p.id)))
        self.code_lists = dict(code_lists or {})
        # Every drug code a policy names: the only codes whose earlier lines a check reads as doses.
        self.drug_codes = frozenset(code for policy in self.policies for code in policy.drugs)
        self._cache: dict[tuple[PayerKey, dt.date], ResolvedPolicy] = {}
        # Policies (with their positions in self.policies) whose `match` selects a key, whatever the day: a batch
        # meets few payers but many dates.
        self._by_key: dict[PayerKey, tuple[tuple[int, Policy], ...]] = {}
        # One ResolvedPolicy per set of matching policies (by position), whatever the day: what an engine derives
        # from it is then shared by every claim it governs, and memory does not grow with the dates seen.
        self._by_layers: dict[tuple[int, ...], ResolvedPolicy] = {}

    def get(self, policy_id: str) -> Policy | None:
        return next((p for p in self.policies if p.id == policy_id), None)

    def _matching(self, key: PayerKey, day: dt.date) -> list[tuple[int, Policy]]:
        candidates = self._by_key.get(key)
        if candidates is None:
            if len(self._by_key) >= _RESOLVE_CACHE_LIMIT:
                self._by_key.clear()
            candidates = self._by_key[key] = tuple((i, p) for i, p in enumerate(self.policies) if _matches(p, key))
        return [(i, p) for i, p in candidates if p.effective.contains(day)]

    def matching(self, key: PayerKey, day: dt.date) -> list[Policy]:
        return [p for _, p in self._matching(key, day)]

    def resolve(self, key: PayerKey, day: dt.date) -> ResolvedPolicy:
        cache_key = (key, day)
        cached = self._cache.get(cache_key)
        if cached is None:
            found = self._matching(key, day)
            positions = tuple(i for i, _ in found)
            cached = self._by_layers.get(positions)
            if cached is None:
                cached = self._by_layers[positions] = self._layer(p for _, p in found)
            if len(self._cache) >= _RESOLVE_CACHE_LIMIT:  # a service or a long audit meets new days forever
                self._cache.clear()
            self._cache[cache_key] = cached
        return cached

    def _layer(self, layers: Iterable[Policy]) -> ResolvedPolicy:
        ordered = tuple(layers)
        claim_rules: dict[str, Cited[Any]] = {}
        drugs: dict[str, dict[str, Cited[Any]]] = {}
        for policy in ordered:  # ascending layer: later assignments override
            cites = {source_id: source_of(policy, source_id) for source_id in policy.sources}
            for name in ClaimRules.__struct_fields__:
                section = getattr(policy.claim_rules, name)
                if section is not None:
                    claim_rules[name] = Cited(section, policy, cites[section.source], cites)
            for code, drug in policy.drugs.items():
                target = drugs.setdefault(code, {})
                for name in DrugPolicy.__struct_fields__:
                    section = getattr(drug, name)
                    if section is None:
                        continue
                    if name == "documentation":  # items cite their own sources
                        target[name] = Cited(section, policy, Source(policy.id, policy.title), cites)
                    else:
                        target[name] = Cited(section, policy, cites[section.source], cites)
        resolved = ResolvedPolicy(
            ordered,
            ResolvedClaimRules(**claim_rules),
            {code: self._drug(sections) for code, sections in drugs.items()},
            self.code_lists,
        )
        for resolved_drug in resolved.drugs.values():  # index every condition's diagnosis list now, not per claim
            for codes in _condition_code_lists(resolved_drug):
                resolved.index(codes)
        return resolved

    def _drug(self, sections: dict[str, Any]) -> ResolvedDrug:
        coverage = sections.get("coverage")
        if coverage is None:
            return ResolvedDrug(**sections)
        spec: Coverage = coverage.value
        listed = self.code_lists.get(spec.covered_list, ()) if spec.covered_list else ()
        return ResolvedDrug(**sections, covered=CodeIndex(spec.covered + listed), noncovered=CodeIndex(spec.noncovered))


def _condition_code_lists(drug: ResolvedDrug) -> Iterable[tuple[str, ...]]:
    conditions = []
    if drug.prior_auth is not None:
        conditions += [*drug.prior_auth.value.when_any, *drug.prior_auth.value.unless_any]
    if drug.documentation is not None:
        conditions += [c for item in drug.documentation.value for c in item.only_if_any]
    for condition in conditions:
        fact = FACTS.get(condition.fact)
        if fact is not None and fact.many:
            yield condition_codes(condition)
