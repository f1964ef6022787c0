"""The `preclaim` command line: thin commands over the library.

Exit codes: 0 clean (or success), 1 a claim needs fixing or will deny, 2 bad input.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from preclaim.errors import PreclaimError

app = typer.Typer(
    name="preclaim",
    help="Check vitamin B12 injection claims (J3420) before they are sent: cited payer rules, prior "
    "authorization, documentation, denial explanations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _print_version(value: bool) -> None:
    if value:
        from preclaim import __version__
        from preclaim.native import select_path

        print(f"preclaim {__version__}, Python {sys.version.split()[0]}, {select_path().describe()}")
        raise typer.Exit(0)


@app.callback()
def _group(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version and whether the compiled (mypyc) or the pure-Python engine runs.",
        ),
    ] = False,
) -> None:
    # A callback keeps `preclaim` a command group even when main() registers a single command's module;
    # without it typer collapses a one-command app and `preclaim serve ...` reads "serve" as an extra argument.
    return None


out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)

F = TypeVar("F", bound=Callable[..., Any])


class OutputFormat(StrEnum):
    text = "text"
    json = "json"


AsOf = Annotated[
    dt.datetime | None,
    typer.Option("--as-of", formats=["%Y-%m-%d"], help="Date the claim is checked/sent (default: today)."),
]
Policies = Annotated[
    list[Path] | None,
    typer.Option("--policies", help="Folder of your own policy YAML files (repeatable; also $PRECLAIM_POLICIES)."),
]
Format = Annotated[OutputFormat, typer.Option("--format", help="text or json (the stable report contract).")]


def as_of_date(value: dt.datetime | None) -> dt.date:
    # The CLI is an edge: reading the clock here keeps the engine pure.
    return value.date() if value else dt.date.today()


def per_core(jobs: int) -> int:
    """The processes a `--jobs` option asks for: 0 is one per core."""
    return jobs or os.cpu_count() or 1


def fail(message: str) -> typer.Exit:
    # escaped: a message quotes input and advice ("preclaim[spark]", "$[0]"), which is not rich markup
    err.print(f"[red]error:[/] {escape(message)}", soft_wrap=True)
    return typer.Exit(2)


def run_guarded(action: Callable[[], int]) -> None:
    """Run a command body; a PreclaimError becomes one line on stderr and exit 2, never a traceback."""
    try:
        code = action()
    except PreclaimError as exc:
        raise fail(str(exc)) from None
    except BrokenPipeError:
        sys.stderr.close()
        raise typer.Exit(0) from None
    raise typer.Exit(code)


# Modules that add commands: each exposes register(app). Missing optional modules are skipped.
_EXTENSIONS = (
    "preclaim.cli.core",
    "preclaim.cli.x12",
    "preclaim.cli.codes_import",
    "preclaim.cli.history",
    "preclaim.cli.auth",
    "preclaim.cli.report",
    "preclaim.cli.serve",
    "preclaim.cli.web",
    "preclaim.cli.audit",
)


# The module that defines each command: a run imports only what its command needs (start-up time, memory).
_COMMAND_MODULES = {
    "check": "preclaim.cli.core",
    "pa": "preclaim.cli.core",
    "code": "preclaim.cli.core",
    "policies": "preclaim.cli.core",
    "denials": "preclaim.cli.x12",
    "envelope": "preclaim.cli.x12",
    "codes": "preclaim.cli.codes_import",
    "history": "preclaim.cli.history",
    "auth": "preclaim.cli.auth",
    "report": "preclaim.cli.report",
    "serve": "preclaim.cli.serve",
    "checklist": "preclaim.cli.web",
    "letter": "preclaim.cli.web",
    "audit": "preclaim.cli.audit",
}


def _modules_for(argv: list[str]) -> tuple[str, ...]:
    command = next((arg for arg in argv if not arg.startswith("-")), None)
    module = _COMMAND_MODULES.get(command or "")
    return (module,) if module else _EXTENSIONS  # help, or an unknown command: load every command


def _register_extensions(names: tuple[str, ...] = _EXTENSIONS) -> None:
    for name in names:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name or not (exc.name or "").startswith("preclaim"):
                continue  # that part, or an optional extra it needs, is not installed
            raise
        module.register(app)


def main() -> None:
    _register_extensions(_modules_for(sys.argv[1:]))
    app()
