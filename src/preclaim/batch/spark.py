"""`preclaim audit --engine spark`: the same per-patient audit on PySpark (groupBy patient + applyInArrow).

Lines are checked and typed by the same DuckDB staging as the local path; Spark then groups them by patient
and runs `audit_patient` (the same function, the same engine) in its Python workers, exchanging data as Arrow.
Local mode by default (`local[workers]`); set $PRECLAIM_SPARK_MASTER (or spark-submit) to use a cluster.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pyarrow as pa

from preclaim.batch.manifest import ChunkResult, WorkDir
from preclaim.batch.output import finish, write_summary
from preclaim.batch.patient import AuditOptions, Row, audit_patient
from preclaim.batch.runner import AuditConfig, Progress, fingerprint
from preclaim.batch.schema import CLAIMS, FINDINGS
from preclaim.batch.source import quiet_duckdb, stage
from preclaim.batch.worker import engine_for
from preclaim.errors import PreclaimError

MASTER_ENV = "PRECLAIM_SPARK_MASTER"
_SHARED = ("patient_key", "payer_id", "claim_id", "date_of_service", "verdict")
# One output table for both kinds of row: Spark's grouped map returns a single schema.
COMBINED = pa.schema(
    [pa.field("kind", pa.string())]
    + [CLAIMS.field(n) for n in CLAIMS.names]
    + [FINDINGS.field(n) for n in FINDINGS.names if n not in _SHARED]
)


class SparkUnavailable(PreclaimError):
    """PySpark or Java is not installed, or the Spark job failed."""


def audit_group(
    table: pa.Table, options: AuditOptions, policy_dirs: tuple[Path, ...], home: Path | None = None
) -> pa.Table:
    """One patient's lines (an Arrow table) -> claim and finding rows in the combined schema."""
    rows: list[Row] = table.to_pylist()
    claim_rows, finding_rows = audit_patient(engine_for(policy_dirs, home), rows, options)
    combined = [{"kind": "claim"} | r for r in claim_rows] + [{"kind": "finding"} | r for r in finding_rows]
    return pa.Table.from_pylist(combined, schema=COMBINED)


def require_pyspark() -> None:
    """SparkUnavailable, saying how to install the extra, when PySpark cannot be imported."""
    try:
        import pyspark.sql  # noqa: F401
    except ImportError:
        raise SparkUnavailable(
            "--engine spark needs PySpark, which is not installed: pip install 'preclaim[spark]' (and Java 17+), "
            "or use --engine local"
        ) from None


def _session(workers: int) -> Any:
    from pyspark.sql import SparkSession

    cluster = os.environ.get(MASTER_ENV)
    # Spark's Python workers must run this interpreter (the one with preclaim), not whatever python3 is on PATH
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.master(cluster or f"local[{max(1, workers)}]")
        .appName("preclaim-audit")
        .config("spark.sql.shuffle.partitions", str(max(1, workers) * (4 if cluster else 1)))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.python.worker.reuse", "true")
    )
    if not cluster:  # a short-lived local driver: the quick JIT tier starts ~30% faster on a small machine
        builder = builder.config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
    return builder.getOrCreate()


def _run_spark(staging: Path, target: Path, config: AuditConfig) -> None:
    from pyspark.sql.types import _parse_datatype_string

    options, policy_dirs, home = config.options, config.policy_dirs, config.home
    spark = _session(config.workers)
    try:
        lines = spark.read.parquet(str(staging))
        schema = _parse_datatype_string(", ".join(f"{f.name} {_ddl(f.type)}" for f in COMBINED))
        result = lines.groupBy("patient_key").applyInArrow(
            lambda table: audit_group(table, options, policy_dirs, home), schema=schema
        )
        result.write.mode("overwrite").parquet(str(target))
    except Exception as exc:  # Py4J/Spark errors arrive as many types; name the first line, keep the cause
        if isinstance(exc, PreclaimError):
            raise
        first = next((ln for ln in str(exc).splitlines() if ln.strip()), type(exc).__name__)
        raise SparkUnavailable(f"the Spark job failed: {first[:300]}") from exc
    finally:
        spark.stop()


def _ddl(kind: pa.DataType) -> str:
    return {pa.string(): "string", pa.int32(): "int", pa.date32(): "date"}[kind]


def _split(spark_out: Path, work: WorkDir) -> list[ChunkResult]:
    """Spark's combined rows -> the same findings/claims parts the local path writes (one chunk)."""
    con = quiet_duckdb()
    try:
        src = f"read_parquet('{spark_out}/*.parquet')"
        for kind, schema, part in (("finding", FINDINGS, "findings"), ("claim", CLAIMS, "claims")):
            cols = ", ".join(schema.names)
            con.execute(f"COPY (SELECT {cols} FROM {src} WHERE kind = '{kind}') TO '{work.part(part, 0)}'")
        verdicts = dict(con.execute(f"SELECT verdict, count(*) FROM {src} WHERE kind='claim' GROUP BY 1").fetchall())
        totals = con.execute(
            f"SELECT coalesce(sum(lines), 0), count(*) FILTER (kind = 'claim'), count(*) FILTER (kind = 'finding') "
            f"FROM {src}"
        ).fetchone() or (0, 0, 0)
    finally:
        con.close()
    return [ChunkResult(0, int(totals[0]), int(totals[1]), int(totals[2]), dict(sorted(verdicts.items())))]


def run_spark_audit(config: AuditConfig, progress: Progress | None = None) -> dict[str, Any]:
    """Stage, audit on Spark, write the same outputs as the local path. Reruns redo the Spark job."""
    require_pyspark()  # before anything in --out is replaced
    report: Progress = progress or (lambda _phase, _done, _total: None)
    started = time.perf_counter()
    mark = fingerprint(config) | {"engine": "spark"}
    config.out.mkdir(parents=True, exist_ok=True)
    (config.out / "summary.json").unlink(missing_ok=True)  # its outputs are about to be replaced
    work = WorkDir(config.out)
    work.prepare(mark, restart=True)
    report("reading", 0, None)
    staged = stage(config.inputs, work.staging, work.scratch, config.chunk_lines, config.workers)
    report("auditing on spark", 0, staged.lines)
    spark_out = work.root / "spark"
    _run_spark(work.staging, spark_out, config)
    results = _split(spark_out, work)
    report("writing", 0, None)
    summary = finish(config.out, work, config.output_format, asdict(staged), results, mark)
    seconds = time.perf_counter() - started
    summary["run"] = {
        "seconds": round(seconds, 3),
        "engine": "spark",
        "workers": config.workers,
        "lines_per_second": round(staged.lines / seconds) if seconds else None,
    }
    write_summary(config.out, summary)
    if not config.keep_work:
        work.remove()
    return summary
