"""The rule catalog (src/preclaim/data/rule_catalog.yaml): every id a rule emits is in it, with the severity, cure and
CARC it states (checked by running the golden cases, the examples and built claims, and by scanning the rules'
source); a bad catalog file is named by file, rule id and key; docs/rules.md's table is generated from it."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import msgspec
import pytest
from test_golden_cases import _claim, _set, case_files

from preclaim.codes import load_codes
from preclaim.codes.ncci_mue_import import import_mue
from preclaim.codes.ncci_ptp_import import import_ptp
from preclaim.domain.claim import Claim
from preclaim.domain.history import History
from preclaim.domain.report import Finding
from preclaim.engine import Engine
from preclaim.io.claim_json import load_claims, load_history
from preclaim.policy import load_library
from preclaim.rules.catalog import Catalog, CatalogError, catalog, load_catalog
from preclaim.rules.catalog_table import replace_table

ROOT = Path(__file__).resolve().parents[2]
RULES_SRC = ROOT / "src" / "preclaim" / "rules"
EXAMPLES = ROOT / "examples"
NCCI_FIXTURES = ROOT / "tests" / "codes" / "ncci_fixtures"
CLEAN = json.loads((EXAMPLES / "clean.json").read_text())  # Medicare Part B: 96372 + J3420 on 2026-03-16
AS_OF = dt.date(2026, 3, 20)


def _built(edits: dict[str, Any], *extra_lines: dict[str, Any]) -> Claim:
    """The clean Medicare example with `edits` (golden-case paths) and extra lines on its date of service."""
    doc = copy.deepcopy(CLEAN)
    for path, value in edits.items():
        _set(doc, path, value)
    for number, line in enumerate(extra_lines, start=len(doc["lines"]) + 1):
        doc["lines"].append({"number": number, "units": 1, "date_of_service": "2026-03-16", "diagnosis_pointers": [1]})
        doc["lines"][-1].update(line)
    return msgspec.convert(doc, Claim)


# Claims built to reach ids no golden case or example reaches: (what, edits, extra lines, as of, ids it must emit).
BUILT: list[tuple[str, dict[str, Any], tuple[dict[str, Any], ...], dt.date, set[str]]] = [
    ("five modifiers, one unknown, out of order", {"lines[1].modifiers": ["XU", "ZZ", "GA", "JZ", "59"]}, (),
     AS_OF, {"modifiers.too-many", "modifiers.unknown", "modifiers.order"}),
    ("GY: statutorily excluded", {"lines[1].modifiers": ["GY"]}, (), AS_OF, {"modifiers.gy"}),
    ("GX with GA", {"lines[1].modifiers": ["GA", "GX"]}, (), AS_OF, {"modifiers.gx-conflict"}),
    ("fractional units", {"lines[1].units": 1.5}, (), AS_OF, {"units.fraction"}),
    ("date of service after the send date", {}, (), dt.date(2026, 3, 1), {"timely-filing.future"}),
]  # fmt: skip
NCCI_BUILT: list[tuple[str, dict[str, Any], tuple[dict[str, Any], ...], dt.date, set[str]]] = [
    ("PTP indicator 0", {}, ({"code": "96401"},), AS_OF, {"ncci.ptp"}),
    ("PTP indicator 1 without a modifier", {}, ({"code": "96374"},), AS_OF, {"ncci.ptp-modifier"}),
    ("MUE on one line", {"lines[0].units": 5}, (), AS_OF, {"units.mue"}),
]


@pytest.fixture(scope="module")
def ncci_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    home = tmp_path_factory.mktemp("catalog-ncci")
    import_ptp([NCCI_FIXTURES / "ccipra-v322r0-f1.TXT", NCCI_FIXTURES / "ccipra-v322r0-f2.TXT"], home)
    import_mue(NCCI_FIXTURES / "MCR_MUE_PractitionerServices_Eff_07-01-2026.csv", home, quarter="2026Q1")
    return Engine(load_library(()), load_codes(home))


def _disagreement(cat: Catalog, f: Finding) -> str | None:
    """What the catalog says otherwise about this emitted finding, or None when it agrees."""
    entry = cat.get(f.rule)
    if entry is None:
        return f"{f.rule} is not in the catalog"
    if f.severity not in entry.severities:
        return f"{f.rule}: severity {f.severity}, catalog {entry.severities}"
    if f.cure not in entry.cures:
        return f"{f.rule}: cure {f.cure}, catalog {entry.cures}"
    if entry.carc_policy is None and entry.carc_note is None:
        # A GA line with an ABN turns a medical-necessity denial into the patient's (group PR, info).
        liable = f.severity == "info" and entry.carc is not None and f.carc == "PR-" + entry.carc.split("-")[1]
        if (f.carc != entry.carc and not liable) or f.rarc != entry.rarc:
            return f"{f.rule}: {f.carc} {f.rarc}, catalog {entry.carc} {entry.rarc}"
    return None


def _emitted(engine: Engine, ncci_engine: Engine) -> tuple[list[Finding], dict[str, set[str]]]:
    findings: list[Finding] = []
    for path in case_files():
        case = json.loads(path.read_text())
        history = msgspec.convert(case.get("history", {}), History)
        as_of = dt.date.fromisoformat(case.get("as_of", "2026-03-20"))
        findings += engine.check(_claim(case), history, as_of=as_of).findings
    history = load_history(EXAMPLES / "history.json")
    for path in sorted(EXAMPLES.glob("*.json")):
        if path.name != "history.json":
            findings += [f for c in load_claims(path) for f in engine.check(c, history, as_of=AS_OF).findings]
    built: dict[str, set[str]] = {}
    for runner, cases in ((engine, BUILT), (ncci_engine, NCCI_BUILT)):
        for what, edits, extra, as_of, _ in cases:
            report = runner.check(_built(edits, *extra), as_of=as_of)
            findings += report.findings
            built[what] = {f.rule for f in report.findings}
    return findings, built


def test_every_id_a_rule_emits_is_in_the_catalog_as_it_says(engine: Engine, ncci_engine: Engine) -> None:
    cat = catalog()
    findings, built = _emitted(engine, ncci_engine)
    for what, _, _, _, wanted in BUILT + NCCI_BUILT:
        assert wanted <= built[what], f"{what}: expected {sorted(wanted)}, got {sorted(built[what])}"
    problems = sorted({p for f in findings if (p := _disagreement(cat, f)) is not None})
    assert problems == [], "\n".join(problems)
    emitted = {f.rule for f in findings}
    assert any(r.startswith("documentation.") for r in emitted)  # the patterned id is exercised too
    assert len(emitted) >= 50, sorted(emitted)  # most of the catalog is reached, not a handful of ids


def _literal_ids() -> tuple[set[str], set[str]]:
    """(literal ids, f-string ids) in `finding("...")` calls in the rules' source."""
    literal: set[str] = set()
    patterned: set[str] = set()
    call = re.compile(r"\bfinding\(\s*(f?)\"([^\"]+)\"")
    for path in sorted(RULES_SRC.glob("*.py")):
        for is_f, rule_id in call.findall(path.read_text()):
            (patterned if is_f else literal).add(rule_id)
    return literal, patterned


