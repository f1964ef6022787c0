"""Import the CMS Medicare NCCI practitioner PTP edits (`preclaim codes import-ncci`).

Layout of each part file (ccipra-vNNNrN-fN.TXT, tab-delimited, Latin-1), as published by CMS: an AMA notice
line, a title line ("Column1/Column2 Edits"), a header wrapped over four lines (Column 1 | Column 2 |
*=in existence prior to 1996 | Effective Date | Deletion Date *=no data | Modifier 0=not allowed 1=allowed
9=not applicable | PTP Edit Rationale), then one edit a line:

    0001U<TAB>0030U<TAB><TAB>20180701<TAB>*<TAB>1<TAB>Misuse of Column Two code with Column One code

Rows are parsed one line at a time into typed arrays (ncci_ptp_parse; one part in memory at a time) and written to
the user's data folder; a malformed row stops the import with the file, part, line and column, and nothing changes.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import msgspec

from preclaim.codes import ncci_store as store
from preclaim.codes.ncci_files import (
    Member,
    members,
    parse_quarter,
    part_of,
    quarter_of,
    version_of,
    version_quarter,
)
from preclaim.codes.ncci_ptp_parse import PartReader
from preclaim.errors import CodeSetError

_CMS_NAME = re.compile(r"cci(pra|oph)", re.IGNORECASE)  # the CMS part files: ccipra-…, ccioph-…


@dataclass(frozen=True, slots=True)
class PtpResult:
    version: str
    quarter: str | None
    parts: tuple[store.PtpPartRecord, ...]
    replaced: str | None  # the version the import replaced, if another one was in use

    @property
    def rows(self) -> int:
        return sum(p.rows for p in self.parts)


def _version_of(member: Member) -> str:
    """The PTP version from the part's own name, else from the zip it came in."""
    for name in (member.name, *reversed(member.names)):
        if found := version_of(name):
            return found
    raise CodeSetError(
        "cannot tell the PTP version from the file names (like ccipra-v322r0-f1); give --version", where=member.where
    )


def _part_files(found: list[Member]) -> list[Member]:
    """The PTP part files among the text files: when some are named like CMS parts (ccipra-…), any other text file
    in the download (a readme) is left alone."""
    named = [m for m in found if _CMS_NAME.search(m.name)]
    return named or found


def _check_kind(member: Member) -> None:
    names = " ".join(member.names).lower()
    if "ccioph" in names or "hospital" in names:
        raise CodeSetError(
            "this is the outpatient hospital PTP table; preclaim checks practitioner claims (837P): import the "
            "practitioner table (ccipra-…)",
            where=member.where,
        )
    if "medicaid" in names:
        raise CodeSetError(
            "this is a Medicaid NCCI file; preclaim imports the Medicare practitioner PTP table", where=member.where
        )


def import_ptp(
    paths: list[Path], user_dir: Path, *, version: str | None = None, quarter: str | None = None
) -> PtpResult:
    """Read every part in `paths` and make them the PTP table checks use. Errors name file, part, line, column."""
    quarter = parse_quarter(quarter) if quarter else None
    base = store.folder(user_dir)
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CodeSetError(f"cannot create the folder for NCCI tables: {exc}", where=str(base)) from None
    current = store.read_ptp_manifest(user_dir)
    chosen: str | None = None
    written: list[tuple[Path, store.PtpPartRecord]] = []
    try:
        for path in paths:
            with members(path, (".txt",), "NCCI PTP") as found:
                for member in _part_files(found):
                    _check_kind(member)
                    own = version or _version_of(member)
                    if chosen is None:
                        chosen = own
                        _check_not_older(chosen, current, member)
                    elif own != chosen:
                        raise CodeSetError(
                            f"this part is of version {own} but the others are {chosen}; import one version at a time",
                            where=member.where,
                        )
                    quarter = quarter or next((q for n in member.names if (q := quarter_of(n))), None)
                    written.append(_read_member(member, base, chosen))
        if chosen is None:
            raise CodeSetError("no PTP file given", where="import-ncci")
        return _commit(user_dir, current, chosen, quarter or version_quarter(chosen), written)
    except OSError as exc:
        raise CodeSetError(f"cannot save the PTP table: {exc}", where=str(base)) from None
    finally:
        for tmp, _ in written:
            tmp.unlink(missing_ok=True)


def _check_not_older(version: str, current: store.PtpManifest | None, member: Member) -> None:
    if current is not None and _number(version) < _number(current.version):
        raise CodeSetError(
            f"version {version} is older than the imported {current.version}, which already carries the earlier "
            "edits with their dates; nothing was changed",
            where=member.where,
        )


def _read_member(member: Member, base: Path, version: str) -> tuple[Path, store.PtpPartRecord]:
    part_name = part_of(member.name)
    part = PartReader(member, part_name).read()
    final = f"ptp-{version}-{part_name}-{secrets.token_hex(4)}.bin"
    tmp = base / f".{final}.tmp"
    rows = part.write(tmp)
    record = store.PtpPartRecord(
        name=part_name,
        file=final,
        member=member.name,
        source=member.where,
        rows=rows,
        rationales=list(part.rationales),
        imported_at=dt.datetime.now(dt.UTC),
    )
    return tmp, record


def _commit(
    user_dir: Path,
    current: store.PtpManifest | None,
    version: str,
    quarter: str | None,
    written: list[tuple[Path, store.PtpPartRecord]],
) -> PtpResult:
    base = store.folder(user_dir)
    replaced = current.version if current is not None and current.version != version else None
    kept = current.parts if current is not None and replaced is None else []
    parts = {p.name: p for p in kept}
    for _, record in written:
        parts[record.name] = record  # the same part imported again replaces it: idempotent
    for tmp, record in written:
        tmp.replace(base / record.file)
    manifest = store.PtpManifest(version, quarter, sorted(parts.values(), key=lambda p: p.name))
    store.write_atomic(base / store.PTP_MANIFEST, msgspec.json.encode(manifest))
    store.remove_stale(user_dir, {p.file for p in manifest.parts}, "ptp-")
    return PtpResult(version, quarter, tuple(record for _, record in written), replaced)


def _number(version: str) -> tuple[int, ...]:
    found = version_of(version)
    return tuple(int(x) for x in found[1:].split("r")) if found else (0,)
