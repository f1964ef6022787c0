"""Payer policies as data: schema, loader, code lists and the resolver.

load_library(user_dirs) -> PolicyLibrary     bundled policies, then user folders (same id replaces)
PolicyLibrary.resolve(PayerKey, day) -> ResolvedPolicy
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from preclaim.paths import user_policies
from preclaim.policy.code_lists import load_code_lists
from preclaim.policy.loader import BUNDLED_DIR, load_policies, load_policy_file, parse_policy
from preclaim.policy.resolver import Cited, PayerKey, PolicyLibrary, ResolvedPolicy, source_of
from preclaim.policy.schema import Policy

POLICY_ENV = "PRECLAIM_POLICIES"


def policy_dirs(user_dirs: Sequence[Path] = ()) -> list[Path]:
    """Bundled folder, the user's own folder (imports land there), $PRECLAIM_POLICIES, then explicit ones."""
    env = [Path(p) for p in os.environ.get(POLICY_ENV, "").split(os.pathsep) if p]
    home = user_policies()
    return [BUNDLED_DIR, *([home] if home.is_dir() else []), *env, *user_dirs]


def load_library(user_dirs: Sequence[Path] = ()) -> PolicyLibrary:
    dirs = policy_dirs(user_dirs)
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
