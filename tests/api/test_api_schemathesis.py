"""Property-based API tests from the OpenAPI document: valid and invalid bodies, never a server error.

Bounded (5 examples per operation; $PRECLAIM_SCHEMATHESIS_EXAMPLES for more) so it runs in about 20 s.
Authentication is off here (insecure dev mode); test_api_security.py covers it.
"""

from __future__ import annotations

import atexit
import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    response_schema_conformance,
)

from preclaim.api import ServiceSettings, create_app
from preclaim.engine import Engine

_DATA = Path(tempfile.mkdtemp(prefix="preclaim-schemathesis-"))
atexit.register(shutil.rmtree, _DATA, ignore_errors=True)
app = create_app(
    ServiceSettings(
        insecure_dev=True, data_dir=str(_DATA), rate_limit_per_minute=0, store_url=f"sqlite:///{_DATA / 'h.db'}"
    ),
    checker=Engine.default(),
    today=lambda: dt.date(2026, 3, 1),
)
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schemathesis.serializer("application/edi-x12")
def x12_body(ctx: object, value: object) -> bytes:
    """Generated strings go to the 837P reader as they are: garbage must be a 4xx, never a crash."""
    return value.encode() if isinstance(value, str) else str(value).encode()


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("PRECLAIM_SCHEMATHESIS_EXAMPLES", "5")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors(case: schemathesis.Case) -> None:
    response = case.call()
    assert response.status_code < 500, f"{case.method} {case.path}: {response.status_code} {response.text[:500]}"
    case.validate_response(response, checks=(response_schema_conformance, negative_data_rejection))
