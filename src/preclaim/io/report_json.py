"""The stable JSON report contract, shared by the CLI, REST, CDS Hooks, web and audit outputs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from preclaim.domain.report import Report, ReportBatch

_encoder = msgspec.json.Encoder()


def reports_to_json(reports: Iterable[Report]) -> bytes:
    return _encoder.encode(ReportBatch(claims=tuple(reports)))


def report_to_builtins(report: Report) -> dict[str, Any]:
    data: dict[str, Any] = msgspec.to_builtins(report)
    return data
