"""A file's history facts on disk (a temporary SQLite database), for files too big to hold them in memory.

A check keeps, per patient, one entry per service line of the file (`check.BatchHistory`): every claim can be
history for every other claim of its patient, wherever they are in the file, so all of them are held until the
last check. Past a bound they move here, and memory stays flat however big the file is: lines are appended as
the file is read; after the last one, SQLite sorts them (patient, date, file order; its sorter spills to disk
too) and each patient's lines become one row (a marshal blob), so a check reads one row for its patient.

Voids and replacements drop the lines of the claim they name that came before them in the file: each drop is
kept with its place (`mark`, in memory: they are few) and applied while the lines are packed. In the mode where
claims are checked as they are read (standard input), lines are indexed as they come, read back line by line,
and a drop is applied at once.

Forked processes (`--jobs`) share the history: each opens its own read-only connection to the same file
(`reading`), which only the process that wrote it deletes.
"""

from __future__ import annotations

import datetime as dt
import marshal
import os
import shutil
import sqlite3
import tempfile
import weakref
from collections.abc import Iterable
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

# (date of service, index of the claim in the file, code, units, claim id, payer id): what BatchHistory keeps
Entry = tuple[dt.date, int, str, float, str, str]
_ROWS = 8192  # rows written per executemany
# SQLite page cache (and sorter memory) per connection: with 8 MB, packing a 1,000,000-claim file's lines raised
# the check's peak memory by 8 MB, to 150 MB; with 4 MB the peak is 141 MB and the check as fast (80 s)
_CACHE_KB = 4096

_SCHEMA = """
CREATE TABLE facts (seq INTEGER PRIMARY KEY, patient TEXT NOT NULL, day INTEGER NOT NULL, idx INTEGER NOT NULL,
                    code TEXT NOT NULL, units REAL NOT NULL, claim_id TEXT NOT NULL, payer TEXT NOT NULL);
CREATE TABLE patients (patient TEXT PRIMARY KEY, lines BLOB NOT NULL) WITHOUT ROWID;
"""
# Standard input: a patient's lines in date then file order, read from the index alone.
_INDEX = "CREATE INDEX facts_patient ON facts (patient, day, seq, idx, code, units, claim_id, payer)"
_SELECT = "SELECT day, idx, code, units, claim_id, payer FROM facts WHERE patient = ? ORDER BY day, seq"
_SELECT_ALL = "SELECT patient, seq, day, idx, code, units, claim_id, payer FROM facts ORDER BY patient, day, seq"
_SELECT_PACKED = "SELECT lines FROM patients WHERE patient = ?"
_patient = itemgetter(0)


