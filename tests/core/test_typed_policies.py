"""Policies as typed data: drug keys are HCPCS codes, conditions name registered facts with values of the right
type, rules read typed sections, and caches belong to the engine."""

from __future__ import annotations

import ast
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import msgspec
import pytest

from preclaim.codes import HcpcsCode, load_codes
from preclaim.codes.hcpcs_import import save_imported
from preclaim.codes.registry import CodeSets, HcpcsImport
from preclaim.domain.claim import Claim
from preclaim.domain.report import Source
from preclaim.engine import Engine
from preclaim.errors import PolicyError
from preclaim.policy import NO_DRUG, PayerKey, ResolvedClaimRules, ResolvedDrug, load_library, parse_policy
from preclaim.policy.facts import FACTS
from preclaim.policy.schema import ClaimRules, Coverage, DrugPolicy, Frequency, TimelyFiling
from preclaim.rules.facts import READERS

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "preclaim"
AS_OF = dt.date(2026, 3, 20)

PLAN = """
id: acme
title: Acme Health (test)
version: "1"
effective: {start: 2020-01-01}
match: {payer_ids: [ACME]}
layer: 95
sources: {p: {title: Acme policy, url: https://example.invalid/p}}
drugs:
  DRUG:
    prior_auth:
      requirement: conditional
      source: p
      reason: Acme asks for PA in some cases
      when_any: [CONDITION]
"""


def _plan(condition: str = "{fact: dialysis, op: eq, value: true}", drug: str = "J3420") -> str:
    return PLAN.replace("DRUG", drug).replace("CONDITION", condition)


def _refusal(text: str) -> str:
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "acme.yaml")
    return str(caught.value)


# Drug keys


@pytest.mark.parametrize("key", ["J342O", "J3421", "j3420"])
def test_a_misspelt_drug_key_is_refused_with_the_closest_code(key: str) -> None:
    message = _refusal(_plan(drug=key))
    assert message.startswith("acme.yaml: ")
    assert f"key drugs.{key}" in message and "did you mean J3420?" in message


def test_a_code_from_the_imported_cms_file_may_have_a_policy(tmp_path: Path) -> None:
    (tmp_path / "acme.yaml").write_text(_plan(drug="J0897"))
    with pytest.raises(PolicyError, match="J0897"):
        load_library([tmp_path], codes=CodeSets())
    cms = Source("cms-hcpcs", "CMS HCPCS quarterly file (test import)")
    listed = HcpcsCode("J0897", "Denosumab injection", "Injection, denosumab, 1 mg", "active", cms)
    imported = HcpcsImport("HCPC2026_JAN.txt", dt.datetime(2026, 1, 2, tzinfo=dt.UTC), [listed])
    library = load_library([tmp_path], codes=CodeSets(imported))
    assert library.resolve(PayerKey("ACME", None, "CI", None, None), AS_OF).drugs["J0897"].prior_auth is not None


def test_policies_validate_knows_the_codes_imported_into_the_data_folder(tmp_path: Path) -> None:
    policies, home = tmp_path / "policies", tmp_path / "home"
    policies.mkdir()
    (policies / "acme.yaml").write_text(_plan(drug="J0897"))
    cms = Source("cms-hcpcs", "CMS HCPCS quarterly file (test import)")
    listed = HcpcsCode("J0897", "Denosumab injection", "Injection, denosumab, 1 mg", "active", cms)
    save_imported([listed], home, "HCPC2026_JAN.txt")

    def validate() -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PRECLAIM_HOME": str(home)}
        command = [sys.executable, "-m", "preclaim", "policies", "validate", str(policies)]
        return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120, env=env)

    assert validate().returncode == 0  # the engine accepts this policy, so validate does too
    (home / "hcpcs-imported.json").unlink()
    refused = validate()
    assert refused.returncode == 2 and "J0897" in refused.stdout


