"""A CSV row with typed getters whose errors name the file, row and column, and the bounds every column keeps.

Shared by the history CSV and the authorization CSV importers.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TypeVar

from preclaim.domain.limits import (
    ICD_CODE,
    IDENTIFIER,
    MODIFIER,
    NDC_CODE,
    PLACE_OF_SERVICE,
    PROCEDURE_CODE,
    SHORT_CODE,
    TEXT,
    Bound,
    amount_problem,
    out_of_bounds,
    preview,
    quantity_problem,
)
from preclaim.errors import InputError

T = TypeVar("T")
# How long a value may be, per column (any other column: TEXT); list columns bound each item too.
_IDS = (
    "claim_id payer_id patient_key member_id prior_auth line_prior_auth billing_npi billing_state rendering_npi number"
)
BOUNDS: dict[str, Bound] = {
    "code": PROCEDURE_CODE,
    "place_of_service": PLACE_OF_SERVICE,
    "ndc": NDC_CODE,
    **dict.fromkeys(("frequency_code", "filing_indicator", "ndc_unit", "sex"), SHORT_CODE),
    **dict.fromkeys(_IDS.split(), IDENTIFIER),
}
ITEM_BOUNDS = {"modifiers": MODIFIER, "diagnoses": ICD_CODE}


class Row:
    """One CSV row with typed getters whose errors name the file, row and column."""

    def __init__(self, where: str, values: dict[str, str]) -> None:
        self.where = where
        self.values = values

    def text(self, name: str) -> str | None:
        value = (self.values.get(name) or "").strip()
        bound = BOUNDS.get(name, TEXT)
        if value and not bound.least <= len(value) <= bound.most:
            self._too_long(name, value, bound)
        return value or None

    def _too_long(self, name: str, value: str, bound: Bound) -> None:
        if problem := out_of_bounds(value, bound):
            raise InputError(f"column {name!r}: found {preview(value)!r}, expected {problem}", where=self.where)

    def required(self, name: str) -> str:
        value = self.text(name)
        if value is None:
            raise InputError(f"column {name!r} is empty; a value is required", where=self.where)
        return value

    def parse(self, name: str, convert: Callable[[str], T], expected: str) -> T | None:
        value = self.text(name)
        if value is None:
            return None
        try:
            return convert(value)
        except (ValueError, InvalidOperation):
            raise InputError(
                f"column {name!r}: found {preview(value)!r}, expected {expected}", where=self.where
            ) from None

    def date(self, name: str) -> dt.date | None:
        return self.parse(name, dt.date.fromisoformat, "a date YYYY-MM-DD")

    def number(self, name: str) -> float | None:
        """A finite number (float() also reads inf, nan and 1e308, which would be stored and break sums)."""
        value = self.parse(name, float, "a number")
        if value is not None and (problem := quantity_problem(value)):
            raise InputError(
                f"column {name!r}: found {self.text(name)!r}, expected a number ({problem})", where=self.where
            )
        return value

    def amount(self, name: str) -> Decimal | None:
        value = self.parse(name, Decimal, "an amount such as 25.00")
        if value is not None and (problem := amount_problem(value)):
            raise InputError(
                f"column {name!r}: found {preview(self.text(name) or '')!r}, expected an amount such as 25.00 "
                f"({problem})",
                where=self.where,
            )
        return value

    def words(self, name: str) -> tuple[str, ...]:
        items = tuple((self.text(name) or "").replace(";", " ").replace(":", " ").replace(",", " ").split())
        bound = ITEM_BOUNDS.get(name)
        if bound is not None:
            for item in items:
                self._too_long(name, item, bound)
        return items


@contextmanager
def csv_errors(path: Path, reader: csv.DictReader[str]) -> Iterator[None]:
    """A CSV the csv module cannot split (a field over its size limit, a NUL byte) or that is not UTF-8:
    one InputError naming the file and line."""
    try:
        yield
    except csv.Error as exc:
        raise InputError(f"not a readable CSV row: {exc}", where=f"{path}:{reader.line_num + 1}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", where=str(path)) from None
