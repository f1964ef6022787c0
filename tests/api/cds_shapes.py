"""Shape checks for CDS Hooks 2.0 responses and the CRD coverage-information extension.

Each check returns a list of problems ("path: what is wrong"); an empty list means valid. The same checks
run over the public samples (which must pass) and over preclaim's answers.
"""

from __future__ import annotations

from typing import Any

EXT_URL = "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information"
INDICATORS = {"info", "warning", "critical"}
COVERED = {"covered", "not-covered", "conditional"}
PA = {"no-auth", "auth-needed", "performpa", "satisfied", "conditional"}
DOC = {"no-doc", "clinical", "admin", "patient", "conditional"}
PURPOSE = {"withpa", "withclaim", "withorder", "retain-doc"}
INFO = {"performer", "location", "timeframe", "contract-window", "detail-code"}


def _no_empties(value: Any, path: str) -> list[str]:
    """CDS Hooks: optional attributes without a value are omitted, never null, "", [] or {}."""
    if value is None or value == "" or value == [] or value == {}:
        return [f"{path}: empty value"]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _no_empties(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _no_empties(v, f"{path}[{i}]")]
    return []


def _action(action: dict[str, Any], path: str) -> list[str]:
    problems = []
    if action.get("type") not in ("create", "update", "delete"):
        problems.append(f"{path}.type: {action.get('type')!r}")
    if not isinstance(action.get("description"), str):
        problems.append(f"{path}.description: missing")
    if action.get("type") in ("create", "update") and not isinstance(action.get("resource"), dict):
        problems.append(f"{path}.resource: missing")
    return problems


def card_problems(card: dict[str, Any], path: str = "card") -> list[str]:
    problems = _no_empties(card, path)
    summary = card.get("summary")
    if not isinstance(summary, str) or not summary or len(summary) >= 140:
        problems.append(f"{path}.summary: must be 1-139 characters")
    if card.get("indicator") not in INDICATORS:
        problems.append(f"{path}.indicator: {card.get('indicator')!r}")
    source = card.get("source")
    if not isinstance(source, dict) or not isinstance(source.get("label"), str):
        problems.append(f"{path}.source.label: missing")
    suggestions = card.get("suggestions") or []
    if suggestions and card.get("selectionBehavior") not in ("at-most-one", "any"):
        problems.append(f"{path}.selectionBehavior: required with suggestions")
    for i, s in enumerate(suggestions):
        if not isinstance(s.get("label"), str):
            problems.append(f"{path}.suggestions[{i}].label: missing")
        for j, a in enumerate(s.get("actions", [])):
            problems += _action(a, f"{path}.suggestions[{i}].actions[{j}]")
    for i, link in enumerate(card.get("links", [])):
        if not (link.get("label") and link.get("url") and link.get("type") in ("absolute", "smart")):
            problems.append(f"{path}.links[{i}]: needs label, url and type absolute|smart")
    for i, reason in enumerate(card.get("overrideReasons", [])):
        if not (reason.get("code") and reason.get("system") and reason.get("display")):
            problems.append(f"{path}.overrideReasons[{i}]: needs code, system, display")
    return problems


def response_problems(body: dict[str, Any]) -> list[str]:
    if not isinstance(body.get("cards"), list):
        return ["cards: required array"]
    problems = [p for i, c in enumerate(body["cards"]) for p in card_problems(c, f"cards[{i}]")]
    for i, action in enumerate(body.get("systemActions", [])):
        problems += _action(action, f"systemActions[{i}]")
    if "systemActions" in body and body["systemActions"] == []:
        problems.append("systemActions: empty array must be omitted")
    return problems


def coverage_information(resource: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in resource.get("extension", []) if e.get("url") == EXT_URL]


def extension_problems(ext: dict[str, Any]) -> list[str]:
    """Cardinalities, value sets and invariants q1-q5 of ext-coverage-information."""
    values: dict[str, list[Any]] = {}
    for sub in ext.get("extension", []):
        value = next((v for k, v in sub.items() if k.startswith("value")), sub.get("extension"))
        values.setdefault(sub["url"], []).append(value)

    def one(name: str) -> Any:
        found = values.get(name, [])
        return found[0] if found else None

    problems = [
        f"{n}: must occur exactly once"
        for n in ("coverage", "covered", "date", "coverage-assertion-id")
        if len(values.get(n, [])) != 1
    ]
    problems += [
        f"{n}: at most once" for n in ("pa-needed", "doc-needed", "satisfied-pa-id") if len(values.get(n, [])) > 1
    ]
    covered, pa, doc = one("covered"), one("pa-needed"), one("doc-needed")
    if covered not in COVERED:
        problems.append(f"covered: {covered!r}")
    if pa is not None and pa not in PA:
        problems.append(f"pa-needed: {pa!r}")
    if doc is not None and doc not in DOC:
        problems.append(f"doc-needed: {doc!r}")
    if any(p not in PURPOSE for p in values.get("doc-purpose", [])):
        problems.append("doc-purpose: unknown code")
    if any(i not in INFO for i in values.get("info-needed", [])):
        problems.append("info-needed: unknown code")
    if (values.get("questionnaire") or values.get("response")) and doc is None:
        problems.append("q1: questionnaire/response needs doc-needed")
    if covered == "not-covered" and pa is not None:
        problems.append("q2: not-covered must not carry pa-needed")
    if bool(values.get("info-needed")) != ("conditional" in (covered, pa, doc)):
        problems.append("q3: info-needed iff covered, pa-needed or doc-needed is conditional")
    if pa == "satisfied" and "withpa" in values.get("doc-purpose", []):
        problems.append("q4: satisfied excludes doc-purpose withpa")
    if bool(values.get("satisfied-pa-id")) != (pa == "satisfied"):
        problems.append("q5: satisfied-pa-id iff pa-needed is satisfied")
    return problems
