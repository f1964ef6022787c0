"""Older input shapes, still accepted where input enters (JSON claims and history, FHIR, the web form, CSV and
JSON history imports) and rewritten to the current one, so files written for earlier versions keep working.

Earlier versions knew one drug, billed in micrograms: `dose_mcg` / `wasted_mcg` were amounts in mcg, a lab
was named (`serum_b12`) rather than keyed by LOINC, and an administration without `code` was J3420. The
current shapes are `dose: {value, unit}`, `wasted: {value, unit}` and `labs: [{loinc, value, unit, date}]`
(docs/input.md). Lab names are read through the drug catalog's labs (their `keys`).
"""

from __future__ import annotations

from typing import Any

from preclaim.codes.drugs import bundled_catalog
from preclaim.domain.quantity import Quantity, Unit

# The unit the old `*_mcg` keys were in, and the code an older history record without one meant.
LEGACY_UNIT: Unit = "mcg"
LEGACY_ADMINISTRATION_CODE = "J3420"
_AMOUNTS = {"dose_mcg": "dose", "wasted_mcg": "wasted"}


def legacy_amount(value: float | None) -> Quantity | None:
    """An amount given under an old `*_mcg` key (a number of micrograms)."""
    return None if value is None else Quantity(float(value), LEGACY_UNIT)


def lab_loinc(name: str) -> str | None:
    """The LOINC code an older lab name (serum_b12) stands for, from the drug catalog; None when unknown."""
    found = bundled_catalog().lab_key(name)
    return None if found is None else found.loinc


def _amounts(raw: dict[str, Any]) -> None:
    for old, new in _AMOUNTS.items():
        if old in raw and new not in raw:
            value = raw.pop(old)
            raw[new] = {"value": value, "unit": LEGACY_UNIT} if isinstance(value, int | float) else value


def upgrade_encounter(raw: Any) -> Any:
    """An encounter mapping with old keys rewritten in place (a value of another shape is left for the decoder
    to refuse with its path)."""
    if not isinstance(raw, dict):
        return raw
    _amounts(raw)
    labs = raw.get("labs")
    if isinstance(labs, list):
        for lab in labs:
            if isinstance(lab, dict) and "name" in lab and "loinc" not in lab and isinstance(lab["name"], str):
                loinc = lab_loinc(lab["name"])
                if loinc is not None:
                    lab["loinc"] = loinc
                    del lab["name"]
    return raw


def upgrade_claim(raw: Any) -> Any:
    if isinstance(raw, dict):
        upgrade_encounter(raw.get("encounter"))
    return raw


def upgrade_claims(raw: Any) -> Any:
    """One claim, a list of claims, or {"claims": [...]}."""
    if isinstance(raw, list):
        for item in raw:
            upgrade_claim(item)
    elif isinstance(raw, dict) and set(raw) == {"claims"} and isinstance(raw["claims"], list):
        for item in raw["claims"]:
            upgrade_claim(item)
    else:
        upgrade_claim(raw)
    return raw


def upgrade_administration(raw: Any) -> Any:
    if isinstance(raw, dict):
        _amounts(raw)
        raw.setdefault("code", LEGACY_ADMINISTRATION_CODE)
    return raw


def upgrade_history(raw: Any) -> Any:
    if isinstance(raw, dict):
        for adm in raw.get("administrations") or ():
            upgrade_administration(adm)
        for claim in raw.get("claims") or ():
            upgrade_claim(claim)
    return raw


def in_mcg(amount: Quantity | None) -> float | None:
    """An amount in micrograms, for outputs that still report in mcg (a volume: None)."""
    return None if amount is None or not amount.is_mass else float(amount.mcg())


def lab_key(loinc: str) -> str:
    """The older name of a lab (serum_b12) for outputs that still use it, else the LOINC code itself."""
    for drug in bundled_catalog().all():
        lab = drug.lab(loinc)
        if lab is not None and lab.keys:
            return lab.keys[0]
    return loinc
