"""`preclaim serve`: the REST + CDS Hooks service under uvicorn (uvloop/httptools when installed)."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Annotated

import typer

LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def _serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8080,
    config: Annotated[
        Path | None, typer.Option("--config", help="Service TOML (default: $PRECLAIM_SERVICE_CONFIG).")
    ] = None,
    public_url: Annotated[
        str | None, typer.Option("--public-url", help="Base URL clients call (the CDS JWT aud).")
    ] = None,
    insecure_dev: Annotated[
        bool, typer.Option("--insecure-dev", help="Turn authentication OFF (loopback only, for demos).")
    ] = False,
    log_level: Annotated[str, typer.Option("--log-level", help="debug, info, warning, error.")] = "info",
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Worker processes (>1 shares the jti replay cache via SQLite).")
    ] = 1,
    new_api_key: Annotated[
        str | None, typer.Option("--new-api-key", metavar="CLIENT", help="Print a new API key + config entry; exit.")
    ] = None,
) -> None:
    """Serve the REST API (/v1, OpenAPI at /docs) and CDS Hooks (/cds-services)."""
    from preclaim.cli import err, fail
    from preclaim.errors import PreclaimError

    if new_api_key is not None:
        _print_new_key(new_api_key)
        return
    if insecure_dev and host not in LOOPBACK:
        raise fail(f"--insecure-dev only binds to loopback (127.0.0.1, ::1), not {host}")
    try:
        import uvicorn

        from preclaim.api import create_app, load_settings
        from preclaim.api.middleware import configure_logging

        overrides: dict[str, object] = {"public_url": public_url}
        if insecure_dev:
            overrides["insecure_dev"] = True
        settings = load_settings(config, **overrides)
    except ImportError as exc:
        raise fail(f"the service needs the api extra (pip install 'preclaim[api]'): {exc.name}") from None
    except PreclaimError as exc:
        raise fail(str(exc)) from None
    if insecure_dev:
        err.print("[bold red]WARNING: --insecure-dev: authentication is OFF. Loopback only; never in production.[/]")
    elif not settings.cds_issuers and not settings.api_keys and not settings.oauth_issuers:
        err.print("[yellow]note:[/] no API keys or issuers configured: every authenticated call will get 401")
    level = getattr(logging, log_level.upper(), logging.INFO)
    configure_logging(level)
    if workers > 1:
        import os

        import msgspec

        from preclaim.api.app import SETTINGS_ENV

        settings = msgspec.structs.replace(settings, replay_cache="sqlite")
        os.environ[SETTINGS_ENV] = msgspec.json.encode(settings).decode()
        os.environ["PRECLAIM_SERVICE_LOG_LEVEL"] = str(level)
    target: object = "preclaim.api.app:app_from_env" if workers > 1 else create_app(settings)
    uvicorn.run(
        target,  # type: ignore[arg-type]
        factory=workers > 1,
        workers=workers,
        host=host,
        port=port,
        loop="uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        http="httptools" if importlib.util.find_spec("httptools") else "h11",
        access_log=False,  # our RequestContext middleware logs one line per request, with its id
        log_level=log_level,
        server_header=False,
    )


def _print_new_key(client: str) -> None:
    import hashlib
    import secrets

    key = secrets.token_urlsafe(32)
    digest = hashlib.sha256(key.encode()).hexdigest()
    typer.echo(f"API key for {client} (give it to the client; it is not stored anywhere):\n  {key}\n")
    typer.echo(f'Add to the service config:\n[[service.api_keys]]\nclient = "{client}"\nsha256 = "{digest}"')


def register(app: typer.Typer) -> None:
    app.command("serve")(_serve)
