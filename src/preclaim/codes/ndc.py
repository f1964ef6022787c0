"""NDC normalisation: package labels use 10 digits (4-4-2, 5-3-2, 5-4-1); claims need 11 digits, 5-4-2."""

from __future__ import annotations

# Where the leading zero goes for each hyphenated 10-digit shape.
_PAD: dict[tuple[int, ...], tuple[int, ...]] = {
    (4, 4, 2): (1, 0, 0),
    (5, 3, 2): (0, 1, 0),
    (5, 4, 1): (0, 0, 1),
    (5, 4, 2): (0, 0, 0),
}


def normalize_ndc(raw: str) -> str:
    """Return the 11-digit NDC (no dashes) or raise ValueError saying what is wrong."""
    text = raw.strip().replace(" ", "")
    if "-" in text:
        parts = text.split("-")
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            raise ValueError(f"NDC {raw!r} is not three groups of digits separated by hyphens")
        shape = tuple(len(p) for p in parts)
        pad = _PAD.get(shape)
        if pad is None:
            raise ValueError(
                f"NDC {raw!r} has the shape {'-'.join(map(str, shape))}; expected 4-4-2, 5-3-2, 5-4-1 or 5-4-2"
            )
        return "".join("0" * z + p for z, p in zip(pad, parts, strict=True))
    if not text.isdigit():
        raise ValueError(f"NDC {raw!r} contains characters other than digits and hyphens")
    if len(text) == 11:
        return text
    if len(text) == 10:
        raise ValueError(
            f"NDC {raw!r} has 10 digits without hyphens, which is ambiguous (4-4-2, 5-3-2 or 5-4-1): "
            "send it as 11 digits (5-4-2) or with its hyphens"
        )
    raise ValueError(f"NDC {raw!r} has {len(text)} digits; expected 11 (5-4-2) or a hyphenated 10-digit NDC")


def format_ndc_542(ndc11: str) -> str:
    return f"{ndc11[:5]}-{ndc11[5:9]}-{ndc11[9:]}"
