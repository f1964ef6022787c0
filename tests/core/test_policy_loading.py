"""Policies load, validate and resolve; a bad policy file gives one clear error naming file, key and problem."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from preclaim.errors import PolicyError
from preclaim.policy import BUNDLED_DIR, PayerKey, load_library, load_policy_file, parse_policy

GOOD = """
id: my-plan
title: My Plan
version: "1"
effective: {start: 2024-01-01}
match: {payer_ids: [MY1]}
sources: {doc: {title: My Plan policy, url: https://example.invalid/p}}
drugs:
  J3420:
    prior_auth: {requirement: always, source: doc, reason: My Plan requires PA}
"""


def test_every_bundled_policy_loads_and_cites_its_sources() -> None:
    files = sorted(BUNDLED_DIR.glob("*.yaml"))
    assert len(files) >= 7
    for path in files:
        policy = load_policy_file(path)
        assert policy.sources, path
        assert all(doc.title for doc in policy.sources.values())


def test_illustrative_policy_is_labelled() -> None:
    demo = load_library().get("demo-health-plan")
    assert demo is not None and demo.illustrative
    assert "ILLUSTRATIVE" in demo.title


def test_resolver_layers_lcd_over_national_in_florida_only() -> None:
    library = load_library()
    day = dt.date(2026, 3, 1)
    florida = library.resolve(PayerKey("09102", "First Coast", "MB", "FL", None), day)
    georgia = library.resolve(PayerKey("10211", "Palmetto", "MB", "GA", None), day)
    assert [p.id for p in florida.layers] == [
        "baseline-coding",
        "medicare-ffs-b12",
        "medicare-national-b12",
        "lcd-l33967",
    ]
    assert florida.drug_section("J3420", "coverage").policy.id == "lcd-l33967"  # type: ignore[union-attr]
    assert georgia.drug_section("J3420", "coverage").policy.id == "medicare-national-b12"  # type: ignore[union-attr]
    assert florida.claim_rule("timely_filing").policy.id == "medicare-ffs-b12"  # type: ignore[union-attr]


def test_policy_not_yet_effective_does_not_match() -> None:
    library = load_library()
    layers = library.resolve(PayerKey("09102", None, "MB", "FL", None), dt.date(2019, 6, 1)).layers
    assert "lcd-l33967" not in [p.id for p in layers]


def test_user_folder_adds_a_payer_without_code(tmp_path: Path) -> None:
    (tmp_path / "my-plan.yaml").write_text(GOOD)
    library = load_library([tmp_path])
    resolved = library.resolve(PayerKey("MY1", None, "CI", "CA", None), dt.date(2026, 1, 1))
    assert resolved.drug_section("J3420", "prior_auth") is not None


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda t: t.replace("requirement: always", "requirement: sometimes"), "drugs"),
        (lambda t: t.replace("requirement: always", "reqirement: always"), "did you mean `requirement`"),
        (lambda t: t.replace("source: doc,", "source: nowhere,"), "unknown source 'nowhere'"),
        (lambda t: t.replace("effective: {start: 2024-01-01}", "effective: {start: 2024-02-30}"), "effective.start"),
        (lambda t: t.replace('version: "1"\n', ""), "version"),
        (lambda t: t + "  bad: [\n", "not valid YAML"),
    ],
)
def test_bad_policy_names_file_key_and_problem(edit, expected: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PolicyError) as info:
        parse_policy(edit(GOOD), "my-plan.yaml")
    message = str(info.value)
    assert message.startswith("my-plan.yaml")
    assert expected in message
    assert "\n" not in message


def test_bad_carc_format_is_rejected() -> None:
    text = GOOD.replace("reason: My Plan requires PA}", "reason: x, carc_missing: '197'}")
    with pytest.raises(PolicyError, match="not a group code and reason"):
        parse_policy(text, "p.yaml")
