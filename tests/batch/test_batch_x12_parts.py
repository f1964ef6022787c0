"""`preclaim audit --jobs N` converts a big 837P by parts (cut at transaction sets, one process each) and
audits it exactly as one process does; anything unusual is converted in one process, with its errors."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from preclaim.batch.source import stage
from preclaim.batch.x12stage import convert_in_parts, x12_to_parquet
from preclaim.cli import _register_extensions, app
from preclaim.edi import parallel

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import edi_generate

_register_extensions()
SMALL_PART = 20_000  # bytes: lets a test-sized file be cut (a real run needs 1 MiB a part)


@pytest.fixture(scope="module")
def big_837(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,200 generated claims in sets of 100, some with units 0 (claims the reader refuses)."""
    path = tmp_path_factory.mktemp("x12-parts") / "claims.837"
    saved = edi_generate.CLAIMS_PER_SET
    edi_generate.CLAIMS_PER_SET = 100  # several transaction sets: the places the file can be cut
    try:
        edi_generate.generate(1200, path, seed=5)
    finally:
        edi_generate.CLAIMS_PER_SET = saved
    lines = path.read_text().splitlines(keepends=True)
    services = [i for i, line in enumerate(lines) if line.startswith("SV1*HC:J")]
    for i in services[::97]:
        lines[i] = re.sub(r"\*UN\*[0-9.]+\*", "*UN*0*", lines[i])
    path.write_text("".join(lines))
    return path


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "MIN_PART_BYTES", SMALL_PART)  # read by the parent when it plans the parts


def _rows(files: list[Path]) -> pa.Table:
    return pa.concat_tables([pq.read_table(f) for f in files])


def test_parts_hold_the_rows_of_one_conversion_in_file_order(big_837: Path, tmp_path: Path, small_parts: None) -> None:
    one = x12_to_parquet(big_837, tmp_path / "one.parquet")
    split = convert_in_parts(big_837, tmp_path, "x12-0", jobs=2)
    planned = parallel.plan_for_jobs(big_837, 2)
    assert planned is not None and len(planned[1]) >= 4  # big parts first, smaller ones last
    assert split is not None and len(split.files) == len(planned[1])
    assert _rows(split.files).equals(_rows(one.files))
    assert one.rejected >= 10
    assert (split.rejected, split.rejected_examples) == (one.rejected, one.rejected_examples)


def test_staging_cuts_only_a_file_big_enough(big_837: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, part_bytes in (("small", SMALL_PART), ("default", parallel.MIN_PART_BYTES)):
        monkeypatch.setattr(parallel, "MIN_PART_BYTES", part_bytes)
        scratch = tmp_path / name
        scratch.mkdir()
        staged = stage([big_837], tmp_path / f"staging-{name}", scratch, 20_000, 1, jobs=2)
        assert staged.lines == 1200 - staged.rejected
        parts = sorted(p.name for p in scratch.iterdir())
        planned = parallel.plan_for_jobs(big_837, 2)
        cut = [f"x12-0-part-{k}.parquet" for k in range(len(planned[1]))] if planned is not None else []
        assert parts == sorted(cut if name == "small" else ["x12-0.parquet"])
        assert len(parts) >= (4 if name == "small" else 1)


def _audit(src: Path, out: Path, jobs: int) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["audit", str(src), "--out", str(out), "-j", str(jobs), "--json", "-q"])
    return result.exit_code, result.output


def test_audit_with_two_jobs_writes_the_outputs_of_one(big_837: Path, tmp_path: Path, small_parts: None) -> None:
    code_one, text_one = _audit(big_837, tmp_path / "one", 1)
    code_two, text_two = _audit(big_837, tmp_path / "two", 2)
    assert code_one == code_two == 0, text_two
    for name in ("findings.parquet", "claims.parquet"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
    one, two = json.loads(text_one), json.loads(text_two)
    assert one["rejected"]["claims"] >= 10
    assert {k: v for k, v in one.items() if k not in ("run", "fingerprint")} == {
        k: v for k, v in two.items() if k not in ("run", "fingerprint")
    }


def _wrong_se_count(text: str) -> str:
    """The second transaction set's SE01 off: the plan of the parts sees it."""
    at = text.index("\nSE*", text.index("\nSE*") + 1) + 1
    return text[:at] + "SE*9" + text[at + 4 :]


def _wrong_hl_parent(text: str) -> str:
    """A subscriber HL in the middle of the file under an HL that does not exist: only a part's reader sees it."""
    found = re.compile(r"\nHL\*\d+\*\d+\*22\*").search(text, len(text) // 2)
    assert found is not None
    at = found.start() + 1
    end = text.index("~", at)
    hl = text[at:end].split("*")
    return text[:at] + "*".join([hl[0], hl[1], "999", *hl[3:]]) + text[end:]


@pytest.mark.parametrize("breaking", [_wrong_se_count, _wrong_hl_parent])
def test_a_file_error_is_the_error_of_one_process(
    big_837: Path, tmp_path: Path, small_parts: None, breaking: Callable[[str], str]
) -> None:
    broken = tmp_path / "broken.837"
    broken.write_text(breaking(big_837.read_text()))
    assert (parallel.plan_parts(broken, 8) is None) == (breaking is _wrong_se_count)  # who sees the error
    assert convert_in_parts(broken, tmp_path, "x12-0", jobs=2) is None
    assert not list(tmp_path.glob("x12-0-part-*"))
    code_one, text_one = _audit(broken, tmp_path / "one", 1)
    code_two, text_two = _audit(broken, tmp_path / "two", 2)
    assert code_one == code_two == 2
    assert f"error: {broken} segment" in text_one and "Traceback" not in text_one
    assert text_two == text_one
