"""Seams to the rest of preclaim, so the service runs with what is installed and tests can pass real parts.

Checker        the engine (preclaim.engine.Engine satisfies it)
HistorySource  earlier injections/authorizations for a patient (the store when configured, else none)
FeedbackSink   where CDS card feedback goes (append-only JSONL in the data dir by default)
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from preclaim.domain.claim import Claim
from preclaim.domain.history import EMPTY_HISTORY, History
from preclaim.domain.report import PriorAuthDecision, Report


class Checker(Protocol):
    def check(self, claim: Claim, history: History = ..., *, as_of: dt.date) -> Report: ...

    def prior_auth(self, claim: Claim, history: History = ..., *, as_of: dt.date) -> PriorAuthDecision: ...


class HistorySource(Protocol):
    def history_for(self, patient_key: str, before: dt.date) -> History: ...


class FeedbackSink(Protocol):
    def record(self, service_id: str, items: Sequence[dict[str, Any]]) -> int: ...


class NoHistory:
    def history_for(self, patient_key: str, before: dt.date) -> History:
        return EMPTY_HISTORY


class JsonlFeedback:
    """Append-only: one JSON line per feedback item, flushed before the call returns."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def record(self, service_id: str, items: Sequence[dict[str, Any]]) -> int:
        received = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        lines = [json.dumps({"service": service_id, "received": received, **item}, sort_keys=True) for item in items]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write("".join(line + "\n" for line in lines))
            out.flush()
        return len(lines)

    def read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_checker(policy_dirs: Sequence[str] = ()) -> Checker | None:
    """The engine with bundled (+ user) policies, or None while it is not installed."""
    try:
        from preclaim.engine import Engine
    except ImportError as exc:
        logging.getLogger("preclaim.api").error("engine unavailable: %s", exc)
        return None
    return Engine.default(policy_dirs=tuple(Path(p) for p in policy_dirs))
