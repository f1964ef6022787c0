"""Where imported NCCI tables live in the user's data folder, and reading them back.

    $PRECLAIM_HOME/ncci/ptp.json                    which PTP version is in use, its quarter and parts
    $PRECLAIM_HOME/ncci/ptp-v322r0-f1-<id>.bin      one part's rows as typed arrays (see ncci_tables)
    $PRECLAIM_HOME/ncci/mue-2026Q3.json             one quarter's MUE table

A PTP file carries the whole edit history (effective and deletion dates), so only the newest version is kept;
importing a part of that version again replaces the part. MUE tables have no dates, so each quarter is kept and
a check uses the one in effect on the date of service. Every write goes to a temporary name first and the
manifest is replaced last: a failed import leaves the previous tables as they were.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from array import array
from functools import lru_cache
from pathlib import Path

import msgspec

from preclaim.codes.ncci_tables import MueEdit, MueQuarter, NcciTables, PtpPart
from preclaim.errors import CodeSetError

FOLDER = "ncci"
PTP_MANIFEST = "ptp.json"
PTP_FORMAT = "preclaim-ncci-ptp/1"
MUE_FORMAT = "preclaim-ncci-mue/1"
# Array type codes of a part file, in file order, and their item sizes (checked against the row count).
COLUMNS = (("keys", "q"), ("effective", "i"), ("deleted", "i"), ("indicator", "b"), ("rationale", "H"), ("line", "I"))


class PtpPartRecord(msgspec.Struct, frozen=True):
    name: str  # f1
    file: str  # the .bin file in the ncci folder
    member: str  # ccipra-v322r0-f1.TXT
    source: str  # where it was read from: "…/f1.zip!ccipra-v322r0-f1.TXT"
    rows: int
    rationales: list[str]
    imported_at: dt.datetime


class PtpManifest(msgspec.Struct, frozen=True):
    version: str
    quarter: str | None
    parts: list[PtpPartRecord]
    format: str = PTP_FORMAT


class MueRow(msgspec.Struct, frozen=True, array_like=True):
    code: str
    value: int
    mai: int
    rationale: int  # index into MueImport.rationales
    line: int


class MueImport(msgspec.Struct, frozen=True):
    quarter: str
    start: dt.date
    file: str  # where it was read from
    member: str
    imported_at: dt.datetime
    mai_texts: dict[str, str]  # "2" -> "2 Date of Service Edit: Policy", as the file prints it
    rationales: list[str]
    rows: list[MueRow]
    format: str = MUE_FORMAT


def folder(user_dir: Path) -> Path:
    return user_dir / FOLDER


def write_atomic(target: Path, data: bytes) -> None:
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(target)


def read_ptp_manifest(user_dir: Path) -> PtpManifest | None:
    path = folder(user_dir) / PTP_MANIFEST
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CodeSetError(f"cannot read the imported NCCI PTP table: {exc}", where=str(path)) from None
    try:
        return msgspec.json.decode(raw, type=PtpManifest)
    except msgspec.DecodeError as exc:
        raise CodeSetError(f"imported NCCI PTP table is unreadable ({exc}); import it again", where=str(path)) from None


def _read_part(base: Path, record: PtpPartRecord) -> PtpPart:
    path = base / record.file
    arrays: dict[str, array] = {}  # type: ignore[type-arg]
    try:
        with path.open("rb") as handle:
            for name, code in COLUMNS:
                column = array(code, [0]) * record.rows  # read straight into the array: no second copy in memory
                with memoryview(column) as view, view.cast("B") as raw:
                    got = handle.readinto(raw)
                    if got != raw.nbytes:
                        raise CodeSetError(
                            f"imported NCCI PTP part {record.name} is shorter than its {record.rows} rows; "
                            "import it again",
                            where=str(path),
                        )
                arrays[name] = column
    except OSError as exc:
        raise CodeSetError(f"cannot read the imported NCCI PTP part {record.name}: {exc}", where=str(path)) from None
    return PtpPart(name=record.name, member=record.member, rationales=tuple(record.rationales), **arrays)


def _read_mue(path: Path) -> MueQuarter:
    try:
        record = msgspec.json.decode(path.read_bytes(), type=MueImport)
    except (OSError, msgspec.DecodeError) as exc:
        raise CodeSetError(f"imported MUE table is unreadable ({exc}); import it again", where=str(path)) from None
    edits = {
        row.code: MueEdit(
            row.code,
            row.value,
            row.mai,
            record.mai_texts.get(str(row.mai), str(row.mai)),
            record.rationales[row.rationale],
            record.member,
            row.line,
        )
        for row in record.rows
    }
    return MueQuarter(record.quarter, record.start, record.file, edits)


def _stamp(path: Path) -> tuple[str, int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (str(path), stat.st_mtime_ns, stat.st_size)


def mue_files(user_dir: Path) -> list[Path]:
    base = folder(user_dir)
    return sorted(base.glob("mue-*.json")) if base.is_dir() else []


@lru_cache(maxsize=2)  # a full PTP table is tens of MB: keep the last two folders' tables, not every one seen
def _load(stamps: tuple[tuple[str, int, int] | None, ...]) -> NcciTables | None:
    manifest_stamp, *mue_stamps = stamps
    manifest = read_ptp_manifest(Path(manifest_stamp[0]).parent.parent) if manifest_stamp else None
    parts: tuple[PtpPart, ...] = ()
    if manifest is not None:
        base = Path(manifest_stamp[0]).parent if manifest_stamp else Path()
        parts = tuple(_read_part(base, record) for record in manifest.parts)
    quarters = tuple(_read_mue(Path(stamp[0])) for stamp in mue_stamps if stamp is not None)
    if not parts and not quarters:
        return None
    return NcciTables(manifest.version if manifest else None, manifest.quarter if manifest else None, parts, quarters)


def load_ncci(user_dir: Path) -> NcciTables | None:
    """The NCCI tables imported into `user_dir`, or None when there are none (read once per change)."""
    manifest = _stamp(folder(user_dir) / PTP_MANIFEST)
    mue = [_stamp(path) for path in mue_files(user_dir)]
    if manifest is None and not mue:
        return None
    return _load((manifest, *mue))


def remove_stale(user_dir: Path, keep: set[str], prefix: str) -> None:
    """Delete files of `prefix` that no manifest refers to (older versions, replaced parts, left-over temps)."""
    base = folder(user_dir)
    for path in base.glob(f"{prefix}*"):
        if path.name not in keep:
            with contextlib.suppress(OSError):  # a file still open elsewhere goes with the next import
                os.remove(path)
