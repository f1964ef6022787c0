"""Load and validate policy files. A bad file gives one error naming the file, the key and the problem."""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import msgspec
import yaml

from preclaim.codes import CodeSets, HcpcsCode
from preclaim.codes.bundled import bundle
from preclaim.codes.registry import read_imported_hcpcs
from preclaim.domain.limits import preview
from preclaim.errors import PolicyError
from preclaim.io.yaml_guard import load_yaml
from preclaim.policy import schema
from preclaim.policy.facts import condition_problem
from preclaim.policy.schema import Policy

BUNDLED_DIR = Path(__file__).parent.parent / "data" / "policies"
# Older keys still accepted, and what they stand for now: data, so no drug is named in this module.
COMPAT_FILE = Path(__file__).parent.parent / "data" / "policy_compat.yaml"
_CARC = re.compile(r"^(CO|PR|OA|PI)-[A-Z0-9]{1,3}$")
_CARC_FIELDS = (
    "carc",
    "denial_carc",
    "benefit_carc",
    "duplicate_carc",
    "carc_missing",
    "mue_carc",
    "ptp_carc",
    "ptp_modifier_carc",
    "pointer_carc",
    "drug_carc",
)
_UNKNOWN_FIELD = re.compile(r"unknown field `([^`]+)`")


def _known_field_names() -> list[str]:
    names: set[str] = set()
    for obj in vars(schema).values():
        if isinstance(obj, type) and issubclass(obj, msgspec.Struct):
            names.update(obj.__struct_fields__)
    return sorted(names)


def _suggest(message: str) -> str:
    match = _UNKNOWN_FIELD.search(message)
    if not match:
        return ""
    close = difflib.get_close_matches(match.group(1), _known_field_names(), n=1)
    return f" (did you mean `{close[0]}`?)" if close else ""


def _key_path(message: str) -> tuple[str, str]:
    """Split msgspec's "problem - at `$.a.b`" into ("a.b", "problem")."""
    problem, sep, where = message.rpartition(" - at ")
    if not sep:
        return "(top level)", message
    return where.strip("`").removeprefix("$").lstrip(".") or "(top level)", problem


def hcpcs_codes(codes: CodeSets | None = None, home: Path | None = None) -> dict[str, HcpcsCode]:
    """The HCPCS codes a policy's drug keys are checked against: preclaim's bundled ones and those of the CMS
    file imported into `codes`, else into the data folder `home` (none when neither is given)."""
    imported = codes.hcpcs_import if codes is not None else (read_imported_hcpcs(home) if home else None)
    listed = {c.code: c for c in imported.codes} if imported is not None else {}
    return {**listed, **bundle().hcpcs}


class _Compat(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    requires: dict[str, dict[str, str]] = {}
    facts: dict[str, dict[str, str]] = {}
    ignored: dict[str, list[str]] = {}


@functools.cache
def _compat() -> _Compat:
    return msgspec.convert(load_yaml(COMPAT_FILE.read_text(encoding="utf-8"), dates=False), _Compat)


def _upgrade(node: Any, compat: _Compat) -> None:
    """Rewrite older keys in place (docs/policies.md, "Older keys"): a documentation item's old `requires`
    value, a condition's old fact name (with the unit its value was in), drug-section keys now in the catalog."""
    if isinstance(node, list):
        for item in node:
            _upgrade(item, compat)
        return
    if not isinstance(node, dict):
        return
    requires = node.get("requires")
    if isinstance(requires, str) and requires in compat.requires:
        node.update(compat.requires[requires])
    fact = node.get("fact")
    if isinstance(fact, str) and fact in compat.facts and "unit" not in node:
        node.update(compat.facts[fact])
    for key, value in node.items():
        if isinstance(value, dict) and key in compat.ignored:
            for old in compat.ignored[key]:
                value.pop(old, None)
        _upgrade(value, compat)


def parse_policy(text: str, origin: str, hcpcs: Mapping[str, HcpcsCode] | None = None) -> Policy:
    """Parse and check one policy; drug keys are checked against `hcpcs` (default: the bundled HCPCS codes)."""
    try:
        data = load_yaml(text, dates=False)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{origin}:{mark.line + 1}" if mark else origin
        raise PolicyError(f"not valid YAML: {getattr(exc, 'problem', exc)}", where=where) from None
    if not isinstance(data, dict):
        raise PolicyError("expected a mapping with id, title, version, effective, sources", where=origin)
    _upgrade(data.get("drugs"), _compat())
    try:
        policy = msgspec.convert(data, Policy, strict=False)
    except msgspec.ValidationError as exc:
        key, problem = _key_path(str(exc))
        raise PolicyError(f"key {key}: {problem}{_suggest(problem)}", where=origin) from None
    _check_drug_codes(policy, origin, hcpcs if hcpcs is not None else hcpcs_codes())
    _check_references(policy, origin)
    return policy


# Letters typed for the digits they look like: HCPCS level II codes are a letter and four digits.
_LOOKALIKE = str.maketrans({"O": "0", "I": "1", "L": "1", "S": "5", "B": "8", "Z": "2"})


def _closest_code(code: str, hcpcs: Mapping[str, HcpcsCode]) -> str | None:
    """The known code a mistyped key most likely meant: a letter typed for a digit, else the closest spelling
    (among equally close ones: the longest shared start, as neighbouring codes are related drugs, then an active
    code before an unconfirmed one)."""
    text = code.strip().upper()
    fixed = text[:1] + text[1:].translate(_LOOKALIKE)
    if fixed in hcpcs and hcpcs[fixed].status != "invalid":
        return fixed
    close = [c for c in difflib.get_close_matches(text, hcpcs, n=5, cutoff=0.6) if hcpcs[c].status != "invalid"]
    if not close:
        return None
    best = difflib.SequenceMatcher(None, text, close[0]).ratio()
    tied = [c for c in close if difflib.SequenceMatcher(None, text, c).ratio() == best]
    return min(tied, key=lambda c: (-_shared_start(text, c), hcpcs[c].status != "active", c))


def _shared_start(a: str, b: str) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))


