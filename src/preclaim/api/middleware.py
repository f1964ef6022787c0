"""Plain ASGI middleware (no per-request task overhead): request id + access log, body size and rate limits.

Log lines carry the request id, method, route template, status, duration and client; never a body, query
string, header value or the path as sent (it can hold a patient id), so no PHI reaches the logs. Every value
is escaped (log_safe.py): nothing a client sends can start a new log line.
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import traceback
import uuid
from collections import OrderedDict
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from preclaim.api.log_safe import EscapeFilter, route_template, safe_logger
from preclaim.api.problems import ApiError, problem_response

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
log = safe_logger("preclaim.api")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdFilter(logging.Filter):
    """Stamps every record with the current request id so the format string can print it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.addFilter(EscapeFilter())  # every preclaim logger, the web pages' too
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
    root = logging.getLogger("preclaim")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class RequestContext:
    """Assigns the request id (a safe incoming X-Request-ID, else a new one), echoes it, logs one line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        rid = incoming if incoming and _SAFE_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(rid)
        scope.setdefault("state", {})["request_id"] = rid
        status = [0]
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:  # a bug: answer a problem, log where it happened but never the values
            log.error("unhandled %s at %s", type(exc).__name__, _where(exc))
            if status[0]:
                raise
            error = ApiError(500, "internal-error", "Internal error", f"reference {rid}")
            await problem_response(error, scope["path"], rid)(scope, receive, send_with_id)
        finally:
            ms = (time.perf_counter() - started) * 1000
            client = scope.get("state", {}).get("client_id") or "-"
            route = route_template(scope)
            log.info("%s %s %d %.1fms client=%s", scope["method"], route, status[0], ms, client)
            request_id_var.reset(token)


def _where(exc: BaseException) -> str:
    """file:line of the innermost frame: enough to find the bug, without exception text (it may hold PHI)."""
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"


class BodyLimit:
    """413 before reading when Content-Length is too big; a streamed body is cut off at the limit.

    `exempt` paths (the pages' file upload) take bodies of any size: they stream them to disk themselves.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, exempt: tuple[str, ...] = ()) -> None:
        self.app, self.max_bytes, self.exempt = app, max_bytes, exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt:
            await self.app(scope, receive, send)
            return
        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            await self._reject(scope, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _too_large(self.max_bytes)
            return message

        await self.app(scope, limited, send)

    async def _reject(self, scope: Scope, send: Send) -> None:
        response = problem_response(_too_large(self.max_bytes), scope["path"], _rid(scope))
        await response(scope, _empty_receive, send)


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "body-too-large", "Request body too large", f"the limit is {limit} bytes")


def _rid(scope: Scope) -> str | None:
    state: dict[str, Any] = scope.get("state", {})
    return state.get("request_id")


async def _empty_receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


class RateLimit:
    """Token bucket per client address: `per_minute` sustained, `burst` at once. 429 with Retry-After."""

    def __init__(self, app: ASGIApp, per_minute: int, burst: int, exempt: tuple[str, ...] = ("/healthz",)) -> None:
        self.app, self.rate, self.burst, self.exempt = app, per_minute / 60.0, float(burst), exempt
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def _take(self, client: str, now: float) -> float:
        """Returns 0 when allowed, else the seconds until a token is free."""
        tokens, last = self.buckets.pop(client, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
        self.buckets[client] = (tokens - 1 if wait == 0 else tokens, now)
        if len(self.buckets) > 10_000:  # bound memory: drop the least recently seen client
            self.buckets.popitem(last=False)
        return wait

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt or self.rate <= 0:
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = self._take(client, time.monotonic())
        if wait:
            error = ApiError(
                429,
                "rate-limited",
                "Too many requests",
                f"retry in {wait:.1f} s",
                headers={"retry-after": str(max(1, round(wait)))},
            )
            await problem_response(error, scope["path"], _rid(scope))(scope, receive, send)
            return
        await self.app(scope, receive, send)
