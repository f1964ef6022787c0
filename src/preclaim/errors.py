"""preclaim's error types. Every error a user can cause is one of these, with a place and an expectation.

PreclaimError
 ├── InputError          bad claim/history/encounter input (JSON, CSV): path to the field
 ├── PolicyError         a policy file that does not validate: file, key, problem
 ├── CodeSetError        a code-set file that cannot be imported
 ├── X12Error            an X12 file that cannot be read: segment number, id, element, found/expected
 └── StoreError          the history store cannot do what was asked
"""

from __future__ import annotations


class PreclaimError(Exception):
    """Root of all errors preclaim reports to a user (CLI exit 2, HTTP 4xx)."""

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.message = message
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class InputError(PreclaimError):
    """A claim, history or encounter input that does not match the expected shape."""


class PolicyError(PreclaimError):
    """A policy file that does not validate."""


class CodeSetError(PreclaimError):
    """A code-set file that cannot be read."""


class X12Error(PreclaimError):
    """An X12 interchange that cannot be read."""

    def __init__(
        self,
        message: str,
        *,
        segment_number: int | None = None,
        segment_id: str | None = None,
        element: int | None = None,
        found: str | None = None,
        expected: str | None = None,
        source: str | None = None,
    ) -> None:
        self.segment_number = segment_number
        self.segment_id = segment_id
        self.element = element
        self.found = found
        self.expected = expected
        parts = []
        if source:
            parts.append(source)
        if segment_number is not None:
            parts.append(f"segment {segment_number}")
        if segment_id:
            parts.append(segment_id if element is None else f"{segment_id}{element:02d}")
        detail = message
        if found is not None or expected is not None:
            detail += f" (found {found!r}, expected {expected})"
        super().__init__(detail, where=" ".join(parts) or None)


class StoreError(PreclaimError):
    """The history store cannot do what was asked."""
