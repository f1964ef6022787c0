"""Terminal rendering for the X12 commands (rich): check summary, rejections, strict findings, denials."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from preclaim.edi.check import CheckSummary
from preclaim.edi.denials import DenialReport
from preclaim.edi.hindsight import Hindsight
from preclaim.edi.strict import StrictResult
from preclaim.edi.x12.loops import RejectedClaim

SHOWN_ROWS = 50


def render_rejected(console: Console, rejected: Sequence[RejectedClaim]) -> None:
    if not rejected:
        return
    console.print(f"[bold red]{len(rejected)} claim(s) rejected by the reader[/] (as a 999 would):")
    for item in rejected[:SHOWN_ROWS]:
        console.print(f"  claim {item.claim_id or '?'}: {item.reason}", soft_wrap=True)
    if len(rejected) > SHOWN_ROWS:
        console.print(f"  ... and {len(rejected) - SHOWN_ROWS} more (--format json lists them all)")


def render_x12_summary(console: Console, summary: CheckSummary, fix_out: Path | None) -> None:
    v = summary.verdicts
    console.print(
        f"[bold]{summary.claims} claims[/]: [green]{v['clean']} clean[/], [yellow]{v['fix']} to fix[/], "
        f"[red]{v['deny']} will deny[/], [red]{len(summary.rejected)} rejected[/]"
    )
    if summary.problems:
        console.print("Top problems:")
        for name, count in summary.problems.most_common(8):
            console.print(f"  {count:>7}  {name}")
    if fix_out is not None:
        console.print(f"Wrote {fix_out} with mechanical fixes applied to {summary.fixed} claim(s).")


def render_strict(console: Console, result: StrictResult) -> None:
    head = "valid" if result.valid else f"{len(result.findings)} finding(s)"
    console.print(f"[bold]pyx12 (implementation guide):[/] {head}")
    if result.note:
        console.print(f"  note: {result.note}")
    for f in result.findings[:SHOWN_ROWS]:
        where = f"line {f.line} {f.segment_id}" if f.segment_id else f.level
        element = f" element {f.element}" if f.element else ""
        console.print(f"  {where}{element}: {f.message} [{f.code}]", soft_wrap=True)
    if len(result.findings) > SHOWN_ROWS:
        console.print(f"  ... and {len(result.findings) - SHOWN_ROWS} more (--format json lists them all)")


def render_denials(console: Console, report: DenialReport) -> None:
    console.print(
        f"[bold]{report.remittances} remittance(s), {report.claims} claim(s)[/]: "
        f"[red]{report.denied_claims} with denials, {report.denied_amount} denied[/]"
    )
    payers = Table("payer", "claims", "denied", "billed", "paid", "denied amount", title="By payer")
    for p in report.by_payer:
        payers.add_row(p.payer, str(p.claims), str(p.denied_claims), str(p.billed), str(p.paid), str(p.denied_amount))
    console.print(payers)
    codes = Table("code", "kind", "count", "amount", "remarks", "likely cause", "preclaim would have said",
                  title="By adjustment reason (CARC) and remark (RARC)")  # fmt: skip
    for c in report.by_code:
        remarks = " ".join(f"{code}x{n}" for code, n in c.rarcs.items())
        rules = f" [dim]({', '.join(c.rules)})[/]" if c.rules else ""
        codes.add_row(c.code, c.kind, str(c.count), str(c.amount), remarks, c.root_cause, c.prevent + rules)
    console.print(codes)
    console.print(f"[dim]Causes: {report.source.title} ({report.source.url}).[/]", soft_wrap=True)
    for warning in report.warnings:
        console.print(f"[yellow]warning:[/] {warning}", soft_wrap=True)


def render_hindsight(console: Console, result: Hindsight) -> None:
    console.print(
        f"[bold]Would preclaim have caught them?[/] {result.caught} of {result.denied} denied claim(s) "
        f"predicted with the same CARC ({result.in_claims_file} found in the claims file)."
    )
    for claim in result.claims[:SHOWN_ROWS]:
        codes = " ".join(claim.denial_codes) or "denied"
        if not claim.in_claims_file:
            console.print(f"  {claim.claim_id} ({codes}): not in the claims file")
            continue
        said = ", ".join(claim.predicted) if claim.caught else "not predicted"
        other = f"; also: {', '.join(claim.other_findings)}" if claim.other_findings else ""
        console.print(f"  {claim.claim_id} ({codes}): {said}{other}", soft_wrap=True)
