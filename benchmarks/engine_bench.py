"""Engine speed alone: Engine.check over the claims of a synthetic 837P, parsed and given history beforehand.

The file is read once (read_837) and each claim's in-file history is built with BatchHistory (prescan, then
for_claim), as `preclaim check` does; only the engine calls are timed.

    .venv/bin/python benchmarks/engine_bench.py [FILE] [--claims 10000] [--repeat 5] [--rules] [--dump OUT]

Without FILE, benchmarks/edi_generate.py writes a file of --claims claims (seed 7) to a temporary folder.
--rules adds microseconds per claim for each part of a check (context, each rule, checklist, prior-auth
decision), each part run over every claim with a fresh context, so a cached property counts in the first part
that touches it. --dump writes every report as contract JSON (to compare two versions byte for byte).

For a load-independent figure, count instructions with valgrind and subtract a run with one pass less:

    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python benchmarks/engine_bench.py \\
        /tmp/claims-2k.837 --repeat 2 --warmup 0    # then --repeat 1; (difference) / claims
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from preclaim.domain.claim import Claim
from preclaim.domain.history import History
from preclaim.edi.check import BatchHistory
from preclaim.edi.x12.loops import ParsedClaim
from preclaim.edi.x12.read837 import read_837, scan_services
from preclaim.engine import Engine
from preclaim.io.report_json import reports_to_json
from preclaim.rules import ALL_RULES, Rule, RuleContext
from preclaim.rules.documentation import documented
from preclaim.rules.prior_auth import decide

HERE = Path(__file__).resolve().parent
AS_OF = dt.date(2026, 1, 15)
Work = list[tuple[Claim, History]]


def load(path: Path) -> Work:
    """Each claim of the file with its in-file history, as `preclaim check` builds it (a first pass, then per claim)."""
    items = list(read_837(path))
    batch = BatchHistory()
    batch.prescan(scan_services(path))
    return [
        (item.claim, batch.for_claim(item.claim, i)) for i, item in enumerate(items) if isinstance(item, ParsedClaim)
    ]


def run(engine: Engine, work: Work) -> float:
    start = time.perf_counter()
    for claim, history in work:
        engine.check(claim, history, as_of=AS_OF)
    return time.perf_counter() - start


def exhaust(rule: Rule) -> Callable[[RuleContext], object]:
    return lambda ctx: list(rule(ctx))


def per_part(engine: Engine, work: Work, repeat: int) -> dict[str, float]:
    """Microseconds per claim of each part, context building subtracted from the others."""

    def timed(part: Callable[[RuleContext], object]) -> float:
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            for claim, history in work:
                part(engine.context(claim, history, AS_OF))
            best = min(best, time.perf_counter() - start)
        return best * 1e6 / len(work)

    parts = {f"{rule.__module__.rsplit('.', 1)[-1]}.{rule.__name__}": exhaust(rule) for rule in ALL_RULES}
    parts["documentation.documented"] = documented
    parts["prior_auth.decide"] = decide
    raw = {name: timed(part) for name, part in parts.items()}
    context = min(timed(lambda ctx: None) for _ in range(3))  # the floor every part above paid
    return {"context": context, **{name: micros - context for name, micros in raw.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", nargs="?", type=Path, help="an 837P file (default: generate one)")
    parser.add_argument("--claims", type=int, default=10000, help="claims to generate when no file is given")
    parser.add_argument("--repeat", type=int, default=5, help="timed passes; the best one is reported")
    parser.add_argument("--warmup", type=int, default=1, help="untimed passes first")
    parser.add_argument("--rules", action="store_true", help="also print microseconds per claim for each part")
    parser.add_argument("--dump", type=Path, help="write every report as contract JSON to this file")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = args.file
        if path is None:
            path = Path(tmp) / "claims.837"
            generator = [sys.executable, str(HERE / "edi_generate.py"), str(args.claims), str(path)]
            subprocess.run(generator, check=True, stdout=subprocess.DEVNULL)
        work = load(path)
    engine = Engine.default()
    if args.dump:
        args.dump.write_bytes(reports_to_json(engine.check(c, h, as_of=AS_OF) for c, h in work))
    for _ in range(args.warmup):
        run(engine, work)
    best = min((run(engine, work) for _ in range(args.repeat)), default=0.0)
    if best:
        rate, micros = len(work) / best, best * 1e6 / len(work)
        print(f"{len(work)} claims: {rate:,.0f} checks/s, {micros:.1f} us/claim (best of {args.repeat})")
    if args.rules:
        for name, micros in per_part(engine, work, max(1, args.repeat)).items():
            print(f"  {name:<45} {micros:7.2f} us")


if __name__ == "__main__":
    main()
