"""Read claim-line exports (CSV, Parquet) and 837P files with DuckDB, check them, and stage them by patient.

Staging writes the typed lines once, partitioned into chunks by a hash of the patient key, so every patient's
lines sit in one chunk and a worker reads only its chunk. Everything is checked before anything is audited:
a bad row stops the run with file, row, column, what was found and what was expected.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from preclaim.batch.schema import BY_NAME, CLAIM_JSON, COLUMNS, REQUIRED
from preclaim.batch.x12stage import MAX_REJECTED_KEPT, Converted, convert_in_parts, x12_to_parquet
from preclaim.errors import InputError

X12_SUFFIXES = frozenset({".837", ".x12", ".edi", ".txt"})


@dataclass(slots=True)
class Staged:
    lines: int = 0
    patients: int = 0
    chunks: int = 0
    rejected: int = 0
    rejected_examples: list[str] = field(default_factory=list)


def quiet_duckdb(threads: int = 0) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that never draws its progress bar (on stdout, it would corrupt --json output)."""
    con = duckdb.connect(config={"threads": threads} if threads else {})
    con.execute("SET enable_progress_bar = false")
    con.execute("SET preserve_insertion_order = true")
    return con


def kind_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv") or path.name.lower().endswith((".csv.gz", ".tsv.gz")):
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    if suffix in X12_SUFFIXES:
        return "x12"
    raise InputError("unknown input kind; expected .csv, .parquet or an 837P file (.837, .x12, .edi)", where=str(path))


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# A claim line, even with its claim_json, is a few KB; DuckDB spends about a second a scan on a line of
# hundreds of KB (a stray quote, garbage), so a longer line is refused at once.
MAX_LINE_BYTES = 1 << 18


def _scan(path: Path, kind: str, files: Sequence[Path] = ()) -> str:
    if kind == "csv":
        return f"read_csv({_quote(str(path))}, all_varchar=true, header=true, max_line_size={MAX_LINE_BYTES})"
    if files:  # a converted 837P's parts: read in list order
        return f"read_parquet([{', '.join(_quote(str(f)) for f in files)}])"
    return f"read_parquet({_quote(str(path))})"


def read_error(exc: duckdb.Error) -> str:
    """DuckDB's error as one line; an over-long line says so (DuckDB's own first line names no limit)."""
    text = str(exc)
    if "max_line_size" in text:
        return f"a line longer than {MAX_LINE_BYTES:,} bytes (a field this long is not a claim line)"
    return f"cannot be read: {text.splitlines()[0]}"


def _columns(con: duckdb.DuckDBPyConnection, scan: str, where: str) -> dict[str, tuple[str, str]]:
    """Input columns by lower-case name -> (name as written, DuckDB type)."""
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()
    except duckdb.Error as exc:
        raise InputError(read_error(exc), where=where) from None
    return {str(name).strip().lower(): (str(name), str(kind)) for name, kind, *_ in described}


CAST_JSON = f"CAST({_ident(CLAIM_JSON)} AS VARCHAR)"


def _raw_text(name: str, kind: str) -> str:
    if kind.endswith("[]"):  # Parquet lists (modifiers, diagnoses) become space-separated text
        return f"NULLIF(trim(array_to_string({_ident(name)}, ' ')), '')"
    return f"NULLIF(trim(CAST({_ident(name)} AS VARCHAR)), '')"


def _typed_view(con: duckdb.DuckDBPyConnection, index: int, path: Path, kind: str, files: Sequence[Path] = ()) -> str:
    """A view with, per column, its raw text (r_<name>) and its typed value (<name>), plus _src and _row."""
    scan = _scan(path, kind, files)
    found = _columns(con, scan, str(path))
    missing = [name for name in REQUIRED if name not in found]
    if missing:
        names = ", ".join(found) or "none"
        raise InputError(f"missing column(s) {', '.join(missing)}; found {names}", where=f"{path}:1")
    parts = [f"{index} AS _src", "row_number() OVER () AS _row"]
    for col in COLUMNS:
        raw = _raw_text(*found[col.name]) if col.name in found else "NULL::VARCHAR"
        parts.append(f"{raw} AS {_ident('r_' + col.name)}")
    json_raw = CAST_JSON if CLAIM_JSON in found else "NULL::VARCHAR"
    parts.append(f"{json_raw} AS {CLAIM_JSON}")
    view = f"src_{index}"
    con.execute(f"CREATE TEMP VIEW raw_{view} AS SELECT {', '.join(parts)} FROM {scan}")
    typed = ["_src", "_row", CLAIM_JSON]
    for col in COLUMNS:
        raw = _ident("r_" + col.name)
        expr = raw if col.sql_type == "VARCHAR" else f"TRY_CAST({raw} AS {col.sql_type})"
        typed += [raw, f"{expr} AS {_ident(col.name)}"]
    con.execute(f"CREATE TEMP VIEW {view} AS SELECT {', '.join(typed)} FROM raw_{view}")
    return view


