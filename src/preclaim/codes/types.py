"""Typed entries of the code sets. Every entry carries its source and, where codes come and go, dates."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import msgspec

from preclaim.domain.report import Source

CodeStatus = Literal["active", "unconfirmed", "invalid", "deleted"]
VialKind = Literal["single-dose", "multi-dose", "unknown"]


class HcpcsCode(msgspec.Struct, frozen=True):
    code: str
    short: str
    long: str
    status: CodeStatus
    source: Source
    effective: dt.date | None = None
    terminated: dt.date | None = None
    drug: str | None = None  # generic name for drug codes: "cyanocobalamin"
    unit_amount: float | None = None  # amount per billing unit, e.g. 1000
    unit_measure: str | None = None  # "mcg", "mg"
    not_otherwise_classified: bool = False
    replacement: str | None = None  # the code to use on a date this code is not valid (J3424 before 2024-04)
    # A substance billed under this code -> the code that substance has (J3490 for cyanocobalamin -> J3420).
    use_instead: dict[str, str] | None = None
    note: str | None = None

    def code_for(self, drug: str | None, day: dt.date) -> str | None:
        """The code a line billing this code for `drug` on `day` should use, when it is not this one."""
        target = self.use_instead.get(drug) if self.use_instead and drug else None
        if not self.valid_on(day):
            if drug is not None and drug == self.drug:
                return None  # the code's own drug before the code existed: no code to name mechanically
            return target or self.replacement
        return target if target != self.code else None

    def valid_on(self, day: dt.date) -> bool:
        if self.status not in ("active",):
            return False
        if self.effective and day < self.effective:
            return False
        return not (self.terminated and day > self.terminated)


class CptCode(msgspec.Struct, frozen=True):
    code: str
    description: str  # in our own words (CPT text is copyrighted)
    kind: Literal["injection", "evaluation-management", "other"]
    source: Source


class Modifier(msgspec.Struct, frozen=True):
    code: str
    meaning: str
    source: Source
    effective: dt.date | None = None
    kind: Literal["waste", "liability", "site", "distinct", "route", "policy", "other"] = "other"
    required: dt.date | None = None  # from when a payer requires it where it applies (JZ: 2023-07-01)
    note: str | None = None


class PlaceOfService(msgspec.Struct, frozen=True):
    code: str
    name: str
    facility: bool  # facility rate setting: 96372 not separately payable to the practitioner there
    source: Source
    effective: dt.date | None = None


class AdjustmentCode(msgspec.Struct, frozen=True):
    """A CARC (reason, e.g. "50") or RARC (remark, e.g. "N115") with our own-words meaning."""

    code: str
    meaning: str
    kind: Literal["carc", "rarc", "group"]
    source: Source


class NdcPackage(msgspec.Struct, frozen=True):
    ndc11: str  # 11 digits, 5-4-2, no dashes
    ndc_as_listed: str
    labeler: str
    drug: str  # "cyanocobalamin" | "hydroxocobalamin"
    strength_mcg_per_ml: float | None
    package: str
    vial: VialKind
    volume_ml: float | None
    hcpcs: str | None  # crosswalk: J3420 for cyanocobalamin; None where no code is confirmed
    source: Source
    illustrative: bool = False  # invented for tests/demos; never a real product
    note: str | None = None


class Icd10Entry(msgspec.Struct, frozen=True):
    code: str  # with the dot, e.g. "D51.0"
    description: str
    billable: bool  # a leaf code that can go on a claim
