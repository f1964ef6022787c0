"""Which program (line of business) a claim belongs to, from the claim alone: SBR09, payer id, payer name, plan.

Policies match on the program, so a Medicare Advantage claim gets the national Medicare coverage rules (42 CFR
422.101(b)) but not fee-for-service's "no prior authorization", and a commercial payer's Medicare or Medicaid line
of business does not get that payer's commercial policy. Pure: no I/O; every answer carries the reason a front
desk reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, get_args

Program = Literal[
    "medicare-ffs",
    "medicare-advantage",
    "medicaid-ffs",
    "medicaid-managed-care",
    "commercial",
    "unknown",
]
PROGRAMS: tuple[Program, ...] = get_args(Program)

PROGRAM_LABELS: dict[Program, str] = {
    "medicare-ffs": "Medicare fee-for-service (Original Medicare)",
    "medicare-advantage": "Medicare Advantage (Part C)",
    "medicaid-ffs": "Medicaid fee-for-service",
    "medicaid-managed-care": "Medicaid managed care",
    "commercial": "commercial",
    "unknown": "unknown",
}

# SBR09 claim filing indicator codes (X12 005010X222A1 element 1032).
_MEDICARE_FFS_CODES = frozenset({"MA", "MB"})
_COMMERCIAL_CODES = frozenset({"11", "12", "13", "14", "15", "BL", "CI", "FI", "HM"})


@dataclass(frozen=True, slots=True)
class StateMedicaid:
    """A state's fee-for-service Medicaid payer as clearinghouses route it (its own MMIS, not a managed-care plan)."""

    state: str
    label: str
    payer_ids: tuple[str, ...]
    names: tuple[str, ...]  # lower-case parts of the payer name that mean this state's FFS program
    source: str


# Payer ids differ by clearinghouse; each row says where its id was read and how sure it is. Names are matched
# too, so a claim routed under another id still finds its state program.
STATE_MEDICAID_FFS: dict[str, StateMedicaid] = {
    row.state: row
    for row in (
        StateMedicaid(
            "FL",
            "Florida Medicaid",
            ("77027",),
            ("florida medicaid", "medicaid florida", "fl medicaid"),
            "id unverified: commonly listed by clearinghouses for the Florida MMIS; confirm in your payer list",
        ),
        StateMedicaid(
            "NC",
            "NC Medicaid (NCTracks)",
            (),
            ("nc medicaid", "north carolina medicaid", "nctracks", "medicaid north carolina"),
            "no payer id found in a source read; matched by name",
        ),
        StateMedicaid(
            "NY",
            "New York Medicaid (eMedNY)",
            (),
            ("emedny", "new york medicaid", "new york state medicaid", "ny medicaid", "medicaid new york"),
            "no payer id found in a source read; matched by name",
        ),
        StateMedicaid(
            "MD",
            "Maryland Medicaid",
            (),
            ("maryland medicaid", "maryland medical assistance", "medicaid maryland"),
            "no payer id found in a source read; matched by name",
        ),
        StateMedicaid("TX", "Texas Medicaid (TMHP)", (), ("tmhp", "texas medicaid"), "matched by name"),
        StateMedicaid("CA", "Medi-Cal", (), ("medi-cal", "medi cal"), "matched by name"),
    )
}
_FFS_IDS = {pid: row for row in STATE_MEDICAID_FFS.values() for pid in row.payer_ids}

# Parts of a payer or plan name that mean a Medicare Advantage plan (a private plan paid by Medicare, Part C).
_MA_MARKERS = (
    "medicare advantage",
    "advantage plan",
    "gold plus",
    "medicarecomplete",
    "medicare complete",
    "medicare plus blue",
    "dual complete",
    "d-snp",
    "dsnp",
    "special needs plan",
    "medicare hmo",
    "medicare ppo",
    "wellcare",
    "healthspring",
)
# A private carrier's name next to "medicare" means its MA line ("Aetna Medicare", "Humana Medicare Employer").
_CARRIERS = (
    "aetna",
    "anthem",
    "bcbs",
    "blue cross",
    "blue shield",
    "cigna",
    "devoted",
    "elevance",
    "florida blue",
    "highmark",
    "humana",
    "kaiser",
    "molina",
    "uhc",
    "united healthcare",
    "unitedhealthcare",
    "aarp",
)
# Medicare supplement (Medigap) plans pay after Original Medicare: commercial coverage, not MA.
_MEDIGAP_MARKERS = ("supplement", "medigap")
# Medicaid managed-care plan names (a carrier's Medicaid line, or a state's MCO brands).
_MEDICAID_MCO_BRANDS = (
    "community plan",
    "healthy blue",
    "better health",
    "healthy horizons",
    "sunshine health",
    "simply healthcare",
    "staywell",
    "amerigroup",
    "caresource",
    "molina",
)
_MEDICAID_MARKERS = ("medicaid", "medi-cal", *_MEDICAID_MCO_BRANDS)


