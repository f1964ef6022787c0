"""The code-set registry: bundled YAML data, ICD-10-CM from simple-icd-10-cm, and imported CMS files.

Lookups are dictionary reads (ICD-10-CM ones are cached): the engine calls them for every claim line.
"""

from __future__ import annotations

import os
from functools import cache, lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import msgspec
import yaml

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
from preclaim.domain.report import Source
from preclaim.errors import CodeSetError

DATA = Path(__file__).parent / "data"
IMPORTED_HCPCS = "hcpcs-imported.json"
ICD10_SOURCE = Source(
    "icd-10-cm", "ICD-10-CM (CDC/NCHS) via the simple-icd-10-cm package", "https://www.cdc.gov/nchs/icd/icd-10-cm/"
)


def normalize_icd10(code: str) -> str:
    """ "d510" -> "D51.0": upper case, no spaces, a dot after the third character."""
    text = code.strip().upper().replace(" ", "").replace(".", "")
    return text if len(text) <= 3 else f"{text[:3]}.{text[3:]}"


def _read(name: str) -> dict[str, Any]:
    path = DATA / name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CodeSetError(f"cannot read bundled code set: {exc}", where=str(path)) from None
    if not isinstance(data, dict):
        raise CodeSetError("expected a mapping", where=str(path))
    return data


def _sources(data: dict[str, Any]) -> dict[str, Source]:
    return {key: Source(key, doc["title"], doc.get("url"), doc.get("version")) for key, doc in data["sources"].items()}


def _convert(kind: type[Any], raw: dict[str, Any], where: str) -> Any:
    try:
        return msgspec.convert(raw, kind, strict=False)
    except msgspec.ValidationError as exc:
        raise CodeSetError(str(exc), where=where) from None


def _with_source(
    rows: list[dict[str, Any]], sources: dict[str, Source], default: str | None = None
) -> list[dict[str, Any]]:
    return [{**row, "source": sources[row.get("source") or default or ""]} for row in rows]


@cache
def _bundled() -> dict[str, dict[str, Any]]:
    hcpcs = _read("hcpcs.yaml")
    cpt = _read("cpt.yaml")
    mods = _read("modifiers.yaml")
    pos = _read("place_of_service.yaml")
    adj = _read("adjustment_codes.yaml")
    ndc = _read("ndc_b12.yaml")
    adj_source = _sources(adj)
    ndc_sources = _sources(ndc)
    packages: dict[str, NdcPackage] = {}
    for row in ndc["packages"]:
        ndc11 = normalize_ndc(row["ndc"])
        source = ndc_sources[row.get("source", "openfda-ndc")]
        drug = row["drug"]
        packages[ndc11] = NdcPackage(
            ndc11=ndc11,
            ndc_as_listed=row["ndc"],
            labeler=row["labeler"],
            drug=drug,
            strength_mcg_per_ml=row.get("strength", 1000.0),
            package=row["package"],
            vial=row["vial"],
            volume_ml=row.get("volume_ml"),
            hcpcs="J3420" if drug == "cyanocobalamin" else None,
            source=source,
        )
    return {
        "hcpcs": {
            r["code"]: _convert(HcpcsCode, r, "hcpcs.yaml") for r in _with_source(hcpcs["codes"], _sources(hcpcs))
        },
        "cpt": {r["code"]: _convert(CptCode, r, "cpt.yaml") for r in _with_source(cpt["codes"], _sources(cpt))},
        "modifiers": {
            r["code"]: _convert(Modifier, r, "modifiers.yaml") for r in _with_source(mods["codes"], _sources(mods))
        },
        "pos": {
            r["code"]: _convert(PlaceOfService, r, "place_of_service.yaml")
            for r in _with_source(pos["codes"], _sources(pos))
        },
        "carc": {
            str(r["code"]): AdjustmentCode(str(r["code"]), r["meaning"], "carc", adj_source["x12-carc"])
            for r in adj["carc"]
        },
        "rarc": {
            r["code"]: AdjustmentCode(r["code"], r["meaning"], "rarc", adj_source["x12-rarc"]) for r in adj["rarc"]
        },
        "groups": {
            r["code"]: AdjustmentCode(r["code"], r["meaning"], "group", adj_source["x12-carc"]) for r in adj["groups"]
        },
        "ndc": packages,
    }


def _icd10_cache_path() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "preclaim" / f"icd10cm-{metadata.version('simple-icd-10-cm')}.msgpack"


