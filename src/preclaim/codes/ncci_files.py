"""Finding the data files inside what CMS publishes for NCCI, and what their names say.

A practitioner PTP download is one zip per part (…-ccipra-v322r0-f1.zip … -f4.zip), each holding the part as a
tab-delimited .TXT and as an .xlsx; the MUE download is one zip holding the table as .csv and .xlsx. A user may
also give the unzipped text file, or one zip holding several parts or the part zips. Members are streamed
(a nested zip is first copied to a temporary file, since a zip member cannot be searched in place): nothing
reads a whole file into memory.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from preclaim.errors import CodeSetError

_VERSION = re.compile(r"v(\d{3})r(\d+)", re.IGNORECASE)
_QUARTER = re.compile(r"(20\d\d)[-_ ]?q([1-4])(?!\d)", re.IGNORECASE)
_Q_FIRST = re.compile(r"(?<![a-z0-9])q([1-4])[-_ ](20\d\d)(?!\d)", re.IGNORECASE)
_EFFECTIVE = re.compile(r"eff[-_ ]?(\d\d)-(\d\d)-(20\d\d)", re.IGNORECASE)
_PART = re.compile(r"-f(\d+)(?:\.[a-z]+)?$", re.IGNORECASE)
_EXCEL = (".xlsx", ".xls")


@dataclass(frozen=True, slots=True)
class Member:
    """One data file to read: where to say it is in errors, its own name, and how to open it as text."""

    where: str  # "ptp.zip!ccipra-v322r0-f1.TXT" or the file path
    name: str  # "ccipra-v322r0-f1.TXT"
    names: tuple[str, ...]  # every name on the way (outer zip, nested zip, member) for version/quarter hints
    open: Callable[[], IO[bytes]]


def quarter_of(text: str) -> str | None:
    """ "2026Q3" from names such as medicare-ncci-2026q3-…, …-2026-q3-…, MCR_MUE_…_Eff_07-01-2026."""
    if found := _QUARTER.search(text):
        return f"{found.group(1)}Q{found.group(2)}"
    if found := _Q_FIRST.search(text):
        return f"{found.group(2)}Q{found.group(1)}"
    if found := _EFFECTIVE.search(text):
        month = int(found.group(1))
        if month in (1, 4, 7, 10):
            return f"{found.group(3)}Q{(month - 1) // 3 + 1}"
    return None


def effective_of(text: str) -> dt.date | None:
    if found := _EFFECTIVE.search(text):
        try:
            return dt.date(int(found.group(3)), int(found.group(1)), int(found.group(2)))
        except ValueError:
            return None
    return None


def version_of(text: str) -> str | None:
    """ "v322r0" from ccipra-v322r0-f1.TXT."""
    found = _VERSION.search(text)
    return f"v{found.group(1)}r{found.group(2)}" if found else None


def version_quarter(version: str) -> str | None:
    """The quarter CMS publishes a PTP version for: v322r0 is 2026 Q3 (v320 Q1, v321 Q2: 'v' + year - 1994 and the
    quarter's index), as in the file names medicare-ncci-2026q1-…-ccipra-v320r0 … 2026q3-…-ccipra-v322r0."""
    found = _VERSION.search(version)
    if not found:
        return None
    number = int(found.group(1))
    year, index = 1994 + number // 10, number % 10
    return f"{year}Q{index + 1}" if index < 4 else None


def part_of(name: str) -> str:
    """ "f1" from ccipra-v322r0-f1.TXT; otherwise the file's own stem."""
    found = _PART.search(name)
    return f"f{int(found.group(1))}" if found else Path(name).stem


def parse_quarter(text: str) -> str:
    """A --quarter option: 2026Q3, 2026-Q3 or 2026q3."""
    found = re.fullmatch(r"\s*(20\d\d)[-_ ]?[qQ]([1-4])\s*", text)
    if not found:
        raise CodeSetError(f"quarter {text!r} is not like 2026Q3", where="--quarter")
    return f"{found.group(1)}Q{found.group(2)}"


def quarter_start(quarter: str) -> dt.date:
    return dt.date(int(quarter[:4]), (int(quarter[5]) - 1) * 3 + 1, 1)


@contextmanager
def members(path: Path, wanted: tuple[str, ...], what: str) -> Iterator[list[Member]]:
    """The data files (names ending in one of `wanted`) in `path`: the file itself, or the members of a zip and of
    the zips inside it. Excel-only downloads are refused with what to give instead."""
    if not path.is_file():
        raise CodeSetError(f"no such {what} file", where=str(path))
    with ExitStack() as stack:
        found: list[Member] = []
        excel: list[str] = []
        try:
            _collect(stack, path, str(path), (path.name,), wanted, found, excel)
        except (OSError, zipfile.BadZipFile) as exc:
            raise CodeSetError(f"cannot read the {what} file: {exc}", where=str(path)) from None
        if not found:
            hint = (
                f"only Excel workbooks ({', '.join(excel)}); preclaim reads the {'/'.join(wanted)} file CMS ships "
                "next to them"
                if excel
                else f"no {'/'.join(wanted)} file"
            )
            raise CodeSetError(f"{hint}: is this the CMS {what} download?", where=str(path))
        yield found


def _collect(
    stack: ExitStack,
    path: Path,
    where: str,
    names: tuple[str, ...],
    wanted: tuple[str, ...],
    found: list[Member],
    excel: list[str],
) -> None:
    lower = path.name.lower()
    if lower.endswith(_EXCEL):
        excel.append(path.name)
        return
    if not zipfile.is_zipfile(path):
        if lower.endswith(wanted) or not names[:-1]:  # a file given directly is read whatever its name
            found.append(Member(where, path.name, names, lambda: path.open("rb")))
        return
    archive = stack.enter_context(zipfile.ZipFile(path))
    for info in sorted(archive.infolist(), key=lambda i: i.filename):
        name = info.filename
        base = name.rsplit("/", 1)[-1]
        if info.is_dir() or name.startswith("__MACOSX") or base.startswith("."):
            continue
        inner_where, inner_names = f"{where}!{name}", (*names, base)
        if base.lower().endswith(".zip"):
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory())) / base
            with archive.open(info) as src, tmp.open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            _collect(stack, tmp, inner_where, inner_names, wanted, found, excel)
        elif base.lower().endswith(_EXCEL):
            excel.append(base)
        elif base.lower().endswith(wanted):
            found.append(Member(inner_where, base, inner_names, _opener(archive, info)))


def _opener(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> Callable[[], IO[bytes]]:
    return lambda: archive.open(info)


def text_lines(member: Member) -> Iterator[tuple[int, str]]:
    """(line number, line without its end) for each line of a member, decoded as CMS publishes (Latin-1)."""
    number = 0
    try:
        with member.open() as raw, io.TextIOWrapper(raw, encoding="latin-1", newline="") as text:
            for number, line in enumerate(text, start=1):
                yield number, line.rstrip("\r\n")
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:  # a damaged download
        raise read_error(member, number + 1, exc) from None


def read_error(member: Member, line: int, exc: Exception) -> CodeSetError:
    return CodeSetError(f"cannot read the file at this line: {exc}", where=f"{member.where}:{line}")
