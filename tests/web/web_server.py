"""The service app (preclaim.api.create_app, which includes the web router) under a real uvicorn on loopback,
with a fresh SQLite store and a fixed 'today' so pages never depend on the date the tests run."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

TODAY = dt.date(2026, 3, 20)


def service_app(tmp: Path, **settings: Any) -> Any:
    from preclaim.api import create_app
    from preclaim.api.settings import ServiceSettings

    options: dict[str, Any] = {"insecure_dev": True, "data_dir": str(tmp), "use_store": True}
    options["store_url"] = f"sqlite:///{tmp / 'store.db'}"
    options.update(settings)
    return create_app(ServiceSettings(**options), today=lambda: TODAY)


class LiveServer:
    def __init__(self, app: Any) -> None:
        config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False, lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.base = ""

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.base = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
