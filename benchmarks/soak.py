"""Soak test: hold `preclaim serve` at a fixed request rate on loopback and report latency and memory over time.

    .venv/bin/python benchmarks/soak.py [--rate 200] [--minutes 10] [--port 8765]

Starts the service (its own temporary data folder, an API key, a rate limit above the soak rate), sends an
open-loop mix of REST calls (POST /v1/check and /v1/prior-auth with the example claims, GET /v1/policies)
at --rate per second, and prints one line per --every seconds: requests sent, non-2xx, errors, latency
p50/p95/p99/max (measured from the time each request was due, so a stalled server cannot hide its backlog)
and the server's resident memory. Stops itself after --minutes and stops the server it started.
Not run in CI.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass
class Window:
    latencies: list[float] = field(default_factory=list)
    sent: int = 0
    not_ok: int = 0
    errors: int = 0


def _rss_mb(pid: int) -> float:
    total = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if os.getsid(int(entry.name)) == pid:
                    with open(f"/proc/{entry.name}/statm") as handle:
                        total += int(handle.read().split()[1]) * PAGE_KB
            except (OSError, ValueError):
                continue
    return total / 1024


def _requests() -> list[tuple[str, str, bytes | None]]:
    examples = sorted(p for p in (REPO / "examples").glob("*.json") if p.name != "history.json")
    calls: list[tuple[str, str, bytes | None]] = []
    for path in examples:
        body = path.read_bytes()
        calls += [("POST", "/v1/check?as_of=2026-04-01", body), ("POST", "/v1/prior-auth?as_of=2026-04-01", body)]
    calls.append(("GET", "/v1/policies", None))
    return calls


def start_server(port: int, key: str, rate: int, folder: Path) -> subprocess.Popen[bytes]:
    config = folder / "service.toml"
    config.write_text(
        f'[service]\nrate_limit_per_minute = {rate * 60 * 4}\nrate_burst = {rate * 4}\ndata_dir = "{folder}"\n'
    )
    env = os.environ | {"PRECLAIM_API_KEYS": f"soak:{key}", "XDG_DATA_HOME": str(folder)}
    command = [sys.executable, "-c", "from preclaim.cli import main; main()", "serve", "--port", str(port),
               "--config", str(config), "--log-level", "warning"]  # fmt: skip
    return subprocess.Popen(command, env=env, start_new_session=True, stdout=subprocess.DEVNULL)


async def wait_ready(client: httpx.AsyncClient, deadline_s: float = 60) -> None:
    stop = time.monotonic() + deadline_s
    while time.monotonic() < stop:
        try:
            if (await client.get("/v1/policies")).status_code < 500:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.25)
    raise SystemExit("the service did not start")


async def one(client: httpx.AsyncClient, call: tuple[str, str, bytes | None], due: float, window: Window) -> None:
    method, url, body = call
    try:
        response = await client.request(method, url, content=body)
        if response.status_code >= 300:
            window.not_ok += 1
    except httpx.HTTPError:
        window.errors += 1
    window.latencies.append(time.perf_counter() - due)


def report(minute: float, window: Window, rss: float) -> str:
    lat = sorted(window.latencies) or [0.0]

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000

    return (
        f"{minute:6.2f} min  sent {window.sent:6,}  non-2xx {window.not_ok:4}  errors {window.errors:4}  "
        f"p50 {pct(0.5):7.1f} ms  p95 {pct(0.95):7.1f}  p99 {pct(0.99):7.1f}  max {lat[-1] * 1000:7.1f}  "
        f"rss {rss:6.0f} MB"
    )


async def soak(port: int, key: str, rate: float, seconds: float, every: float, server: int) -> list[Window]:
    calls = _requests()
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    headers = {"X-API-Key": key, "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", headers=headers, limits=limits) as client:
        await wait_ready(client)
        windows: list[Window] = []
        pending: set[asyncio.Task[None]] = set()
        start = time.perf_counter()
        n = 0
        while (elapsed := time.perf_counter() - start) < seconds:
            index = int(elapsed // every)
            while len(windows) <= index:
                if windows:
                    print(report(len(windows) * every / 60, windows[-1], _rss_mb(server)), flush=True)
                windows.append(Window())
            due = start + n / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            task = asyncio.create_task(one(client, calls[n % len(calls)], due, windows[index]))
            pending.add(task)
            task.add_done_callback(pending.discard)
            windows[index].sent += 1
            n += 1
        await asyncio.gather(*pending)
        print(report(len(windows) * every / 60, windows[-1], _rss_mb(server)), flush=True)
        return windows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--every", type=float, default=60, help="seconds per report line")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    key = secrets.token_urlsafe(24)
    with tempfile.TemporaryDirectory(prefix="preclaim-soak-") as folder:
        server = start_server(args.port, key, int(args.rate), Path(folder))
        try:
            windows = asyncio.run(soak(args.port, key, args.rate, args.minutes * 60, args.every, server.pid))
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    everything = [x for w in windows for x in w.latencies]
    sent = sum(w.sent for w in windows)
    failed = sum(w.not_ok + w.errors for w in windows)
    print(
        f"total: {sent:,} requests in {args.minutes:g} min ({sent / (args.minutes * 60):.0f}/s), {failed} failed; "
        f"median {statistics.median(everything) * 1000:.1f} ms, "
        f"p99 {sorted(everything)[int(0.99 * len(everything))] * 1000:.1f} ms"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
