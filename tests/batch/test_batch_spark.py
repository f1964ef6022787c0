"""The Spark path (local mode) gives exactly the local path's findings on the same input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from batch_fixtures import medicare_fl_claim, write_csv

from preclaim.batch import AuditConfig, run_audit

pytest.importorskip("pyspark")
pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs Java (.ci/java.sh)"),
]


def test_spark_and_local_give_identical_findings(tmp_path: Path) -> None:
    from preclaim.batch.spark import run_spark_audit
    from preclaim.batch.synthetic import write_lines

    lines = tmp_path / "lines.parquet"
    write_lines(lines, 300, seed=5)
    extra = write_csv(
        tmp_path / "more.csv",
        [*medicare_fl_claim("B-1", "PT-A", "2026-01-05"), *medicare_fl_claim("B-2", "PT-A", "2026-01-15")],
    )
    inputs = (lines, extra)
    local = run_audit(AuditConfig(inputs=inputs, out=tmp_path / "local", chunk_lines=100, workers=1))
    spark = run_spark_audit(AuditConfig(inputs=inputs, out=tmp_path / "spark", workers=2))
    assert spark["run"]["engine"] == "spark"
    assert (spark["claims"], spark["findings"], spark["verdicts"], spark["rules"]) == (
        local["claims"],
        local["findings"],
        local["verdicts"],
        local["rules"],
    )
    for name in ("findings.parquet", "claims.parquet"):
        from_spark, from_local = pq.read_table(tmp_path / "spark" / name), pq.read_table(tmp_path / "local" / name)
        assert from_spark.schema.names == from_local.schema.names
        assert from_spark.to_pylist() == from_local.to_pylist(), name
    too_soon = [f for f in pq.read_table(tmp_path / "spark" / "findings.parquet").to_pylist() if f["claim_id"] == "B-2"]
    assert "frequency.too-soon" in {f["rule"] for f in too_soon}
