"""Payer policies as data: schema, loader, code lists and the resolver.

load_library(user_dirs) -> PolicyLibrary     bundled policies, then user folders (same id replaces)
PolicyLibrary.resolve(PayerKey, day) -> ResolvedPolicy
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from preclaim.paths import USER_POLICIES
from preclaim.policy.code_lists import load_code_lists
from preclaim.policy.loader import BUNDLED_DIR, load_policies, load_policy_file, parse_policy
from preclaim.policy.resolver import Cited, PayerKey, PolicyLibrary, ResolvedPolicy, source_of
from preclaim.policy.schema import Policy


def policy_dirs(user_dirs: Sequence[Path] = (), *, home: Path | None = None) -> list[Path]:
    """Bundled folder, the user's own folder in the data folder `home` (imports land there), then explicit ones.

    No environment here: an edge resolves $PRECLAIM_HOME and $PRECLAIM_POLICIES (preclaim.paths.Settings)
    and passes them in.
    """
    own = home / USER_POLICIES if home is not None else None
    return [BUNDLED_DIR, *([own] if own is not None and own.is_dir() else []), *user_dirs]


def load_library(user_dirs: Sequence[Path] = (), *, home: Path | None = None) -> PolicyLibrary:
    dirs = policy_dirs(user_dirs, home=home)
    return PolicyLibrary(load_policies(dirs), load_code_lists(dirs))


__all__ = [
    "BUNDLED_DIR",
    "Cited",
    "PayerKey",
    "Policy",
    "PolicyLibrary",
    "ResolvedPolicy",
    "load_library",
    "load_policies",
    "load_policy_file",
    "parse_policy",
    "policy_dirs",
    "source_of",
]
