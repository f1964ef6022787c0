"""Code sets with effective dates and sources: HCPCS, CPT (own words), ICD-10-CM, modifiers, place of
service, CARC/RARC and the drug catalog (one file per HCPCS drug code, with its NDC packages).

Public API (used by rules, CLI, API):
    load_codes(user_dir: Path | None = None) -> CodeSets      bundled data (+ imported files in user_dir)
    CodeSets.hcpcs(code) / .cpt(code) / .icd10(code) / .modifier(code) / .place_of_service(code)
    CodeSets.carc(code) / .rarc(code) / .ndc(raw) / .ndc_packages(drug=None) / .code_list(list_id)
    CodeSets.drugs -> DrugCatalog: .drug(hcpcs) / .package(ndc) / .by_name(name) / .units_for(hcpcs, dose)
    normalize_ndc(raw) -> str (11 digits) raising ValueError with the reason
    normalize_icd10(code) -> str ("D510" -> "D51.0")
"""

from preclaim.codes.drugs import Drug, DrugCatalog, DrugPackage, load_catalog
from preclaim.codes.ndc import normalize_ndc
from preclaim.codes.registry import CodeSets, load_codes, normalize_icd10
from preclaim.codes.types import (
    AdjustmentCode,
    CptCode,
    HcpcsCode,
    Icd10Entry,
    Modifier,
    NdcPackage,
    PlaceOfService,
)

__all__ = [
    "AdjustmentCode",
    "CodeSets",
    "CptCode",
    "Drug",
    "DrugCatalog",
    "DrugPackage",
    "HcpcsCode",
    "Icd10Entry",
    "Modifier",
    "NdcPackage",
    "PlaceOfService",
    "load_catalog",
    "load_codes",
    "normalize_icd10",
    "normalize_ndc",
]
