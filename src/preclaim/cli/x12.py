"""X12 commands: `preclaim denials FILE.835`, and the 837P side of `preclaim check` (run_x12_check)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import tempfile
from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import Annotated, BinaryIO

import msgspec
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

from preclaim.cli import AsOf, as_of_date, err, out, run_guarded
from preclaim.cli.render import render_report
from preclaim.cli.x12_render import (
    render_denials,
    render_hindsight,
    render_rejected,
    render_strict,
    render_x12_summary,
)
from preclaim.domain.history import EMPTY_HISTORY, History
from preclaim.edi.check import CheckSummary, ClaimChecker
from preclaim.edi.denials import DenialReport, summarize
from preclaim.edi.hindsight import Hindsight, denied_codes, hindsight
from preclaim.edi.parallel import check_in_parts, take_results
from preclaim.edi.strict import StrictResult, validate
from preclaim.edi.x12.fixes import apply_fixes
from preclaim.edi.x12.loops import ParsedClaim, RejectedClaim
from preclaim.edi.x12.read835 import iter_remittances
from preclaim.edi.x12.remit import Remittance
from preclaim.edi.x12.tokenizer import tokenize
from preclaim.edi.x12.write837 import X12Writer
from preclaim.errors import InputError
from preclaim.facade import PerPatient, StoredHistory, check_many
from preclaim.io.report_json import ReportArrayWriter

SHOWN_REPORTS = 20  # text output details this many claims needing work; JSON has them all
_PROGRESS_BYTES = 4 << 20


class DenialFormat(StrEnum):
    text = "text"
    json = "json"
    csv = "csv"


def register(app: typer.Typer) -> None:
    app.command("denials")(denials)
    app.command("envelope")(envelope)


def envelope(file: Annotated[Path, typer.Argument(help="Any X12 file (837, 835, 999, 278 ...); '-' = stdin.")]) -> None:
    """Read any X12 file and check its envelope: delimiters, ISA/GS/ST nesting, counts, control numbers."""

    def action() -> int:
        sets: Counter[tuple[str, str]] = Counter()
        segments = 0
        version = ""
        for seg in tokenize(str(file)):
            segments += 1
            if seg[0] == "GS":
                version = seg[8] if len(seg) > 8 else ""
            elif seg[0] == "ST":
                sets[(seg[1] if len(seg) > 1 else "?", version)] += 1
        out.print(f"{file}: {segments} segments, envelope valid", soft_wrap=True)
        for (kind, guide), count in sorted(sets.items()):
            out.print(f"  {count} x {kind} ({guide or 'no GS08'})")
        return 0

    run_guarded(action)


def denials(
    file: Annotated[Path, typer.Argument(help="An 835 remittance file ('-' for standard input).")],
    fmt: Annotated[DenialFormat, typer.Option("--format", help="text, json or csv.")] = DenialFormat.text,
    claims: Annotated[
        Path | None,
        typer.Option("--claims", help="The 837P that was sent: check it and say which denials preclaim predicted."),
    ] = None,
    as_of: AsOf = None,
) -> None:
    """Why claims were denied: by payer and by CARC/RARC, each with its likely cause and the fix."""

    def action() -> int:
        remittances = list(iter_remittances(str(file)))
        report = summarize(remittances)
        looked_back = _hindsight(remittances, claims, as_of_date(as_of)) if claims is not None else None
        if fmt is DenialFormat.json:
            doc = msgspec.to_builtins(report)
            if looked_back is not None:
                doc["hindsight"] = msgspec.to_builtins(looked_back)
            sys.stdout.buffer.write(msgspec.json.encode(doc) + b"\n")
        elif fmt is DenialFormat.csv:
            sys.stdout.write(denials_csv(report))
        else:
            render_denials(out, report)
            if looked_back is not None:
                render_hindsight(out, looked_back)
        return 0

    run_guarded(action)


def _hindsight(remittances: list[Remittance], claims: Path, as_of: dt.date) -> Hindsight:
    from preclaim.facade import load_engine  # the engine loads code sets: only when an 837 is given

    denied = denied_codes(remittances)
    checked = check_many(claims, engine=load_engine(), as_of=as_of, kind="x12")
    return hindsight(denied, (c.report for c in checked if c.report is not None and c.report.claim_id in denied))


def denials_csv(report: DenialReport) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["payer", "code", "kind", "count", "claims", "amount", "rarcs", "root_cause", "prevent",
                     "preclaim_rules"])  # fmt: skip
    for row in (*report.by_code, *report.by_payer_code):
        rarcs = " ".join(f"{code}:{n}" for code, n in row.rarcs.items())
        writer.writerow([row.payer or "ALL", row.code, row.kind, row.count, row.claims, row.amount, rarcs,
                         row.root_cause, row.prevent, " ".join(row.rules)])  # fmt: skip
    return buffer.getvalue()


def run_x12_check(
    path: Path,
    engine: ClaimChecker,
    as_of: dt.date,
    fmt: str = "text",
    fix_out: Path | None = None,
    strict: bool = False,
    history: History = EMPTY_HISTORY,
    stored: StoredHistory | None = None,
    jobs: int = 1,
) -> int:
    """`preclaim check FILE.837`: exit 0 all clean, 1 something to fix/deny/rejected; X12Error -> exit 2.

    `history` (from --history) and `stored` (the store) are added to the history the file itself provides.
    """
    summary = CheckSummary()
    # JSON reaches stdout only when complete (closed in _finish_json, or with the process on error).
    spool = tempfile.TemporaryFile() if fmt == "json" else None  # noqa: SIM115
    writer = _FixWriter(fix_out) if fix_out is not None else None
    try:
        with _progress(path) as progress:
            _run(path, engine, as_of, summary, spool, writer, progress, (history, stored), jobs)
        strict_result = validate(path) if strict else None
        if writer is not None:
            writer.commit()
    finally:
        if writer is not None:
            writer.discard()
    if spool is not None:
        _finish_json(spool, summary, strict_result)
    else:
        render_rejected(out, summary.rejected)
        render_x12_summary(out, summary, fix_out)
        if strict_result is not None:
            render_strict(out, strict_result)
    clean = summary.all_clean and (strict_result is None or strict_result.valid)
    return 0 if clean else 1


def _run(
    path: Path,
    engine: ClaimChecker,
    as_of: dt.date,
    summary: CheckSummary,
    spool: BinaryIO | None,
    writer: _FixWriter | None,
    progress: Progress | None,
    histories: tuple[History, StoredHistory | None],
    jobs: int = 1,
) -> None:
    history, stored = histories
    task = progress.add_task("checking", total=path.stat().st_size) if progress is not None else None

    def advance(done: int) -> None:
        if progress is not None and task is not None:
            progress.update(task, completed=done)

    if jobs > 1 and writer is None:  # --jobs: parts of the file in processes (None: one process is needed)
        shown = SHOWN_REPORTS if spool is None else -1  # the text output details the first few
        known = history if stored is None else PerPatient(stored, history)
        parts = check_in_parts(
            path, engine, as_of, jobs=jobs, history=known, json=spool is not None, show=shown, progress=advance
        )
        if parts is not None:
            if spool is not None:
                spool.write(b'{"claims":[')
            take_results(parts, summary, spool, lambda report: render_report(out, report), shown)
            return
    if spool is not None:
        spool.write(b'{"claims":[')
    reports = ReportArrayWriter(spool) if spool is not None else None
    # Raw segments and loops only for --fix-out: a report and the summary need the claim alone (read once).
    for done in check_many(
        path, engine=engine, as_of=as_of, history=history, stored=stored, kind="x12", progress=advance,
        raw=writer is not None,
    ):  # fmt: skip
        item, report = done.item, done.report
        assert item is not None  # X12: every claim comes with the reader's item
        summary.add(item, report)
        if writer is not None:
            fixed = apply_fixes(item, report) if isinstance(item, ParsedClaim) and report else item
            summary.fixed += fixed is not item
            writer.write(fixed)
        if report is None:
            continue
        if reports is not None:
            reports.add(report)
        elif report.verdict != "clean" and sum(summary.verdicts[v] for v in ("fix", "deny")) <= SHOWN_REPORTS:
            render_report(out, report)
    if reports is not None:
        reports.flush()


def _finish_json(spool: BinaryIO, summary: CheckSummary, strict_result: StrictResult | None) -> None:
    rejected = [
        {"claim_id": r.claim_id, "segment": r.error.segment_number, "segment_id": r.error.segment_id,
         "element": r.error.element, "reason": r.reason}
        for r in summary.rejected
    ]  # fmt: skip
    spool.write(b'],"rejected":' + msgspec.json.encode(rejected))
    if strict_result is not None:
        spool.write(b',"strict":' + msgspec.json.encode(strict_result))
    spool.write(b"}\n")
    spool.seek(0)
    shutil.copyfileobj(spool, sys.stdout.buffer)
    sys.stdout.buffer.flush()
    spool.close()


def _progress(path: Path) -> Progress:
    console = Console(stderr=True)
    show = console.is_terminal and path.stat().st_size >= _PROGRESS_BYTES
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=not show,
    )


class _FixWriter:
    """--fix-out: every claim (fixed where mechanical) into a temp file renamed into place at the end."""

    def __init__(self, target: Path) -> None:
        self.target = target
        directory = target.parent if str(target.parent) else Path(".")
        try:
            handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
        except OSError as exc:
            raise InputError(f"cannot write --fix-out: {exc.strerror or exc}", where=str(target)) from None
        self.temp = Path(name)
        self.stream = os.fdopen(handle, "w", encoding="ascii", newline="")
        self.writer = X12Writer(self.stream)
        self.done = False

    def write(self, item: ParsedClaim | RejectedClaim) -> None:
        self.writer.write_claim(item)

    def commit(self) -> None:
        self.writer.close()
        self.stream.close()
        os.replace(self.temp, self.target)
        self.done = True

    def discard(self) -> None:
        if not self.done:
            self.stream.close()
            self.temp.unlink(missing_ok=True)


__all__ = ["denials", "err", "register", "run_x12_check"]
