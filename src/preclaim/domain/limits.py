"""How long a code, id or text and how big a number may be, checked where input enters (JSON, X12, CSV, FHIR).

A code far longer than its code system allows is not a typo to report on, it is garbage (or an attack: a
300 KB diagnosis code once held a worker for seconds). The JSON decoders enforce these through the
annotated types below; the X12, CSV and FHIR readers call `too_long` / `amount_problem` with the same
limits, so every entry refuses the same values with a message naming the field.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Annotated, NamedTuple

import msgspec

from preclaim.measure import MAX_AMOUNT


class Bound(NamedTuple):
    least: int
    most: int
    what: str  # says what a valid value looks like, for error messages


ICD_CODE = Bound(3, 8, "an ICD-10-CM code of 3-7 characters (plus the dot)")
PROCEDURE_CODE = Bound(5, 5, "a 5-character HCPCS/CPT code")
MODIFIER = Bound(2, 2, "a 2-character modifier")
# The NDC rules explain a malformed NDC (wrong digit count, shape) as a finding: only the length is bounded
# here, at the longest form they normalise (11 digits and two hyphens, 5-4-2).
NDC_CODE = Bound(1, 13, "an NDC of 10-11 digits (with or without its two hyphens)")
PLACE_OF_SERVICE = Bound(2, 2, "a 2-digit place of service code")
SHORT_CODE = Bound(1, 3, "a code of 1-3 characters")  # qualifiers, unit basis, frequency, filing, state, unit
IDENTIFIER = Bound(0, 128, "an identifier of at most 128 characters")
TEXT = Bound(0, 1000, "text of at most 1000 characters")

# Units, doses, quantities and lab values: no service line, dose or lab result comes near a million, and
# anything beyond it (1e308, inf) only overflows sums later.
MAX_QUANTITY = MAX_AMOUNT  # preclaim.measure's bound, which amounts with a unit share
# X12 amounts are decimal numbers of at most 18 digits (data type R, maximum length 18); the exponent form
# X12 allows must stay in that range too, or a sum of amounts overflows.
AMOUNT_DIGITS = 18


# The same bounds as annotated types, for the msgspec domain structs (JSON decoding enforces them).
IcdCode = Annotated[str, msgspec.Meta(min_length=ICD_CODE.least, max_length=ICD_CODE.most)]
ProcedureCode = Annotated[str, msgspec.Meta(min_length=PROCEDURE_CODE.least, max_length=PROCEDURE_CODE.most)]
Modifier = Annotated[str, msgspec.Meta(min_length=MODIFIER.least, max_length=MODIFIER.most)]
NdcCode = Annotated[str, msgspec.Meta(min_length=NDC_CODE.least, max_length=NDC_CODE.most)]
PlaceOfService = Annotated[str, msgspec.Meta(min_length=PLACE_OF_SERVICE.least, max_length=PLACE_OF_SERVICE.most)]
ShortCode = Annotated[str, msgspec.Meta(min_length=SHORT_CODE.least, max_length=SHORT_CODE.most)]
Identifier = Annotated[str, msgspec.Meta(min_length=IDENTIFIER.least, max_length=IDENTIFIER.most)]
Text = Annotated[str, msgspec.Meta(max_length=TEXT.most)]
Quantity = Annotated[float, msgspec.Meta(le=MAX_QUANTITY, ge=-MAX_QUANTITY)]


def out_of_bounds(value: str, bound: Bound) -> str | None:
    """None when `value`'s length fits `bound`; else what was expected (for "found ..., expected ...")."""
    if bound.least <= len(value) <= bound.most:
        return None
    return bound.what


def preview(value: str, keep: int = 40) -> str:
    """The start of a value for an error message (a 300 KB value must not become a 300 KB message)."""
    return value if len(value) <= keep else f"{value[:keep]}... ({len(value)} characters)"


def amount_problem(amount: Decimal) -> str | None:
    """None for a usable amount; else why not (not finite, or beyond what X12 or a float can hold)."""
    if not amount.is_finite():
        return "not a finite number"
    digits, exponent = amount.as_tuple()[1:]
    too_big = amount.adjusted() >= AMOUNT_DIGITS or len(digits) > AMOUNT_DIGITS
    if amount and (too_big or int(exponent) < -AMOUNT_DIGITS):
        return f"more than {AMOUNT_DIGITS} digits"
    return None


def quantity_problem(value: float) -> str | None:
    """None for a finite quantity within +-MAX_QUANTITY; else why not."""
    if math.isnan(value) or math.isinf(value):
        return "not a finite number"
    if abs(value) > MAX_QUANTITY:
        return f"more than {MAX_QUANTITY:,.0f}"
    return None


__all__ = [
    "ICD_CODE",
    "IDENTIFIER",
    "MAX_QUANTITY",
    "MODIFIER",
    "NDC_CODE",
    "PLACE_OF_SERVICE",
    "PROCEDURE_CODE",
    "SHORT_CODE",
    "TEXT",
    "Bound",
    "IcdCode",
    "Identifier",
    "Modifier",
    "NdcCode",
    "PlaceOfService",
    "ProcedureCode",
    "Quantity",
    "ShortCode",
    "Text",
    "amount_problem",
    "out_of_bounds",
    "preview",
    "quantity_problem",
]
