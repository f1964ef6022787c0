"""Join the per-chunk parts into the audit's outputs and its summary.

Each output is written to a temporary file and renamed, so a kill while finishing leaves either no output
(the rerun finishes again from the recorded parts) or a whole one.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb

from preclaim.batch.manifest import ChunkResult, WorkDir, commit, temp_path, write_atomic
from preclaim.batch.schema import CLAIMS_ORDER, FINDINGS_ORDER
from preclaim.batch.source import quiet_duckdb

TOP_RULES = 50


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _copy(con: duckdb.DuckDBPyConnection, parts: str, order: tuple[str, ...], target: Path, fmt: str) -> None:
    tmp = temp_path(target)
    options = "FORMAT parquet" if fmt == "parquet" else "FORMAT csv, HEADER true"
    con.execute(
        f"COPY (SELECT * FROM read_parquet({_quote(parts)}) ORDER BY {', '.join(order)}) "
        f"TO {_quote(str(tmp))} ({options})"
    )
    commit(tmp, target)


def _by_rule(con: duckdb.DuckDBPyConnection, parts: str) -> list[dict[str, Any]]:
    # One row per rule and CARC: the same rule draws different codes under different payers' policies
    # (a pointer to an uncovered diagnosis is CO-11 nationally, CO-50 under an LCD).
    rows = con.execute(
        "SELECT rule, severity, carc, count(*) AS findings, count(DISTINCT (payer_id, claim_id)) AS claims "
        f"FROM read_parquet({_quote(parts)}) GROUP BY rule, severity, carc "
        f"ORDER BY findings DESC, rule, carc NULLS FIRST LIMIT {TOP_RULES}"
    ).fetchall()
    return [dict(zip(("rule", "severity", "carc", "findings", "claims"), row, strict=True)) for row in rows]


def finish(
    out: Path,
    work: WorkDir,
    fmt: str,
    staged: dict[str, Any],
    results: list[ChunkResult],
    mark: dict[str, Any],
) -> dict[str, Any]:
    """Write findings and claims in the chosen format; return the summary (not yet written)."""
    findings_parts = str(work.parts / "findings-*.parquet")
    claims_parts = str(work.parts / "claims-*.parquet")
    con = quiet_duckdb()
    try:
        _copy(con, findings_parts, FINDINGS_ORDER, out / f"findings.{fmt}", fmt)
        _copy(con, claims_parts, CLAIMS_ORDER, out / f"claims.{fmt}", fmt)
        by_rule = _by_rule(con, findings_parts)
    finally:
        con.close()
    verdicts: Counter[str] = Counter()
    for result in results:
        verdicts.update(result.verdicts)
    return {
        "complete": True,
        "lines": sum(r.lines for r in results),
        "claims": sum(r.claims for r in results),
        "patients": staged["patients"],
        "findings": sum(r.findings for r in results),
        "verdicts": dict(sorted(verdicts.items())),
        "rules": by_rule,
        "rejected": {"claims": staged["rejected"], "examples": staged["rejected_examples"]},
        "chunks": staged["chunks"],
        "outputs": {"findings": f"findings.{fmt}", "claims": f"claims.{fmt}"},
        "fingerprint": mark,
    }


def write_summary(out: Path, summary: dict[str, Any]) -> None:
    write_atomic(out / "summary.json", json.dumps(summary, indent=2, default=str).encode() + b"\n")
