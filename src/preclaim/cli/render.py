"""Terminal rendering of reports with rich: what a biller reads."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from rich.console import Console
from rich.text import Text

from preclaim.domain.report import PriorAuthDecision, Report

VERDICT_STYLE = {"clean": "bold green", "fix": "bold yellow", "deny": "bold red"}
SEVERITY_STYLE = {"error": "red", "warning": "yellow", "info": "cyan"}
CHECK_MARK = {"met": "[green]met[/]", "missing": "[red]missing[/]", "unknown": "[dim]unknown[/]"}


def render_prior_auth(console: Console, decision: PriorAuthDecision) -> None:
    console.print(f"Prior authorization: [bold]{decision.status}[/]")
    for reason in decision.reasons:
        console.print(f"  - {reason}", soft_wrap=True)
    for source in decision.sources:
        console.print(
            f"    source: {source.title}" + (f" <{source.url}>" if source.url else ""), style="dim", soft_wrap=True
        )


def render_report(console: Console, report: Report) -> None:
    verdict = report.verdict
    console.rule(
        Text.assemble(
            ("Claim ", "bold"),
            (report.claim_id, "bold"),
            ("  ", ""),
            (verdict.upper(), VERDICT_STYLE[verdict]),
        )
    )
    if report.policies:
        names = ", ".join(p.title + (" [ILLUSTRATIVE]" if p.illustrative else "") for p in report.policies)
        console.print(f"Policies: {names}", style="dim")
    render_prior_auth(console, report.prior_auth)
    for f in report.findings:
        denial = " ".join(x for x in (f.carc, *f.rarc) if x)
        where = "claim" if f.line is None else f"line {f.line}"
        head = Text.assemble(
            (f"{where:<8}", "bold"),
            (f"{f.severity.upper():<8}", SEVERITY_STYLE[f.severity]),
            (denial, "bold"),
            (f"  [{f.rule}]", "dim"),
        )
        console.print(head)
        console.print(f"    {f.message}", soft_wrap=True)
        if f.fix:
            console.print(f"    [bold]fix:[/] {f.fix}", soft_wrap=True)
        console.print(
            f"    source: {f.source.title}" + (f" <{f.source.url}>" if f.source.url else ""),
            style="dim",
            soft_wrap=True,
        )
    if not report.findings:
        console.print("No problems found.", style="green")
    if report.checklist:
        console.print("Documentation the chart must show:")
        for item in report.checklist:
            detail = f" ({item.detail})" if item.detail else ""
            console.print(f"  [{CHECK_MARK[item.status]}] {item.item}{detail}")


def summary_counts(reports: Iterable[Report]) -> tuple[Counter[str], Counter[str]]:
    verdicts: Counter[str] = Counter()
    problems: Counter[str] = Counter()
    for report in reports:
        verdicts[report.verdict] += 1
        for f in report.findings:
            if f.severity != "info":
                problems[f"{f.rule} ({f.carc})" if f.carc else f.rule] += 1
    return verdicts, problems


def render_summary(console: Console, reports: Sequence[Report]) -> None:
    verdicts, problems = summary_counts(reports)
    console.print(
        f"[bold]{len(reports)} claims[/]: [green]{verdicts['clean']} clean[/], "
        f"[yellow]{verdicts['fix']} to fix[/], [red]{verdicts['deny']} will deny[/]"
    )
    for name, count in problems.most_common(5):
        console.print(f"  {count:>6}  {name}")