def _check_drug_codes(policy: Policy, origin: str, hcpcs: Mapping[str, HcpcsCode]) -> None:
    """A drug key is a HCPCS code: a typo (J342O) would otherwise never match a claim line, silently."""
    for code in policy.drugs:
        entry = hcpcs.get(code)
        if entry is not None and entry.status != "invalid":
            continue
        if entry is not None:
            instead = f" (did you mean {entry.replacement}?)" if entry.replacement else ""
            raise PolicyError(f"key drugs.{code}: {code} is not a HCPCS code{instead}", where=origin)
        shown = preview(code)
        close = _closest_code(code, hcpcs)
        hint = (
            f" (did you mean {close}?)"
            if close
            else "; a newer code needs the CMS HCPCS file: preclaim codes import-hcpcs"
        )
        raise PolicyError(f"key drugs.{shown}: {shown!r} is not a HCPCS code preclaim knows{hint}", where=origin)


def _sections(policy: Policy) -> Iterator[tuple[str, Any]]:
    for name in schema.ClaimRules.__struct_fields__:
        section = getattr(policy.claim_rules, name)
        if section is not None:
            yield f"claim_rules.{name}", section
    for code, drug in policy.drugs.items():
        for name in schema.DrugPolicy.__struct_fields__:
            section = getattr(drug, name)
            if isinstance(section, tuple):
                for i, item in enumerate(section):
                    yield f"drugs.{code}.{name}[{i}]", item
            elif section is not None:
                yield f"drugs.{code}.{name}", section


def _check_references(policy: Policy, origin: str) -> None:
    eff = policy.effective
    if eff.end is not None and eff.end < eff.start:
        raise PolicyError(f"key effective.end: {eff.end} is before effective.start {eff.start}", where=origin)
    for key, section in _sections(policy):
        source = getattr(section, "source", None)
        if source is not None and source not in policy.sources:
            known = ", ".join(sorted(policy.sources)) or "none"
            raise PolicyError(
                f"key {key}.source: unknown source {source!r}; the file's sources are: {known}", where=origin
            )
        for field in _CARC_FIELDS:
            value = getattr(section, field, None)
            if isinstance(value, str) and not _CARC.match(value):
                raise PolicyError(
                    f"key {key}.{field}: {value!r} is not a group code and reason like 'CO-50'", where=origin
                )
        if isinstance(section, schema.Frequency):
            _check_frequency(policy, key, section, origin)
        if isinstance(section, schema.DocumentationItem) and (section.requires == "lab") != (section.loinc is not None):
            raise PolicyError(
                f"key {key}.loinc: give `loinc` (the test's LOINC code) with requires: lab, and only then",
                where=origin,
            )
        for field in ("when_any", "unless_any", "only_if_any"):
            for i, condition in enumerate(getattr(section, field, ())):
                problem = condition_problem(condition)
                if problem is not None:
                    raise PolicyError(f"key {key}.{field}[{i}].{problem[0]}: {problem[1]}", where=origin)


def _check_frequency(policy: Policy, key: str, section: schema.Frequency, origin: str) -> None:
    if section.maintenance_interval is not None and section.maintenance_min_days is not None:
        raise PolicyError(f"key {key}: give maintenance_interval or maintenance_min_days, not both", where=origin)
    interval = section.maintenance_interval
    if interval is not None and (interval.days is None) == (interval.months is None):
        raise PolicyError(f"key {key}.maintenance_interval: give either days or months", where=origin)
    amount = section.maintenance_min_days if interval is None else (interval.days or interval.months)
    if amount is not None and amount < 1:
        raise PolicyError(f"key {key}: the maintenance interval must be at least 1, got {amount}", where=origin)
    hard = section.hard_limit_source
    if hard is not None and hard not in policy.sources:
        known = ", ".join(sorted(policy.sources)) or "none"
        raise PolicyError(
            f"key {key}.hard_limit_source: unknown source {hard!r}; the file's sources are: {known}", where=origin
        )


def load_policy_file(path: Path, hcpcs: Mapping[str, HcpcsCode] | None = None) -> Policy:
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte order mark is not part of the policy
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"cannot read policy file: {exc}", where=str(path)) from None
    return parse_policy(text, str(path), hcpcs)


def policy_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        raise PolicyError("policy folder does not exist", where=str(directory))
    return sorted(p for p in directory.glob("*.y*ml") if p.suffix in (".yaml", ".yml"))


def load_policies(directories: Iterable[Path], hcpcs: Mapping[str, HcpcsCode] | None = None) -> list[Policy]:
    """Load every policy in the folders, in order; a later policy with the same id replaces an earlier one.
    Drug keys are checked against `hcpcs` (default: the bundled HCPCS codes; see hcpcs_codes)."""
    by_id: dict[str, Policy] = {}
    hcpcs = hcpcs if hcpcs is not None else hcpcs_codes()
    for directory in directories:
        for path in policy_files(directory):
            policy = load_policy_file(path, hcpcs)
            by_id[policy.id] = policy
    return list(by_id.values())
