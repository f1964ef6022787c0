"""FHIR code systems and order recognition for injectable drugs: which orders are ours and what they code.

B12 orders are recognised as before (RxNorm ingredient, J3420, the name); any other drug of the drug catalog by
its NDC, by an RxNorm concept one of its catalog packages carries (read from that package's FDA listing), by its
HCPCS code or by a substance name or alias in the catalog. Plain JSON dicts in, plain values out; no I/O beyond
the bundled catalog, read once.
"""

from __future__ import annotations

from typing import Any

from preclaim.codes.drug_model import DrugCatalog
from preclaim.codes.drugs import bundled_catalog
from preclaim.domain.encounter import Route
from preclaim.domain.limits import Bound, out_of_bounds, preview
from preclaim.errors import InputError

Resource = dict[str, Any]
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
HCPCS_SYSTEMS = frozenset(
    {"https://bluebutton.cms.gov/resources/codesystem/hcpcs", "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"}
)
HCPCS_SYSTEM = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
ICD10 = frozenset({"http://hl7.org/fhir/sid/icd-10-cm", "http://hl7.org/fhir/sid/icd-10"})
NDC_SYSTEM = "http://hl7.org/fhir/sid/ndc"
LOINC_SERUM_B12 = "2132-9"  # Cobalamin (Vitamin B12) [Mass/volume] in Serum or Plasma
# RxNorm ingredient concepts (RxCUI): 11248 vitamin B12 (cyanocobalamin), 5553 hydroxocobalamin. As commonly
# cited; NOT verified against an RxNorm release here (no RxNorm file or RxNav in reach) - hence the name match
# on the coding display/text below, which also catches clinical-drug and branded RxCUIs.
RXCUI_DRUG = {"11248": "cyanocobalamin", "5553": "hydroxocobalamin"}
_NAMES = (
    ("hydroxocobalamin", "hydroxocobalamin"),
    ("cyanocobalamin", "cyanocobalamin"),
    ("vitamin b12", "cyanocobalamin"),
    ("vitamin b-12", "cyanocobalamin"),
    ("vitamin b 12", "cyanocobalamin"),
)
_ROUTES: dict[str, Route] = {
    "78421000": "IM",
    "34206005": "SC",
    "47625008": "IV",
    "26643006": "oral",
    "46713006": "nasal",
    "IM": "IM",
    "SC": "SC",
    "SQ": "SC",
    "IV": "IV",
}
# Source of Payment Typology (PHDSC) prefixes -> 837 SBR09 claim filing indicator.
SOPT = "urn:oid:2.16.840.1.113883.3.221.5"
_SOPT_TO_SBR09 = (
    ("111", "HM"),
    ("11", "16"),
    ("1", "MB"),
    ("2", "MC"),
    ("311", "CH"),
    ("32", "VA"),
    ("511", "HM"),
    ("512", "12"),
    ("513", "13"),
    ("5", "CI"),
    ("6", "BL"),
)
# 837 SBR09 claim filing indicator codes.
_SBR09 = frozenset("11 12 13 14 15 16 17 AM BL CH CI DS FI HM LM MA MB MC OF TV VA WC ZZ".split())  # noqa: SIM905


def codings(concept: Any) -> list[Resource]:
    if isinstance(concept, list):
        return [c for item in concept for c in codings(item)]
    if not isinstance(concept, dict):
        return []
    found = concept.get("coding")
    return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []


def system_of(coding: Resource) -> str:
    """The coding's system when it is a string (any JSON may arrive where a system belongs)."""
    system = coding.get("system")
    return system if isinstance(system, str) else ""


def b12_drug(concept: Any) -> str | None:
    """'cyanocobalamin' / 'hydroxocobalamin' when the concept names a B12 drug, else None."""
    texts = [str(concept.get("text", ""))] if isinstance(concept, dict) else []
    for coding in codings(concept):
        if coding.get("system") == RXNORM and str(coding.get("code")) in RXCUI_DRUG:
            return RXCUI_DRUG[str(coding["code"])]
        if system_of(coding) in HCPCS_SYSTEMS and coding.get("code") == "J3420":
            return "cyanocobalamin"
        texts.append(str(coding.get("display", "")))
    lowered = " ".join(texts).lower()
    return next((drug for name, drug in _NAMES if name in lowered), None)


# Catalog drugs recognised by the B12 path above (cyanocobalamin, hydroxocobalamin): their names stay its answer.
_B12_CODES = {"J3420": "cyanocobalamin", "J3424": "hydroxocobalamin", "J3425": "hydroxocobalamin"}


