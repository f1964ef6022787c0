"""The pure core reads no environment: rules, domain, policies, code sets and the engine get their settings
passed in (preclaim.paths.Settings is resolved once at an edge: the CLI, the service, the web app, the facade)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "preclaim"
CORE = ("rules", "domain", "policy", "codes", "engine.py")
_ENV_NAMES = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}


def environment_reads(source: str) -> list[int]:
    """Line numbers of os.environ / os.getenv / `from os import environ` (and the like) in a module."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in _ENV_NAMES:
            lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            lines.extend(node.lineno for alias in node.names if alias.name in _ENV_NAMES)
    return lines


def core_modules() -> list[Path]:
    found: list[Path] = []
    for name in CORE:
        path = SRC / name
        found.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return found


def test_the_scan_finds_each_way_of_reading_the_environment() -> None:
    assert environment_reads("import os\nhome = os.environ.get('PRECLAIM_HOME')\n") == [2]
    assert environment_reads("import os\nx = os.getenv('X')\n") == [2]
    assert environment_reads("from os import environ\n") == [1]
    assert environment_reads("import os\npid = os.getpid()\n") == []


def test_no_core_module_reads_the_environment() -> None:
    modules = core_modules()
    assert len(modules) > 30 and SRC / "engine.py" in modules
    reads = {
        str(path.relative_to(SRC)): lines
        for path in modules
        if (lines := environment_reads(path.read_text(encoding="utf-8")))
    }
    assert reads == {}, f"read the environment at an edge (preclaim.paths.Settings) and pass it in: {reads}"
