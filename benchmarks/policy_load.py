"""Loading the bundled policies: libyaml's C loader (what preclaim uses when PyYAML has it) against PyYAML's own
pure-Python loader (what it used before, and still uses for a file with aliases, deep nesting or an error).

Both load and validate every bundled policy the same way (`policy.loader.load_policies`); only the YAML parser
differs. Each round runs both, one after the other; the fastest of --repeat rounds is kept for each.

    .venv/bin/python benchmarks/policy_load.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import yaml

from preclaim.io import yaml_guard
from preclaim.policy import loader, policy_dirs


def _timed(load: Callable[[], object]) -> float:
    start = time.perf_counter()
    load()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    if not hasattr(yaml, "CSafeLoader"):
        raise SystemExit("this PyYAML has no libyaml: preclaim reads policies with the pure-Python loader")
    dirs = policy_dirs(())
    files = sum(len(loader.policy_files(d)) for d in dirs)

    def pure() -> object:
        yaml_guard.LIBYAML = False
        try:
            return loader.load_policies(dirs)
        finally:
            yaml_guard.LIBYAML = True

    def fast() -> object:
        return loader.load_policies(dirs)

    assert pure() == fast()  # the same policies either way
    best = {"libyaml": float("inf"), "pure Python": float("inf")}
    for _ in range(args.repeat):
        best["libyaml"] = min(best["libyaml"], _timed(fast))
        best["pure Python"] = min(best["pure Python"], _timed(pure))
    print(f"bundled policies: {files} files, best of {args.repeat} rounds")
    for name, seconds in best.items():
        print(f"  {name:<12} {seconds * 1000:7.1f} ms")
    print(f"  libyaml is {best['pure Python'] / best['libyaml']:.1f}x as fast")


if __name__ == "__main__":
    main()