@cache
def _icd10_table() -> dict[str, tuple[str, bool]]:
    """Every ICD-10-CM code with its description and leaf flag, from simple-icd-10-cm.

    Importing that package parses its XML (seconds); a derived table cached per package version loads in
    milliseconds, which keeps the CLI and the service quick to start.
    """
    path = _icd10_cache_path()
    try:
        table: dict[str, tuple[str, bool]] = msgspec.msgpack.decode(path.read_bytes(), type=dict[str, tuple[str, bool]])
        return table
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        pass
    import simple_icd_10_cm as icd  # slow import, only when the cache is missing

    table = {code: (icd.get_description(code), bool(icd.is_leaf(code))) for code in icd.get_all_codes(True)}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(msgspec.msgpack.encode(table))
        tmp.replace(path)
    except OSError:
        pass  # a read-only home still works, just slower to start
    return table


@lru_cache(maxsize=65536)
def _icd10(code: str) -> Icd10Entry | None:
    normal = normalize_icd10(code)
    found = _icd10_table().get(normal)
    return Icd10Entry(normal, found[0], found[1]) if found else None


class CodeSets:
    """Read-only view over the bundled code sets plus an imported CMS HCPCS file."""

    def __init__(self, imported_hcpcs: dict[str, HcpcsCode] | None = None) -> None:
        data = _bundled()
        # Bundled entries win for codes preclaim curates (J3424 stays invalid even if a file lists it otherwise).
        self._hcpcs: dict[str, HcpcsCode] = {**(imported_hcpcs or {}), **data["hcpcs"]}
        self._cpt: dict[str, CptCode] = data["cpt"]
        self._modifiers: dict[str, Modifier] = data["modifiers"]
        self._pos: dict[str, PlaceOfService] = data["pos"]
        self._carc: dict[str, AdjustmentCode] = data["carc"]
        self._rarc: dict[str, AdjustmentCode] = data["rarc"]
        self._groups: dict[str, AdjustmentCode] = data["groups"]
        self._ndc: dict[str, NdcPackage] = data["ndc"]
        self.imported_count = len(imported_hcpcs or {})

    def hcpcs(self, code: str) -> HcpcsCode | None:
        return self._hcpcs.get(code.strip().upper())

    def cpt(self, code: str) -> CptCode | None:
        return self._cpt.get(code.strip())

    def procedure(self, code: str) -> HcpcsCode | CptCode | None:
        return self.hcpcs(code) or self.cpt(code)

    def icd10(self, code: str) -> Icd10Entry | None:
        return _icd10(code)

    @property
    def icd10_version(self) -> str:
        return f"simple-icd-10-cm {metadata.version('simple-icd-10-cm')}"

    def modifier(self, code: str) -> Modifier | None:
        return self._modifiers.get(code.strip().upper())

    def place_of_service(self, code: str) -> PlaceOfService | None:
        return self._pos.get(code.strip())

    def carc(self, code: str) -> AdjustmentCode | None:
        return self._carc.get(code.strip().upper().rpartition("-")[2])

    def group(self, code: str) -> AdjustmentCode | None:
        return self._groups.get(code.strip().upper().partition("-")[0])

    def rarc(self, code: str) -> AdjustmentCode | None:
        return self._rarc.get(code.strip().upper())

    def ndc(self, raw: str) -> NdcPackage | None:
        try:
            return self._ndc.get(normalize_ndc(raw))
        except ValueError:
            return None

    def ndc_packages(self, drug: str | None = None) -> tuple[NdcPackage, ...]:
        return tuple(p for p in self._ndc.values() if drug is None or p.drug == drug)


def read_imported_hcpcs(user_dir: Path) -> dict[str, HcpcsCode]:
    path = user_dir / IMPORTED_HCPCS
    if not path.is_file():
        return {}
    try:
        codes = msgspec.json.decode(path.read_bytes(), type=list[HcpcsCode])
    except (OSError, msgspec.DecodeError) as exc:
        raise CodeSetError(f"cannot read imported HCPCS codes: {exc}", where=str(path)) from None
    return {c.code: c for c in codes}


def load_codes(user_dir: Path | None = None) -> CodeSets:
    return CodeSets(read_imported_hcpcs(user_dir) if user_dir else None)


__all__ = ["CodeSets", "format_ndc_542", "load_codes", "normalize_icd10"]
