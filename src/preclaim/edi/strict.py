"""Strict mode: validate an X12 file against the implementation guide with pyx12 (optional extra `strict`).

pyx12 ships maps for 005010X222A1 but not for the A2 errata some senders put in GS08; such files are
validated against the A1 map on a temporary copy, and the result says so. pyx12 is slow (about a
hundred claims a second here), so this is for files a person is about to send, not for bulk runs.
"""

from __future__ import annotations

import io
import json
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec

from preclaim.errors import X12Error

_A2, _A1 = "005010X222A2", "005010X222A1"


class StrictFinding(msgspec.Struct, frozen=True):
    """One pyx12 finding, placed like a 999 IK3/IK4: segment id, its count in the set, line, element."""

    level: str  # interchange, group, transaction, segment, element
    code: str
    message: str
    segment_id: str | None = None
    segment_count: int | None = None
    line: int | None = None
    element: str | None = None
    value: str | None = None


class StrictResult(msgspec.Struct, frozen=True):
    valid: bool
    findings: tuple[StrictFinding, ...]
    note: str | None = None


def validate(path: str | Path) -> StrictResult:
    try:
        import pyx12.params
        import pyx12.x12n_document
    except ImportError:
        raise X12Error("--strict needs pyx12: pip install 'preclaim[strict]'", source=str(path)) from None
    logging.getLogger("pyx12").setLevel(logging.CRITICAL)  # its findings come back as data, not logs
    source, note, temp = _pyx12_input(Path(path))
    out = io.StringIO()
    try:
        valid = pyx12.x12n_document.x12n_document(pyx12.params.params(), str(source), None, None, fd_json=out)
    except Exception as exc:  # pyx12 raises its own EngineError and plain errors on input it cannot map
        raise X12Error(f"pyx12 could not validate the file: {exc}", source=str(path)) from None
    finally:
        if temp:
            os.unlink(source)
    findings = tuple(_findings(json.loads(out.getvalue() or "{}")))
    return StrictResult(valid=bool(valid) and not findings, findings=findings, note=note)


def _pyx12_input(path: Path) -> tuple[Path, str | None, bool]:
    with path.open("rb") as handle:
        head = handle.read(4096)
    if _A2.encode() not in head:
        return path, None, False
    handle_no, temp = tempfile.mkstemp(prefix="preclaim-strict-", suffix=".x12")
    with os.fdopen(handle_no, "wb") as out, path.open("rb") as src:
        for chunk in iter(lambda: src.read(1 << 20), b""):
            out.write(chunk.replace(_A2.encode(), _A1.encode()))  # GS08/ST03 only carry this text
    return Path(temp), f"pyx12 has no {_A2} map: validated against {_A1}", True


def _findings(doc: dict[str, Any]) -> Iterator[StrictFinding]:
    for isa in doc.get("interchanges", []):
        yield from _errors("interchange", isa)
        for gs in isa.get("groups", []):
            yield from _errors("group", gs)
            for st in gs.get("transactions", []):
                yield from _errors("transaction", st)
                for seg in st.get("segments", []):
                    yield from _errors("segment", seg, seg)
                    for element in seg.get("elements", []):
                        for err in element.get("errors", []):
                            yield _finding("element", err, seg, str(element.get("ele_pos") or element.get("id")))


def _errors(level: str, node: dict[str, Any], seg: dict[str, Any] | None = None) -> Iterator[StrictFinding]:
    for err in node.get("errors", []):
        yield _finding(level, err, seg)


def _finding(level: str, err: dict[str, Any], seg: dict[str, Any] | None, element: str | None = None) -> StrictFinding:
    seg = seg or {}
    return StrictFinding(
        level=level,
        code=str(err.get("err_cde") or err.get("code") or ""),
        message=str(err.get("err_str") or err.get("message") or err),
        segment_id=seg.get("seg_id"),
        segment_count=seg.get("seg_count"),
        line=seg.get("cur_line"),
        element=element,
        value=err.get("err_val"),
    )
