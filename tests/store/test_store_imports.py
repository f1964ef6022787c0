"""The store's modules import in any order: no import cycle (the history importers share preclaim.store.import_run
rather than importing each other), so none needs a function-level import to dodge one."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

STORE = Path(__file__).resolve().parents[2] / "src" / "preclaim" / "store"
IMPORTERS = [
    "preclaim.store.ingest",
    "preclaim.store.x12_ingest",
    "preclaim.store.remits",
    "preclaim.store.auth_csv",
    "preclaim.store.import_run",
    "preclaim.store.history",
    "preclaim.store",
]


@pytest.mark.parametrize("order", [IMPORTERS, IMPORTERS[::-1]], ids=["ingest-first", "store-first"])
def test_store_and_ingest_modules_import_in_either_order(order: list[str]) -> None:
    code = "import importlib\n" + "".join(f"importlib.import_module({name!r})\n" for name in order)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def _store_imports(path: Path) -> set[str]:
    """The preclaim.store modules `path` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("preclaim.store")):
            continue
        if node.module == "preclaim.store":  # `from preclaim.store import models_web`: a module, or the package
            found.update(f"preclaim.store.{a.name}" for a in node.names if (path.parent / f"{a.name}.py").is_file())
        else:
            found.add(node.module)
    return found


def import_cycles(store: Path) -> list[str]:
    """The importer modules of `store` that import themselves through others."""
    graph = {f"preclaim.store.{p.stem}": _store_imports(p) for p in store.glob("*.py") if p.stem != "__init__"}
    importers = ("ingest", "x12_ingest", "remits", "auth_csv", "import_run", "csv_history", "history", "claims")

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(n == goal or (n not in seen and reaches(n, goal, seen | {n})) for n in graph.get(start, ()))

    return [m for m in (f"preclaim.store.{n}" for n in importers) if reaches(m, m, {m})]


def test_no_import_cycle_among_the_importers() -> None:
    assert "preclaim.store.x12_ingest" in _store_imports(STORE / "ingest.py")  # the scan does see imports
    assert import_cycles(STORE) == []
