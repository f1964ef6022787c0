"""Mechanical fixes from findings: the written 837P carries them, the rest stays as findings."""

from __future__ import annotations

import datetime as dt
import io

from x12_builders import b12_claim, interchange, subscriber

from preclaim.domain.report import Correction, Finding, PriorAuthDecision, Report, Source
from preclaim.edi.check import check_items
from preclaim.edi.x12 import tokenize
from preclaim.edi.x12.fixes import apply_fixes
from preclaim.edi.x12.loops import ParsedClaim
from preclaim.edi.x12.read837 import read_837
from preclaim.edi.x12.write837 import write_837
from preclaim.engine import Engine
from preclaim.rules.catalog import catalog

SOURCE = Source("test", "test rule")


def report(*findings: Finding) -> Report:
    return Report("C1", "fix", PriorAuthDecision("unknown", ()), findings, ())


def finding(rule: str, line: int, correction: Correction | None) -> Finding:
    return Finding(rule, "error", line, "msg", None, (), None, SOURCE, correction=correction)


def parsed(**claim_options: str) -> ParsedClaim:
    (item,) = read_837(io.BytesIO(interchange([*subscriber(2), *b12_claim(**claim_options)])))
    assert isinstance(item, ParsedClaim)
    return item


def test_units_jz_order_and_ndc_are_applied_to_segments_and_claim() -> None:
    item = parsed(units="3", modifiers=":59:GA", ndc="0517-0031-01")
    fixed = apply_fixes(item, report(
        finding("units.dose", 2, Correction("set-units", "1")),
        finding("modifiers.order", 2, Correction("set-modifiers", "GA:59")),
        finding("modifiers.jz-missing", 2, Correction("add-modifier", "JZ")),
        finding("ndc.format", 2, Correction("set-ndc", "00517003101")),
    ))  # fmt: skip
    line = fixed.claim.lines[1]
    assert (line.units, line.modifiers, line.ndc and line.ndc.code) == (1.0, ("GA", "59", "JZ"), "00517003101")
    assert ["SV1", "HC:J3420:GA:59:JZ", "27.00", "UN", "1", "", "", "1:2"] in fixed.segments
    assert item.claim.lines[1].units == 3.0 and ["LIN", "", "N4", "0517-0031-01"] in item.segments  # untouched


def test_non_mechanical_corrections_and_wrong_lines_are_left_alone() -> None:
    item = parsed()
    same = apply_fixes(item, report(
        finding("code.invalid", 2, Correction("set-code", "J3420")),  # needs a human: not applied
        finding("units.dose", 9, Correction("set-units", "2")),  # no line 9
        finding("units.dose", 2, None),
    ))  # fmt: skip
    assert same is item


def test_engine_findings_drive_the_fix_and_the_file_stays_valid() -> None:
    data = interchange([*subscriber(2), *b12_claim("A", ndc="0517-0031-01")])
    engine = Engine.default()
    ((item, rep),) = list(check_items(io.BytesIO(data), engine, dt.date(2026, 1, 20)))
    assert isinstance(item, ParsedClaim) and rep is not None
    assert "ndc.format" in {f.rule for f in rep.findings}
    out = io.StringIO()
    write_837([apply_fixes(item, rep)], out)
    segments = list(tokenize(io.BytesIO(out.getvalue().encode())))
    assert ["LIN", "", "N4", "00517003101"] in segments
    ((_, again),) = list(check_items(io.BytesIO(out.getvalue().encode()), engine, dt.date(2026, 1, 20)))
    assert again is not None and "ndc.format" not in {f.rule for f in again.findings}


def test_modifier_edits_keep_the_sv101_07_description() -> None:
    item = parsed()
    item.segments[6][1] = "HC:J3490:::::CYANOCOBALAMIN 1000 MCG"
    fixed = apply_fixes(item, report(finding("modifiers.jz-missing", 2, Correction("add-modifier", "JZ"))))
    assert fixed.segments[6][1] == "HC:J3490:JZ::::CYANOCOBALAMIN 1000 MCG"
    line = fixed.claim.lines[1]
    assert (line.code, line.modifiers, line.description) == ("J3490", ("JZ",), "CYANOCOBALAMIN 1000 MCG")


def test_the_catalog_decides_which_corrections_are_mechanical() -> None:
    """Each rule the catalog marks mechanical is applied with its catalog action; the same rule carrying another
    action, or a rule the catalog leaves to a person, is not."""
    mechanical = catalog().mechanical_fixes()
    assert set(mechanical) == {"units.dose", "modifiers.jz-missing", "modifiers.order", "ndc.format"}
    values = {"set-units": "1", "add-modifier": "JZ", "set-modifiers": "GA:59", "set-ndc": "00517003101"}
    for rule, action in mechanical.items():
        item = parsed(units="3", modifiers=":59:GA", ndc="0517-0031-01")
        assert apply_fixes(item, report(finding(rule, 2, Correction(action, values[action])))) is not item, rule
        other = "remove-modifier" if action != "remove-modifier" else "set-units"
        assert apply_fixes(item, report(finding(rule, 2, Correction(other, "59")))) is item, rule
    item = parsed(modifiers=":59")
    assert apply_fixes(item, report(finding("modifiers.unknown", 2, Correction("remove-modifier", "59")))) is item