class SpilledHistory:
    """Per-patient history entries in a temporary SQLite file; `close` deletes it."""

    def __init__(self, *, indexed: bool) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="preclaim-history-"))
        self.path = self.folder / "history.sqlite"
        self._pid = os.getpid()
        self._db = _connect(self.path, writable=True)
        self._db.executescript(_SCHEMA)
        self._db.execute("BEGIN")  # one transaction until `finish` (executescript commits)
        self._pending: list[tuple[int, str, int, int, str, float, str, str]] = []
        self._seq = 0
        self._drops: dict[str, list[tuple[str, int]]] = {}  # patient: (claim id, lines before it)
        self.indexed = indexed
        self.packed = False  # True after `finish`: read from the patients table
        if indexed:
            self._db.execute(_INDEX)
        self._cleanup: weakref.finalize[..., Any] = weakref.finalize(self, shutil.rmtree, self.folder, True)

    @classmethod
    def reading(cls, path: Path) -> SpilledHistory:
        """The finished history another process wrote at `path`, read-only; `close` leaves the file to its writer."""
        spilled = cls.__new__(cls)
        spilled.folder = path.parent
        spilled.path = path
        spilled._pid = os.getpid()
        spilled._db = _connect(path, writable=False)
        spilled._pending = []
        spilled._seq = 0
        spilled._drops = {}
        spilled.indexed = False
        spilled.packed = True
        spilled._cleanup = weakref.finalize(spilled, spilled._db.close)
        return spilled

    def add(self, key: str, entries: Iterable[Entry]) -> None:
        """Append lines of patient `key` (in the order a patient's list would hold them)."""
        pending = self._pending
        for day, index, code, units, claim_id, payer in entries:
            self._seq += 1
            pending.append((self._seq, key, day.toordinal(), index, code, units, claim_id, payer))
        if len(pending) >= _ROWS or self.indexed:
            self._flush()

    def add_claim(
        self, key: str, index: int, claim_id: str, payer: str, services: Iterable[tuple[dt.date, str, float]]
    ) -> None:
        """Append the service lines of one claim (what `add` does, without building entries first)."""
        pending = self._pending
        seq = self._seq
        for day, code, units in services:
            seq += 1
            pending.append((seq, key, day.toordinal(), index, code, units, claim_id, payer))
        self._seq = seq
        if len(pending) >= _ROWS or self.indexed:
            self._flush()

    def drop(self, key: str, claim_ids: tuple[str, str | None]) -> None:
        """Remove the lines added so far of patient `key` whose claim id is one of `claim_ids`."""
        named = [cid for cid in dict.fromkeys(claim_ids) if cid is not None]
        if self.indexed:
            self._flush()
            self._db.executemany("DELETE FROM facts WHERE patient = ? AND claim_id = ?", [(key, c) for c in named])
        else:
            self._drops.setdefault(key, []).extend((cid, self._seq + 1) for cid in named)

    def finish(self) -> None:
        """After the file's last line: pack each patient's lines (drops applied) and commit, before any fork."""
        self._flush()
        drops = self._drops
        rows: list[tuple[str, bytes]] = []
        for key, group in groupby(self._db.execute(_SELECT_ALL), _patient):
            dropped = drops.get(key)
            if dropped is None:
                lines = [line[2:] for line in group]
            else:
                lines = [line[2:] for line in group if not any(c == line[6] and line[1] < m for c, m in dropped)]
            if lines:
                rows.append((key, marshal.dumps(lines)))
            if len(rows) >= _ROWS:
                self._db.executemany("INSERT INTO patients VALUES (?, ?)", rows)
                rows = []
        self._db.executemany("INSERT INTO patients VALUES (?, ?)", rows)
        self._drops = {}
        self.packed = True
        self._db.commit()
        # Reads from now on, in one transaction: each query then skips taking a lock and re-reading the header.
        self._db.execute("BEGIN")

    def entries(self, key: str) -> list[Entry]:
        """Patient `key`'s lines in date order (file order within a date)."""
        if self._pid != os.getpid():  # a forked process: its own connection, never the parent's
            self._db = _connect(self.path, writable=False)
            self._pid = os.getpid()
        fromordinal = dt.date.fromordinal
        if self.packed:
            found = self._db.execute(_SELECT_PACKED, (key,)).fetchone()
            if found is None:
                return []
            rows = marshal.loads(found[0])
        else:
            if self._pending:
                self._flush()
            rows = self._db.execute(_SELECT, (key,))
        return [
            (fromordinal(day), index, code, units, claim_id, payer) for day, index, code, units, claim_id, payer in rows
        ]

    def close(self) -> None:
        if self._pid == os.getpid():
            self._db.close()
            self._cleanup()

    def _flush(self) -> None:
        self._db.executemany("INSERT INTO facts VALUES (?, ?, ?, ?, ?, ?, ?, ?)", self._pending)
        self._pending = []


def _connect(path: Path, *, writable: bool) -> sqlite3.Connection:
    if writable:
        db = sqlite3.connect(path, isolation_level=None)
        # A scratch file deleted after the check: no journal and no syncs (a crash loses nothing that matters).
        db.executescript("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")
    else:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
    db.execute(f"PRAGMA cache_size = -{_CACHE_KB}")
    if not writable:
        db.execute("BEGIN")  # one read transaction for all its queries (the writer has finished)
    return db
