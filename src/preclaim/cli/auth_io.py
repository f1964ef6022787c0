"""File formats behind `preclaim auth request|record`: PAS JSON or X12 278, chosen by content."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

from preclaim.domain import Claim
from preclaim.errors import InputError
from preclaim.io.sniff import sniff, strip_bom
from preclaim.store.decisions import Decision


def build_request(claim: Claim, form: str, created: dt.datetime) -> str:
    if form == "pas":
        from preclaim.fhir.pas_request import build_pas_request
        from preclaim.fhir.pas_validate import validate_pas

        bundle = build_pas_request(claim, created=created)
        validate_pas(bundle, "request", f"PAS request for claim {claim.id}")
        return json.dumps(bundle, indent=2) + "\n"
    if form == "278":
        from preclaim.edi.x12.x278 import build_278_request

        return build_278_request(claim, created=created)
    raise InputError(f"--as: found {form!r}, expected pas or 278")


def read_decisions(path: Path) -> tuple[str, Sequence[Decision]]:
    """("pas" | "278", decisions) from a PAS response bundle or a 278 response."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", where=str(path)) from None
    kind = sniff(data)
    if kind == "json":
        from preclaim.fhir.pas_response import read_pas_response

        return "pas", read_pas_response(strip_bom(data.lstrip()), str(path))
    if kind == "x12":
        from preclaim.edi.x12.x278_read import read_278_response

        return "278", read_278_response(path)
    raise InputError("expected a PAS response Bundle (JSON) or an X12 278 response (ISA...)", where=str(path))
