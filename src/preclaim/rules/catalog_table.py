"""docs/rules.md's rule table, generated from the rule catalog (scripts/rules_table.py writes it; a test checks
the committed page equals what this renders)."""

from __future__ import annotations

from preclaim.errors import PreclaimError
from preclaim.rules.catalog import Catalog, RuleEntry

BEGIN = (
    "<!-- rule table: generated from src/preclaim/data/rule_catalog.yaml by scripts/rules_table.py; "
    "edit the catalog, not this table -->"
)
END = "<!-- end of rule table -->"
_HEADER = (
    "| rule id | fires when | severity | CARC / RARC | cure | 837P correction | source |",
    "|---|---|---|---|---|---|---|",
)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _carc(entry: RuleEntry) -> str:
    codes = " ".join(filter(None, (entry.carc, *entry.rarc))) or "-"
    notes = [f"policy `{entry.carc_policy}`"] if entry.carc_policy else []
    if entry.carc_note:
        notes.append(entry.carc_note)
    return codes + (f" ({'; '.join(notes)})" if notes else "")


def _fix(entry: RuleEntry) -> str:
    if entry.fix is None:
        return "-"
    return f"{entry.fix.action} ({'automatic' if entry.fix.mechanical else 'by hand'})"


def render(catalog: Catalog) -> str:
    """The generated block, markers included."""
    mechanical = ", ".join(f"`{rule}`" for rule in catalog.mechanical_fixes())
    rows = [
        "| "
        + " | ".join(
            (
                f"`{rule}`",
                _cell(entry.when),
                " / ".join(entry.severities),
                _cell(_carc(entry)),
                " / ".join(entry.cures),
                _fix(entry),
                _cell("; ".join(entry.sources)),
            )
        )
        + " |"
        for rule, entry in catalog
    ]
    preface = (
        "Severity and cure: the usual one first, then the others the rule can give. 837P correction: the fix the "
        "finding carries; `preclaim check FILE.837 --fix-out` applies the automatic ones "
        f"({mechanical}), a person the others."
    )
    return "\n".join((BEGIN, preface, "", *_HEADER, *rows, "", END))


def replace_table(page: str, catalog: Catalog, where: str = "docs/rules.md") -> str:
    """`page` with its generated block replaced by a fresh rendering."""
    start, end = page.find(BEGIN), page.find(END)
    if start < 0 or end < start:
        raise PreclaimError(
            f"the generated rule table's markers are missing; expected {BEGIN!r} ... {END!r}", where=where
        )
    return page[:start] + render(catalog) + page[end + len(END) :]
