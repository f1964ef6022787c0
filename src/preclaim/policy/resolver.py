"""Resolve the policy that governs a claim: every matching, effective policy, layered section by section.

A more specific layer (higher `layer`) replaces a lower one's section: an LCD's coverage section replaces the
national one for its states, while the national timely-filing rule stays.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Generic, TypeVar

from preclaim.domain.report import PolicyRef, Source
from preclaim.policy.program import ProgramMatch, derive_program
from preclaim.policy.schema import ClaimRules, DiagnosisEntry, DrugPolicy, Policy

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Cited(Generic[T]):
    """A policy section together with the policy it came from and its cited source."""

    value: T
    policy: Policy
    source: Source


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


_SOURCES: dict[tuple[int, str], tuple[Policy, Source]] = {}


_RESOLVE_CACHE_LIMIT = 4096


def source_of(policy: Policy, source_id: str) -> Source:
    """The citation for a policy's source id (built once per policy object and id)."""
    cached = _SOURCES.get((id(policy), source_id))
    if cached is not None and cached[0] is policy:
        return cached[1]
    doc = policy.sources[source_id]
    title = doc.title if not policy.illustrative else f"{doc.title} (ILLUSTRATIVE, not a real payer rule)"
    source = Source(id=source_id, title=title, url=doc.url, version=doc.version)
    _SOURCES[(id(policy), source_id)] = (policy, source)
    return source


def _cite(policy: Policy, section: T) -> Cited[T]:
    return Cited(section, policy, source_of(policy, getattr(section, "source")))  # noqa: B009


@dataclass(frozen=True)
class ResolvedPolicy:
    layers: tuple[Policy, ...]
    claim_rules: dict[str, Cited[object]] = field(default_factory=dict)
    drugs: dict[str, dict[str, Cited[object]]] = field(default_factory=dict)
    code_lists: dict[str, tuple[DiagnosisEntry, ...]] = field(default_factory=dict)
    # Results rules derive from this policy and reuse across claims (a resolved policy is cached by its library
    # and outlives many checks); each rule owns its keys.
    memo: dict[object, object] = field(default_factory=dict, compare=False, repr=False)

    @property
    def known_payer(self) -> bool:
        """True when a payer-specific (non-baseline) policy matched."""
        return any(p.layer > 0 for p in self.layers)

    @cached_property
    def refs(self) -> tuple[PolicyRef, ...]:
        return tuple(PolicyRef(p.id, p.title, p.version, p.illustrative) for p in self.layers)

    def claim_rule(self, name: str) -> Cited[object] | None:
        return self.claim_rules.get(name)

    def drug_section(self, code: str, name: str) -> Cited[object] | None:
        sections = self.drugs.get(code)
        return sections.get(name) if sections is not None else None

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
        self._cache: dict[tuple[PayerKey, dt.date], ResolvedPolicy] = {}
        # Policies whose `match` selects a key, whatever the day: a batch meets few payers but many dates.
        self._by_key: dict[PayerKey, tuple[Policy, ...]] = {}
        # One ResolvedPolicy per set of matching policies, whatever the day: its memo is then shared by every
        # claim it governs, and memory does not grow with the number of dates of service seen.
        self._by_layers: dict[tuple[int, ...], ResolvedPolicy] = {}

    def get(self, policy_id: str) -> Policy | None:
        return next((p for p in self.policies if p.id == policy_id), None)

    def matching(self, key: PayerKey, day: dt.date) -> list[Policy]:
        candidates = self._by_key.get(key)
        if candidates is None:
            if len(self._by_key) >= _RESOLVE_CACHE_LIMIT:
                self._by_key.clear()
            candidates = self._by_key[key] = tuple(p for p in self.policies if _matches(p, key))
        return [p for p in candidates if p.effective.contains(day)]

    def resolve(self, key: PayerKey, day: dt.date) -> ResolvedPolicy:
        cache_key = (key, day)
        cached = self._cache.get(cache_key)
        if cached is None:
            layers = self.matching(key, day)
            ids = tuple(id(p) for p in layers)  # the library holds its policies for life: ids stay unique
            cached = self._by_layers.get(ids)
            if cached is None:
                cached = self._by_layers[ids] = self._layer(layers)
            if len(self._cache) >= _RESOLVE_CACHE_LIMIT:  # a service or a long audit meets new days forever
                self._cache.clear()
            self._cache[cache_key] = cached
        return cached

    def _layer(self, layers: Iterable[Policy]) -> ResolvedPolicy:
        ordered = tuple(layers)
        claim_rules: dict[str, Cited[object]] = {}
        drugs: dict[str, dict[str, Cited[object]]] = {}
        for policy in ordered:  # ascending layer: later assignments override
            for name in ClaimRules.__struct_fields__:
                section = getattr(policy.claim_rules, name)
                if section is not None:
                    claim_rules[name] = _cite(policy, section)
            for code, drug in policy.drugs.items():
                target = drugs.setdefault(code, {})
                for name in DrugPolicy.__struct_fields__:
                    section = getattr(drug, name)
                    if section is None:
                        continue
                    if name == "documentation":
                        target[name] = Cited(section, policy, Source(policy.id, policy.title))
                    else:
                        target[name] = _cite(policy, section)
        return ResolvedPolicy(ordered, claim_rules, drugs, self.code_lists)
