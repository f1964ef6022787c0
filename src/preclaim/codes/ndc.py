"""NDC normalisation: package labels use 10 digits (4-4-2, 5-3-2, 5-4-1); claims need 11 digits, 5-4-2."""

from __future__ import annotations

# Where the leading zero goes for each hyphenated shape.
_PAD: dict[tuple[int, ...], tuple[int, ...]] = {
    (4, 4, 2): (1, 0, 0),
    (5, 3, 2): (0, 1, 0),
    (5, 4, 1): (0, 0, 1),
    (5, 4, 2): (0, 0, 0),
}
_EXPECTED = "expected 10 (4-4-2, 5-3-2, 5-4-1 with hyphens) or 11 (5-4-2)"


def normalize_ndc(raw: str) -> str:
    """Return the 11-digit NDC (no dashes) or raise ValueError saying what is wrong."""
    text = raw.strip().replace(" ", "")
    if not text or not all(c.isdigit() or c == "-" for c in text):
        raise ValueError(f"NDC {raw!r} contains characters other than digits and hyphens")
    digits = text.replace("-", "")
    if len(digits) not in (10, 11):
        raise ValueError(f"NDC {raw!r} has {len(digits)} digits; {_EXPECTED}")
    if "-" not in text:
        if len(digits) == 10:
            raise ValueError(
                f"NDC {raw!r} has 10 digits without hyphens, which is ambiguous (4-4-2, 5-3-2 or 5-4-1): "
                "send it as 11 digits (5-4-2) or with its hyphens"
            )
        return digits
    parts = text.split("-")
    shape = tuple(len(p) for p in parts)
    pad = _PAD.get(shape)
    if pad is None:
        raise ValueError(f"NDC {raw!r} has the shape {'-'.join(map(str, shape))}; {_EXPECTED}")
    return "".join("0" * zeros + part for zeros, part in zip(pad, parts, strict=True))


def format_ndc_542(ndc11: str) -> str:
    """ "00517003125" -> "00517-0031-25"."""
    if len(ndc11) != 11 or not ndc11.isdigit():
        raise ValueError(f"NDC {ndc11!r} is not 11 digits; normalise it first")
    return f"{ndc11[:5]}-{ndc11[5:9]}-{ndc11[9:]}"
