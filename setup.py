"""Build hook: compile the engine and the rules with mypyc when it and a C compiler are available.

Everything else (metadata, dependencies) is in pyproject.toml. Without mypyc or a compiler, or with
PRECLAIM_PURE=1 at install time, nothing is compiled and the same modules run as pure Python; reports are
byte-identical either way (tests/core/test_compiled_path.py). `preclaim --version` says which path runs.
"""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
# The per-claim hot path, as preclaim.native lists it (run as a file: nothing of preclaim is installed yet).
_native = runpy.run_path(str(HERE / "src" / "preclaim" / "native.py"))
COMPILED = [str(p.relative_to(HERE)) for p in _native["compiled_sources"](HERE / "src" / "preclaim")]


class OptionalBuildExt(build_ext):
    """A failed C build leaves the pure-Python modules in charge instead of failing the install."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # no compiler, missing headers: the fallback runs
            print(f"preclaim: compiled modules not built ({exc}); the pure-Python path will run", file=sys.stderr)

    def build_extension(self, ext: Any) -> None:
        try:
            super().build_extension(ext)
        except Exception as exc:
            print(f"preclaim: {ext.name} not compiled ({exc}); the pure-Python path will run", file=sys.stderr)


def compiled_extensions() -> list[Any]:
    if os.environ.get("PRECLAIM_PURE") == "1":
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        print("preclaim: mypyc is not installed; the pure-Python path will run", file=sys.stderr)
        return []
    try:
        return list(mypycify(COMPILED, opt_level="3", debug_level="0", group_name="preclaim_native"))
    except (Exception, SystemExit) as exc:  # mypyc refuses a module (it exits on type errors): build nothing
        print(f"preclaim: mypyc could not compile ({exc}); the pure-Python path will run", file=sys.stderr)
        return []


setup(ext_modules=compiled_extensions(), cmdclass={"build_ext": OptionalBuildExt})