def test_policies_validate_shows_a_misspelt_drug_key_on_one_line(tmp_path: Path) -> None:
    (tmp_path / "acme.yaml").write_text(_plan(drug="J342O"))
    result = subprocess.run(
        [sys.executable, "-m", "preclaim", "policies", "validate", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 2
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 1 and "did you mean J3420?" in lines[0] and "acme.yaml" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr


# Conditions against the fact registry


@pytest.mark.parametrize(
    ("condition", "key", "says"),
    [
        ('{fact: dialysis, op: gt, value: "lots"}', "when_any[0].op", "'gt' does not fit dialysis (bool)"),
        ("{fact: dialysis, op: eq, value: lots}", "when_any[0].value", "'lots' is not true or false"),
        ("{fact: dose_mcg_30_days, op: gt, value: lots}", "when_any[0].value", "'lots' is not a number"),
        ('{fact: dose_mcg, op: gt, value: "1000"}', "when_any[0].value", "'1000' is not a number"),
        ("{fact: age, op: gt, value: 3, unit: mg}", "when_any[0].unit", "age (number, years) is not an amount"),
        ("{fact: dose, op: gt, value: 1, unit: mL}", "when_any[0].unit", "a volume"),
        ("{fact: phase, op: eq, value: loadin}", "when_any[0].value", "did you mean `loading`?"),
        ("{fact: route, op: in, value: []}", "when_any[0].value", "an empty list matches nothing"),
        ("{fact: date_of_service, op: ge, value: 2026-02-30}", "when_any[0].value", "is not a date"),
        ("{fact: age, op: eq, value: [old, older]}", "when_any[0].value", "is not a number"),
        ("{fact: diagnosis, op: gt, value: D51}", "when_any[0].op", "'gt' does not fit diagnosis"),
    ],
)
def test_a_condition_that_does_not_fit_its_fact_is_refused(condition: str, key: str, says: str) -> None:
    message = _refusal(_plan(condition))
    assert message.startswith("acme.yaml"), message
    assert f"key drugs.J3420.prior_auth.{key}:" in message and says in message


def test_an_unknown_fact_is_refused_with_the_closest_name() -> None:
    message = _refusal(_plan("{fact: dialisys, op: eq, value: true}"))
    assert "key drugs.J3420.prior_auth.when_any[0].fact: unknown fact 'dialisys'" in message
    assert "did you mean `dialysis`?" in message


def test_a_documentation_condition_is_checked_too() -> None:
    text = _plan().replace(
        "    prior_auth:",
        "    documentation:\n"
        "      - {id: oral, item: Oral B12 failed, requires: failed_oral_therapy, source: p,\n"
        "         only_if_any: [{fact: diagnosis, op: lt, value: D51.0}]}\n"
        "    prior_auth:",
    )
    assert "key drugs.J3420.documentation[0].only_if_any[0].op" in _refusal(text)


def test_every_registered_fact_has_a_reader() -> None:
    assert set(READERS) == set(FACTS)


def _clean_claim(**changes: object) -> Claim:
    doc = json.loads((ROOT / "examples" / "clean.json").read_text())
    doc.update({"payer": {"id": "ACME", "name": "Acme Health"}, "filing_indicator": "CI", **changes})
    return msgspec.convert(doc, Claim)


@pytest.mark.parametrize(
    ("condition", "status"),
    [
        ("{fact: route, op: eq, value: IM}", "required"),
        ("{fact: route, op: in, value: [SC, IV]}", "not-required"),
        ("{fact: age, op: ge, value: 65}", "required"),  # born 1951, injected 2026
        ("{fact: date_of_service, op: ge, value: 2026-03-01}", "required"),
        ("{fact: date_of_service, op: lt, value: 2026-03-01}", "not-required"),
        ("{fact: place_of_service, op: in, value: ['11', '22']}", "required"),
        ("{fact: diagnosis, op: in, value: [D51]}", "required"),  # a category covers D51.0
        ("{fact: diagnosis, op: not_in, value: [D51.0]}", "not-required"),
        ("{fact: dose_mcg, op: gt, value: 999}", "required"),  # an older fact name, read as dose in mcg
        ("{fact: dose, op: gt, value: 999}", "required"),  # the drug's billing measure: mcg for J3420
        ("{fact: dose, op: gt, value: 0.999, unit: mg}", "required"),
        ("{fact: dose, op: gt, value: 1, unit: mg}", "not-required"),
        ("{fact: phase, op: eq, value: loading}", "not-required"),
        ("{fact: failed_oral_therapy, op: eq, value: true}", "required"),
        ("{fact: chemo_drug, op: eq, value: pemetrexed}", "conditional"),  # the chart says nothing of chemotherapy
    ],
)
def test_conditions_are_evaluated_by_the_facts_type(
    engine: Engine, tmp_path: Path, condition: str, status: str
) -> None:
    (tmp_path / "acme.yaml").write_text(_plan(condition))
    acme = Engine(load_library([tmp_path]), engine.codes)
    assert acme.prior_auth(_clean_claim(), as_of=AS_OF).status == status


# Typed sections


def test_rules_read_typed_sections() -> None:
    florida = load_library().resolve(PayerKey("09102", "First Coast", "MB", "FL", None), dt.date(2026, 3, 1))
    drug = florida.drugs["J3420"]
    assert drug.coverage is not None and isinstance(drug.coverage.value, Coverage)
    assert drug.coverage.policy.id == "lcd-l33967"
    assert drug.frequency is not None and isinstance(drug.frequency.value, Frequency)
    timely = florida.claim_rules.timely_filing
    assert timely is not None and isinstance(timely.value, TimelyFiling) and timely.policy.id == "medicare-ffs-b12"
    assert drug.covered.find("D51.0") is not None  # the LCD's covered list, indexed when resolved
    assert florida.drug("J3490") is NO_DRUG and NO_DRUG.prior_auth is None


def test_every_policy_section_has_a_typed_field() -> None:
    drug_fields = set(ResolvedDrug.__dataclass_fields__)
    assert set(DrugPolicy.__struct_fields__) <= drug_fields
    assert set(ClaimRules.__struct_fields__) == set(ResolvedClaimRules.__dataclass_fields__)


# Caches


def _module_caches(path: Path) -> list[str]:
    """Module-level dicts, lists or sets that the module writes to, functools caches, and id() calls."""
    tree = ast.parse(path.read_text())
    containers = {
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
        and (
            isinstance(node.value, ast.Dict | ast.List | ast.Set)
            or (isinstance(node.value, ast.Call) and getattr(node.value.func, "id", "") in ("dict", "set", "list"))
        )
    }
    found: list[str] = []
    for node in ast.walk(tree):
        stored = isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store)
        if stored and isinstance(node.value, ast.Name) and node.value.id in containers:
            found.append(f"{path.name}: {node.value.id}[...] = ")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            mutators = ("clear", "setdefault", "update", "append", "add", "pop")
            if isinstance(owner, ast.Name) and owner.id in containers and node.func.attr in mutators:
                found.append(f"{path.name}: {owner.id}.{node.func.attr}()")
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "id":
            found.append(f"{path.name}:{node.lineno}: id()")
        if isinstance(node, ast.Attribute) and node.attr in ("lru_cache", "cache"):
            found.append(f"{path.name}:{node.lineno}: functools.{node.attr}")
    return found


def test_rules_keep_no_module_level_caches() -> None:
    # rules/catalog.py is not a rule: it reads the bundled rule catalog (which the engine never reads) once.
    found = [
        hit
        for path in sorted((SRC / "rules").glob("*.py"))
        if path.name != "catalog.py"
        for hit in _module_caches(path)
    ]
    assert found == []


def test_policies_keep_no_caches_keyed_by_object_identity() -> None:
    # The YAML loader counts the values under each node of the file it is reading, by node identity, while
    # the nodes are alive: that is not a cache.
    found = [
        hit
        for path in sorted((SRC / "policy").glob("*.py"))
        if path.name != "loader.py"
        for hit in _module_caches(path)
        if "id()" in hit
    ]
    assert found == []


def test_the_audit_finds_a_cache_keyed_by_identity() -> None:
    sample = "_MEMO: dict[int, str] = {}\n\ndef f(x: object) -> str:\n    _MEMO[id(x)] = 'y'\n    return 'y'\n"
    path = Path(__file__).parent / "_cache_sample.py"
    path.write_text(sample)
    try:
        assert len(_module_caches(path)) == 2
    finally:
        path.unlink()


def test_engines_sharing_a_library_keep_their_own_results(engine: Engine) -> None:
    shared = engine.policies
    other = Engine(shared, load_codes())
    claim = _clean_claim(payer={"id": "09102", "name": "First Coast"}, filing_indicator="MB")
    first = engine.check(claim, as_of=AS_OF)
    assert other.check(claim, as_of=AS_OF) == first
    assert engine._shared is not other._shared
    assert set(engine._shared) & set(other._shared)  # the same resolved policy, each engine its own memo