def _row_problem() -> str:
    """SQL CASE giving the first problem of a row, or NULL."""
    whens = []
    for col in COLUMNS:
        raw, typed = _ident("r_" + col.name), _ident(col.name)
        if col.required:
            whens.append(f"WHEN {raw} IS NULL THEN 'column ''{col.name}'' is empty; a value is required'")
        if col.sql_type != "VARCHAR":
            whens.append(
                f"WHEN {raw} IS NOT NULL AND {typed} IS NULL THEN "
                f"'column ''{col.name}'': found ''' || {raw} || ''', expected {col.expected}'"
            )
    checks = {
        "units": "units <= 0",
        "date_of_service": "date_of_service < DATE '1900-01-01'",
        "sex": "sex NOT IN ('F', 'M', 'U')",
        "phase": "phase NOT IN ('loading', 'maintenance')",
        "diagnosis_pointers": r"NOT regexp_full_match(diagnosis_pointers, '(1[0-2]|[1-9])([\s;,:]+(1[0-2]|[1-9]))*')",
        "date_of_service_end": "date_of_service_end < date_of_service",
    }
    for name, bad in checks.items():
        expected = BY_NAME[name].expected if name != "date_of_service_end" else "a date on or after date_of_service"
        whens.append(f"WHEN {bad} THEN 'column ''{name}'': found ''' || r_{name} || ''', expected {expected}'")
    return "CASE " + " ".join(whens) + " END"


def _first_problem(con: duckdb.DuckDBPyConnection, paths: Sequence[Path]) -> None:
    hit = con.execute(
        f"SELECT _src, _row, problem FROM (SELECT _src, _row, {_row_problem()} AS problem FROM lines) "
        "WHERE problem IS NOT NULL ORDER BY _src, _row LIMIT 1"
    ).fetchone()
    if hit:
        src, row, problem = hit
        path = paths[src]
        offset = 1 if kind_of(path) == "csv" else 0  # CSV rows count the header line
        raise InputError(problem, where=f"{path}:{row + offset}")
    clash = con.execute(
        "SELECT payer_id, claim_id, min(patient_key), max(patient_key) FROM lines WHERE claim_json IS NULL "
        "GROUP BY payer_id, claim_id HAVING count(DISTINCT patient_key) > 1 ORDER BY 1, 2 LIMIT 1"
    ).fetchone()
    if clash:
        raise InputError(
            f"claim {clash[1]} of payer {clash[0]} has lines under two patients ({clash[2]}, {clash[3]})",
            where=", ".join(str(p) for p in paths),
        )
    twice = con.execute(
        "SELECT payer_id, claim_id, line, date_of_service FROM lines WHERE claim_json IS NULL AND line IS NOT NULL "
        "GROUP BY ALL HAVING count(*) > 1 ORDER BY 1, 2, 3 LIMIT 1"
    ).fetchone()
    if twice:
        raise InputError(
            f"claim {twice[1]} of payer {twice[0]} has line {twice[2]} on {twice[3]} twice",
            where=", ".join(str(p) for p in paths),
        )


def stage(paths: Sequence[Path], target: Path, scratch: Path, chunk_lines: int, threads: int, jobs: int = 1) -> Staged:
    """Check every input, then write typed lines to target/chunk=N/*.parquet. Returns the counts.
    `jobs` > 1: a big 837P is converted by that many processes (x12stage.convert_in_parts)."""
    staged = Staged()
    # Before DuckDB starts its threads (the conversion forks); a file that cannot be cut is converted below,
    # in input order, so errors come as one process gives them.
    split: dict[int, Converted | None] = {
        i: convert_in_parts(path, scratch, f"x12-{i}", jobs)
        for i, path in enumerate(paths)
        if jobs > 1 and path.is_file() and path.suffix.lower() in X12_SUFFIXES
    }
    con = quiet_duckdb(max(1, threads))
    try:
        views = []
        for i, path in enumerate(paths):
            if not path.is_file():
                raise InputError("no such file", where=str(path))
            kind = kind_of(path)
            files: list[Path] = []
            if kind == "x12":
                converted = split.get(i) or x12_to_parquet(path, scratch / f"x12-{i}.parquet")
                staged.rejected += converted.rejected
                room = MAX_REJECTED_KEPT - len(staged.rejected_examples)
                staged.rejected_examples += converted.rejected_examples[:room]
                path, kind, files = converted.files[0], "parquet", converted.files
            views.append(_typed_view(con, i, path, kind, files))
        con.execute("CREATE TEMP VIEW lines AS " + " UNION ALL ".join(f"SELECT * FROM {v}" for v in views))
        _first_problem(con, paths)
        lines, patients = con.execute("SELECT count(*), count(DISTINCT patient_key) FROM lines").fetchone() or (0, 0)
        staged.lines, staged.patients = int(lines), int(patients)
        staged.chunks = max(1, math.ceil(staged.lines / max(1, chunk_lines)))
        keep = ", ".join([CLAIM_JSON, *(_ident(c.name) for c in COLUMNS)])
        con.execute(
            f"COPY (SELECT {keep}, CAST(hash(patient_key) % {staged.chunks} AS INTEGER) AS chunk FROM lines) "
            f"TO {_quote(str(target))} (FORMAT parquet, PARTITION_BY (chunk), OVERWRITE_OR_IGNORE)"
        )
    except duckdb.Error as exc:
        raise InputError(read_error(exc), where=", ".join(map(str, paths))) from None
    finally:
        con.close()
    return staged
