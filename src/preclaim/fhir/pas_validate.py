"""Check a PAS Bundle: FHIR R4 structure through fhir.resources, then the PAS rules on top of it.

fhir.resources 8 ships R5 at the top level and R4B in a subpackage; PAS is R4, and every element a PAS
bundle uses has the same shape in R4 and R4B, so the R4B models validate it.
PAS rules checked here (Da Vinci PAS IG, "Submit" / "Response"):
the first entry is the Claim (use=preauthorization) or ClaimResponse, every reference resolves inside the
bundle, and Claim item and supportingInfo sequences are unique.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import ValidationError

from preclaim.errors import InputError

Kind = Literal["request", "response"]


def _model_errors(exc: ValidationError, limit: int = 5) -> str:
    parts = []
    for err in exc.errors()[:limit]:
        where = ".".join(str(p) for p in err["loc"] if p != "__root__")
        parts.append(f"{where}: {err['msg']}")
    more = len(exc.errors()) - limit
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def parse_bundle(data: bytes | str | dict[str, Any], where: str = "bundle") -> dict[str, Any]:
    """JSON text or an already decoded dict -> dict; InputError naming the place when it is not JSON."""
    if isinstance(data, dict):
        return data
    try:
        decoded = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"not JSON: {exc}", where=where) from None
    if not isinstance(decoded, dict) or decoded.get("resourceType") != "Bundle":
        found = decoded.get("resourceType") if isinstance(decoded, dict) else type(decoded).__name__
        raise InputError(f"expected a FHIR Bundle, found {found!r}", where=where)
    return decoded


def validate_fhir(bundle: dict[str, Any], where: str = "bundle") -> Any:
    """The bundle as fhir.resources R4B models; InputError with the element paths that do not validate."""
    from fhir.resources.R4B.bundle import Bundle  # heavy import: only when a bundle is checked

    try:
        return Bundle.model_validate(bundle)
    except ValidationError as exc:
        raise InputError(f"not a valid FHIR R4 Bundle: {_model_errors(exc)}", where=where) from None


def _references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "reference" and isinstance(value, str):
                yield value
            else:
                yield from _references(value)
    elif isinstance(node, list):
        for value in node:
            yield from _references(value)


def _targets(entries: list[dict[str, Any]]) -> set[str]:
    """Every way an entry can be referenced: its fullUrl, Type/id, and the fullUrl's Type/id tail."""
    names: set[str] = set()
    for entry in entries:
        resource = entry.get("resource", {})
        full = entry.get("fullUrl", "")
        names.add(full)
        names.add(f"{resource.get('resourceType')}/{resource.get('id')}")
        names.add("/".join(full.split("/")[-2:]))
    return names


def pas_problems(bundle: dict[str, Any], kind: Kind) -> list[str]:
    """Breaches of the PAS rules above (empty when none)."""
    entries = bundle.get("entry") or []
    first = entries[0].get("resource", {}) if entries else {}
    expected = "Claim" if kind == "request" else "ClaimResponse"
    problems = []
    if first.get("resourceType") != expected:
        problems.append(f"entry[0] must be the {expected}, found {first.get('resourceType')!r}")
    elif first.get("use") != "preauthorization":
        problems.append(f"entry[0].resource.use must be 'preauthorization', found {first.get('use')!r}")
    targets = _targets(entries)
    for n, entry in enumerate(entries):
        for ref in _references(entry.get("resource", {})):
            if ref not in targets and not ref.startswith("#"):
                problems.append(f"entry[{n}] refers to {ref!r}, which is not in the bundle")
    for field in ("item", "supportingInfo"):
        sequences = [part.get("sequence") for part in first.get(field, [])]
        if len(sequences) != len(set(sequences)):
            problems.append(f"entry[0].resource.{field} sequences repeat: {sequences}")
    return problems


def validate_pas(bundle: dict[str, Any], kind: Kind, where: str = "bundle") -> Any:
    """FHIR-valid and PAS-valid, or InputError listing what is wrong. Returns the R4B Bundle model."""
    model = validate_fhir(bundle, where)
    problems = pas_problems(bundle, kind)
    if problems:
        raise InputError(f"not a PAS {kind} bundle: " + "; ".join(problems), where=where)
    return model
