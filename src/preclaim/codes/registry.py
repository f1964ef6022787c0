"""The code-set registry: bundled YAML data, ICD-10-CM from simple-icd-10-cm, and an imported CMS HCPCS file.

Lookups are dictionary reads (ICD-10-CM ones memoised): the engine calls them for every claim line.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import msgspec

from preclaim.codes import icd10 as _icd
from preclaim.codes.bundled import bundle
from preclaim.codes.drugs import DrugCatalog, load_catalog, ndc_packages
from preclaim.codes.hcpcs_record import FORMAT, IMPORTED_HCPCS, HcpcsImport
from preclaim.codes.icd10 import ICD10_SOURCE, normalize_icd10
from preclaim.codes.ncci_store import load_ncci
from preclaim.codes.ncci_tables import NcciTables
from preclaim.codes.ndc import format_ndc_542, normalize_ndc
from preclaim.codes.types import (
    AdjustmentCode,
    CptCode,
    HcpcsCode,
    Icd10Entry,
    Modifier,
    NdcPackage,
    PlaceOfService,
)
from preclaim.errors import CodeSetError

_MEMO_LIMIT = 100_000


def _merge(curated: HcpcsCode, listed: HcpcsCode | None, file: str) -> HcpcsCode:
    """A curated code seen (or not) in an imported CMS file. Curated facts (drug, unit, NOC) are kept."""
    if curated.status == "invalid":  # a code the curated set knows was never valid, whatever a file claims
        return curated
    if listed is None:
        if curated.status == "unconfirmed":
            missing = f"{curated.note or ''} Not listed in the imported CMS file {file} either.".strip()
            return msgspec.structs.replace(curated, note=missing)
        return curated
    note = curated.note
    if curated.status == "unconfirmed":
        note = f"Confirmed by the imported CMS file {file} (was unconfirmed in preclaim's bundled data)."
    return msgspec.structs.replace(
        curated,
        short=listed.short or curated.short,
        long=listed.long or curated.long,
        status="active",
        source=listed.source,
        effective=listed.effective or curated.effective,
        terminated=listed.terminated,
        unit_amount=curated.unit_amount or listed.unit_amount,
        unit_measure=curated.unit_measure or listed.unit_measure,
        not_otherwise_classified=curated.not_otherwise_classified or listed.not_otherwise_classified,
        note=note,
    )


class CodeSets:
    """Read-only view over the bundled code sets plus an imported CMS HCPCS file and NCCI tables."""

    def __init__(
        self, imported: HcpcsImport | None = None, ncci: NcciTables | None = None, drugs: DrugCatalog | None = None
    ) -> None:
        data = bundle()
        listed = {c.code: c for c in imported.codes} if imported else {}
        curated = data.hcpcs
        if imported:
            curated = {code: _merge(entry, listed.get(code), imported.file) for code, entry in curated.items()}
        self._hcpcs: dict[str, HcpcsCode] = {**listed, **curated}
        self._cpt: dict[str, CptCode] = data.cpt
        self._modifiers: dict[str, Modifier] = data.modifiers
        self._pos: dict[str, PlaceOfService] = data.pos
        self._carc: dict[str, AdjustmentCode] = data.carc
        self._rarc: dict[str, AdjustmentCode] = data.rarc
        self._groups: dict[str, AdjustmentCode] = data.groups
        # The drug catalog (bundled files plus a user folder); NDC lookups read its packages. The crosswalk
        # depends on HCPCS statuses, which an imported CMS file can change: rebuilt only then.
        self.drugs: DrugCatalog = data.drugs if drugs is None else drugs
        changed = drugs is not None or imported is not None
        self._ndc: dict[str, NdcPackage] = ndc_packages(self.drugs, self._hcpcs) if changed else data.ndc
        self._tags = data.tags
        self._icd_memo: dict[str, Icd10Entry | None] = {}
        self._ndc_memo: dict[str, NdcPackage | None] = {}
        self.hcpcs_import = imported
        self.imported_count = len(listed)
        self.ncci = ncci  # imported CMS NCCI PTP/MUE tables; None when none were imported

    def hcpcs(self, code: str) -> HcpcsCode | None:
        found = self._hcpcs.get(code)  # claims usually carry clean codes: skip the string work
        return found if found is not None else self._hcpcs.get(code.strip().upper())

    def cpt(self, code: str) -> CptCode | None:
        return self._cpt.get(code.strip())

    def procedure(self, code: str) -> HcpcsCode | CptCode | None:
        return self.hcpcs(code) or self.cpt(code)

    def icd10(self, code: str) -> Icd10Entry | None:
        """ "D510" or "D51.0" -> the ICD-10-CM entry (billable = a leaf code), None if no such code."""
        try:
            return self._icd_memo[code]
        except KeyError:
            pass
        if len(self._icd_memo) > _MEMO_LIMIT:  # claims repeat a few hundred codes; bound the odd flood
            self._icd_memo.clear()
        entry = self._icd_memo[code] = _icd.lookup(code)
        return entry

    def warm(self) -> None:
        """Load the ICD-10-CM table (about 13 ms, on the first diagnosis otherwise)."""
        _icd.table()

    @property
    def icd10_version(self) -> str:
        return f"ICD-10-CM {_icd.release()} release (simple-icd-10-cm {_icd.package_version()})"

    @property
    def hcpcs_complete(self) -> bool:
        """True when a CMS HCPCS file was imported: a code missing from it is not a current HCPCS code."""
        return self.imported_count > 0

    def modifier(self, code: str) -> Modifier | None:
        return self._modifiers.get(code.strip().upper())

    def place_of_service(self, code: str) -> PlaceOfService | None:
        text = code.strip()
        return self._pos.get(text.zfill(2) if text.isdigit() else text)

    def carc(self, code: str) -> AdjustmentCode | None:
        """ "50" or "CO-50" -> the reason code."""
        return self._carc.get(code.strip().upper().rpartition("-")[2])

    def group(self, code: str) -> AdjustmentCode | None:
        """ "CO" or "CO-50" -> the claim adjustment group."""
        return self._groups.get(code.strip().upper().partition("-")[0])

    def rarc(self, code: str) -> AdjustmentCode | None:
        return self._rarc.get(code.strip().upper())

    def ndc(self, raw: str) -> NdcPackage | None:
        """The catalogued package for an NDC in any accepted shape; None when unknown or malformed."""
        try:
            return self._ndc_memo[raw]
        except KeyError:
            pass
        try:
            package = self._ndc.get(normalize_ndc(raw))
        except ValueError:
            package = None
        if len(self._ndc_memo) > _MEMO_LIMIT:
            self._ndc_memo.clear()
        self._ndc_memo[raw] = package
        return package

    def ndc_packages(self, drug: str | None = None) -> tuple[NdcPackage, ...]:
        return tuple(p for p in self._ndc.values() if drug is None or p.drug == drug)

    def confidence(self, source_id: str, entry: str | None = None) -> str:
        """Confidence tag (V, S, M, ?) of a source, or of one entry ("carc:198") when it has its own."""
        return self._tags.get(entry or "", self._tags.get(source_id, "?"))


@lru_cache(maxsize=8)
def _read_import(path: str, mtime_ns: int, size: int) -> HcpcsImport:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise CodeSetError(f"cannot read imported HCPCS codes: {exc}", where=path) from None
    try:
        return msgspec.json.decode(raw, type=HcpcsImport)
    except msgspec.DecodeError as exc:
        raise CodeSetError(
            f"imported HCPCS codes are unreadable ({exc}); import the CMS file again", where=path
        ) from None


def read_imported_hcpcs(user_dir: Path) -> HcpcsImport | None:
    path = user_dir / IMPORTED_HCPCS
    try:
        stat = path.stat()
    except OSError:
        return None
    return _read_import(str(path), stat.st_mtime_ns, stat.st_size)


USER_DRUGS = "drugs"  # <user_dir>/drugs/<HCPCS>.yaml: a clinic's own drug files (docs/drugs.md)


def load_codes(user_dir: Path | None = None) -> CodeSets:
    """The bundled code sets (read once per process) plus the CMS HCPCS file and NCCI tables imported into
    `user_dir`, and the drug files in `user_dir`/drugs, if any."""
    if user_dir is None:
        return CodeSets()
    folder = user_dir / USER_DRUGS
    drugs = load_catalog(folder) if folder.is_dir() else None
    return CodeSets(read_imported_hcpcs(user_dir), load_ncci(user_dir), drugs)


__all__ = [
    "FORMAT",
    "ICD10_SOURCE",
    "IMPORTED_HCPCS",
    "USER_DRUGS",
    "CodeSets",
    "HcpcsImport",
    "format_ndc_542",
    "load_codes",
    "normalize_icd10",
    "read_imported_hcpcs",
]
