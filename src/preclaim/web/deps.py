"""What the pages need from the app they run in: the engine, history, the store, today, and who is signed in.

Inside the service app (preclaim.api.create_app) everything comes from its ServiceState; a bare FastAPI app
(tests, `include_router` elsewhere) sets `app.state.web = WebDeps(...)` instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from preclaim.domain.history import EMPTY_HISTORY, History

COOKIE = "preclaim_web_key"


@dataclass
class WebDeps:
    engine: Any  # preclaim.engine.Engine (codes, policies, check, prior_auth)
    store: Any = None  # preclaim.store.Store, when history is kept
    today: Callable[[], dt.date] = field(default=lambda: dt.datetime.now(dt.UTC).date())
    key_check: Callable[[str], str | None] | None = None  # API key -> client; None = no sign-in needed

    def history_for(self, patient_key: str, before: dt.date) -> History:
        if self.store is None:
            return EMPTY_HISTORY
        from preclaim.store import load_history

        history: History = load_history(self.store, patient_key, before)
        return history


class EngineMissing(Exception):
    pass


def deps(request: Request) -> WebDeps:
    app_state = request.app.state
    web = getattr(app_state, "web", None)
    if isinstance(web, WebDeps):
        return web
    svc = getattr(app_state, "svc", None)
    if svc is None or svc.checker is None:
        raise EngineMissing("the preclaim engine is not installed")
    settings = svc.settings
    built = WebDeps(
        engine=svc.checker,
        store=getattr(svc.history, "store", None),
        today=svc.today,
        key_check=None if settings.insecure_dev else settings.client_for_key,
    )
    app_state.web = built  # once per app
    return built


def signed_in(request: Request, web: WebDeps) -> bool:
    if web.key_check is None:
        return True
    key = request.cookies.get(COOKIE)
    return bool(key) and web.key_check(key) is not None  # type: ignore[arg-type]
