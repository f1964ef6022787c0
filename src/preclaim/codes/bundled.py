"""The code sets shipped with preclaim (src/preclaim/codes/data/*.yaml), read once per process.

Every data file names its sources; every source carries a title, URL, version, accessed date and a
confidence tag ([V] official source read, [S] secondary, [M] background knowledge,
[?] sources disagree). A file that breaks these rules fails loudly with the file and entry named.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import msgspec
import yaml

from preclaim.codes.drugs import DrugCatalog, bundled_catalog, ndc_packages
from preclaim.codes.types import AdjustmentCode, CptCode, HcpcsCode, Modifier, NdcPackage, PlaceOfService
from preclaim.domain.report import Source
from preclaim.errors import CodeSetError

DATA = Path(__file__).parent / "data"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster
TAGS = frozenset({"V", "S", "M", "?"})


class Bundle(msgspec.Struct, frozen=True):
    hcpcs: dict[str, HcpcsCode]
    cpt: dict[str, CptCode]
    modifiers: dict[str, Modifier]
    pos: dict[str, PlaceOfService]
    carc: dict[str, AdjustmentCode]
    rarc: dict[str, AdjustmentCode]
    groups: dict[str, AdjustmentCode]
    drugs: DrugCatalog  # data/drugs/<HCPCS>.yaml
    ndc: dict[str, NdcPackage]  # the drug catalog's packages as the rules see them
    tags: dict[str, str]  # source id -> confidence tag; entries may carry their own tag ("carc:198" -> "S")


def _read(name: str) -> dict[str, Any]:
    path = DATA / name
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, yaml.YAMLError) as exc:
        raise CodeSetError(f"cannot read bundled code set: {exc}", where=str(path)) from None
    if not isinstance(data, dict) or not isinstance(data.get("sources"), dict):
        raise CodeSetError("expected a mapping with a 'sources' section", where=str(path))
    return data


def _sources(name: str, data: dict[str, Any], tags: dict[str, str]) -> dict[str, Source]:
    sources = {}
    for key, doc in data["sources"].items():
        missing = [f for f in ("title", "version", "accessed", "tag") if not doc.get(f)]
        if missing or str(doc["tag"]) not in TAGS:
            problem = f"missing {', '.join(missing)}" if missing else f"tag {doc['tag']!r} is not V, S, M or ?"
            raise CodeSetError(f"source {key}: {problem}", where=str(DATA / name))
        tags[key] = str(doc["tag"])
        sources[key] = Source(key, doc["title"], doc.get("url"), str(doc["version"]))
    return sources


def _entries(name: str, section: str, kind: type[Any], tags: dict[str, str], default: str | None = None) -> Any:
    data = _read(name)
    sources = _sources(name, data, tags)
    out: dict[str, Any] = {}
    for index, raw in enumerate(data[section]):
        row = {k: v for k, v in raw.items() if k not in ("tag", "unit")}
        row["code"] = str(row["code"])
        key = row.get("source") or default
        if key not in sources:
            raise CodeSetError(f"{section}[{index}] ({row['code']}): unknown source {key!r}", where=str(DATA / name))
        if "tag" in raw:
            tags[f"{section}:{row['code']}"] = str(raw["tag"])
        row["source"] = sources[key]
        try:
            out[row["code"]] = msgspec.convert(row, kind, strict=False)
        except msgspec.ValidationError as exc:
            raise CodeSetError(f"{section}[{index}] ({row['code']}): {exc}", where=str(DATA / name)) from None
    return out


def _adjustments(tags: dict[str, str]) -> tuple[dict[str, AdjustmentCode], ...]:
    name = "adjustment_codes.yaml"
    data = _read(name)
    sources = _sources(name, data, tags)
    tables = []
    for section, kind, source in (
        ("groups", "group", "x12-carc"),
        ("carc", "carc", "x12-carc"),
        ("rarc", "rarc", "x12-rarc"),
    ):
        table = {}
        for raw in data[section]:
            code = str(raw["code"])
            if "tag" in raw:
                tags[f"{section}:{code}"] = str(raw["tag"])
            table[code] = AdjustmentCode(code, raw["meaning"], kind, sources[source])  # type: ignore[arg-type]
        tables.append(table)
    return tuple(tables)


@cache
def bundle() -> Bundle:
    tags: dict[str, str] = {}
    carc_groups, carc, rarc = _adjustments(tags)
    hcpcs = _entries("hcpcs.yaml", "codes", HcpcsCode, tags)
    drugs = bundled_catalog()
    for drug in drugs.all():  # drug-file sources (openfda-ndc, illustrative, ...) answer confidence() too
        for key, tag in drug.tags.items():
            tags.setdefault(key, tag)
    return Bundle(
        hcpcs=hcpcs,
        cpt=_entries("cpt.yaml", "codes", CptCode, tags),
        modifiers=_entries("modifiers.yaml", "codes", Modifier, tags),
        pos=_entries("place_of_service.yaml", "codes", PlaceOfService, tags),
        carc=carc,
        rarc=rarc,
        groups=carc_groups,
        drugs=drugs,
        ndc=ndc_packages(drugs, hcpcs),
        tags=tags,
    )
