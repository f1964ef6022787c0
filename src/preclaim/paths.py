"""Where preclaim keeps a user's own files: imported code sets, policies and the history database.

$PRECLAIM_HOME wins; otherwise the platform's user data directory (~/.local/share/preclaim on Linux).
"""

from __future__ import annotations

import os
from pathlib import Path


def user_home() -> Path:
    home = os.environ.get("PRECLAIM_HOME")
    if home:
        return Path(home)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "preclaim"


def user_policies() -> Path:
    """Imported code lists and a user's own policies that apply without --policies."""
    return user_home() / "policies"