def _rxcui_index(catalog: DrugCatalog) -> dict[str, str]:
    """RxCUI -> HCPCS code for the RxNorm concepts the catalog's packages and substances carry (each from the
    package's FDA listing); a concept two drugs share is left out rather than guessed. A few dozen packages:
    built per call rather than cached."""
    found: dict[str, set[str]] = {}
    for drug in catalog.all():
        for rxcui in [p.rxcui for p in drug.packages] + [s.rxcui for s in drug.substances]:
            if rxcui:
                found.setdefault(rxcui, set()).add(drug.hcpcs)
    return {rxcui: next(iter(codes)) for rxcui, codes in found.items() if len(codes) == 1}


def catalog_code(concept: Any, catalog: DrugCatalog | None = None) -> str | None:
    """The HCPCS code of the catalog drug a medication concept names, or None: NDC first, then a catalog RxCUI,
    a catalog HCPCS code, then a substance name or alias in the coding display or text."""
    catalog = catalog if catalog is not None else bundled_catalog()
    texts = [str(concept.get("text", ""))] if isinstance(concept, dict) else []
    for coding in codings(concept):
        system, code = system_of(coding), str(coding.get("code") or "")
        if system == NDC_SYSTEM and (drug := catalog.by_ndc(code)) is not None:
            return drug.hcpcs
        if system == RXNORM and (found := _rxcui_index(catalog).get(code)) is not None:
            return found
        if system in HCPCS_SYSTEMS and catalog.drug(code) is not None:
            return code.upper()
        texts.append(str(coding.get("display", "")))
    lowered = " ".join(texts).lower()
    for drug in catalog.all():
        names = [n for s in drug.substances for n in (s.name, *s.aliases)]
        if any(name.lower() in lowered for name in names if len(name) > 3):
            return drug.hcpcs
    return None


def has_j3420(concepts: Any) -> bool:
    return any(system_of(c) in HCPCS_SYSTEMS and c.get("code") == "J3420" for c in codings(concepts))


def medication_concept(order: Resource, related: dict[str, Resource]) -> Any:
    if "medicationCodeableConcept" in order:
        return order["medicationCodeableConcept"]
    target = ref(order.get("medicationReference"))
    if target.startswith("#"):
        contained = {str(r.get("id")): r for r in dicts(order.get("contained"))}
        return obj(contained.get(target[1:])).get("code")
    return obj(related.get(target)).get("code")


def order_drug(order: Resource, related: dict[str, Resource]) -> str | None:
    """'cyanocobalamin' / 'hydroxocobalamin' for a B12 order, the HCPCS code of another catalog drug's order
    ('J1885'), or None when the order is not for a drug preclaim knows."""
    kind = order.get("resourceType")
    if kind == "MedicationRequest":
        concept = medication_concept(order, related)
        if (b12 := b12_drug(concept)) is not None:
            return b12
        code = catalog_code(concept)
        if code is None or (code not in _B12_CODES and route_of(order) == "oral"):
            return None  # an oral form of the substance (ketorolac tablets) is not an injection we bill
        return _B12_CODES.get(code, code)
    if kind == "ServiceRequest":
        if has_j3420(order.get("code")):
            return "cyanocobalamin"
        code = catalog_code(order.get("code"))
        return _B12_CODES.get(code, code) if code else None
    if kind == "Appointment":
        if has_j3420([order.get("serviceType"), order.get("reasonCode"), order.get("appointmentType")]):
            return "cyanocobalamin"
        based = [ref(b) for b in dicts(order.get("basedOn"))]
        return next((d for ref in based if ref in related and (d := order_drug(related[ref], related))), None)
    return None


def route_of(order: Resource) -> Route | None:
    for dosage in dicts(order.get("dosageInstruction")):
        for coding in codings(dosage.get("route")):
            if route := _ROUTES.get(str(coding.get("code"))):
                return route
    return None


def filing_indicator(coverage: Resource) -> str | None:
    for coding in codings(coverage.get("type")):
        code = str(coding.get("code", ""))
        if coding.get("system") == SOPT:
            return next((sbr for prefix, sbr in _SOPT_TO_SBR09 if code.startswith(prefix)), None)
        if code.upper() in _SBR09:
            return code.upper()
    return None


def bounded(value: str, bound: Bound, where: str) -> str:
    """`value` when its length is within `bound`; else an InputError naming the FHIR element."""
    if problem := out_of_bounds(value, bound):
        raise InputError(f"found {preview(value)!r}, expected {problem}", where=where)
    return value


def optional(value: str | None, bound: Bound, where: str) -> str | None:
    return None if value is None else bounded(value, bound, where)


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def dicts(value: Any) -> list[Resource]:
    """The JSON objects in a FHIR element that should be a list of them (anything else is ignored)."""
    return [v for v in as_list(value) if isinstance(v, dict)]


def obj(value: Any) -> Resource:
    return value if isinstance(value, dict) else {}


def ref(value: Any) -> str:
    """The `reference` of a Reference element, or ""."""
    found = obj(value).get("reference")
    return found if isinstance(found, str) else ""
