"""The spool a one-pass check parks its claims in gives back exactly the claims it was given, in order."""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from preclaim.domain.claim import Claim, Ndc, Patient
from preclaim.domain.encounter import ChemoSchedule, Encounter, Lab
from preclaim.domain.quantity import Quantity
from preclaim.edi.spool import STUB_LOOP, STUB_TRANSACTION, ClaimSpool
from preclaim.edi.x12.loops import ClaimItem, ParsedClaim, RejectedClaim
from preclaim.edi.x12.read837 import read_837

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))
import edi_generate
from test_golden_cases import _claim, case_files


def _golden_claims() -> list[Claim]:
    return [_claim(json.loads(path.read_text())) for path in case_files()]


def _round_trip(items: list[ClaimItem]) -> list[ClaimItem]:
    spool = ClaimSpool()
    for item in items:
        spool.add(item)
    return list(spool)


def _parsed(claims: list[Claim]) -> list[ClaimItem]:
    return [ParsedClaim(c, [], 10 * i, STUB_TRANSACTION, STUB_LOOP, STUB_LOOP) for i, c in enumerate(claims)]


def _assert_same(back: list[ClaimItem], claims: list[Claim]) -> None:
    assert len(back) == len(claims)
    for i, (item, claim) in enumerate(zip(back, claims, strict=True)):
        assert isinstance(item, ParsedClaim)
        assert item.number == 10 * i
        assert item.claim == claim
        # repr tells what == does not: Decimal('100.00') from Decimal('100'), 1 from 1.0, a list from a tuple
        assert repr(item.claim) == repr(claim)


def test_golden_case_claims_come_back_exactly() -> None:
    claims = _golden_claims()
    assert len(claims) > 100  # several batches
    assert any(c.encounter is not None and c.encounter.labs for c in claims)  # the nested parts are covered
    assert any(line.ndc is not None for c in claims for line in c.lines)
    _assert_same(_round_trip(_parsed(claims)), claims)


def test_claims_read_from_an_837p_come_back_exactly(tmp_path: Path) -> None:
    edi_generate.generate(700, tmp_path / "g.837", seed=11)
    claims = [item.claim for item in read_837(tmp_path / "g.837") if isinstance(item, ParsedClaim)]
    assert len(claims) == 700
    _assert_same(_round_trip(_parsed(claims)), claims)


def test_values_outside_the_json_bounds_come_back_exactly() -> None:
    """The 837P reader keeps what it reports on rather than refuses (an NDC without a code, a huge NDC
    quantity): the domain types' bounds do not hold there, and the claim must still come back as it was."""
    base = _golden_claims()[0]
    line = msgspec.structs.replace(base.lines[0], ndc=Ndc("", 1e300, "ML"), charge=Decimal("1E+2"))
    odd = msgspec.structs.replace(
        base,
        lines=(line,),
        charge=Decimal("-0.00"),
        patient=Patient("k" * 300, dt.date(1901, 2, 3), None, None),
        encounter=Encounter(
            dose=Quantity(1000.0, "mcg"),
            labs=(Lab("2132-9", 150.5, "pg/mL", dt.date(2025, 12, 1)),),
            chemo=ChemoSchedule("pemetrexed", dt.date(2025, 11, 1), 21),
            abn_on_file=False,
        ),
    )
    claims = [base, odd, base]
    _assert_same(_round_trip(_parsed(claims)), claims)


def test_a_rejected_claim_comes_back_with_its_error(tmp_path: Path) -> None:
    edi_generate.generate(5, tmp_path / "g.837", seed=3)
    text = (tmp_path / "g.837").read_text()
    sv1 = re.search(r"SV1\*HC:J[^~]*~", text)
    assert sv1 is not None
    bad = re.sub(r"\*UN\*[^*]*\*", "*UN*nan*", sv1.group(0))
    (tmp_path / "bad.837").write_text(text.replace(sv1.group(0), bad, 1))  # the first claim's line only
    items = list(read_837(tmp_path / "bad.837"))
    rejected = [item for item in items if isinstance(item, RejectedClaim)]
    assert len(rejected) == 1
    back = _round_trip(items)
    assert [type(item) for item in back] == [type(item) for item in items]
    (got,) = [item for item in back if isinstance(item, RejectedClaim)]
    assert (got.claim_id, got.number, str(got.error), got.reason) == (
        rejected[0].claim_id,
        rejected[0].number,
        str(rejected[0].error),
        rejected[0].reason,
    )
    assert got.error.segment_number == rejected[0].error.segment_number
    assert got.error.segment_id == "SV1"


@pytest.mark.parametrize("count", [0, 1, 256, 257])
def test_batch_edges(count: int) -> None:
    claims = (_golden_claims() * 3)[:count]
    _assert_same(_round_trip(_parsed(claims)), claims)


@pytest.mark.parametrize(("held", "after"), [(0, 40), (100, 0), (100, 50), (120, 300)])
def test_claims_parked_from_memory_come_back_first_and_in_order(held: int, after: int) -> None:
    """`park` moves the claims held so far to a file of their own; the claims added after it go to the spool's
    file: read back, the parked ones come first, then the rest, every claim in its place."""
    claims = (_golden_claims() * 4)[: held + after]
    spool = ClaimSpool(memory=held)
    items = _parsed(claims)
    for item in items[:held]:
        spool.add(item)
    spool.park()
    assert spool.kept == [] and (spool.head is not None) == (held > 0)
    for item in items[held:]:
        spool.add(item)
    assert spool.kept == []  # it holds no more once parked
    back = list(spool)
    assert spool.count == len(claims)
    _assert_same(back, claims)


@pytest.mark.parametrize("memory", [1, 150, 10_000])
def test_claims_held_in_memory_and_on_disk_come_back_in_order(memory: int) -> None:
    """The first `memory` claims stay as objects and the rest are pickled: the order and the claims are kept
    wherever the boundary falls, and a spool that never fills its memory makes no file."""
    claims = (_golden_claims() * 3)[:300]
    spool = ClaimSpool(memory=memory)
    for item in _parsed(claims):
        spool.add(item)
    back = list(spool)
    assert spool.count == len(claims)
    assert (spool.file is None) == (memory >= len(claims))
    _assert_same(back, claims)
