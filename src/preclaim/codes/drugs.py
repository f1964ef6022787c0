"""The drug catalog: one YAML file per HCPCS drug code (src/preclaim/codes/data/drugs/<HCPCS>.yaml).

A file carries the CMS descriptor, the substances (names, aliases), the amount one billing unit stands for,
routes, NDC packages, the unclassified code (J3490) used before the code existed, labs by LOINC and the
sources of each fact. A clinic adds a drug by putting a file of the same shape in a folder whose path it
passes to `load_catalog`; no Python changes. The format is described in docs/drugs.md.

    catalog = load_catalog()                    # bundled drugs; load_catalog(folder) adds a clinic's files
    catalog.drug("J1885").units_for(Quantity(30, "mg"))      # 2
    catalog.package("0517-0031-25"), catalog.by_name("vitamin b12"), catalog.for_unclassified("J3490", text)

Loading fails with the file and the key named (drug_files.py); types are in drug_model.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, lru_cache
from pathlib import Path

from preclaim.codes.drug_files import load_drug_file, load_drug_folder
from preclaim.codes.drug_model import Drug, DrugCatalog, DrugPackage, LabTest, Route, Substance, UnclassifiedAlias
from preclaim.codes.types import HcpcsCode, NdcPackage

BUNDLED = Path(__file__).parent / "data" / "drugs"


@cache
def bundled_catalog() -> DrugCatalog:
    """The drug files shipped with preclaim, read once per process."""
    return DrugCatalog.of(load_drug_folder(BUNDLED))


@lru_cache(maxsize=8)
def _user_catalog(folder: str, signature: tuple[tuple[str, int, int], ...]) -> DrugCatalog:
    del signature  # part of the cache key only: a changed file is read again
    return bundled_catalog().merged(DrugCatalog.of(load_drug_folder(Path(folder))))


def load_catalog(folder: Path | None = None) -> DrugCatalog:
    """The bundled drugs, plus the drug files in `folder` (which add drugs or replace a bundled HCPCS code)."""
    if folder is None:
        return bundled_catalog()
    try:
        signature = tuple(
            sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in folder.iterdir() if p.is_file())
        )
    except OSError:
        signature = ()
    return _user_catalog(str(folder), signature)


def ndc_packages(catalog: DrugCatalog, hcpcs: Mapping[str, HcpcsCode]) -> dict[str, NdcPackage]:
    """The catalog's packages as the rules see them. The HCPCS crosswalk is left empty where the code set
    marks the drug's code unconfirmed or invalid, so a rule never suggests a code the code set rejects."""
    packages: dict[str, NdcPackage] = {}
    for drug in catalog.all():
        entry = hcpcs.get(drug.hcpcs)
        code = drug.hcpcs if entry is None or entry.status == "active" else None
        for p in drug.packages:
            strength = p.per_ml.mcg() if p.per_ml is not None else None
            packages[p.ndc11] = NdcPackage(
                ndc11=p.ndc11,
                ndc_as_listed=p.listed,
                labeler=p.labeler,
                drug=drug.substance,
                strength_mcg_per_ml=None if strength is None else float(strength),
                package=p.package,
                vial=p.vial,
                volume_ml=p.volume_ml,
                hcpcs=code,
                source=p.source,
                illustrative=p.illustrative,
                note=p.note,
            )
    return packages


__all__ = [
    "BUNDLED",
    "Drug",
    "DrugCatalog",
    "DrugPackage",
    "LabTest",
    "Route",
    "Substance",
    "UnclassifiedAlias",
    "bundled_catalog",
    "load_catalog",
    "load_drug_file",
    "load_drug_folder",
    "ndc_packages",
]
