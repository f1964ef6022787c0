"""Golden cases: tests/cases/<family>/<scenario>.json, each a claim (an example plus edits), optional history,
and the findings a biller must see (or must not see). One parametrised test runs them all.

A case may cite where its expected outcome comes from in "source". `expect` keys: findings (rule, and optionally
carc, line, severity), absent, verdict, prior_auth, checklist, fix_contains, fix_lacks, message_contains."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import msgspec
import pytest

from preclaim.domain.claim import Claim
from preclaim.domain.history import History
from preclaim.engine import Engine

CASES = Path(__file__).resolve().parents[1] / "cases"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _set(doc: Any, path: str, value: Any) -> None:
    steps = [int(i) if i else k for k, i in _STEP.findall(path)]
    target = doc
    for step in steps[:-1]:
        target = target[step]
    last = steps[-1]
    if value == "__delete__":
        del target[last]
    elif isinstance(target, list) and last == len(target):
        target.append(value)
    else:
        target[last] = value


def _claim(case: dict[str, Any]) -> Claim:
    doc = copy.deepcopy(json.loads((EXAMPLES / f"{case.get('base', 'clean')}.json").read_text()))
    for path, value in case.get("set", {}).items():
        _set(doc, path, value)
    return msgspec.convert(doc, Claim)


def case_files() -> list[Path]:
    """Every golden case, in every family folder."""
    return sorted(CASES.glob("*/*.json"))


def _cases() -> list[Any]:
    return [pytest.param(p, id=f"{p.parent.name}/{p.stem}") for p in case_files()]


@pytest.mark.parametrize("path", _cases())
def test_golden_case(path: Path, engine: Engine) -> None:
    case = json.loads(path.read_text())
    history = msgspec.convert(case.get("history", {}), History)
    report = engine.check(_claim(case), history, as_of=dt.date.fromisoformat(case.get("as_of", "2026-03-20")))
    expect = case["expect"]
    got = {(f.rule, f.carc, f.line, f.severity) for f in report.findings}
    for want in expect.get("findings", []):
        matches = [
            g
            for g in got
            if g[0] == want["rule"]
            and ("carc" not in want or g[1] == want["carc"])
            and ("line" not in want or g[2] == want["line"])
            and ("severity" not in want or g[3] == want["severity"])
        ]
        assert matches, f"{case['description']}: expected {want}, got {sorted(map(str, got))}"
    fired = {f.rule for f in report.findings}
    for rule in expect.get("absent", []):
        assert rule not in fired, f"{case['description']}: {rule} fired: {report.findings}"
    if "verdict" in expect:
        assert report.verdict == expect["verdict"], f"{case['description']}: {report.findings}"
    if "prior_auth" in expect:
        assert report.prior_auth.status == expect["prior_auth"], report.prior_auth
    for item_id, status in expect.get("checklist", {}).items():
        items = {i.id: i.status for i in report.checklist}
        assert items.get(item_id) == status, f"{case['description']}: checklist {items}"
    for want in expect.get("fix_contains", []):
        assert any(want in (f.fix or "") for f in report.findings), [f.fix for f in report.findings]
    for unwanted in expect.get("fix_lacks", []):
        assert not any(unwanted in (f.fix or "") for f in report.findings), [f.fix for f in report.findings]
    for want in expect.get("message_contains", []):
        assert any(want in f.message for f in report.findings), [f.message for f in report.findings]
