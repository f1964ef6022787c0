"""Generate a synthetic 837P (005010X222A1) with N vitamin B12 injection claims. All data is invented.

Each claim bills 96372 (injection) + J3420 (cyanocobalamin) with 2410 LIN*N4/CTP, for a pool of invented
patients with monthly injections, so claims earlier in the file are history for later ones. About one
claim in ten carries a planted problem (invalid J3424, 10-digit or dashed NDC, missing NDC, uncovered
diagnosis, duplicate of an earlier claim, modifier out of order, too many units).

    python benchmarks/edi_generate.py 10000 /tmp/claims-10k.837 [--seed 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from collections.abc import Iterator
from pathlib import Path

CLAIMS_PER_SET = 5000
PAYERS = [  # (payer id, name, SBR09 filing indicator, billing state)
    ("09102", "FIRST COAST MEDICARE", "MB", "FL"),
    ("60054", "AETNA", "CI", "FL"),
    ("77027", "FLORIDA MEDICAID", "MC", "FL"),
    ("WHA", "WESTERN HEALTH ADVANTAGE", "HM", "CA"),
    ("DEMO1", "DEMO PAYER", "CI", "TX"),
]
NDCS = ["00517003101", "63323004441", "70710166301", "71288030001"]
COVERED_DX = ["D510", "D519", "E538", "D518", "K900"]
_VISITS: dict[int, int] = {}
PROBLEMS = ["j3424", "ndc10", "ndc-dashes", "no-ndc", "dx", "duplicate", "modifier-order", "units"]


def npi(seed: int) -> str:
    """A 10-digit NPI with a valid Luhn check digit (prefix 80840 per the NPI standard)."""
    body = f"1{seed % 10**8:08d}"
    digits = [int(c) for c in "80840" + body]
    total = 0
    for i, d in enumerate(reversed(digits)):
        d = d * 2 if i % 2 == 0 else d
        total += d - 9 if d > 9 else d
    return body + str((10 - total % 10) % 10)


def segments(count: int, seed: int) -> Iterator[str]:
    rng = random.Random(seed)
    _VISITS.clear()
    today = dt.date(2026, 1, 15)
    yield (
        "ISA*00*          *00*          *ZZ*PRECLAIMBENCH  *ZZ*CLEARINGHOUSE  "
        f"*{today:%y%m%d}*1200*^*00501*000000001*0*T*:"
    )
    yield f"GS*HC*PRECLAIMBENCH*CLEARINGHOUSE*{today:%Y%m%d}*1200*1*X*005010X222A1"
    sets = (count + CLAIMS_PER_SET - 1) // CLAIMS_PER_SET
    patients = max(1, count // 4)
    made: list[tuple[int, dt.date, int]] = []
    for set_no in range(1, sets + 1):
        body = list(
            _set_body(rng, set_no, min(CLAIMS_PER_SET, count - (set_no - 1) * CLAIMS_PER_SET), patients, made, today)
        )
        yield f"ST*837*{set_no:04d}*005010X222A1"
        yield from body
        yield f"SE*{len(body) + 2}*{set_no:04d}"
    yield f"GE*{sets}*1"
    yield "IEA*1*000000001"


def _set_body(
    rng: random.Random,
    set_no: int,
    claims: int,
    patients: int,
    made: list[tuple[int, dt.date, int]],
    today: dt.date,
) -> Iterator[str]:
    yield f"BHT*0019*00*BATCH{set_no:05d}*{today:%Y%m%d}*1200*CH"
    yield "NM1*41*2*SYNTHETIC BILLING CO*****46*SUBMIT001"
    yield "PER*IC*BILLING DESK*TE*5555550100"
    yield "NM1*40*2*CLEARINGHOUSE*****46*CLEARINGHOUSE"
    yield "HL*1**20*1"
    yield "PRV*BI*PXC*207Q00000X"
    yield f"NM1*85*2*SYNTHETIC FAMILY CLINIC*****XX*{npi(set_no)}"
    yield "N3*100 INVENTED WAY"
    yield "N4*TAMPA*FL*33601"
    yield "REF*EI*123456789"
    hl = 1
    for n in range(claims):
        lines = list(_claim(rng, hl + 1, (set_no - 1) * CLAIMS_PER_SET + n, patients, made))
        hl += sum(1 for line in lines if line.startswith("HL*"))
        yield from lines


def _claim(
    rng: random.Random, hl: int, serial: int, patients: int, made: list[tuple[int, dt.date, int]]
) -> Iterator[str]:
    problem = rng.choice(PROBLEMS) if rng.random() < 0.1 else None
    if problem == "duplicate" and made:
        person, day, _ = made[rng.randrange(len(made))]
    else:
        person = rng.randrange(patients)
        visit = _VISITS[person] = _VISITS.get(person, -1) + 1  # monthly, a new date each visit
        day = dt.date(2025, 1, 2) + dt.timedelta(days=person % 28 + 30 * (visit % 12) + 366 * (visit // 12))
    if len(made) < 100_000:
        made.append((person, day, serial))
    payer_id, payer_name, filing, _state = PAYERS[person % len(PAYERS)]
    dependent = person % 10 == 7
    yield f"HL*{hl}*1*22*{1 if dependent else 0}"
    yield f"SBR*P*{'' if dependent else '18'}*GRP{person % 97:05d}******{filing}"
    yield f"NM1*IL*1*TESTPATIENT{person}*ALEX****MI*M{person:09d}"
    yield "N3*1 SAMPLE ST"
    yield "N4*TAMPA*FL*33601"
    if not dependent:
        yield f"DMG*D8*{1940 + person % 50}0{1 + person % 9}15*{'FM'[person % 2]}"
    yield f"NM1*PR*2*{payer_name}*****PI*{payer_id}"
    if dependent:
        yield f"HL*{hl + 1}*{hl}*23*0"
        yield "PAT*19"
        yield f"NM1*QC*1*TESTCHILD{person}*SAM"
        yield "N3*1 SAMPLE ST"
        yield "N4*TAMPA*FL*33601"
        yield f"DMG*D8*{2000 + person % 20}0{1 + person % 9}15*F"
    dx = "R5383" if problem == "dx" else COVERED_DX[person % len(COVERED_DX)]
    code = "J3424" if problem == "j3424" else "J3420"
    units = "3" if problem == "units" else "1"
    ndc = NDCS[person % len(NDCS)]
    ndc = {"ndc10": ndc[1:], "ndc-dashes": f"{ndc[:5]}-{ndc[5:9]}-{ndc[9:]}"}.get(problem or "", ndc)
    modifiers = ":59:JZ" if problem == "modifier-order" else ""
    yield f"CLM*C{serial:08d}*52.00***11:B:1*Y*A*Y*Y"
    if person % 3 == 0:
        yield f"REF*G1*PA{person:07d}"
    yield f"HI*ABK:{dx}"
    yield f"NM1*82*1*DOCTOR*INVENTED****XX*{npi(person % 50 + 1000)}"
    yield "PRV*PE*PXC*207Q00000X"
    yield "LX*1"
    yield "SV1*HC:96372*25.00*UN*1***1"
    yield f"DTP*472*D8*{day:%Y%m%d}"
    yield "LX*2"
    yield f"SV1*HC:{code}{modifiers}*27.00*UN*{units}***1"
    yield f"DTP*472*D8*{day:%Y%m%d}"
    if problem != "no-ndc":
        yield f"LIN**N4*{ndc}"
        yield f"CTP****{units}*ML"


def generate(count: int, path: Path, seed: int = 7) -> int:
    size = 0
    with open(path, "w", encoding="ascii", newline="") as out:
        for seg in segments(count, seed):
            line = seg + "~\n"
            out.write(line)
            size += len(line)
    return size


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("claims", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    size = generate(args.claims, args.out, args.seed)
    print(f"{args.out}: {args.claims} claims, {size / 1e6:.1f} MB", file=sys.stderr)


if __name__ == "__main__":
    main()
