"""A `jti` replay cache shared by every worker process: a small SQLite table next to the service's data.

One INSERT per call (WAL, synchronous=NORMAL): the primary key makes "seen before" an atomic test across
processes. Rows are swept once their token has expired, since an expired token is refused anyway.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


class SqliteReplayCache:
    def __init__(self, path: Path, sweep_every_s: float = 30.0) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=2.0)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS seen_jti (iss TEXT NOT NULL, jti TEXT NOT NULL, exp REAL NOT NULL,"
            " PRIMARY KEY (iss, jti)) WITHOUT ROWID"
        )
        self.sweep_every_s = sweep_every_s
        self._next_sweep = 0.0
        self._lock = threading.Lock()

    def check_and_add(self, iss: str, jti: str, exp: float, now: float) -> bool:
        with self._lock:
            if now >= self._next_sweep:
                self.db.execute("DELETE FROM seen_jti WHERE exp < ?", (now,))
                self._next_sweep = now + self.sweep_every_s
            try:
                self.db.execute("INSERT INTO seen_jti (iss, jti, exp) VALUES (?, ?, ?)", (iss, jti, exp))
            except sqlite3.IntegrityError:
                return False
            return True

    def close(self) -> None:
        self.db.close()
