"""Verify the JWT an EHR signs for every CDS Hooks call (CDS Hooks 2.0 security), and OAuth2 bearer JWTs.

Checks, in order: asymmetric allowed `alg` only (never `none` or HMAC), `typ` JWT, `kid` present, `iss` on the
allow-list, key from the issuer's JWKS file or an allow-listed `jku`, signature, `aud` equal to the URL
called, `exp`/`iat`/`jti` present and `exp` in the future, and `jti` not seen before (replay).
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

import jwt
import msgspec

from preclaim.api.problems import ApiError
from preclaim.api.settings import Issuer

FORBIDDEN = frozenset({"none", "HS256", "HS384", "HS512"})
_KEY_TYPE = {"ES": "EC", "RS": "RSA", "PS": "RSA"}
JwksFetcher = Callable[[str], Awaitable[dict[str, Any]]]


def unauthorized(detail: str) -> ApiError:
    return ApiError(401, "unauthorized", "Unauthorized", detail, headers={"www-authenticate": "Bearer"})


class Replay(Protocol):
    def check_and_add(self, iss: str, jti: str, exp: float, now: float) -> bool: ...


class ReplayCache:
    """Remembers (iss, jti) until the token expires, in this process (one worker; see replay.py for more)."""

    def __init__(self, max_entries: int = 200_000) -> None:
        self.seen: dict[tuple[str, str], float] = {}
        self.max_entries = max_entries
        self._next_sweep = 0.0

    def check_and_add(self, iss: str, jti: str, exp: float, now: float) -> bool:
        if now >= self._next_sweep or len(self.seen) > self.max_entries:
            self.seen = {k: e for k, e in self.seen.items() if e > now}
            self._next_sweep = now + 30
        key = (iss, jti)
        if key in self.seen:
            return False
        self.seen[key] = exp
        return True


class KeyStore:
    """Keys by (issuer, kid): JWKS files read at start, `jku` sets fetched on demand and cached a while."""

    def __init__(self, fetch: JwksFetcher | None = None, ttl_s: float = 300) -> None:
        self.fetch, self.ttl_s = fetch, ttl_s
        self.files: dict[str, dict[str, jwt.PyJWK]] = {}
        self.remote: dict[str, tuple[float, dict[str, jwt.PyJWK]]] = {}

    @staticmethod
    def parse(jwks: dict[str, Any]) -> dict[str, jwt.PyJWK]:
        keys: dict[str, jwt.PyJWK] = {}
        for raw in jwks.get("keys", []):
            if isinstance(raw, dict) and raw.get("kid") and raw.get("kty") in ("EC", "RSA"):
                keys[str(raw["kid"])] = jwt.PyJWK(raw)
        return keys

    def load_file(self, issuer: Issuer) -> None:
        if issuer.jwks_file:
            self.files[issuer.iss] = self.parse(json.loads(Path(issuer.jwks_file).read_text()))

    async def key(self, issuer: Issuer, kid: str, jku: str | None) -> jwt.PyJWK:
        if jku is not None:
            if jku not in issuer.jku:
                raise unauthorized("jku is not on this issuer's allow-list")
            return (await self._remote(jku)).get(kid) or _no_key(kid)
        found = self.files.get(issuer.iss, {}).get(kid)
        if found is None and len(issuer.jku) == 1:  # keys exchanged by URL only
            found = (await self._remote(issuer.jku[0])).get(kid)
        return found or _no_key(kid)

    async def _remote(self, url: str) -> dict[str, jwt.PyJWK]:
        cached = self.remote.get(url)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        if self.fetch is None:
            raise unauthorized("cannot fetch the jku key set")
        try:
            keys = self.parse(await self.fetch(url))
        except Exception as exc:  # any fetch/parse failure means no trusted keys
            raise unauthorized(f"cannot fetch the jku key set: {type(exc).__name__}") from None
        self.remote[url] = (time.monotonic() + self.ttl_s, keys)
        return keys


def _no_key(kid: str) -> jwt.PyJWK:
    raise unauthorized(f"no key with kid {kid!r} for this issuer")


class JwtVerifier:
    def __init__(
        self,
        issuers: tuple[Issuer, ...],
        keys: KeyStore,
        algorithms: tuple[str, ...] = ("ES384", "RS384"),
        leeway_s: int = 30,
        replay: Replay | None = None,
    ) -> None:
        self.issuers = {i.iss: i for i in issuers}
        self.keys, self.leeway_s, self.replay = keys, leeway_s, replay
        self.algorithms = tuple(a for a in algorithms if a not in FORBIDDEN)
        for issuer in issuers:
            keys.load_file(issuer)

    async def verify(self, authorization: str | None, audience: str) -> dict[str, Any]:
        token = _bearer(authorization)
        header, unverified = _peek(token)
        alg = header.get("alg")
        if alg not in self.algorithms:
            raise unauthorized(f"alg {alg!r} is not accepted; use one of {', '.join(self.algorithms)}")
        if header.get("typ", "JWT") != "JWT" or not header.get("kid"):
            raise unauthorized("the JWT header needs typ JWT and a kid")
        issuer = self.issuers.get(str(unverified.get("iss")))
        if issuer is None:
            raise unauthorized("issuer is not on the allow-list")
        key = await self.keys.key(issuer, str(header["kid"]), header.get("jku"))
        claims = self._decode(token, key, alg, issuer, audience)
        if self.replay is not None and not self.replay.check_and_add(
            issuer.iss, str(claims["jti"]), float(claims["exp"]), time.time()
        ):
            raise unauthorized("jti was already used (replay)")
        return claims

    def _decode(self, token: str, key: jwt.PyJWK, alg: str, issuer: Issuer, audience: str) -> dict[str, Any]:
        required = ["iss", "aud", "exp", "iat"] + (["jti"] if self.replay is not None else [])
        if key.key_type != _KEY_TYPE.get(alg[:2]):  # an EC key named for an RS384 token, or the reverse
            raise unauthorized(f"key {key.key_id!r} is {key.key_type}, which cannot verify {alg}")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[alg],
                audience=audience,
                issuer=issuer.iss,
                leeway=self.leeway_s,
                options={"require": required},
            )
        except jwt.ExpiredSignatureError:
            raise unauthorized("the JWT has expired") from None
        except jwt.InvalidAudienceError:
            raise unauthorized(f"aud does not match the URL called ({audience})") from None
        except jwt.PyJWTError as exc:
            raise unauthorized(f"JWT rejected: {exc}") from None
        except (TypeError, ValueError):  # a key that does not fit the algorithm (curve, size)
            raise unauthorized(f"key {key.key_id!r} cannot verify {alg}") from None
        return claims


def _segment(part: str) -> dict[str, Any]:
    value = msgspec.json.decode(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def _peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims before verification, to pick the issuer and key. PyJWT then verifies everything
    (signature, aud, iss, exp...) in one pass; this cheap read saves it two extra parses per call."""
    parts = token.split(".")
    if len(parts) != 3:
        raise unauthorized("malformed JWT: expected header.payload.signature")
    try:
        return _segment(parts[0]), _segment(parts[1])
    except (ValueError, msgspec.DecodeError) as exc:
        raise unauthorized(f"malformed JWT: {exc}") from None


def _bearer(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("send Authorization: Bearer <JWT>")
    return token.strip()
