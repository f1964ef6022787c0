"""Inputs the fuzzers found that once crashed a parser: each must now be refused with a position."""

from __future__ import annotations

from pathlib import Path

import pytest

from preclaim.errors import InputError
from preclaim.io.claim_json import decode_claims, decode_history


@pytest.mark.parametrize(
    "data",
    [
        b'{"id": "\xab", "lines": []}',  # invalid UTF-8 inside a string, one claim object
        b'[{"id": "C\xff1"}]',  # ... in a list of claims
        b'{"claims": [{"id": "\xc3("}]}',  # ... in the {"claims": [...]} form
    ],
)
def test_claim_json_with_invalid_utf8_is_an_input_error(data: bytes) -> None:
    with pytest.raises(InputError) as caught:
        decode_claims(data, "upload.json")
    assert caught.value.where == "upload.json"
    assert "not valid JSON" in caught.value.message


def test_history_json_with_invalid_utf8_is_an_input_error() -> None:
    with pytest.raises(InputError, match="not valid JSON"):
        decode_history(b'{"administrations": [{"patient_key": "\xab"}]}', "history.json")


REGRESSIONS = Path(__file__).parent / "regressions"


@pytest.mark.parametrize("name", ["cds-hooks-system-is-object.json", "cds-hooks-system-is-list.json"])
def test_cds_hook_with_a_coding_system_that_is_not_a_string_is_answered(name: str) -> None:
    """Found by benchmarks/fuzz_long.py: a JSON object or list as a coding's `system` raised TypeError."""
    from preclaim.fuzz import TARGETS
    from preclaim.fuzz.targets import outcome

    assert outcome(TARGETS["cds-hooks"], (REGRESSIONS / name).read_bytes()) in ("accepted", "refused")
