"""Fixtures for the service tests; the builders live in api_fixtures.py (a unique module name)."""

from api_fixtures import fhir_server, keys

__all__ = ["fhir_server", "keys"]
