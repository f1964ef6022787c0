"""NCCI import and check speed on a generated practitioner PTP table of the real size (invented rows, CMS layout).

Writes a PTP download of --rows rows (default 1,500,000) as CMS ships it, one zip per part (…ccipra-v399r0-f1.zip,
…) each holding the tab-delimited .TXT with the CMS header lines and a placeholder .xlsx, and an MUE download of
--mue-rows rows; then, each in its own process, times `import_ptp` / `import_mue` and reports the process's peak
RSS; then loads the tables (`load_codes`) and times Engine.check on a generated 837P with and without them.

    .venv/bin/python benchmarks/ncci_import.py [--rows 1500000] [--parts 4] [--claims 10000] [--dir DIR]

Every row is invented (random code pairs from a pool of CPT-like and HCPCS codes, realistic dates and
indicators); the rationale of each says so. Nothing here is CMS data.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADER = (
    "CPT only copyright 2025 American Medical Association.  All rights reserved.\t\t\t\t\t\t\r\n"
    "Column1/Column2 Edits\t\t\t\t\t\t\r\n"
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale\r\n"
    "\t\tprior to 1996\tDate\tDate\t0=not allowed\t\r\n"
    "\t\t\t\t*=no data\t1=allowed\t\r\n"
    "\t\t\t\t\t9=not applicable\t\r\n"
)
RATIONALES = [
    "CPT Manual or CMS manual coding instruction (INVENTED benchmark row)",
    "Mutually exclusive procedures (INVENTED benchmark row)",
    "Misuse of Column Two code with Column One code (INVENTED benchmark row)",
    "Standards of medical/surgical practice (INVENTED benchmark row)",
]
MUE_HEADER = (
    '"CPT only copyright 2025 American Medical Association. All rights reserved.\n\nINVENTED benchmark table",,,\r\n'
    '"HCPCS/\nCPT Code",Practitioner Services MUE Values,MUE Adjudication Indicator,MUE Rationale\r\n'
)
MAI = ["1 Line Edit", "2 Date of Service Edit: Policy", "3 Date of Service Edit: Clinical"]


def code_pool(size: int, rng: random.Random) -> list[str]:
    numeric = [f"{n:05d}" for n in rng.sample(range(10021, 99500), size - 600)]
    hcpcs = [f"{letter}{n:04d}" for letter in "AGJ" for n in rng.sample(range(1, 9999), 200)]
    return sorted({*numeric, *hcpcs, "96372", "96374", "J3420", "99211", "99213"})


def ptp_lines(rows: int, pool: list[str], rng: random.Random) -> list[tuple[str, int]]:
    """(column 1 code, how many column 2 codes) so that the counts add up to `rows`."""
    per = max(1, rows // len(pool))
    plan = [(code, per) for code in pool]
    plan[-1] = (plan[-1][0], per + rows - per * len(pool))
    return plan


def write_ptp(folder: Path, rows: int, parts: int, seed: int) -> list[Path]:
    rng = random.Random(seed)
    pool = code_pool(12_000, rng)
    plan = ptp_lines(rows, pool, rng)
    chunk = (len(plan) + parts - 1) // parts
    zips = []
    for index in range(parts):
        name = f"ccipra-v399r0-f{index + 1}"
        target = folder / f"medicare-ncci-2099q4-practitioner-ptp-edits-{name}.zip"
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            with archive.open(f"{name}.TXT", "w") as raw:
                raw.write(HEADER.encode("latin-1"))
                for column1, count in plan[index * chunk : (index + 1) * chunk]:
                    lines = []
                    for column2 in sorted(rng.sample(pool, min(count, len(pool)))):
                        year = rng.randrange(1996, 2026)
                        deleted = "*" if rng.random() < 0.6 else f"{rng.randrange(year, 2027)}1231"
                        indicator = rng.choice("0111111119")
                        old = "*" if year == 1996 and rng.random() < 0.5 else ""
                        lines.append(
                            f"{column1}\t{column2}\t{old}\t{year}0101\t{deleted}\t{indicator}\t{rng.choice(RATIONALES)}"
                        )
                    raw.write(("\r\n".join(lines) + "\r\n").encode("latin-1"))
            archive.writestr(f"{name}.xlsx", b"PK placeholder: the importer reads the .TXT")
        zips.append(target)
    return zips


def write_mue(folder: Path, rows: int, seed: int) -> Path:
    rng = random.Random(seed)
    pool = code_pool(max(rows, 700), rng)[:rows]
    body = "".join(
        f"{code},{rng.randrange(1, 20)},{rng.choice(MAI)},Nature of Service/Procedure (INVENTED benchmark row)\r\n"
        for code in pool
    )
    target = folder / "medicare-ncci-2099-q4-practitioner-services-mue-table.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("MCR_MUE_PractitionerServices_Eff_10-01-2099.csv", (MUE_HEADER + body).encode("latin-1"))
    return target


CHILD = """
import json, resource, sys, time
from pathlib import Path
kind, home, *files = sys.argv[1:]
start = time.perf_counter()
if kind == "ptp":
    from preclaim.codes.ncci_ptp_import import import_ptp
    rows = import_ptp([Path(f) for f in files], Path(home)).rows
