"""preclaim: check vitamin B12 injection claims before they are sent.

    import preclaim
    reports = preclaim.check("batch.837", history="history.json", as_of=datetime.date(2026, 3, 20))

The names below load on first use (preclaim.facade), so `import preclaim` stays cheap for the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from preclaim.native import select_path

__version__ = "0.1.0"
select_path()  # compiled engine and rules when built and current, else their sources (preclaim.native)

_FACADE = ("Checked", "check", "check_many", "claims_of", "load_engine", "prior_auth")
_DOMAIN = {"Claim": "preclaim.domain.claim", "History": "preclaim.domain.history", "Report": "preclaim.domain.report"}

if TYPE_CHECKING:
    from preclaim.domain.claim import Claim
    from preclaim.domain.history import History
    from preclaim.domain.report import Report
    from preclaim.facade import Checked, check, check_many, claims_of, load_engine, prior_auth


def __getattr__(name: str) -> Any:
    import importlib

    if name in _FACADE:
        return getattr(importlib.import_module("preclaim.facade"), name)
    if name in _DOMAIN:
        return getattr(importlib.import_module(_DOMAIN[name]), name)
    raise AttributeError(f"module 'preclaim' has no attribute {name!r}")


__all__ = [
    "Checked",
    "Claim",
    "History",
    "Report",
    "__version__",
    "check",
    "check_many",
    "claims_of",
    "load_engine",
    "prior_auth",
]
