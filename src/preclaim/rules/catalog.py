"""The rule catalog (data/rule_catalog.yaml): per finding id, its family, usual severity and CARC/RARC, the form field
it belongs next to, its mechanical 837P fix, the letter it calls for and its sources.

Consumers of findings (web form, CDS cards, letters, the 837P fixer, docs/rules.md) read these facts here rather
than keeping their own tables. The engine and the rules never read the catalog: a check costs the same.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal, get_args

import msgspec
import yaml

from preclaim.domain.report import CorrectionAction, Cure, Severity
from preclaim.errors import PreclaimError

CATALOG_PATH = Path(__file__).parent.parent / "data" / "rule_catalog.yaml"
LetterKind = Literal["corrected-claim", "appeal"]
# How a letter of medical necessity uses the finding: cites its source; or cites it and warns that the letter
# does not change it (an excluded diagnosis).
NecessityUse = Literal["cite", "excludes"]

_ID = re.compile(r"^[a-z0-9-]+\.(?:[a-z0-9-]+|<[a-z_]+>)$")
_CARC = re.compile(r"^(CO|PR|OA|PI)-[A-Z0-9]{1,3}$")
_RARC = re.compile(r"^[A-Z]{1,2}[0-9]{1,3}$")


_CHOICES: dict[str, Any] = {
    "severity": Severity,
    "other_severities": Severity,
    "cure": Cure,
    "other_cures": Cure,
    "letter": LetterKind,
    "necessity_letter": NecessityUse,
    "action": CorrectionAction,
}


class CatalogError(PreclaimError):
    """A rule catalog file that does not validate: file, rule id and key, and what was expected."""


class _Strict(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    pass


class Fix(_Strict, frozen=True):
    """The correction a finding carries; `mechanical` when the 837P writer applies it without a person."""

    action: CorrectionAction
    mechanical: bool
    note: str | None = None  # why a person applies it, when not mechanical


class RuleEntry(_Strict, frozen=True):
    family: str
    when: str
    severity: Severity
    severity_why: str
    carc: str | None  # required: null says the rule predicts no denial code
    cure: Cure
    sources: tuple[str, ...]
    other_severities: tuple[Severity, ...] = ()
    rarc: tuple[str, ...] = ()
    carc_policy: str | None = None  # the policy key that chooses the CARC instead
    carc_note: str | None = None
    other_cures: tuple[Cure, ...] = ()
    field: str | None = None  # None: the form's general list
    field_by_item: dict[str, str] = {}
    fix: Fix | None = None
    letter: LetterKind | None = None
    necessity_letter: NecessityUse | None = None
    order_time: bool = False
    lower_dose: bool = False

    @property
    def severities(self) -> tuple[Severity, ...]:
        return (self.severity, *self.other_severities)

    @property
    def cures(self) -> tuple[Cure, ...]:
        return (self.cure, *self.other_cures)


class Catalog:
    """Entries by exact id, plus patterned ids (`documentation.<item>`) matched by their prefix."""

    def __init__(self, entries: dict[str, RuleEntry]) -> None:
        self.entries = entries
        self._exact = {k: v for k, v in entries.items() if "<" not in k}
        self._patterns = tuple((k.split("<", 1)[0], v) for k, v in entries.items() if "<" in k)
        self._mechanical = {k: v.fix.action for k, v in self._exact.items() if v.fix is not None and v.fix.mechanical}

    def get(self, rule_id: str) -> RuleEntry | None:
        entry = self._exact.get(rule_id)
        if entry is not None:
            return entry
        for prefix, pattern in self._patterns:
            if rule_id.startswith(prefix) and len(rule_id) > len(prefix):
                return pattern
        return None

    def __contains__(self, rule_id: object) -> bool:
        return isinstance(rule_id, str) and self.get(rule_id) is not None

    def __iter__(self) -> Iterator[tuple[str, RuleEntry]]:
        return iter(self.entries.items())

    def field_of(self, rule_id: str) -> str | None:
        """The form field a finding with this id is shown next to; None for the general list."""
        entry = self.get(rule_id)
        if entry is None:
            return None
        if entry.field_by_item:
            return entry.field_by_item.get(rule_id.split(".", 1)[1], entry.field)
        return entry.field

    def ids_where(self, test: Callable[[RuleEntry], bool]) -> frozenset[str]:
        """The exact ids whose entry passes `test` (patterned ids are left out: use `get`)."""
        return frozenset(k for k, v in self._exact.items() if test(v))

    def mechanical_fixes(self) -> Mapping[str, CorrectionAction]:
        """Rule id -> the correction action the 837P writer applies on its own."""
        return self._mechanical


def _problem(message: str) -> tuple[str, str]:
    """msgspec's "problem - at `$.a.b`" as ("a.b", problem in the catalog's words)."""
    problem, sep, where = message.rpartition(" - at ")
    if not sep:
        problem, where = message, "$"
    key = where.strip("`").removeprefix("$").lstrip(".")
    if m := re.match(r"Object contains unknown field `([^`]+)`", problem):
        allowed = ", ".join(sorted(RuleEntry.__struct_fields__ if not key else Fix.__struct_fields__))
        return (f"{key}.{m.group(1)}" if key else m.group(1)), f"unknown key; expected one of {allowed}"
    if m := re.match(r"Object missing required field `([^`]+)`", problem):
        return (f"{key}.{m.group(1)}" if key else m.group(1)), "missing (required)"
    name = re.sub(r"\[\d+\]$", "", key).rsplit(".", 1)[-1]
    if problem.startswith("Invalid enum value") and name in _CHOICES:
        return key, f"{problem}; expected one of {', '.join(get_args(_CHOICES[name]))}"
    return key, problem


def _check(path: Path, rule_id: str, entry: RuleEntry) -> None:
    def fail(key: str, problem: str) -> None:
        raise CatalogError(problem, where=f"{path}: rules.{rule_id}.{key}")

    if not _ID.match(rule_id):
        raise CatalogError(
            "not a rule id; expected family.name (lower case, digits, dashes) or family.<name> for a pattern",
            where=f"{path}: rules.{rule_id}",
        )
    if rule_id.split(".", 1)[0] != entry.family:
        fail("family", f"{entry.family!r} is not the id's prefix {rule_id.split('.', 1)[0]!r}")
    if entry.carc is not None and not _CARC.match(entry.carc):
        fail("carc", f"{entry.carc!r} is not a CARC; expected group-reason such as CO-16")
    for rarc in entry.rarc:
        if not _RARC.match(rarc):
            fail("rarc", f"{rarc!r} is not a RARC; expected a code such as M53")
    if entry.rarc and entry.carc is None:
        fail("rarc", "a RARC needs a CARC")
    if entry.severity in entry.other_severities:
        fail("other_severities", f"{entry.severity!r} is already the usual severity")
    if entry.field_by_item and "<" not in rule_id:
        fail("field_by_item", "only a patterned id (family.<name>) has fields per item")
    if not entry.sources:
        fail("sources", "at least one source")


def load_catalog(path: Path = CATALOG_PATH) -> Catalog:
    """Read and check a catalog file; a bad file raises CatalogError naming the file, the rule id and the key."""
    try:
        doc: Any = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except OSError as exc:
        raise CatalogError(f"cannot read: {exc.strerror or exc}", where=str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise CatalogError(f"not valid YAML: {getattr(exc, 'problem', None) or exc}", where=f"{path}{line}") from None
    if not isinstance(doc, dict) or set(doc) != {"rules"} or not isinstance(doc["rules"], dict):
        keys = ", ".join(map(str, doc)) if isinstance(doc, dict) else type(doc).__name__
        raise CatalogError(
            f"expected one top-level key `rules` mapping rule ids to entries; found {keys}", where=str(path)
        )
    entries: dict[str, RuleEntry] = {}
    for rule_id, raw in doc["rules"].items():
        try:
            entry = msgspec.convert(raw, RuleEntry)
        except msgspec.ValidationError as exc:
            key, problem = _problem(str(exc))
            raise CatalogError(problem, where=f"{path}: rules.{rule_id}" + (f".{key}" if key else "")) from None
        _check(path, str(rule_id), entry)
        entries[str(rule_id)] = entry
    return Catalog(entries)


@functools.cache
def catalog() -> Catalog:
    """The bundled catalog, read once per process."""
    return load_catalog()
