"""Users (argon2 password hashes, per-user API keys by SHA-256), web sessions (only a token's hash is kept) and
the audit trail of who checked, changed, exported or signed in.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import secrets
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from preclaim.errors import InputError
from preclaim.identity import SESSION_HOURS, Identity
from preclaim.store.db import Store
from preclaim.store.models import utcnow
from preclaim.store.models_web import ROLES, AuditRow, UserRow, WebSessionRow

USERNAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._-@")


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _hasher() -> Any:
    try:
        from argon2 import PasswordHasher
    except ImportError:
        raise InputError("password sign-in needs argon2-cffi: pip install 'preclaim[web]'", where="password") from None
    return PasswordHasher()


def hash_password(password: str) -> str:
    if len(password) < 10:
        raise InputError("at least 10 characters", where="password")
    return str(_hasher().hash(password))


def verify_password(stored: str, password: str) -> bool:
    if not stored:
        return False
    from argon2.exceptions import InvalidHashError, VerificationError

    try:
        return bool(_hasher().verify(stored, password))
    except (VerificationError, InvalidHashError):
        return False


def check_username(name: str) -> str:
    name = name.strip().lower()
    if not (2 <= len(name) <= 64) or not set(name) <= USERNAME_CHARS:
        raise InputError("2-64 characters: letters, digits, '.', '_', '-', '@'", where="username")
    return name


def add_user(session: Session, username: str, role: str, password: str, display_name: str = "") -> UserRow:
    name = check_username(username)
    if role not in ROLES:
        raise InputError(f"{role!r} is not one of {', '.join(ROLES)}", where="role")
    if session.scalar(select(UserRow.id).where(UserRow.username == name)) is not None:
        raise InputError(f"{name!r} is taken", where="username")
    user = UserRow(username=name, role=role, password_hash=hash_password(password), display_name=display_name[:120])
    session.add(user)
    session.flush()
    return user


def password_sign_in(session: Session, username: str, password: str) -> Identity | None:
    user = session.scalars(select(UserRow).where(UserRow.username == username.strip().lower())).one_or_none()
    if user is None or not user.active:
        verify_password(_dummy_hash(), password)  # same work either way: no user-name probing by timing
        return None
    if not verify_password(user.password_hash, password):
        return None
    return Identity(user.username, user.role, user.id)


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def new_api_key(session: Session, user_id: int) -> str:
    """A new API key for the user (the old one stops working); returned once, stored as its SHA-256."""
    key = "pk_" + secrets.token_urlsafe(32)
    user = session.get_one(UserRow, user_id)
    user.api_key_sha256 = sha256(key)
    return key


def user_for_key(session: Session, key: str) -> Identity | None:
    user = session.scalars(select(UserRow).where(UserRow.api_key_sha256 == sha256(key))).one_or_none()
    if user is None or not user.active:
        return None
    return Identity(user.username, user.role, user.id)


def start_session(store: Store, who: Identity, hours: int = SESSION_HOURS) -> str:
    """A new session; the returned token goes in the cookie, only its hash in the table."""
    token = secrets.token_urlsafe(32)
    expires = utcnow() + dt.timedelta(hours=hours)
    with store.transaction() as session:
        session.execute(delete(WebSessionRow).where(WebSessionRow.expires_at < utcnow()))
        session.add(
            WebSessionRow(
                token_sha256=sha256(token), user_id=who.user_id, actor=who.actor, role=who.role, expires_at=expires
            )
        )
    return token


def session_identity(store: Store, token: str) -> Identity | None:
    with store.transaction(write=False) as session:
        row = session.scalars(select(WebSessionRow).where(WebSessionRow.token_sha256 == sha256(token))).one_or_none()
        if row is None or _aware(row.expires_at) < utcnow():
            return None
        if row.user_id is not None:
            user = session.get(UserRow, row.user_id)
            if user is None or not user.active:
                return None
            return Identity(user.username, user.role, user.id)  # a role changed by an admin applies at once
        return Identity(row.actor, row.role)


def end_session(store: Store, token: str) -> None:
    with store.transaction() as session:
        session.execute(delete(WebSessionRow).where(WebSessionRow.token_sha256 == sha256(token)))


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)  # SQLite hands back naive datetimes


def audit(session: Session, actor: str, action: str, target: str = "", detail: str = "") -> None:
    session.add(AuditRow(actor=actor[:80], action=action[:32], target=target[:200], detail=detail[:2000]))


def record(store: Store, actor: str, action: str, target: str = "", detail: str = "") -> None:
    with store.transaction() as session:
        audit(session, actor, action, target, detail)


def recent_audit(store: Store, limit: int = 200, actor: str = "", target: str = "") -> list[AuditRow]:
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if actor:
        query = query.where(AuditRow.actor == actor)
    if target:
        query = query.where(AuditRow.target == target)
    with store.transaction(write=False) as session:
        return list(session.scalars(query))


def list_users(store: Store) -> list[UserRow]:
    with store.transaction(write=False) as session:
        return list(session.scalars(select(UserRow).order_by(UserRow.username)))
