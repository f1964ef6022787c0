"""Immutable domain model: claims, encounters, history, findings and reports."""

from preclaim.domain.claim import Claim, Diagnosis, Ndc, Patient, Payer, Provider, ServiceLine
from preclaim.domain.encounter import ChemoSchedule, Encounter, Lab
from preclaim.domain.history import EMPTY_HISTORY, Administration, Authorization, History
from preclaim.domain.report import (
    ChecklistItem,
    Correction,
    Finding,
    PolicyRef,
    PriorAuthDecision,
    Report,
    ReportBatch,
    Source,
)

__all__ = [
    "EMPTY_HISTORY",
    "Administration",
    "Authorization",
    "ChecklistItem",
    "ChemoSchedule",
    "Claim",
    "Correction",
    "Diagnosis",
    "Encounter",
    "Finding",
    "History",
    "Lab",
    "Ndc",
    "Patient",
    "Payer",
    "PolicyRef",
    "PriorAuthDecision",
    "Provider",
    "Report",
    "ReportBatch",
    "ServiceLine",
    "Source",
]