@dataclass(frozen=True, slots=True)
class ProgramMatch:
    program: Program
    reason: str

    @property
    def label(self) -> str:
        return PROGRAM_LABELS[self.program]


def _has(text: str, markers: tuple[str, ...]) -> str | None:
    return next((m for m in markers if m in text), None)


def _ma_marker(text: str) -> str | None:
    if not text or _has(text, _MEDIGAP_MARKERS):
        return None
    marker = _has(text, _MA_MARKERS)
    if marker is None and "medicare" in text:
        carrier = _has(text, _CARRIERS)
        marker = f"{carrier} ... medicare" if carrier else None
    return marker


def state_ffs(payer_id: str | None, text: str) -> StateMedicaid | None:
    """The state fee-for-service Medicaid program a payer id or name belongs to, if any."""
    if payer_id and payer_id in _FFS_IDS:
        return _FFS_IDS[payer_id]
    return next((row for row in STATE_MEDICAID_FFS.values() if _has(text, row.names)), None)


def _medicaid(payer_id: str | None, text: str, why: str) -> ProgramMatch:
    ffs = state_ffs(payer_id, text)
    if ffs is not None:
        return ProgramMatch("medicaid-ffs", f"{why}; payer is {ffs.label}, the state's fee-for-service program")
    brand = _has(text, _MEDICAID_MCO_BRANDS)
    if brand:
        return ProgramMatch("medicaid-managed-care", f"{why}; {brand!r} in the payer/plan name is a managed-care plan")
    if "medicaid" in text:
        return ProgramMatch(
            "medicaid-ffs", f"{why}; the payer name is a state Medicaid program, not a managed-care plan"
        )
    return ProgramMatch(
        "medicaid-managed-care",
        f"{why}; the payer is not a known state fee-for-service Medicaid id or name, so it is taken as a "
        "Medicaid managed-care plan (state fee-for-service rules do not apply)",
    )


@lru_cache(maxsize=4096)
def derive_program(
    filing_indicator: str | None, payer_id: str | None, payer_name: str | None, plan: str | None
) -> ProgramMatch:
    """The claim's program and why, from SBR09, the payer id, the payer name and the plan."""
    code = (filing_indicator or "").strip().upper()
    text = " ".join(part for part in (payer_name, plan) if part).lower()
    ma = _ma_marker(text)
    if code == "16":
        return ProgramMatch("medicare-advantage", "SBR09 16: HMO Medicare risk (a Medicare Advantage plan)")
    if code == "MC":
        return _medicaid(payer_id, text, "SBR09 MC: Medicaid")
    if code in _MEDICARE_FFS_CODES:
        if ma:
            return ProgramMatch(
                "medicare-advantage", f"SBR09 {code}, but the payer/plan name says Medicare Advantage ({ma!r})"
            )
        return ProgramMatch("medicare-ffs", f"SBR09 {code}: Original Medicare, billed to the Medicare contractor")
    if code in _COMMERCIAL_CODES or not code:
        said = f"SBR09 {code}" if code else "no SBR09 on the claim"
        if ma:
            return ProgramMatch(
                "medicare-advantage", f"{said}; the payer/plan name is a Medicare Advantage plan ({ma!r})"
            )
        if _has(text, _MEDICAID_MARKERS) or (not code and state_ffs(payer_id, text)):
            return _medicaid(payer_id, text, f"{said}; the payer/plan name is a Medicaid plan")
        if code:
            return ProgramMatch("commercial", f"{said}: commercial or employer coverage")
        if "medicare" in text and not _has(text, _MEDIGAP_MARKERS):
            return ProgramMatch("medicare-ffs", "no SBR09; the payer name is Medicare with no private plan named")
        return ProgramMatch("unknown", "no SBR09 and the payer name does not say which program; send SBR09")
    return ProgramMatch("unknown", f"SBR09 {code} is not a program preclaim has payer rules for")
