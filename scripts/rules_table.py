#!/usr/bin/env python3
"""Regenerate the rule table in docs/rules.md from src/preclaim/data/rule_catalog.yaml.

.venv/bin/python scripts/rules_table.py           # rewrite the table in docs/rules.md
.venv/bin/python scripts/rules_table.py --check   # exit 1 when docs/rules.md is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

from preclaim.errors import PreclaimError
from preclaim.rules.catalog import load_catalog
from preclaim.rules.catalog_table import replace_table

DOCS = Path(__file__).resolve().parents[1] / "docs" / "rules.md"


def main(argv: list[str]) -> int:
    try:
        page = DOCS.read_text(encoding="utf-8")
        fresh = replace_table(page, load_catalog(), str(DOCS))
    except PreclaimError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if "--check" in argv:
        if fresh != page:
            print(f"{DOCS}: the rule table differs from the catalog; run scripts/rules_table.py", file=sys.stderr)
            return 1
        return 0
    if fresh != page:
        DOCS.write_text(fresh, encoding="utf-8")
        print(f"{DOCS}: rule table regenerated")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
