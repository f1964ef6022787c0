"""The JSON depth guard: deep nesting is refused with a clear error before any parser recurses into it."""

from __future__ import annotations

import pytest

from preclaim.errors import InputError
from preclaim.io.json_guard import MAX_JSON_DEPTH, check_json_depth, json_depth


def test_depth_skips_brackets_inside_strings() -> None:
    assert json_depth(b"1") == 0
    assert json_depth(b'{"a":[1,{"b":"[[[[["}]}') == 3
    assert json_depth('{"a":"\\"[[[["}') == 1


def test_a_million_brackets_are_refused_naming_the_place() -> None:
    with pytest.raises(InputError) as err:
        check_json_depth(b"[" * 1_000_000, where="request body")
    assert err.value.where == "request body"
    assert "1000000 levels" in err.value.message


def test_wide_documents_at_the_limit_pass() -> None:
    at_limit = b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH
    check_json_depth(at_limit, where="x")
    wide = b"[" + b",".join([b'{"a":[1,{"b":2}]}'] * 5000) + b"]"
    check_json_depth(wide, where="x")
    with pytest.raises(InputError):
        check_json_depth(b"[" + at_limit + b"]", where="x")
