"""FHIR edges: Da Vinci PAS requests and responses (pas_*), CRD/CDS Hooks mapping lives in preclaim.api."""
