"""Code-set lookup speed: what the engine pays per claim, against calling simple-icd-10-cm directly.

Run: .venv/bin/python benchmarks/codes_lookup.py [claims]
Prints load times, per-claim lookup throughput (one claim = HCPCS + CPT + 3 ICD-10-CM + 2 modifiers + POS +
NDC + CARC lookups) and ICD-10-CM lookups per second through the registry vs simple-icd-10-cm itself.
"""

from __future__ import annotations

import sys
import time

from preclaim.codes import icd10 as icd_table
from preclaim.codes import load_codes

DX = ["D51.0", "E538", "D51.9", "K90.0", "R53.83", "Z79.899", "D51.1", "E53.8", "D52.9", "G63"]
NDC = ["0517-0031-25", "63323004444", "70710-1663-7", "99999-0001-01"]


def _timed(label: str, action: object) -> float:
    start = time.perf_counter()
    action()  # type: ignore[operator]
    took = time.perf_counter() - start
    print(f"{label:<44} {took * 1000:9.1f} ms")
    return took


def main(claims: int) -> None:
    _timed("bundled code sets (YAML) load", load_codes)
    _timed("ICD-10-CM table load (disk cache or build)", icd_table.table)
    codes = load_codes()
    start = time.perf_counter()
    for i in range(claims):
        codes.hcpcs("J3420")
        codes.cpt("96372")
        for dx in (DX[i % 10], DX[(i + 3) % 10], DX[(i + 7) % 10]):
            codes.icd10(dx)
        codes.modifier("JZ")
        codes.modifier("25")
        codes.place_of_service("11")
        codes.ndc(NDC[i % 4])
        codes.carc("CO-50")
    per_claim = (time.perf_counter() - start) / claims
    print(f"{'registry lookups per claim (10 lookups)':<44} {per_claim * 1e6:9.2f} us  = {1 / per_claim:,.0f} claims/s")

    n = claims * 3
    start = time.perf_counter()
    for i in range(n):
        codes.icd10(DX[i % 10])
    ours = (time.perf_counter() - start) / n
    import simple_icd_10_cm as icd

    start = time.perf_counter()
    for i in range(n):
        code = DX[i % 10]
        if icd.is_valid_item(code):
            icd.get_description(code)
            icd.is_leaf(code)
    peer = (time.perf_counter() - start) / n
    print(f"{'ICD-10-CM lookup, preclaim registry':<44} {ours * 1e9:9.0f} ns")
    print(
        f"{'ICD-10-CM lookup, simple-icd-10-cm direct':<44} {peer * 1e9:9.0f} ns  (registry {peer / ours:.1f}x faster)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
