"""Terminal rendering of reports with rich: what a biller reads."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from preclaim.domain.report import PriorAuthDecision, Report

VERDICT_STYLE = {"clean": "bold green", "fix": "bold yellow", "deny": "bold red"}
SEVERITY_STYLE = {"error": "red", "warning": "yellow", "info": "cyan"}
CHECK_MARK = {"met": "[green]met[/]", "missing": "[red]missing[/]", "unknown": "[dim]unknown[/]"}


def render_prior_auth(console: Console, decision: PriorAuthDecision) -> None:
    console.print(f"Prior authorization: [bold]{decision.status}[/]")
    for reason in decision.reasons:
        console.print(f"  - {reason}")
    for source in decision.sources:
        console.print(f"    source: {source.title}" + (f" <{source.url}>" if source.url else ""), style="dim")


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
    if report.findings:
        table = Table(show_lines=True, expand=True)
        for column in ("line", "severity", "what", "denial", "fix", "source"):
            table.add_column(column, overflow="fold")
        for f in report.findings:
            denial = " ".join(x for x in (f.carc, *f.rarc) if x)
            table.add_row(
                "-" if f.line is None else str(f.line),
                Text(f.severity, SEVERITY_STYLE[f.severity]),
                f.message,
                denial or "-",
                f.fix or "-",
                f.source.title,
            )
        console.print(table)
    else:
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
