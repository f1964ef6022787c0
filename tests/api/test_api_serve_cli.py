"""`preclaim serve`: starts with one command, refuses insecure mode off loopback, mints API keys."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

PRECLAIM = str(Path(sys.executable).parent / "preclaim")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_insecure_dev_serves_on_loopback_and_warns(tmp_path: Path) -> None:
    port = _port()
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path)}
    proc = subprocess.Popen(
        [PRECLAIM, "serve", "--insecure-dev", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.HTTPError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read() if proc.stderr else ""
                time.sleep(0.2)
        assert health.json()["engine"] is True
        services = httpx.get(f"http://127.0.0.1:{port}/cds-services").json()["services"]
        assert {s["id"] for s in services} >= {"preclaim-b12-order-sign"}
        assert httpx.get(f"http://127.0.0.1:{port}/docs").status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=15)
    assert "authentication is OFF" in stderr and "Traceback" not in stderr


def test_insecure_dev_refuses_other_interfaces() -> None:
    done = subprocess.run(
        [PRECLAIM, "serve", "--insecure-dev", "--host", "0.0.0.0"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "loopback" in done.stderr and "Traceback" not in done.stderr


def test_bad_config_is_one_line_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "service.toml"
    config.write_text("[service]\nmax_body_bytes = 'big'\n")
    done = subprocess.run([PRECLAIM, "serve", "--config", str(config)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "max_body_bytes" in done.stderr and "Traceback" not in done.stderr


def test_new_api_key_prints_a_matching_hash() -> None:
    done = subprocess.run([PRECLAIM, "serve", "--new-api-key", "billing"], capture_output=True, text=True, timeout=60)
    key = done.stdout.splitlines()[1].strip()
    digest = re.search(r'sha256 = "([0-9a-f]{64})"', done.stdout)
    assert done.returncode == 0 and digest and digest.group(1) == hashlib.sha256(key.encode()).hexdigest()
