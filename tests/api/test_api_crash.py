"""The service killed under load (SIGKILL, no shutdown) loses nothing it acknowledged and, once clients
retry what went unanswered, holds exactly one copy of every authorization and every feedback item.

A real `preclaim serve` process over a real SQLite store; the load is real HTTP from client threads.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx

PRECLAIM = str(Path(sys.executable).parent / "preclaim")
TOTAL = 200
SERVICE = "preclaim-b12-order-sign"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _server(tmp_path: Path, port: int) -> Iterator[subprocess.Popen[str]]:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path), "PRECLAIM_DB": f"sqlite:///{tmp_path / 'store.db'}"}
    config = tmp_path / "service.toml"  # load, not the per-client rate limit, is what this test is about
    config.write_text("[service]\nrate_limit_per_minute = 100000\nrate_burst = 10000\n")
    proc = subprocess.Popen(
        [PRECLAIM, "serve", "--insecure-dev", "--port", str(port), "--log-level", "warning", "--config", str(config)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).raise_for_status()
            break
        except httpx.HTTPError:
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.stderr else ""
            time.sleep(0.2)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=30)


def _authorization(n: int) -> dict[str, object]:
    return {
        "number": f"CRASH-{n:04d}",
        "payer_id": "DEMO1",
        "code": "J3420",
        "start": "2026-01-01",
        "end": "2026-12-31",
        "approved_units": 12,
        "patient_key": f"pk-crash-{n % 17}",
    }


def _feedback(n: int) -> dict[str, object]:
    item = {"card": f"card-{n:04d}", "outcome": "overridden", "outcomeTimestamp": "2026-03-20T10:00:00Z"}
    return {"feedback": [item]}


def _post(url: str, body: dict[str, object]) -> httpx.Response:
    """POST as a polite client: a 429 (the per-client rate limit) is retried after the time it names."""
    while True:
        response = httpx.post(url, json=body, timeout=10)
        if response.status_code != 429:
            return response
        time.sleep(max(float(response.headers.get("retry-after", "0.05")), 0.05))


def _send(base: str, n: int) -> bool:
    """One client's work for item n; True when the service acknowledged both writes."""
    try:
        auth = _post(f"{base}/v1/authorizations", _authorization(n))
        fed = _post(f"{base}/cds-services/{SERVICE}/feedback", _feedback(n))
    except httpx.HTTPError:
        return False  # the server died under this request: the client will retry it
    assert auth.status_code in (200, 201), auth.text
    assert fed.status_code == 200, fed.text
    return True


def _stored(base: str) -> list[str]:
    return [a["number"] for a in httpx.get(f"{base}/v1/authorizations?payer=DEMO1", timeout=30).json()]


def test_sigkill_under_load_loses_nothing_acknowledged_and_retries_add_no_copy(tmp_path: Path) -> None:
    from preclaim.api.store_seam import StoreFeedback
    from preclaim.store import Store

    port = _port()
    base = f"http://127.0.0.1:{port}"
    acked: set[int] = set()
    with _server(tmp_path, port) as proc, ThreadPoolExecutor(max_workers=8) as pool:

        def kill_when_busy() -> None:
            while len(acked) < TOTAL // 4:
                time.sleep(0.005)
            proc.send_signal(signal.SIGKILL)

        killer = threading.Thread(target=kill_when_busy)
        killer.start()
        for n, ok in zip(range(TOTAL), pool.map(lambda n: _send(base, n), range(TOTAL)), strict=True):
            if ok:
                acked.add(n)
        killer.join(timeout=60)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    assert TOTAL // 4 <= len(acked) < TOTAL, "the kill must land part-way through the load"

    with _server(tmp_path, port):
        after_crash = _stored(base)
        assert len(after_crash) == len(set(after_crash)), "an authorization was stored twice"
        assert {f"CRASH-{n:04d}" for n in acked} <= set(after_crash), "an acknowledged authorization was lost"
        with ThreadPoolExecutor(max_workers=8) as pool:  # clients retry everything they sent
            assert all(pool.map(lambda n: _send(base, n), range(TOTAL)))
        final = _stored(base)
    assert sorted(final) == [f"CRASH-{n:04d}" for n in range(TOTAL)]

    with Store.open(f"sqlite:///{tmp_path / 'store.db'}") as store:
        cards = [row["card"] for row in StoreFeedback(store).read()]
    assert sorted(cards) == [f"card-{n:04d}" for n in range(TOTAL)], "feedback lost or recorded twice"
