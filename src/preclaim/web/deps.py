"""What the pages need from the app they run in: the engine, history, the store, today, and who is signed in.

Inside the service app (preclaim.api.create_app) everything comes from its ServiceState; a bare FastAPI app
(tests, `include_router` elsewhere) sets `app.state.web = WebDeps(...)` instead.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.requests import Request

from preclaim.domain.history import EMPTY_HISTORY, History
from preclaim.identity import Identity
from preclaim.web.sessions import COOKIE, SessionBook, StoreSessions

DEV = Identity("insecure-dev", "admin")
RANKS = {"front-desk": 0, "biller": 1, "admin": 2}


@dataclass
class WebDeps:
    engine: Any  # preclaim.engine.Engine (codes, policies, check, prior_auth)
    store: Any = None  # preclaim.store.Store, when history is kept
    today: Callable[[], dt.date] = field(default=lambda: dt.datetime.now(dt.UTC).date())
    key_check: Callable[[str], str | None] | None = None  # API key -> client; None = no sign-in needed
    public_url: str | None = None
    data_dir: Path | None = None
    _desk: Any = None
    _sessions: SessionBook | None = None
    _jobs: Any = None

    @property
    def open(self) -> bool:
        """True in insecure dev mode: nobody signs in."""
        return self.key_check is None

    @property
    def https(self) -> bool:
        return bool(self.public_url and self.public_url.lower().startswith("https://"))

    def folder(self) -> Path:
        return self.data_dir or Path(tempfile.gettempdir()) / "preclaim-web"

    @property
    def desk(self) -> Any:
        """Where the pages keep the worklist, uploads, users and sessions: the history store when there is one,
        else their own SQLite file in the data folder (web.db), so the pages work without a configured store."""
        if self.store is not None:
            return self.store
        if self._desk is None:
            from preclaim.store import Store

            self._desk = Store.open(f"sqlite:///{self.folder() / 'web.db'}")
        return self._desk

    @property
    def sessions(self) -> SessionBook:
        if self._sessions is None:
            self._sessions = StoreSessions(self.desk)
        return self._sessions

    @property
    def jobs(self) -> Any:
        if self._jobs is None:
            from preclaim.web.jobs import BatchJobs

            self._jobs = BatchJobs(self)
        return self._jobs

    def audit(self, actor: str, action: str, target: str = "", detail: str = "") -> None:
        from preclaim.store.people import record

        record(self.desk, actor, action, target, detail)

    def history_for(self, patient_key: str, before: dt.date, *, exclude_claim: str | None = None) -> History:
        if self.store is None:
            return EMPTY_HISTORY
        from preclaim.store import load_history

        history: History = load_history(self.store, patient_key, before, exclude_claim=exclude_claim)
        return history

    @property
    def stored(self) -> WebDeps | None:
        """The pages' source of earlier records for preclaim.facade (None without a store)."""
        return self if self.store is not None else None


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
        public_url=settings.public_url,
        data_dir=settings.data_path(),
    )
    app_state.web = built  # once per app
    return built


def identity(request: Request, web: WebDeps) -> Identity | None:
    """Who sent this request: the insecure-dev visitor, or the holder of a valid session cookie."""
    if web.open:
        return DEV
    token = request.cookies.get(COOKIE)
    return web.sessions.find(token) if token else None


def allowed(who: Identity, role: str) -> bool:
    return RANKS.get(who.role, -1) >= RANKS[role]


def who(request: Request) -> Identity:
    """The identity the guard put on the request."""
    found: Identity = request.state.who
    return found


def user_for_api_key(request: Request, key: str) -> str | None:
    """The user name whose own API key (made on /account) this is, for the REST API; None when none is."""
    try:
        web = deps(request)
    except EngineMissing:
        return None
    if web.store is None and not (web.folder() / "web.db").is_file():
        return None  # no page users anywhere: never create a database for a stranger's key
    from preclaim.store.people import user_for_key

    with web.desk.transaction(write=False) as session:
        found = user_for_key(session, key)
    return found.actor if found else None
