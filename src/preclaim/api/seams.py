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
    def history_for(self, patient_key: str, before: dt.date, *, exclude_claim: str | None = None) -> History: ...


class FeedbackSink(Protocol):
    def record(self, service_id: str, items: Sequence[dict[str, Any]]) -> int: ...


def feedback_key(service_id: str, item: dict[str, Any]) -> tuple[str, str, str, str]:
    """What makes a feedback item one event: an EHR retrying an unanswered call sends the same one again."""
    return service_id, str(item["card"]), str(item["outcome"]), str(item["outcomeTimestamp"])


class NoHistory:
    def history_for(self, patient_key: str, before: dt.date, *, exclude_claim: str | None = None) -> History:
        return EMPTY_HISTORY


class JsonlFeedback:
    """Append-only: one JSON line per feedback item, written in one call and flushed before the call returns.

    An item already recorded (same service, card, outcome and time) is not written again, so retries after a
    crash add no copy; a line torn by a crash mid-write is skipped when reading.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._seen: set[tuple[str, str, str, str]] | None = None  # loaded from the file on first use
        self._torn = False

    def _ends_torn(self) -> bool:
        if not self.path.exists() or self.path.stat().st_size == 0:
            return False
        with self.path.open("rb") as handle:
            handle.seek(-1, 2)
            return handle.read(1) != b"\n"

    def record(self, service_id: str, items: Sequence[dict[str, Any]]) -> int:
        received = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with self._lock:
            if self._seen is None:
                self._seen = {feedback_key(row["service"], row) for row in self.read()}
                self._torn = self._ends_torn()
            fresh = {feedback_key(service_id, item): item for item in items}
            fresh = {key: item for key, item in fresh.items() if key not in self._seen}
            lines = [
                json.dumps({"service": service_id, "received": received, **item}, sort_keys=True)
                for item in fresh.values()
            ]
            if lines:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as out:
                    # after a torn last line, start a new one so the first new item is not glued to it
                    out.write("\n" * self._torn + "".join(line + "\n" for line in lines))
                    out.flush()
                self._torn = False
            self._seen.update(fresh)
        return len(items)

    def read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        rows: list[dict[str, Any]] = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line torn by a crash mid-write: its call was never acknowledged
        return rows


def load_checker(policy_dirs: Sequence[str] = ()) -> Checker | None:
    """The engine with bundled (+ user) policies, or None while it is not installed."""
    try:
        from preclaim.facade import load_engine
    except ImportError as exc:
        logging.getLogger("preclaim.api").error("engine unavailable: %s", exc)
        return None
    return load_engine(tuple(Path(p) for p in policy_dirs))
