"""Verify the JWT an EHR signs for every CDS Hooks call (CDS Hooks 2.0 security), and OAuth2 bearer JWTs.

Checks, in order: header and payload no deeper than a JSON document needs, asymmetric allowed `alg` only
(never `none` or HMAC), `typ` JWT, `kid` present, `iss` on the allow-list, key from the issuer's JWKS file or
an allow-listed `jku`, signature, `aud` equal to the URL called, `exp`/`iat`/`jti` present, `exp`/`iat`/`nbf`
numbers, `exp` not past (leeway allowed), a lifetime (exp - iat) no longer than the cap, and `jti` a non-empty
string not seen before from that issuer (replay). A jti is remembered until exp + leeway: as long as the
signature check would still accept the token.
"""

from __future__ import annotations

import base64
import json
import math
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import jwt
import msgspec

from preclaim.api.problems import ApiError
from preclaim.api.replay import Replay, ReplayCache
from preclaim.api.settings import Issuer
from preclaim.errors import InputError
from preclaim.io.json_guard import check_json_depth

FORBIDDEN = frozenset({"none", "HS256", "HS384", "HS512"})
_KEY_TYPE = {"ES": "EC", "RS": "RSA", "PS": "RSA"}
JwksFetcher = Callable[[str], Awaitable[dict[str, Any]]]
__all__ = ["JwtVerifier", "KeyStore", "Replay", "ReplayCache", "peek", "unauthorized"]


def unauthorized(detail: str) -> ApiError:
    return ApiError(401, "unauthorized", "Unauthorized", detail, headers={"www-authenticate": "Bearer"})


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
        max_lifetime_s: int | None = None,
    ) -> None:
        """`replay`: a jti cache (CDS Hooks: jti required); `max_lifetime_s`: refuse exp - iat above it."""
        self.issuers = {i.iss: i for i in issuers}
        self.keys, self.leeway_s, self.replay = keys, leeway_s, replay
        self.max_lifetime_s = max_lifetime_s
        self.algorithms = tuple(a for a in algorithms if a not in FORBIDDEN)
        for issuer in issuers:
            keys.load_file(issuer)

    async def verify(self, authorization: str | None, audience: str) -> dict[str, Any]:
        token = _bearer(authorization)
        header, unverified = peek(token)
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
        now = time.time()  # one clock reading for the expiry check and the replay cache, so they agree
        exp = self._check_times(claims, now)
        if self.replay is not None:
            jti = claims.get("jti")
            if not isinstance(jti, str) or not jti.strip():
                raise unauthorized("jti must be a non-empty string")
            if not isinstance(claims.get("tenant", ""), str):
                raise unauthorized("tenant must be a string")
            if not self.replay.check_and_add(issuer.iss, jti, exp + self.leeway_s, now):
                raise unauthorized("jti was already used (replay)")
        return claims

    def _check_times(self, claims: dict[str, Any], now: float) -> float:
        """exp, iat (and nbf) as numbers (PyJWT takes "9999999999" as a date), exp not past, the lifetime
        capped. Returns exp."""
        exp, iat = _seconds(claims, "exp"), _seconds(claims, "iat")
        _seconds(claims, "nbf")
        if exp is None or iat is None:
            raise unauthorized("exp and iat are required")
        if exp <= now - self.leeway_s:
            raise unauthorized("the JWT has expired")
        if self.max_lifetime_s is not None:
            if exp - iat > self.max_lifetime_s or exp > now + self.max_lifetime_s + self.leeway_s:
                raise unauthorized(
                    f"the JWT lives too long: exp - iat is {exp - iat:.0f} s, at most {self.max_lifetime_s} s "
                    "are accepted (sign a fresh JWT for every call)"
                )
            if exp < iat:
                raise unauthorized("exp is before iat")
        return exp

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


def _seconds(claims: dict[str, Any], name: str) -> float | None:
    """A NumericDate claim (RFC 7519: a JSON number) as float; None when absent."""
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise unauthorized(f"{name} must be a number (seconds since 1970), not a {type(value).__name__}")
    try:
        seconds = float(value)
    except OverflowError:
        seconds = math.inf
    if not math.isfinite(seconds) or abs(seconds) > 1e11:  # beyond the year 5000: not a date anyone signs
        raise unauthorized(f"{name} is not a plausible time")
    return seconds


def _segment(part: str, name: str) -> dict[str, Any]:
    raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    check_json_depth(raw, where=f"JWT {name}")  # before any parser recurses into it (no RecursionError)
    value = msgspec.json.decode(raw)
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def peek(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims before verification, to pick the issuer and key. PyJWT then verifies everything
    (signature, aud, iss, exp...) in one pass; this cheap read saves it two extra parses per call, and refuses
    deep nesting before PyJWT's json.loads could recurse into it."""
    parts = token.split(".")
    if len(parts) != 3:
        raise unauthorized("malformed JWT: expected header.payload.signature")
    try:
        return _segment(parts[0], "header"), _segment(parts[1], "payload")
    except (ValueError, msgspec.DecodeError, InputError) as exc:  # InputError: nested too deep
        raise unauthorized(f"malformed JWT: {exc}") from None


def _bearer(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("send Authorization: Bearer <JWT>")
    return token.strip()
