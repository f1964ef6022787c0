"""Long fuzz run over preclaim's input parsers (the CI run is tests/fuzz, a few hundred inputs each).

    .venv/bin/python benchmarks/fuzz_long.py --seconds 120 [--target x12-837p ...] [--out fuzz-findings]

Per target it mutates the seed files (real samples) at random for the given time, and prints inputs tried,
inputs per second, distinct failures (exception type + innermost preclaim frame) and hangs (an input taking
longer than --hang seconds). Each failure's input is written to --out with its seed file and mutation list,
so `apply(seed, mutations)` reproduces it.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from preclaim.fuzz import TARGETS, Failure, Target, apply, random_mutations
from preclaim.fuzz.targets import outcome


class Hang(BaseException):
    """Raised by the alarm when one input takes too long (BaseException: no parser may swallow it)."""


_FIRED: list[bool] = [False]  # DuckDB turns the alarm's exception into "Query interrupted": remember it fired


def _alarm(_signum: int, _frame: FrameType | None) -> None:
    _FIRED[0] = True
    raise Hang


def run_target(target: Target, seconds: float, hang_s: float, rng: random.Random, out: Path) -> dict[str, object]:
    seeds = target.seeds()
    data = [p.read_bytes() for p in seeds]
    found: dict[tuple[str, str, str], Failure] = {}
    tried = hangs = accepted = 0
    stop = time.monotonic() + seconds
    while time.monotonic() < stop:
        index = rng.randrange(len(data))
        mutations = random_mutations(rng, target.ops)
        candidate = apply(data[index], mutations)
        tried += 1
        _FIRED[0] = False
        signal.setitimer(signal.ITIMER_REAL, hang_s)
        try:
            result = outcome(target, candidate)
        except Hang:
            _FIRED[0] = True
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        if _FIRED[0]:  # whatever the parser made of the interruption, the input took too long
            hangs += 1
            result = Failure(target.name, "hang", f"over {hang_s} s", "?", candidate)
        failure = result if isinstance(result, Failure) else None
        accepted += result == "accepted"
        if failure is not None and failure.key not in found:
            found[failure.key] = failure
            _save(out, failure, seeds[index], mutations, len(found))
    return {
        "target": target.name,
        "seeds": len(seeds),
        "inputs": tried,
        "per_second": round(tried / seconds),
        "accepted": accepted,
        "failures": len(found),
        "hangs": hangs,
        "distinct": [f"{f.kind} at {f.raised_at}: {f.message[:120]}" for f in found.values()],
    }


def _save(out: Path, failure: Failure, seed: Path, mutations: list[tuple[str, int]], n: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    stem = out / f"{failure.target}-{n:03d}"
    stem.with_suffix(".bin").write_bytes(failure.data)
    meta = {"seed": str(seed), "mutations": mutations, "kind": failure.kind, "at": failure.raised_at,
            "message": failure.message}  # fmt: skip
    stem.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60, help="time per target")
    parser.add_argument("--target", action="append", choices=sorted(TARGETS), help="default: all")
    parser.add_argument("--hang", type=float, default=5.0, help="seconds after which one input counts as a hang")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("fuzz-findings"))
    args = parser.parse_args()
    signal.signal(signal.SIGALRM, _alarm)
    rng = random.Random(args.seed)
    total_inputs = total_failures = 0
    for name in args.target or sorted(TARGETS):
        result = run_target(TARGETS[name], args.seconds, args.hang, rng, args.out)
        total_inputs += int(str(result["inputs"]))
        total_failures += int(str(result["failures"]))
        print(
            f"{name:14} {result['inputs']:>8,} inputs ({result['per_second']:,}/s) from {result['seeds']} seeds, "
            f"{result['accepted']:,} accepted, the rest refused with a position; "
            f"{result['failures']} distinct failures, {result['hangs']} hangs",
            flush=True,
        )
        for line in result["distinct"]:  # type: ignore[attr-defined]
            print(f"    {line}", flush=True)
    print(f"total: {total_inputs:,} inputs, {total_failures} distinct failures (inputs in {args.out}/)")
    return 1 if total_failures else 0


if __name__ == "__main__":
    sys.exit(main())
