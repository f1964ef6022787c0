"""The ASGI app: REST + CDS Hooks, problem-details errors, request ids, body and rate limits.

from preclaim.api import create_app
app = create_app(load_settings())          # uvicorn preclaim.api:app, or `preclaim serve`
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
import msgspec
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

import preclaim
from preclaim.api import catalog_routes, cds_routes, history_routes, rest_routes
from preclaim.api.jwt_auth import JwksFetcher, JwtVerifier, KeyStore
from preclaim.api.log_safe import safe_logger
from preclaim.api.middleware import BodyLimit, RateLimit, RequestContext
from preclaim.api.openapi import install
from preclaim.api.problems import ApiError, FieldError, from_preclaim, problem_response
from preclaim.api.replay import Replay, ReplayCache
from preclaim.api.seams import Checker, FeedbackSink, HistorySource, JsonlFeedback, NoHistory, load_checker
from preclaim.api.settings import ServiceSettings
from preclaim.api.state import ServiceState
from preclaim.errors import PreclaimError
from preclaim.paths import Settings
from preclaim.web.body_timeout import BodyTimeout

log = safe_logger("preclaim.api")
UNLIMITED_PATHS = ("/upload",)  # the pages' upload streams files of any size to disk, signed in only


def _fetcher(client: httpx.AsyncClient) -> JwksFetcher:
    async def fetch(url: str) -> dict[str, object]:
        response = await client.get(url, timeout=3.0)
        response.raise_for_status()
        data: dict[str, object] = msgspec.json.decode(response.content)
        return data

    return fetch


def _history(settings: ServiceSettings) -> HistorySource:
    if not (settings.use_store or settings.store_url or Settings.from_env().db_url):
        return NoHistory()
    from preclaim.api.store_seam import StoreHistory

    return StoreHistory.open(settings.store_url)


def _feedback(settings: ServiceSettings, history: HistorySource) -> FeedbackSink:
    """In the store's database when there is one, else an append-only JSONL file in the data dir."""
    from preclaim.api.store_seam import StoreFeedback, StoreHistory

    if isinstance(history, StoreHistory):
        return StoreFeedback(history.store)
    return JsonlFeedback(settings.data_path() / "cds-feedback.jsonl")


def _handlers(app: FastAPI) -> None:
    def rid(request: Request) -> str | None:
        value = request.scope.get("state", {}).get("request_id")
        return str(value) if value else None

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        return problem_response(exc, request.url.path, rid(request))

    @app.exception_handler(PreclaimError)
    async def preclaim_error(request: Request, exc: PreclaimError) -> Response:
        return problem_response(from_preclaim(exc), request.url.path, rid(request))

    @app.exception_handler(RequestValidationError)
    async def validation(request: Request, exc: RequestValidationError) -> Response:
        errors = tuple(FieldError(str(e.get("msg")), ".".join(str(p) for p in e.get("loc", ()))) for e in exc.errors())
        error = ApiError(422, "invalid-input", "Invalid input", errors[0].detail if errors else None, errors=errors)
        return problem_response(error, request.url.path, rid(request))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 404 and _web_page(request):  # a person in a browser: an HTML page, not JSON
            from preclaim.web.render import not_found

            return not_found(request)
        slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        error = ApiError(exc.status_code, slug, str(exc.detail), headers=dict(exc.headers or {}))
        return problem_response(error, request.url.path, rid(request))


def _web_page(request: Request) -> bool:
    api = request.url.path.startswith(("/v1/", "/cds-services", "/docs", "/openapi", "/healthz"))
    return not api and "text/html" in request.headers.get("accept", "") and _web_installed()


def _web_installed() -> bool:
    return importlib.util.find_spec("preclaim.web.render") is not None


