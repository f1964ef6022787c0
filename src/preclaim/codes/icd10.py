"""ICD-10-CM lookups over the simple-icd-10-cm package, as a dictionary the engine can read per claim.

Importing simple-icd-10-cm parses its XML (seconds), so the derived table (code -> description, leaf flag) is
cached on disk per package version and loads in milliseconds; single lookups are also memoised.
"""

from __future__ import annotations

import importlib.util
import os
import re
from functools import cache, lru_cache
from importlib import metadata
from pathlib import Path

import msgspec

from preclaim.codes.types import Icd10Entry
from preclaim.domain.report import Source

PACKAGE = "simple-icd-10-cm"
ICD10_SOURCE = Source(
    "icd-10-cm", "ICD-10-CM (CDC/NCHS) via the simple-icd-10-cm package", "https://www.cdc.gov/nchs/icd/icd-10-cm/"
)


def normalize_icd10(code: str) -> str:
    """ "d510" -> "D51.0": upper case, no spaces, a dot after the third character."""
    text = code.strip().upper().replace(" ", "").replace(".", "")
    return text if len(text) <= 3 else f"{text[:3]}.{text[3:]}"


def package_version() -> str:
    return metadata.version(PACKAGE)


@cache
def release() -> str:
    """The ICD-10-CM release the package carries (e.g. "April 2026"), read from its source without importing it."""
    spec = importlib.util.find_spec("simple_icd_10_cm.simple_icd_10_cm")
    text = Path(spec.origin).read_text(encoding="utf-8") if spec and spec.origin else ""
    found = re.search(r"code-list-([A-Za-z]+)-(\d{4})\.txt", text)
    return f"{found.group(1)} {found.group(2)}" if found else "unknown release"


def _cache_path() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "preclaim" / f"icd10cm-{package_version()}.msgpack"


@cache
def table() -> dict[str, tuple[str, bool]]:
    """Every ICD-10-CM code (with dot) -> (description, leaf/billable)."""
    path = _cache_path()
    try:
        cached: dict[str, tuple[str, bool]] = msgspec.msgpack.decode(
            path.read_bytes(), type=dict[str, tuple[str, bool]]
        )
        return cached
    except (OSError, msgspec.DecodeError):
        pass
    import simple_icd_10_cm as icd  # slow import, only when the cache is missing

    built = {code: (icd.get_description(code), bool(icd.is_leaf(code))) for code in icd.get_all_codes(True)}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(msgspec.msgpack.encode(built))
        tmp.replace(path)
    except OSError:
        pass  # a read-only home still works, just slower to start
    return built


@lru_cache(maxsize=65536)
def lookup(code: str) -> Icd10Entry | None:
    normal = normalize_icd10(code)
    found = table().get(normal)
    return Icd10Entry(normal, found[0], found[1]) if found else None


def billable_between(first: str, last: str) -> list[str]:
    """Billable codes from `first` to `last` inclusive (an MCD range such as D51.0-D51.9), in code order."""
    low, high = normalize_icd10(first), normalize_icd10(last)
    return sorted(
        code for code, (_, leaf) in table().items() if leaf and low <= code and (code <= high or code.startswith(high))
    )
