"""The stable JSON report contract, shared by the CLI, REST, CDS Hooks, web and audit outputs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, BinaryIO

import msgspec

from preclaim.domain.report import ChecklistItem, PolicyRef, PriorAuthDecision, Report, ReportBatch

_encoder = msgspec.json.Encoder()
_SHARED_PARTS_LIMIT = 4096  # encoded parts a writer keeps (a check of one file meets a few dozen)


class _WireReport(msgspec.Struct, gc=False):
    """A Report whose shared parts come already encoded: the same fields in the same order, so the same bytes."""

    claim_id: str
    verdict: str
    prior_auth: msgspec.Raw
    findings: tuple[Any, ...]
    checklist: msgspec.Raw
    policies: msgspec.Raw


# A field added to Report must be added above too, or the writer would drop it: refuse to load instead.
if _WireReport.__struct_fields__ != Report.__struct_fields__:
    raise TypeError(f"_WireReport fields {_WireReport.__struct_fields__} differ from Report's")


def reports_to_json(reports: Iterable[Report]) -> bytes:
    return _encoder.encode(ReportBatch(claims=tuple(reports)))


class ReportArrayWriter:
    """Reports as the comma-separated items of a JSON array, encoded into one buffer and written a megabyte at a
    time: a 100,000-claim file makes 240 MB of JSON, and a write (and a copy) per report cost more than the
    encoding itself (2.0-3.0 against 4.3-4.7 us a report measured in one run, encoding alone 1.5).

    Most of a report's bytes are parts that many reports share: the policies it cites and its checklist (one
    object per policy set and chart outcome) and its prior-authorization decision (the engine hands out one
    object per distinct decision). Each such object is encoded once and its bytes reused while it lives: about
    1,800 of a report's 2,300 bytes on the benchmark file."""

    FLUSH_AT = 1 << 20

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.buffer = bytearray()
        self.count = 0
        encoder = msgspec.json.Encoder()
        self._encode = encoder.encode
        self._encode_into = encoder.encode_into
        # id of a shared part -> (the part, its JSON). Holding the part keeps its id from being reused.
        self._parts: dict[int, tuple[object, msgspec.Raw]] = {}

    def add(self, report: Report) -> None:
        buffer = self.buffer
        if self.count:
            buffer += b","
        parts = self._parts
        prior_auth, checklist, policies = report.prior_auth, report.checklist, report.policies
        # Inline lookups, not a helper: three calls a report would cost a third of what the cache saves.
        hit = parts.get(id(prior_auth))
        pa = hit[1] if hit is not None and hit[0] is prior_auth else self._encoded(prior_auth)
        hit = parts.get(id(checklist))
        cl = hit[1] if hit is not None and hit[0] is checklist else self._encoded(checklist)
        hit = parts.get(id(policies))
        po = hit[1] if hit is not None and hit[0] is policies else self._encoded(policies)
        wire = _WireReport(report.claim_id, report.verdict, pa, report.findings, cl, po)
        self._encode_into(wire, buffer, len(buffer))
        self.count += 1
        if len(buffer) >= self.FLUSH_AT:
            self.flush()

    def _encoded(self, part: PriorAuthDecision | tuple[ChecklistItem, ...] | tuple[PolicyRef, ...]) -> msgspec.Raw:
        parts = self._parts
        if len(parts) >= _SHARED_PARTS_LIMIT:  # parts made per claim (a decision on a rare path) come and go
            parts.clear()
        raw = msgspec.Raw(self._encode(part))
        parts[id(part)] = (part, raw)
        return raw

    def flush(self) -> None:
        if self.buffer:
            self.out.write(self.buffer)
            self.buffer.clear()


def report_to_builtins(report: Report) -> dict[str, Any]:
    data: dict[str, Any] = msgspec.to_builtins(report)
    return data
