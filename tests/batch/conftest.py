"""Fixtures for the audit tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def synthetic_parquet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from preclaim.batch.synthetic import write_lines

    path = tmp_path_factory.mktemp("synthetic") / "lines.parquet"
    write_lines(path, 1500, seed=11)
    return path