def _include_web(app: FastAPI) -> None:
    """The web helper's pages, when installed (preclaim.web.router:router)."""
    try:
        module = importlib.import_module("preclaim.web.router")
    except ModuleNotFoundError as exc:
        if exc.name not in ("preclaim.web", "preclaim.web.router"):
            log.error("web pages not mounted: %s", exc)  # installed but broken: say so, keep the API up
        return
    router = getattr(module, "router", None)
    if router is not None:
        app.include_router(router)


def create_app(
    settings: ServiceSettings | None = None,
    *,
    checker: Checker | None = None,
    history: HistorySource | None = None,
    feedback: FeedbackSink | None = None,
    today: Callable[[], dt.date] | None = None,
) -> FastAPI:
    settings = settings or ServiceSettings()
    http = httpx.AsyncClient(follow_redirects=False)
    history_source = history or _history(settings)
    replay: Replay = ReplayCache()
    if settings.replay_cache == "sqlite":
        from preclaim.api.replay import SqliteReplayCache

        replay = SqliteReplayCache(settings.data_path() / "jti.db")
    state = ServiceState(
        settings=settings,
        checker=checker if checker is not None else load_checker(settings.policy_dirs),
        history=history_source,
        feedback=feedback or _feedback(settings, history_source),
        cds_verifier=JwtVerifier(
            settings.cds_issuers,
            KeyStore(_fetcher(http)),
            settings.algorithms,
            settings.jwt_leeway_s,
            replay,
            max_lifetime_s=settings.jwt_max_lifetime_s,
        ),
        oauth_verifier=JwtVerifier(
            settings.oauth_issuers, KeyStore(_fetcher(http)), settings.algorithms, settings.jwt_leeway_s, None
        ),
        http=http,
        today=today or (lambda: dt.datetime.now(dt.UTC).date()),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if settings.insecure_dev:
            log.warning("INSECURE DEV MODE: authentication is OFF. Never expose this server beyond loopback.")
        for issuer in settings.cds_issuers:
            if not issuer.fhir_servers:  # its EHRs may send us, with their access token, to any fhirServer
                log.warning("CDS issuer %s has no fhir_servers: list its FHIR base URLs", issuer.iss)
        yield
        await http.aclose()
        close = getattr(state.history, "close", None)
        if close is not None:
            close()

    app = FastAPI(
        title="preclaim",
        version=preclaim.__version__,
        lifespan=lifespan,
        description="Check B12 injection claims (J3420) before they are sent; CDS Hooks (Da Vinci CRD).",
    )
    app.state.svc = state
    _handlers(app)
    app.include_router(rest_routes.router)
    app.include_router(catalog_routes.router)
    app.include_router(history_routes.router)
    app.include_router(cds_routes.router)

    @app.get("/healthz", tags=["ops"], summary="Liveness and engine presence")
    async def healthz() -> Response:
        body = {"status": "ok", "engine": state.checker is not None, "version": preclaim.__version__}
        return Response(msgspec.json.encode(body), media_type="application/json")

    _include_web(app)
    install(app)
    app.add_middleware(RateLimit, per_minute=settings.rate_limit_per_minute, burst=settings.rate_burst)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes, exempt=UNLIMITED_PATHS)
    app.add_middleware(BodyTimeout, idle_seconds=settings.body_timeout_s)
    app.add_middleware(RequestContext)
    if settings.cors_origins:  # browser-based CDS clients / SMART apps; preflights never need a token
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["authorization", "content-type", "x-api-key", "x-request-id"],
            expose_headers=["x-request-id"],
        )
    return app


SETTINGS_ENV = "PRECLAIM_SERVICE_SETTINGS_JSON"


def app_from_env() -> FastAPI:
    """uvicorn factory for several workers: `preclaim serve --workers N` passes the settings as JSON."""
    from preclaim.api.middleware import configure_logging

    configure_logging(int(os.environ.get("PRECLAIM_SERVICE_LOG_LEVEL", str(logging.INFO))))
    return create_app(msgspec.json.decode(os.environ[SETTINGS_ENV], type=ServiceSettings))
