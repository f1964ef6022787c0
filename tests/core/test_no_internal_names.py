"""What users and payers read (docs, README, bundled data, messages in the source) names no internal document."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INTERNAL = re.compile(r"REFERENCE\.md|REFERENCE s\d|STANDARDS(\.md)? §|/work/shared|DESIGN\.md §|seed document")


def readable_files() -> list[Path]:
    files = [ROOT / "README.md", ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]
    files += [p for p in sorted((ROOT / "src").rglob("*")) if p.suffix in {".py", ".yaml", ".yml", ".html", ".json"}]
    return files


def test_no_internal_document_is_named() -> None:
    hits = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in readable_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if INTERNAL.search(line)
    ]
    assert hits == []
