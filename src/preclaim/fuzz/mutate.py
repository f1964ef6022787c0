"""Mutations of real sample files: the broken inputs billing software is actually fed.

Each mutation is (name, seed): the seed drives a private Random, so a mutated input is reproduced from its
seed file and its list of mutations alone (and Hypothesis can shrink the list).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Sequence
from typing import Any

Mutation = tuple[str, int]
_DELIMS = b"*:^~|\n\r,{}[]\"'"
_ODD = (b"\x00", b"\xff", b"\xc3(", b"\xe2\x80", b"-1", b"99999999999999999999", b"1e309", b"NaN", b"\\u0000")


def _terminator(data: bytes) -> bytes:
    """The X12 segment terminator (ISA byte 106), else a tilde."""
    return data[105:106] if data.startswith(b"ISA") and len(data) > 106 else b"~"


def _segments(data: bytes) -> tuple[list[bytes], bytes]:
    term = _terminator(data)
    return data.split(term), term


def flip(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return bytes([rng.randrange(256)])
    at = rng.randrange(len(data))
    return data[:at] + bytes([rng.randrange(256)]) + data[at + 1 :]


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def insert(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data) + 1)
    piece = rng.choice(_ODD) if rng.random() < 0.5 else rng.randbytes(rng.randint(1, 8))
    return data[:at] + piece + data[at:]


def delete_range(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return data
    start = rng.randrange(len(data))
    return data[:start] + data[start + rng.randint(1, 64) :]


def duplicate_segment(data: bytes, rng: random.Random) -> bytes:
    parts, term = _segments(data)
    at = rng.randrange(len(parts))
    parts.insert(at, parts[at])
    return term.join(parts)


def drop_segment(data: bytes, rng: random.Random) -> bytes:
    parts, term = _segments(data)
    if len(parts) > 1:
        del parts[rng.randrange(len(parts))]
    return term.join(parts)


def swap_segments(data: bytes, rng: random.Random) -> bytes:
    parts, term = _segments(data)
    i, j = rng.randrange(len(parts)), rng.randrange(len(parts))
    parts[i], parts[j] = parts[j], parts[i]
    return term.join(parts)


def swap_delimiters(data: bytes, rng: random.Random) -> bytes:
    """Replace every occurrence of one delimiter byte with another (e.g. '*' -> '|', '~' -> newline)."""
    present = [bytes([b]) for b in _DELIMS if bytes([b]) in data] or [b"*"]
    old = rng.choice(present)
    new = bytes([rng.choice(_DELIMS)])
    return data.replace(old, new)


def splice(data: bytes, rng: random.Random) -> bytes:
    if len(data) < 2:
        return data
    start = rng.randrange(len(data))
    piece = data[start : start + rng.randint(1, 200)]
    at = rng.randrange(len(data))
    return data[:at] + piece + data[at:]


# Values past what any field holds: more digits than int() converts, an exponent past every float and
# decimal context, nan/inf spellings. What 837 amounts, CSV units, YAML integers and JSON numbers get.
_HUGE_NUMBERS = (
    b"9" * 5000,
    b"1E999999999",
    b"-1E999999999",
    b"1E-999999999",
    b"1e308",
    b"1" + b"0" * 400,
    b"inf",
    b"NaN",
)
_NUMBER = re.compile(rb"\d+(?:\.\d+)?")
_FIELD_START = re.compile(rb'[*:,"|^]')  # element/component separators, CSV commas, JSON string quotes
_FILLER = b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


def _number_span(data: bytes, rng: random.Random) -> tuple[int, int]:
    """A random number in the data (a value in JSON/YAML, an amount or count in X12/CSV), else a point."""
    spans = [m.span() for m in _NUMBER.finditer(data)]
    if not spans:
        at = rng.randrange(len(data) + 1)
        return at, at
    return rng.choice(spans)


def huge_number(data: bytes, rng: random.Random) -> bytes:
    start, end = _number_span(data, rng)
    return data[:start] + rng.choice(_HUGE_NUMBERS) + data[end:]


def deep_nest(data: bytes, rng: random.Random) -> bytes:
    """A number replaced by a value nested 100 to 100,000 levels: JSON and YAML stay well formed."""
    depth = rng.choice((65, 1_000, 100_000))
    opener, closer = rng.choice(((b"[", b"]"), (b'{"a":', b"}")))
    start, end = _number_span(data, rng)
    return data[:start] + opener * depth + b"1" + closer * depth + data[end:]


def huge_field(data: bytes, rng: random.Random) -> bytes:
    """70 KB to 1.1 MB of code-like characters at the start of a field (an element, a CSV cell, a string)."""
    size = rng.choice((70_000, 140_000, 300_000, 1_100_000))
    starts = [m.end() for m in _FIELD_START.finditer(data)]
    at = rng.choice(starts) if starts else rng.randrange(len(data) + 1)
    return data[:at] + bytes([rng.choice(_FILLER)]) * size + data[at:]


_JSON_VALUES: tuple[Any, ...] = (None, -1, 0, 1.5, 10**30, "", "x" * 300, "2026-02-30", [], {}, True, [None], {"": 1})


def json_value(data: bytes, rng: random.Random) -> bytes:
    """Parse the JSON, replace one value anywhere in it with an odd one, print it again."""
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return flip(data, rng)
    holders: list[tuple[Any, Any]] = []

    def walk(node: Any) -> None:
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            holders.append((node, key))
            walk(value)

    walk(doc)
    if not holders:
        return json.dumps(rng.choice(_JSON_VALUES)).encode()
    node, key = rng.choice(holders)
    if isinstance(node, dict) and rng.random() < 0.3:
        del node[key]
    else:
        node[key] = rng.choice(_JSON_VALUES)
    return json.dumps(doc).encode()


MUTATORS: dict[str, Callable[[bytes, random.Random], bytes]] = {
    "flip": flip,
    "truncate": truncate,
    "insert": insert,
    "delete": delete_range,
    "dup-segment": duplicate_segment,
    "drop-segment": drop_segment,
    "swap-segments": swap_segments,
    "swap-delimiters": swap_delimiters,
    "splice": splice,
    "json-value": json_value,
    "huge-number": huge_number,
    "deep-nest": deep_nest,
    "huge-field": huge_field,
}
# Every target but cds-hooks draws from these, so inputs past every size a parser expects (huge numbers,
# deep nesting, huge fields) are among what each one is fed.
BYTE_OPS = tuple(name for name in MUTATORS if name != "json-value")


def apply(data: bytes, mutations: Sequence[Mutation]) -> bytes:
    for name, seed in mutations:
        data = MUTATORS[name](data, random.Random(seed))
    return data


def random_mutations(rng: random.Random, ops: Sequence[str], most: int = 4) -> list[Mutation]:
    return [(rng.choice(ops), rng.randrange(2**31)) for _ in range(rng.randint(1, most))]
