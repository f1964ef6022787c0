"""What every route needs, built once per app: settings, engine, seams, the JWT verifiers and the HTTP client."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec
from starlette.requests import Request

from preclaim.api.jwt_auth import JwtVerifier, peek, unauthorized
from preclaim.api.problems import ApiError, from_validation, too_deep
from preclaim.api.seams import Checker, FeedbackSink, HistorySource
from preclaim.api.settings import ServiceSettings
from preclaim.errors import InputError
from preclaim.io.json_guard import check_json_depth


@dataclass
class ServiceState:
    settings: ServiceSettings
    checker: Checker | None
    history: HistorySource
    feedback: FeedbackSink
    cds_verifier: JwtVerifier
    oauth_verifier: JwtVerifier
    http: httpx.AsyncClient
    today: Callable[[], dt.date]

    def engine(self) -> Checker:
        if self.checker is None:
            raise ApiError(503, "engine-unavailable", "Engine unavailable", "the preclaim engine is not installed")
        return self.checker

    def audience(self, request: Request) -> str:
        """The URL the client called, as the client sees it (public_url when behind a proxy)."""
        if self.settings.public_url:
            return self.settings.public_url.rstrip("/") + request.url.path
        return str(request.url.replace(query=""))

    async def cds_client(self, request: Request) -> tuple[str, ...]:
        """Verifies the EHR's JWT; returns the FHIR server prefixes this EHR may point us at (() = any)."""
        if self.settings.insecure_dev:
            return ()
        claims = await self.cds_verifier.verify(request.headers.get("authorization"), self.audience(request))
        client = f"{claims['iss']}#{claims.get('tenant', '')}".rstrip("#")
        request.scope.setdefault("state", {})["client_id"] = client
        issuer = self.settings.cds_issuer(str(claims["iss"]))
        return issuer.fhir_servers if issuer else ()

    async def rest_client(self, request: Request) -> str:
        if self.settings.insecure_dev:
            return "insecure-dev"
        key = request.headers.get("x-api-key")
        auth = request.headers.get("authorization") or ""
        if key is None and auth.lower().startswith("bearer "):
            token = auth[7:].strip()
            if token.count(".") == 2 and self.settings.oauth_issuers:
                return await self._oauth(request, auth)
            key = token
        client = self.settings.client_for_key(key) if key else None
        if client is None and key and len(key) <= 200:  # a page user's own key (made on /account)
            client = await _page_user(request, key)
        if client is None:
            raise unauthorized("send X-API-Key (or Authorization: Bearer) with a valid key or OAuth2 token")
        request.scope.setdefault("state", {})["client_id"] = client
        return client

    async def _oauth(self, request: Request, auth: str) -> str:
        _, unverified = peek(auth[7:].strip())  # depth-checked before any parser recurses into it
        iss = str(unverified.get("iss"))
        issuer = self.settings.oauth_issuer(iss)
        audience = (issuer.audience if issuer else None) or self.settings.public_url or str(request.base_url)
        claims = await self.oauth_verifier.verify(auth, audience)
        client = str(claims.get("client_id") or claims.get("sub") or claims["iss"])
        request.scope.setdefault("state", {})["client_id"] = client
        return client


async def _page_user(request: Request, key: str) -> str | None:
    try:
        from preclaim.web.deps import user_for_api_key
    except ImportError:  # the pages (and their store) are not installed
        return None
    from starlette.concurrency import run_in_threadpool

    found: str | None = await run_in_threadpool(user_for_api_key, request, key)
    return found


def decode_body(body: bytes, kind: Any) -> Any:
    guard_depth(body)
    try:
        return msgspec.json.decode(body, type=kind)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise from_validation(exc) from None
    except UnicodeDecodeError as exc:  # invalid UTF-8 inside a JSON string (found by fuzzing): a 400, not a 500
        raise from_validation(msgspec.DecodeError(f"not valid UTF-8 at byte {exc.start}")) from None


def guard_depth(body: bytes) -> None:
    """400 for JSON nested deeper than any request needs, before a parser recurses into it (no 500)."""
    try:
        check_json_depth(body, where="request body")
    except InputError as exc:
        raise too_deep(exc) from None
