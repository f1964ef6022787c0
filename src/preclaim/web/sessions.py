"""Sign-in sessions for the pages. The cookie never holds an API key or a password: it holds a random session
id whose SHA-256 is a row in `web_sessions` (in the history store, or the pages' own web.db). Sign-out deletes
the row, so a copied cookie dies with it; workers sharing the database share the sessions; disabling a user
ends their sessions at their next request.
"""

from __future__ import annotations

from typing import Any, Protocol

from preclaim.identity import Identity

COOKIE = "preclaim_session"


class SessionBook(Protocol):
    def start(self, who: Identity) -> str: ...
    def find(self, token: str) -> Identity | None: ...
    def end(self, token: str) -> None: ...


class StoreSessions:
    def __init__(self, store: Any) -> None:
        self.store = store

    def start(self, who: Identity) -> str:
        from preclaim.store.people import start_session

        return start_session(self.store, who)

    def find(self, token: str) -> Identity | None:
        from preclaim.store.people import session_identity

        return session_identity(self.store, token) if 20 <= len(token) <= 100 else None

    def end(self, token: str) -> None:
        from preclaim.store.people import end_session

        end_session(self.store, token)
