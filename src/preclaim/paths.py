"""Where preclaim keeps a user's own files, and the rest of its environment, read in one place.

The edges (the CLI, the service's settings, the web app, the Python facade) call `Settings.from_env()` once and
hand what it found to the parts they build; rules, policies, code sets and the engine never read the
environment themselves (a test scans them).

    $PRECLAIM_HOME      the data folder (imported code sets, policies, the default SQLite store); otherwise
                        $XDG_DATA_HOME/preclaim, else ~/.local/share/preclaim
    $PRECLAIM_POLICIES  more policy folders, separated like PATH
    $PRECLAIM_DB        the store's URL (default: preclaim.db in the data folder)
    $XDG_CACHE_HOME     where derived tables are cached (default ~/.cache)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

HOME_ENV = "PRECLAIM_HOME"
POLICIES_ENV = "PRECLAIM_POLICIES"
DB_ENV = "PRECLAIM_DB"
DB_FILE = "preclaim.db"
USER_POLICIES = "policies"  # in the data folder: a user's own policies and imported code lists


def _environ(environ: Mapping[str, str] | None) -> Mapping[str, str]:
    return os.environ if environ is None else environ


def data_home(environ: Mapping[str, str] | None = None) -> Path:
    """The data folder: $PRECLAIM_HOME, else $XDG_DATA_HOME/preclaim, else ~/.local/share/preclaim.

    The one answer to "where are the user's files" (code imports, policies, the default store, the service's
    feedback and replay cache); everything else asks this function or a Settings built by it.
    """
    env = _environ(environ)
    home = env.get(HOME_ENV)
    if home:
        return Path(home)
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "preclaim"


def cache_home(environ: Mapping[str, str] | None = None) -> Path:
    """Where derived tables (the ICD-10-CM table) are cached: they can be rebuilt, so not the data folder."""
    base = _environ(environ).get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "preclaim"


def user_policies(home: Path) -> Path:
    """Imported code lists and a user's own policies that apply without --policies."""
    return home / USER_POLICIES


@dataclass(frozen=True, slots=True)
class Settings:
    """preclaim's environment, resolved once at an edge and passed in."""

    home: Path
    policy_dirs: tuple[Path, ...] = ()  # $PRECLAIM_POLICIES
    db_url: str | None = None  # $PRECLAIM_DB, when set

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = _environ(environ)
        dirs = tuple(Path(p) for p in env.get(POLICIES_ENV, "").split(os.pathsep) if p)
        return cls(home=data_home(env), policy_dirs=dirs, db_url=env.get(DB_ENV) or None)

    @property
    def store_url(self) -> str:
        """$PRECLAIM_DB, else a SQLite file in the data folder."""
        return self.db_url or f"sqlite:///{self.home / DB_FILE}"

    @property
    def store_configured(self) -> bool:
        """A store to read history from: $PRECLAIM_DB is set or the default file exists (a check never creates
        a database by itself)."""
        return bool(self.db_url) or (self.home / DB_FILE).is_file()


__all__ = ["DB_FILE", "USER_POLICIES", "Settings", "cache_home", "data_home", "user_policies"]