elif kind == "mue":
    from preclaim.codes.ncci_mue_import import import_mue
    rows = import_mue(Path(files[0]), Path(home)).rows
else:
    from preclaim.codes import load_codes
    rows = load_codes(Path(home)).ncci.ptp_rows
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"rows": rows, "seconds": seconds, "rss_mb": peak}))
"""


def child(kind: str, home: Path, *files: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, kind, str(home), *map(str, files)], capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise SystemExit(done.stderr)
    result: dict[str, float] = json.loads(done.stdout)
    return result


def check_speed(home: Path, empty: Path, claims: int, folder: Path, repeat: int) -> None:
    sys.path.insert(0, str(HERE))
    import engine_bench  # the benchmark module beside this one

    from preclaim.codes import load_codes
    from preclaim.engine import Engine
    from preclaim.policy import load_library

    path = folder / "claims.837"
    subprocess.run(
        [sys.executable, str(HERE / "edi_generate.py"), str(claims), str(path)], check=True, capture_output=True
    )
    work = engine_bench.load(path)
    library = load_library(())
    engines = {
        "no tables": Engine(library, load_codes(empty)),
        "full PTP + MUE tables": Engine(library, load_codes(home)),
    }
    for engine in engines.values():
        engine_bench.run(engine, work)  # warm
    best = dict.fromkeys(engines, float("inf"))
    for _ in range(repeat):  # interleaved, so a change in the neighbours' load hits both alike
        for name, engine in engines.items():
            best[name] = min(best[name], engine_bench.run(engine, work))
    for name, seconds in best.items():
        print(
            f"check {len(work):,} claims, {name}: {len(work) / seconds:,.0f} checks/s "
            f"({seconds * 1e6 / len(work):.1f} us/claim)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_500_000)
    parser.add_argument("--parts", type=int, default=4)
    parser.add_argument("--mue-rows", type=int, default=15_000)
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--dir", type=Path, help="work folder (default: a temporary one, removed at the end)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        home, empty = folder / "home", folder / "empty-home"
        empty.mkdir(exist_ok=True)
        start = time.perf_counter()
        zips = write_ptp(folder, args.rows, args.parts, args.seed)
        mue = write_mue(folder, args.mue_rows, args.seed)
        size = sum(z.stat().st_size for z in zips) / 1e6
        print(
            f"generated {args.rows:,} PTP rows in {args.parts} part zips ({size:.0f} MB) "
            f"in {time.perf_counter() - start:.1f} s"
        )
        for label, kind, files in (
            ("import-ncci", "ptp", zips),
            ("import-ncci again (same parts)", "ptp", zips),
            ("import-mue", "mue", [mue]),
            ("load_codes with both tables", "load", []),
        ):
            got = child(kind, home, *files)
            rate = f", {got['rows'] / got['seconds']:,.0f} rows/s" if kind != "load" else ""
            print(f"{label}: {int(got['rows']):,} rows, {got['seconds']:.2f} s{rate}, peak RSS {got['rss_mb']:.0f} MB")
        stored = sum(p.stat().st_size for p in (home / "ncci").iterdir()) / 1e6
        print(f"stored in {home / 'ncci'}: {stored:.0f} MB")
        check_speed(home, empty, args.claims, folder, args.repeat)


if __name__ == "__main__":
    main()
