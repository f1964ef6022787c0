"""Decode claims, encounters and history from JSON with errors that name the path to the bad field.

Accepted claim documents: one claim object, a list of claims, or {"claims": [...]}.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from preclaim.domain.claim import Claim
from preclaim.domain.history import History
from preclaim.domain.limits import amount_problem, preview
from preclaim.errors import InputError
from preclaim.io.json_guard import check_json_depth
from preclaim.io.legacy import upgrade_claims, upgrade_history
from preclaim.io.sniff import strip_bom

T = TypeVar("T")
_EARLIEST = dt.date(1900, 1, 1)


def _where(origin: str, exc: msgspec.ValidationError) -> tuple[str, str]:
    problem, sep, path = str(exc).rpartition(" - at ")
    return (f"{origin}: {path.strip('`')}", problem) if sep else (f"{origin}: $", str(exc))


def _decode(data: bytes, kind: type[T] | Any, origin: str) -> Any:
    """Decode, reading the older keys (dose_mcg, lab names) as the current shape (io/legacy.py)."""
    try:
        raw = msgspec.json.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:  # invalid UTF-8 in a string (found by fuzzing)
        raise InputError(f"not valid JSON: {exc}", where=origin) from None
    raw = upgrade_history(raw) if kind is History else upgrade_claims(raw)
    try:
        return msgspec.convert(raw, kind)
    except msgspec.ValidationError as exc:
        where, problem = _where(origin, exc)
        raise InputError(problem, where=where) from None
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:  # invalid UTF-8 in a string (found by fuzzing)
        raise InputError(f"not valid JSON: {exc}", where=origin) from None


def validate_claim(claim: Claim, where: str) -> Claim:
    """Checks the JSON schema cannot express: dates that make sense, pointers and line numbers."""
    if not claim.lines:
        raise InputError("a claim needs at least one service line", where=f"{where}.lines")
    numbers = [line.number for line in claim.lines]
    if len(set(numbers)) != len(numbers):
        raise InputError(f"line numbers repeat: {numbers}", where=f"{where}.lines")
    for i, line in enumerate(claim.lines):
        at = f"{where}.lines[{i}]"
        if line.date_of_service < _EARLIEST:
            raise InputError(
                f"date {line.date_of_service} is not a plausible date of service",
                where=f"{at}.date_of_service",
            )
        if line.date_of_service_end and line.date_of_service_end < line.date_of_service:
            raise InputError("ends before it starts", where=f"{at}.date_of_service_end")
        if line.units <= 0:
            raise InputError(f"units must be more than 0, got {line.units:g}", where=f"{at}.units")
        if line.charge is not None and (problem := amount_problem(line.charge)):
            raise InputError(f"charge {preview(str(line.charge))}: {problem}", where=f"{at}.charge")
        for j, pointer in enumerate(line.diagnosis_pointers):
            if not 1 <= pointer <= 12:
                raise InputError(f"pointer {pointer} is not 1-12", where=f"{at}.diagnosis_pointers[{j}]")
    born = claim.patient.birth_date
    first = claim.first_date_of_service
    if born and first and born > first:
        raise InputError(f"birth date {born} is after the date of service {first}", where=f"{where}.patient.birth_date")
    if claim.charge is not None and (problem := amount_problem(claim.charge)):
        raise InputError(f"charge {preview(str(claim.charge))}: {problem}", where=f"{where}.charge")
    if len(claim.diagnoses) > 12:
        raise InputError(f"{len(claim.diagnoses)} diagnoses; a claim carries at most 12", where=f"{where}.diagnoses")
    return claim


def decode_claims(data: bytes, origin: str = "input") -> list[Claim]:
    data = strip_bom(data)
    check_json_depth(data, where=origin)  # before msgspec recurses into it
    if data.lstrip().startswith(b"["):
        claims: list[Claim] = _decode(data, list[Claim], origin)
        return [validate_claim(c, f"{origin}: $[{i}]") for i, c in enumerate(claims)]
    try:
        raw = msgspec.json.decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:  # invalid UTF-8 in a string (found by fuzzing)
        raise InputError(f"not valid JSON: {exc}", where=origin) from None
    if isinstance(raw, dict) and set(raw) == {"claims"}:
        wrapped: dict[str, list[Claim]] = _decode(data, dict[str, list[Claim]], origin)
        return [validate_claim(c, f"{origin}: $.claims[{i}]") for i, c in enumerate(wrapped["claims"])]
    return [validate_claim(_decode(data, Claim, origin), f"{origin}: $")]


def decode_claim(data: bytes, origin: str = "input") -> Claim:
    claims = decode_claims(data, origin)
    if len(claims) != 1:
        raise InputError(f"expected one claim, found {len(claims)}", where=origin)
    return claims[0]


def decode_history(data: bytes, origin: str = "history") -> History:
    data = strip_bom(data)
    check_json_depth(data, where=origin)  # before msgspec recurses into it
    history: History = _decode(data, History, origin)
    return history


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", where=str(path)) from None


def load_claims(path: Path) -> list[Claim]:
    return decode_claims(read_bytes(path), str(path))


def load_history(path: Path) -> History:
    return decode_history(read_bytes(path), str(path))
