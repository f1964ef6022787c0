"""837P writer: round trips on every sample and on a generated batch; atomic file output."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from preclaim.edi.x12 import tokenize
from preclaim.edi.x12.loops import ClaimItem
from preclaim.edi.x12.read837 import read_837
from preclaim.edi.x12.write837 import write_837, write_837_file

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from edi_generate import generate


def round_trip(path: Path) -> str:
    out = io.StringIO()
    write_837(read_837(path), out)
    return out.getvalue()


def test_every_837_sample_round_trips_segment_for_segment(x12_samples: Path) -> None:
    samples = sorted((x12_samples / "837p").glob("*.837"))
    assert len(samples) == 4
    for sample in samples:
        written = round_trip(sample)
        assert list(tokenize(io.BytesIO(written.encode()))) == list(tokenize(sample)), sample.name
        assert written.rstrip() == sample.read_text().rstrip()


def test_generated_batch_round_trips(tmp_path: Path) -> None:
    source = tmp_path / "batch.837"
    generate(1200, source)  # several transaction sets, dependents, shared billing loops
    assert round_trip(source) == source.read_text()


def test_dropping_a_claim_renumbers_hl_and_recounts_se(tmp_path: Path) -> None:
    source = tmp_path / "batch.837"
    generate(30, source)
    items = list(read_837(source))
    out = io.StringIO()
    write_837(items[1:], out)
    segments = list(tokenize(io.BytesIO(out.getvalue().encode())))  # envelope counts re-checked here
    hls = [s for s in segments if s[0] == "HL"]
    assert [int(s[1]) for s in hls] == list(range(1, len(hls) + 1))
    assert len([s for s in segments if s[0] == "CLM"]) == 29


def test_file_output_is_all_or_nothing(tmp_path: Path, x12_samples: Path) -> None:
    target = tmp_path / "out.837"

    def failing() -> Iterator[ClaimItem]:
        yield from read_837(x12_samples / "837p/demo.example1.837")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        write_837_file(failing(), target)
    assert list(tmp_path.iterdir()) == []
    assert write_837_file(read_837(x12_samples / "837p/demo.example1.837"), target) == 1
    assert target.read_text().startswith("ISA*03")


def test_two_interchanges_in_one_file_round_trip(x12_samples: Path) -> None:
    one = (x12_samples / "837p/demo.example1.837").read_bytes()
    two = (x12_samples / "837p/demo.drug.example10.1.837").read_bytes()
    data = one.rstrip() + b"\n" + two
    items = list(read_837(io.BytesIO(data)))
    assert [i.claim_id for i in items] == ["26463774", "CLMNO12345"]
    out = io.StringIO()
    write_837(items, out)
    assert list(tokenize(io.BytesIO(out.getvalue().encode()))) == list(tokenize(io.BytesIO(data)))


def test_ref_f8_is_written_back(tmp_path: Path) -> None:
    from x12_builders import b12_claim, interchange, subscriber

    void = [s.replace("11:B:1", "11:B:8") for s in b12_claim("V1", extra=["REF*G1*PA1", "REF*F8*ICN-0042"])]
    data = interchange([*subscriber(2), *void])
    target = tmp_path / "out.837"
    write_837_file(read_837(io.BytesIO(data)), target)
    (again,) = list(read_837(target))
    assert again.claim.payer_claim_control_number == "ICN-0042"  # type: ignore[union-attr]
    assert "REF*F8*ICN-0042~" in target.read_text()
    assert list(tokenize(target)) == list(tokenize(io.BytesIO(data)))
