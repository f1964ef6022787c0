"""Who did something on the pages: a user (by name), an API key's client, or the insecure-dev visitor."""

from __future__ import annotations

from dataclasses import dataclass

SESSION_HOURS = 12


@dataclass(frozen=True)
class Identity:
    actor: str  # user name, or the API key's client name from the service config
    role: str  # front-desk, biller or admin
    user_id: int | None = None
