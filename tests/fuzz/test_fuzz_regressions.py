"""Inputs the fuzzers found that once crashed a parser: each must now be refused with a position."""

from __future__ import annotations

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
