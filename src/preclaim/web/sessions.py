"""Sign-in sessions for the pages. The cookie never holds an API key or a password:

- with a history store, it holds a random session id whose SHA-256 is a row in `web_sessions` (sign-out
  deletes it, an admin disabling a user ends their sessions at the next request);
- without one, it holds a token signed with HMAC-SHA256 under a secret kept in the data folder (mode 0600),
  so several workers accept each other's tokens; sign-out forgets the token in this process.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from pathlib import Path
from typing import Any, Protocol

from preclaim.identity import SESSION_HOURS, Identity

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


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_secret(folder: Path) -> bytes:
    """The signing secret in `folder/web-secret`, created on first use readable by this user only."""
    path = folder / "web-secret"
    try:
        return bytes.fromhex(path.read_text().strip())
    except (OSError, ValueError):
        pass
    folder.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_bytes(32)
    temp = path.with_name(f".web-secret.{os.getpid()}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secret.hex())
    try:
        os.link(temp, path)  # first writer wins; a concurrent worker reads the winner's secret
    except FileExistsError:
        pass
    finally:
        temp.unlink(missing_ok=True)
    return bytes.fromhex(path.read_text().strip())


class SignedSessions:
    def __init__(self, secret: bytes, hours: int = SESSION_HOURS) -> None:
        self.secret, self.seconds = secret, hours * 3600
        self._ended: dict[str, float] = {}
        self._lock = threading.Lock()

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self.secret, body.encode(), hashlib.sha256).digest())

    def start(self, who: Identity) -> str:
        payload = {"a": who.actor, "r": who.role, "u": who.user_id, "x": int(time.time()) + self.seconds}
        payload["n"] = secrets.token_hex(8)
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        return f"{body}.{self._sign(body)}"

    def find(self, token: str) -> Identity | None:
        body, _, signature = token.partition(".")
        if len(token) > 600 or not hmac.compare_digest(signature, self._sign(body)):
            return None
        try:
            payload = json.loads(_unb64(body))
        except ValueError:
            return None
        if not isinstance(payload, dict) or payload.get("x", 0) < time.time() or token in self._ended:
            return None
        return Identity(str(payload["a"]), str(payload["r"]), payload.get("u"))

    def end(self, token: str) -> None:
        with self._lock:
            now = time.time()
            self._ended = {t: x for t, x in self._ended.items() if x > now}  # forget tokens expired anyway
            self._ended[token] = now + self.seconds
