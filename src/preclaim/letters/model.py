"""The letter as data: text runs with blanks, so HTML and PDF render the same facts the same way."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from preclaim.domain.report import Source

BLANK_RULE = "________"


@dataclass(frozen=True, slots=True)
class Blank:
    """A fact the letter needs but the record does not hold: printed as a line to fill plus what goes there."""

    label: str

    def __str__(self) -> str:
        return f"{BLANK_RULE} ({self.label})"


Run = str | Blank
Text = tuple[Run, ...]


def text(*runs: Run | None) -> Text:
    return tuple(r for r in runs if r is not None and r != "")


def fact(value: object | None, label: str) -> Run:
    """The value when known, else a blank naming it."""
    return Blank(label) if value is None or value == "" else str(value)


def plain(runs: Text) -> str:
    return "".join(str(r) for r in runs)


@dataclass(frozen=True, slots=True)
class Section:
    """A heading (may be empty) and its paragraphs or bullets."""

    heading: str
    paragraphs: tuple[Text, ...] = ()
    style: Literal["paragraphs", "bullets", "rows"] = "paragraphs"
    rows: tuple[tuple[str, Text], ...] = ()  # style "rows": label -> value


@dataclass(frozen=True, slots=True)
class Letter:
    kind: Literal["necessity", "appeal"]
    title: str
    date: dt.date
    sender: tuple[Text, ...]
    recipient: tuple[Text, ...]
    subject: tuple[tuple[str, Text], ...]
    salutation: str
    sections: tuple[Section, ...]
    closing: tuple[Text, ...]
    citations: tuple[Source, ...] = ()
    notes: tuple[str, ...] = field(default=())  # for the writer, printed small (e.g. illustrative policy)

    @property
    def filename(self) -> str:
        return f"{self.kind}-letter-{self.date.isoformat()}.pdf"


def _all_text(letter: Letter) -> Iterator[Text]:
    yield from letter.sender
    yield from letter.recipient
    yield from (value for _, value in letter.subject)
    for section in letter.sections:
        yield from section.paragraphs
        yield from (value for _, value in section.rows)
    yield from letter.closing


def blanks_in(letter: Letter) -> list[Blank]:
    return [run for runs in _all_text(letter) for run in runs if isinstance(run, Blank)]


def unique_sources(sources: Iterable[Source]) -> tuple[Source, ...]:
    seen: dict[tuple[str, str], Source] = {}
    for src in sources:
        seen.setdefault((src.id, src.title), src)
    return tuple(seen.values())
