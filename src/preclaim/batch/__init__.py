"""Audits of many claims: DuckDB staging and local worker processes, or Spark; resumable after a kill."""

from preclaim.batch.patient import AuditOptions, audit_patient, claims_of_patient
from preclaim.batch.runner import AuditConfig, run_audit

__all__ = ["AuditConfig", "AuditOptions", "audit_patient", "claims_of_patient", "run_audit"]
