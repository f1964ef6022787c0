"""Code systems and codes the PAS request and response use (FHIR R4, Da Vinci PAS 2.x).

Sources: Da Vinci PAS IG 2.2.1 (http://hl7.org/fhir/us/davinci-pas/2.2.1/: profiles, PASTempCodes,
X12 code-system URLs as in its examples), HL7 terminology (icd-10-cm, us-npi, RxNorm, LOINC, SNOMED CT URLs),
Da Vinci PAS IG (review action codes, X12 element 306).
"""

from __future__ import annotations

PAS = "http://hl7.org/fhir/us/davinci-pas"
PAS_TEMP_CODES = f"{PAS}/CodeSystem/PASTempCodes"
X12 = "https://codesystem.x12.org/005010"
REVIEW_ACTION_SYSTEM = f"{X12}/306"
X12_ENTITY = f"{X12}/98"
CERTIFICATION_TYPE = "http://codesystem.x12.org/005010/1322"  # as written in the PAS examples
SERVICE_REQUEST_TYPE = "http://codesystem.x12.org/005010/1525"
HCPCS = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
CPT = "http://www.ama-assn.org/go/cpt"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
NPI = "http://hl7.org/fhir/sid/us-npi"
POS = "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"

# RxNorm ingredient concepts (RxCUI); the same codes the CDS service recognises (api/fhir_map.py).
RXNORM_DRUG = {"cyanocobalamin": ("11248", "vitamin B12"), "hydroxocobalamin": ("5553", "hydroxocobalamin")}
# LOINC codes for the labs an Encounter can carry.
LAB_LOINC = {
    "serum_b12": ("2132-9", "Cobalamin (Vitamin B12) [Mass/volume] in Serum or Plasma"),
    "methylmalonic_acid": ("13964-2", "Methylmalonate [Moles/volume] in Serum or Plasma"),
    "homocysteine": ("13965-9", "Homocysteine [Moles/volume] in Serum or Plasma"),
}
ROUTE_SNOMED = {
    "IM": ("78421000", "Intramuscular route"),
    "SC": ("34206005", "Subcutaneous route"),
    "IV": ("47625008", "Intravenous route"),
}
# X12 306 review action (HCR01) -> authorization status on file.
REVIEW_ACTIONS = {
    "A1": ("approved", "certified in total"),
    "A2": ("partial", "certified, partial"),
    "A3": ("denied", "not certified"),
    "A4": ("pended", "pended"),
    "A6": ("approved", "modified (approved as modified)"),
    "C": ("cancelled", "cancelled"),
    "CT": ("pended", "contact payer"),
    "NA": ("approved", "no action required"),
}


def is_drug_code(code: str) -> bool:
    """HCPCS J-codes are drugs: they get a MedicationRequest; anything else a ServiceRequest."""
    return code.upper().startswith("J")
