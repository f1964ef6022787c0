"""`jti` replay caches: one per process (memory), or one shared by every worker (a small SQLite table).

A (iss, jti) is kept until `keep_until`, which the verifier sets to exp + leeway: the signature check still
accepts a token for the leeway after its exp, so forgetting it at exp would let a captured token be replayed
once more in those seconds.

SQLite: one INSERT per call (WAL, synchronous=NORMAL); the primary key makes "seen before" an atomic test
across processes. Rows are swept once their keep_until has passed.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Protocol

LEGACY_MARGIN_S = 300  # rows of the old table kept exp only: keep them this much longer, more than any leeway


class Replay(Protocol):
    def check_and_add(self, iss: str, jti: str, keep_until: float, now: float) -> bool:
        """False when (iss, jti) was seen; else remember it until `keep_until` (exp + leeway) and return True."""
        ...


class ReplayCache:
    """Remembers (iss, jti) while the token could still be accepted, in this process (one worker; several
    share SqliteReplayCache)."""

    def __init__(self, max_entries: int = 200_000) -> None:
        self.seen: dict[tuple[str, str], float] = {}
        self.max_entries = max_entries
        self._next_sweep = 0.0

    def check_and_add(self, iss: str, jti: str, keep_until: float, now: float) -> bool:
        if now >= self._next_sweep or len(self.seen) > self.max_entries:
            self.seen = {k: until for k, until in self.seen.items() if until > now}
            self._next_sweep = now + 30
        key = (iss, jti)
        if key in self.seen:
            return False
        self.seen[key] = keep_until
        return True


class SqliteReplayCache:
    def __init__(self, path: Path, sweep_every_s: float = 30.0) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=2.0)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self._create()
        self.sweep_every_s = sweep_every_s
        self._next_sweep = 0.0
        self._lock = threading.Lock()

    def _create(self) -> None:
        """The jti_seen table; rows of the old seen_jti table (which held exp, not exp + leeway) move over with
        a margin, in one transaction, so a worker opening the file at the same time sees one or the other."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS jti_seen (iss TEXT NOT NULL, jti TEXT NOT NULL,"
                " keep_until REAL NOT NULL, PRIMARY KEY (iss, jti)) WITHOUT ROWID"
            )
            old = self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'seen_jti'").fetchone()
            if old:
                self.db.execute(
                    "INSERT OR IGNORE INTO jti_seen SELECT iss, jti, exp + ? FROM seen_jti", (LEGACY_MARGIN_S,)
                )
                self.db.execute("DROP TABLE seen_jti")
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def check_and_add(self, iss: str, jti: str, keep_until: float, now: float) -> bool:
        with self._lock:
            if now >= self._next_sweep:
                self.db.execute("DELETE FROM jti_seen WHERE keep_until <= ?", (now,))
                self._next_sweep = now + self.sweep_every_s
            try:
                self.db.execute("INSERT INTO jti_seen (iss, jti, keep_until) VALUES (?, ?, ?)", (iss, jti, keep_until))
            except sqlite3.IntegrityError:
                return False
            return True

    def close(self) -> None:
        self.db.close()
