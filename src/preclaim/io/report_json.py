"""The stable JSON report contract, shared by the CLI, REST, CDS Hooks, web and audit outputs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, BinaryIO

import msgspec

from preclaim.domain.report import Report, ReportBatch

_encoder = msgspec.json.Encoder()


def reports_to_json(reports: Iterable[Report]) -> bytes:
    return _encoder.encode(ReportBatch(claims=tuple(reports)))


class ReportArrayWriter:
    """Reports as the comma-separated items of a JSON array, encoded into one buffer and written a megabyte at a
    time: a 100,000-claim file makes 240 MB of JSON, and a write (and a copy) per report cost more than the
    encoding itself (2.0-3.0 against 4.3-4.7 us a report measured in one run, encoding alone 1.5)."""

    FLUSH_AT = 1 << 20

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.buffer = bytearray()
        self.count = 0
        self._encode_into = msgspec.json.Encoder().encode_into

    def add(self, report: Report) -> None:
        buffer = self.buffer
        if self.count:
            buffer += b","
        self._encode_into(report, buffer, len(buffer))
        self.count += 1
        if len(buffer) >= self.FLUSH_AT:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            self.out.write(self.buffer)
            self.buffer.clear()


def report_to_builtins(report: Report) -> dict[str, Any]:
    data: dict[str, Any] = msgspec.to_builtins(report)
    return data
