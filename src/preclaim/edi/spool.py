"""Parsed claims parked in a temporary file while a check reads the rest of the file, then read back in order.

A check needs the whole file's claims as history before it can check the first one, and a file of a million
claims does not fit in memory as objects, so the one pass of a check writes each domain claim here (pickled
in batches: one C-level call per batch) and reads them back after the last claim.

Pickle, not msgspec MessagePack (tried, issue 14): msgpack writes faster (about 15,000 instructions a claim
against 33,000) but its typed decoder reads slower (32,000 against 16,000: it matches every field name and
builds every string and struct anew, where pickle's memo shares what repeats in a batch), so a check cost more
(410,900 against 403,800 a claim, "check + JSON"), the file grew 4.6 times (990 bytes a claim against 215), and
the decoder refuses values outside the domain types' JSON bounds that an 837P claim may carry (an NDC quantity
of 1e300). Compiling this module with mypyc saves only 0.6%.

The first claims of a file stay in memory as records (`memory`, a bound the caller sets): a file whose claims
fit never pays for pickling. A caller that finds the file too big after all (check.MEMORY_HELD) moves them to
a file of their own (`park`), read back first; the claims after them go to the spool's file.

Only the claim and its segment number are kept, not the raw segments and parent loops a writer needs:
parking those too cost more than reading the file a second time (callgrind, 2,000 claims: 446,000
instructions a claim against 350,000 for two passes and 265,000 for claims alone), so a caller that needs
them reads the file twice (check.check_items with raw=True).
"""

from __future__ import annotations

import copyreg
import datetime as dt
import gc
import pickle
import tempfile
from collections.abc import Iterator
from typing import BinaryIO

from preclaim.domain.claim import Claim, Diagnosis, Ndc, Patient, Payer, Provider, ServiceLine
from preclaim.domain.encounter import ChemoSchedule, Encounter, Lab
from preclaim.edi.x12.loops import ClaimItem, Loop, ParsedClaim, RejectedClaim, Transaction
from preclaim.edi.x12.tokenizer import Delimiters
from preclaim.errors import X12Error

# Claims per pickle: what repeats in a batch (payers, providers, codes) is written and rebuilt once; about 1 MB of
# objects at a time. 1,024 against 256: 2.2% fewer instructions a claim for a whole check.
BATCH = 1024
# The domain types' own reducers, looked up by type: pickle otherwise asks each object for __reduce_ex__, which
# asks for __reduce__ (the same result: about 17% less time writing a batch).
_REDUCERS = copyreg.dispatch_table.copy()
for _type in (Claim, ServiceLine, Patient, Payer, Provider, Ndc, Diagnosis, Encounter, Lab, ChemoSchedule, dt.date):
    _REDUCERS[_type] = _type.__reduce__
# The items read back share these empty stand-ins for the transaction and loops they no longer carry.
STUB_TRANSACTION = Transaction(Delimiters(), [], [], [])
STUB_LOOP = Loop([], 0)
# (segment number, claim) or, for a claim the reader rejected, (segment number, claim id, error)
_Record = tuple[int, Claim] | tuple[int, str | None, X12Error]


class ClaimSpool:
    """Write items with `add`, then iterate once to get them back in the same order (without raw segments).

    The first `memory` items are held as objects; the rest go to `file` (a temporary file when none is given,
    made only when needed). `count` is how many items it holds once flushed (iterating flushes)."""

    def __init__(self, file: BinaryIO | None = None, *, memory: int = 0) -> None:
        self.file = file
        self.kept: list[_Record] = []  # records, as pickled: a tuple takes a third of a stripped item's memory
        self.memory = memory
        self.batch: list[_Record] = []
        self.count = 0
        self.head: BinaryIO | None = None  # the first items, when `park` moved them out of memory
        self.in_head = 0

    def add(self, item: ClaimItem) -> None:
        record = _record(item)
        if len(self.kept) < self.memory:
            self.kept.append(record)
            self.count += 1
            return
        self.batch.append(record)
        if len(self.batch) >= BATCH:
            self.flush()

    def flush(self) -> None:
        if self.batch:
            if self.file is None:
                self.file = tempfile.TemporaryFile()  # noqa: SIM115  # closed by close()
            _dump(self.file, self.batch)
            self.count += len(self.batch)
            self.batch = []

    def park(self) -> None:
        """Move the items held in memory to a temporary file of their own, and hold no more: the caller found
        the file too big to hold (check.MEMORY_HELD)."""
        self.memory = 0
        if not self.kept:
            return
        head = self.head = tempfile.TemporaryFile()  # noqa: SIM115  # closed by close()
        for start in range(0, len(self.kept), BATCH):
            _dump(head, self.kept[start : start + BATCH])
        self.in_head = len(self.kept)
        self.kept = []

    def __iter__(self) -> Iterator[ClaimItem]:
        self.flush()
        kept, self.kept = self.kept, []
        left = self.count - len(kept) - self.in_head
        try:
            if self.head is not None:
                yield from _read(self.head, self.in_head)
            yield from map(_item, kept)
            del kept
            if self.file is not None:
                yield from _read(self.file, left)
        finally:
            self.close()

    def close(self) -> None:
        self.kept = []
        for file in (self.head, self.file):
            if file is not None:
                file.close()


def _dump(file: BinaryIO, records: list[_Record]) -> None:
    pickler = pickle.Pickler(file, pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _REDUCERS
    pickler.dump(records)


def _read(file: BinaryIO, count: int) -> Iterator[ClaimItem]:
    """The first `count` items pickled in `file`."""
    file.seek(0)
    while count > 0:
        collecting = gc.isenabled()
        gc.disable()  # fresh objects without cycles: no collection could free any of them
        try:
            batch: list[_Record] = pickle.load(file)
        finally:
            if collecting:
                gc.enable()
        count -= len(batch)
        yield from map(_item, batch)


def _record(item: ClaimItem) -> _Record:
    return (item.number, item.claim) if isinstance(item, ParsedClaim) else (item.number, item.claim_id, item.error)


def stripped(item: ClaimItem) -> ClaimItem:
    """The item as a spool hands it back: the claim (or the rejection) and its segment number, no raw segments."""
    return _item(_record(item))


def _item(record: _Record) -> ClaimItem:
    """The item a record stands for, without its raw segments and loops."""
    if len(record) == 2:
        return ParsedClaim(record[1], [], record[0], STUB_TRANSACTION, STUB_LOOP, STUB_LOOP)
    number, claim_id, error = record
    return RejectedClaim(claim_id, error, [], number, STUB_TRANSACTION, STUB_LOOP, STUB_LOOP)
