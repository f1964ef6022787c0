"""Which path runs: the mypyc-compiled engine, rules and X12 837P reader, or the same modules as pure Python.

setup.py compiles the modules in COMPILED next to their sources (`pip install -e .`). Python prefers an
extension module to a source file of the same name, so an edited source would silently lose to an older
compiled file: `select_path` (run once, from preclaim/__init__.py, before any of them is imported) falls back
to the sources when any compiled file is older than its source, or when PRECLAIM_PURE=1. The whole set moves
together, since the compiled modules call each other directly.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

PACKAGE = Path(__file__).resolve().parent
COMPILED_PACKAGES = ("preclaim.rules",)
# The X12 837P reader (tokenizer, loops, claim building): per segment and per claim, like the engine.
# envelope.py stays Python (a parallel check copies and reads its checker's attributes); so do spool.py and
# parallel.py (pickling and processes: C calls already) and report_json.py (one msgspec call). edi/check.py
# (the in-file history and the check loop) is compiled: 3.3% fewer instructions a claim, and its entries are
# typed so that they share the claim's objects instead of boxing new ones (same memory as pure Python).
X12_MODULES = ("tokenizer", "loops", "build837", "claim837", "read837")
# The compiled modules outside the rules package, relative to preclaim (dotted): one list for both the module
# names and the source files, so the two cannot drift apart.
_MODULES = ("engine", "codes.registry", "edi.check", *(f"edi.x12.{name}" for name in X12_MODULES))
COMPILED_MODULES = tuple(f"preclaim.{name}" for name in _MODULES)


@dataclass(frozen=True)
class NativeStatus:
    compiled: bool
    reason: str  # why this path runs, for `preclaim --version`

    def describe(self) -> str:
        return f"compiled (mypyc): {self.reason}" if self.compiled else f"pure Python: {self.reason}"


# Read once, outside the per-claim path; msgspec needs real class annotations there, which mypyc does not keep.
NOT_COMPILED = frozenset({"catalog.py", "catalog_table.py"})


def compiled_sources(package: Path = PACKAGE) -> list[Path]:
    """The modules setup.py compiles: the engine, the rules, the X12 837P reader and the file check (setup.py
    runs this file to ask)."""
    rules = sorted(p for p in (package / "rules").glob("*.py") if p.name not in NOT_COMPILED)
    return [*(package.joinpath(*name.split(".")).with_suffix(".py") for name in _MODULES), *rules]


def _extension_of(source: Path) -> Path | None:
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        candidate = source.with_suffix(suffix)
        if candidate.exists():
            return candidate
    return None


def inspect(environ: dict[str, str] | os._Environ[str] = os.environ, package: Path = PACKAGE) -> NativeStatus:
    """Whether the compiled set can be used, and why (or why not)."""
    if environ.get("PRECLAIM_PURE") == "1":
        return NativeStatus(False, "PRECLAIM_PURE=1")
    sources = compiled_sources(package)
    built = [(s, _extension_of(s)) for s in sources]
    missing = [s.name for s, ext in built if ext is None]
    if len(missing) == len(sources):
        return NativeStatus(False, "no compiled modules (mypyc or a C compiler was missing at install)")
    if missing:
        return NativeStatus(False, f"compiled set incomplete ({', '.join(missing[:3])} not built): reinstall")
    stale = [s.name for s, ext in built if ext is not None and ext.stat().st_mtime < s.stat().st_mtime]
    if stale:
        return NativeStatus(False, f"sources newer than their compiled modules ({', '.join(stale[:3])}): reinstall")
    return NativeStatus(True, f"{len(sources)} modules (engine, rules, code sets, X12 837P reader, in-file history)")


class _SourcesOnly(importlib.abc.MetaPathFinder):
    """Finds the compiled set's modules as source files, ignoring the extension modules beside them."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in COMPILED_MODULES and not fullname.startswith(COMPILED_PACKAGES):
            return None
        for entry in path or ():
            finder = importlib.machinery.FileFinder(
                entry, (importlib.machinery.SourceFileLoader, importlib.machinery.SOURCE_SUFFIXES)
            )
            spec = finder.find_spec(fullname)
            if spec is not None:
                return spec
        return None


STATUS: NativeStatus | None = None  # the path this process runs, once select_path has chosen


def select_path() -> NativeStatus:
    """Decide once per process; later calls return the same answer."""
    global STATUS
    if STATUS is None:
        STATUS = inspect()
        if not STATUS.compiled:
            sys.meta_path.insert(0, _SourcesOnly())
    return STATUS
