"""A request body that stalls is cut off: 408 when no part of it arrives within `idle_seconds`.

A client that opens a POST and then trickles (or stops sending) its body would otherwise hold a worker and
a file handle for as long as it likes. Uploads of any size still work: the limit is on silence, not length.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class SlowBody(Exception):
    pass


class BodyTimeout:
    def __init__(self, app: ASGIApp, idle_seconds: float = 30.0) -> None:
        self.app, self.idle = app, idle_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS") or self.idle <= 0:
            await self.app(scope, receive, send)
            return
        started = False
        body_done = False

        async def timed() -> Message:
            nonlocal body_done
            if body_done:  # after the body only a disconnect can come: no deadline on waiting for it
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), self.idle)
            except TimeoutError:
                raise SlowBody from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_done = True
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, timed, tracked)
        except SlowBody:
            if started:
                raise
            await send(
                {
                    "type": "http.response.start",
                    "status": 408,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close")],
                }
            )
            await send({"type": "http.response.body", "body": b"request body timed out: send it again\n"})
