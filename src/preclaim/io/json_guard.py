"""Refuse JSON nested deeper than a limit before any parser recurses into it.

A body of a few hundred thousand `[` reaches Python's recursion limit inside msgspec or json and surfaces as a
RecursionError (a 500 from the service, a traceback from the CLI). Claims, history, CDS Hooks requests and JWT
payloads never need more than a dozen levels; 64 leaves room for any real document.
"""

from __future__ import annotations

import re
from itertools import accumulate

from preclaim.errors import InputError

MAX_JSON_DEPTH = 64

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = bytes.maketrans(b"[]{}", b"\x01\x02\x01\x02")


def _raw(data: bytes | str) -> bytes:
    return data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data


def json_depth(data: bytes | str) -> int:
    """The deepest nesting of arrays and objects in a JSON text (0 for a scalar). Strings are skipped, so a
    bracket inside a string does not count; malformed input gives a number, never an error."""
    brackets = _STRING.sub(b"", _raw(data)).translate(None, _NOT_BRACKETS).translate(_STEP)
    return max(accumulate((1 if b == 1 else -1 for b in brackets), initial=0))


def check_json_depth(data: bytes | str, *, where: str, limit: int = MAX_JSON_DEPTH) -> None:
    """Raise InputError naming `where` when the JSON nests deeper than `limit`."""
    raw = _raw(data)
    if raw.count(b"[") + raw.count(b"{") <= limit:  # the usual document: too few openings to be too deep
        return
    depth = json_depth(raw)
    if depth > limit:
        raise InputError(f"JSON nested {depth} levels deep; at most {limit} are accepted", where=where)