def test_every_literal_id_in_the_rules_source_is_in_the_catalog_and_the_catalog_has_no_dead_ids() -> None:
    cat = catalog()
    literal, patterned = _literal_ids()
    assert len(literal) >= 60 and patterned == {"documentation.{item.id}"}
    assert sorted(i for i in literal if i not in cat) == []
    for rule_id in patterned:  # an f-string id: any value of its placeholder must match a catalog pattern
        sample = re.sub(r"\{[^}]+\}", "any-item", rule_id)
        entry = cat.get(sample)
        assert entry is not None and "<" in next(k for k, v in cat if v is entry), rule_id
    exact = {k for k, _ in cat if "<" not in k}
    assert sorted(exact - literal) == []  # an entry no rule can emit is a stale catalog


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text(text)
    return path


GOOD = """rules:
  code.invalid:
    family: code
    when: code not valid
    severity: error
    severity_why: the payer rejects it
    carc: CO-181
    cure: claim
    sources: [CMS HCPCS file]
"""


def test_the_bundled_catalog_and_a_minimal_one_load(tmp_path: Path) -> None:
    assert "units.dose" in catalog() and "documentation.order" in catalog() and "units.nothing" not in catalog()
    small = load_catalog(_write(tmp_path, GOOD))
    assert [k for k, _ in small] == ["code.invalid"] and small.field_of("code.invalid") is None


@pytest.mark.parametrize(
    ("edit", "where", "says"),
    [
        (("    cure: claim\n", "    cure: claim\n    colour: red\n"), "rules.code.invalid.colour", "unknown key"),
        (("    severity: error\n", ""), "rules.code.invalid.severity", "missing"),
        (("    severity: error\n", "    severity: fatal\n"), "rules.code.invalid.severity", "one of error, warning"),
        (("    carc: CO-181\n", "    carc: 181\n"), "rules.code.invalid.carc", "Expected"),
        (("    carc: CO-181\n", "    carc: CO181\n"), "rules.code.invalid.carc", "not a CARC"),
        (("    family: code\n", "    family: codes\n"), "rules.code.invalid.family", "not the id's prefix"),
        (("    cure: claim\n", "    cure: claim\n    fix: {action: set-units, automatic: true}\n"),
         "rules.code.invalid.fix.automatic", "unknown key"),
        (("  code.invalid:\n", "  Code Invalid:\n"), "rules.Code Invalid", "not a rule id"),
    ],
)  # fmt: skip
def test_a_bad_catalog_names_the_file_the_rule_and_the_key(
    tmp_path: Path, edit: tuple[str, str], where: str, says: str
) -> None:
    path = _write(tmp_path, GOOD.replace(*edit))
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {where}"), message
    assert says in message, message


def test_unreadable_yaml_and_a_wrong_top_level_are_named_with_the_file(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"catalog\.yaml line 3: not valid YAML"):
        load_catalog(_write(tmp_path, "rules:\n  a.b: {family: a\n  c.d: [\n"))
    with pytest.raises(CatalogError, match=r"catalog\.yaml: expected one top-level key `rules`.*found ruls"):
        load_catalog(_write(tmp_path, GOOD.replace("rules:", "ruls:")))
    with pytest.raises(CatalogError, match=r"missing\.yaml: cannot read"):
        load_catalog(tmp_path / "missing.yaml")


def test_docs_rules_table_is_the_one_generated_from_the_catalog() -> None:
    """Regenerate with scripts/rules_table.py after editing the catalog."""
    page = (ROOT / "docs" / "rules.md").read_text()
    assert replace_table(page, catalog()) == page
    for rule_id, _ in catalog():
        assert f"| `{rule_id}` |" in page
    assert "Verdict: `deny`" in page and "## Facts still unverified" in page  # the rest of the page is kept
