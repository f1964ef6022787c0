"""The core knows no drug: doses are amounts with a unit, labs are keyed by LOINC, units and lab bands come
from the drug catalog. Older input keys (dose_mcg, lab names, serum_b12, dose_mcg facts) still work where
input enters."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import tokenize
from pathlib import Path

import msgspec
import pytest

from preclaim.domain.claim import Claim
from preclaim.domain.quantity import Quantity
from preclaim.engine import Engine
from preclaim.errors import InputError, PolicyError
from preclaim.io.claim_json import decode_claim, decode_history
from preclaim.policy import load_library, parse_policy
from preclaim.policy.schema import DocumentationItem

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "preclaim"
CORE = [SRC / "rules", SRC / "domain", SRC / "engine.py", SRC / "policy"]
DRUG_WORDS = re.compile(r"j3420|cobalamin|b12|mcg", re.IGNORECASE)
AS_OF = dt.date(2026, 3, 20)


def _core_files() -> list[Path]:
    return sorted(p for root in CORE for p in ([root] if root.is_file() else root.rglob("*.py")))


def test_core_code_names_no_drug_outside_comments() -> None:
    """The issue's gate: drug words in rules/, domain/, engine.py and policy/ only in comments."""
    found = []
    for path in _core_files():
        tokens = tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline)
        for tok in tokens:
            if tok.type != tokenize.COMMENT and DRUG_WORDS.search(tok.string):
                found.append(f"{path.relative_to(ROOT)}:{tok.start[0]}: {tok.string[:60]!r}")
    assert not found, "\n".join(found)
    assert not [p for root in CORE if root.is_dir() for p in root.rglob("*.y*ml")], "policy data lives in data/"


def _example() -> dict[str, object]:
    doc: dict[str, object] = json.loads((ROOT / "examples" / "clean.json").read_text())
    return doc


def test_old_encounter_keys_read_as_the_new_shape() -> None:
    new = _example()
    old = json.loads(json.dumps(new))
    enc = old["encounter"]
    enc["dose_mcg"] = enc.pop("dose")["value"]
    enc["wasted_mcg"] = enc.pop("wasted")["value"]
    for lab in enc["labs"]:
        lab["name"] = {"2132-9": "serum_b12", "13964-2": "methylmalonic_acid"}[lab.pop("loinc")]
    claim_old = decode_claim(json.dumps(old).encode(), "old.json")
    claim_new = decode_claim(json.dumps(new).encode(), "new.json")
    assert claim_old == claim_new
    assert claim_new.encounter is not None and claim_new.encounter.dose == Quantity(1000, "mcg")
    assert claim_new.encounter.latest_lab("2132-9") is not None


def test_an_unknown_lab_name_is_refused_with_its_path() -> None:
    doc = _example()
    doc["encounter"]["labs"] = [{"name": "vitamin_d", "value": 20, "unit": "ng/mL", "date": "2026-01-05"}]  # type: ignore[index]
    with pytest.raises(InputError) as info:
        decode_claim(json.dumps(doc).encode(), "claim.json")
    assert "claim.json: $.encounter.labs[0]" in str(info.value)


def test_old_history_records_keep_their_meaning() -> None:
    old = {"administrations": [{"patient_key": "PT-1", "date": "2026-02-13", "dose_mcg": 1000}]}
    history = decode_history(json.dumps(old).encode())
    (adm,) = history.administrations
    assert (adm.code, adm.dose) == ("J3420", Quantity(1000, "mcg"))


POLICY = """
id: older-plan
title: Older Plan
version: "1"
effective: {start: 2024-01-01}
match: {payer_ids: [OLD1]}
sources: {doc: {title: Older Plan policy, url: https://example.invalid/p}}
drugs:
  J3420:
    units: {source: doc, amount_per_unit: 1000, measure: mcg, ndc_unit: ML, mcg_per_ndc_unit: 1000, mue: 3}
    prior_auth:
      requirement: conditional
      source: doc
      reason: over 1000 mcg
      when_any: [{fact: dose_mcg_30_days, op: gt, value: 1000}]
    documentation:
      - {id: lab, item: "Serum B12 under 300 pg/mL", requires: serum_b12, below: 300, source: doc}
"""


def test_an_older_policy_file_still_loads_with_the_same_meaning() -> None:
    policy = parse_policy(POLICY, "older.yaml")
    drug = policy.drugs["J3420"]
    assert drug.units is not None and drug.units.mue == 3  # the amount keys are the catalog's now: ignored
    assert drug.prior_auth is not None
    (condition,) = drug.prior_auth.when_any
    assert (condition.fact, condition.value, condition.unit) == ("dose_30_days", 1000, "mcg")
    assert drug.documentation is not None
    (item,) = drug.documentation
    assert (item.requires, item.loinc, item.below) == ("lab", "2132-9", 300)


def test_a_lab_item_needs_its_loinc() -> None:
    text = POLICY.replace("requires: serum_b12", "requires: lab")
    with pytest.raises(PolicyError, match=r"documentation\[0\]\.loinc"):
        parse_policy(text, "older.yaml")
    assert DocumentationItem(id="x", item="x", requires="lab", source="doc", loinc="2132-9").loinc == "2132-9"


KETOROLAC = """
id: ketorolac-demo
title: Ketorolac test plan (ILLUSTRATIVE, for tests)
version: "1"
effective: {start: 2024-01-01}
match: {payer_ids: [KET1]}
illustrative: true
sources: {doc: {title: Test plan, url: https://example.invalid/p, confidence: illustrative}}
drugs:
  J1885:
    units: {source: doc}
"""


def test_units_of_another_drug_come_from_its_catalog_file(tmp_path: Path) -> None:
    """No Python knows ketorolac: its billing unit (15 mg) is the catalog's, the dose is in mg."""
    (tmp_path / "ketorolac.yaml").write_text(KETOROLAC)
    engine = Engine(load_library([tmp_path]), Engine.default().codes)
    doc = _example()
    doc["payer"] = {"id": "KET1", "name": "Ketorolac test plan"}
    doc["filing_indicator"] = "CI"
    doc["lines"][1].update(code="J1885", units=1)  # type: ignore[index]
    del doc["lines"][1]["ndc"]  # type: ignore[index]
    doc["encounter"] = {"dose": {"value": 30, "unit": "mg"}}
    report = engine.check(msgspec.convert(doc, Claim), as_of=AS_OF)
    messages = [f.message for f in report.findings if f.rule == "units.dose"]
    assert messages == [
        "line 2: 30 mg given is 2 units of J1885 (1 unit = 15 mg); billed 1: 1 unit not billed "
        "($12.00 at this line's charge of $12.00 a unit); the payer pays only what is billed"
    ]
