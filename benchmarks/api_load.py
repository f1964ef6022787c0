"""Open-loop load on the CDS Hooks order-sign service over loopback: latency p50/p99 per request rate, and RSS.

    .venv/bin/python benchmarks/api_load.py                       # 50, 200, 500 req/s, 60 s each
    .venv/bin/python benchmarks/api_load.py --duration 15 --rates 50,200
    .venv/bin/python benchmarks/api_load.py --alg RS384 --workers 2     # the EHR signs RS384; two workers

The server runs in its own process (`preclaim serve`, uvicorn with uvloop/httptools when installed), with an
ES384 EHR key in a temporary JWKS file, so every request carries a freshly signed JWT (unique jti, aud = the
service URL) and pays the full verification. Requests are sent on a fixed schedule whatever the answers do
(open loop); latency is measured from the scheduled send time, so a slow server cannot hide its queueing.
Body: a B12 MedicationRequest with Patient, Coverage and serum-B12 prefetch (demo plan: PA + documentation),
so each call maps FHIR -> Claim, runs the engine and builds cards + the coverage-information systemAction.
"cpu ms/call" is the server's own CPU time (all workers, from /proc) per call: its capacity, whatever else
runs on the machine.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

ISS = "https://ehr.bench.invalid"
SERVICE = "/cds-services/preclaim-b12-order-sign"


def body() -> bytes:
    rx = "http://www.nlm.nih.gov/research/umls/rxnorm"
    order = {
        "resourceType": "MedicationRequest",
        "id": "mr-bench",
        "status": "draft",
        "intent": "order",
        "medicationCodeableConcept": {"coding": [{"system": rx, "code": "11248", "display": "vitamin B12"}]},
        "subject": {"reference": "Patient/pat-bench"},
        "authoredOn": "2026-03-01",
        "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "D51.0"}]}],
        "dosageInstruction": [
            {
                "route": {"coding": [{"system": "http://snomed.info/sct", "code": "78421000"}]},
                "doseAndRate": [{"doseQuantity": {"value": 1000, "unit": "mcg", "code": "ug"}}],
            }
        ],
    }
    coverage = {
        "resourceType": "Coverage",
        "id": "cov-bench",
        "status": "active",
        "type": {"coding": [{"system": "urn:oid:2.16.840.1.113883.3.221.5", "code": "5"}]},
        "payor": [{"display": "Demo Health Plan", "identifier": {"value": "DEMO1"}}],
    }
    lab = {
        "resourceType": "Observation",
        "id": "lab-bench",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "2132-9"}]},
        "valueQuantity": {"value": 250, "unit": "pg/mL"},
        "effectiveDateTime": "2026-02-01",
    }
    request = {
        "hook": "order-sign",
        "hookInstance": str(uuid.uuid4()),
        "context": {
            "userId": "Practitioner/bench",
            "patientId": "pat-bench",
            "draftOrders": {"resourceType": "Bundle", "entry": [{"resource": order}]},
        },
        "prefetch": {
            "patient": {"resourceType": "Patient", "id": "pat-bench", "gender": "female"},
            "coverage": {"resourceType": "Bundle", "entry": [{"resource": coverage}]},
            "b12Lab": {"resourceType": "Bundle", "entry": [{"resource": lab}]},
        },
    }
    return json.dumps(request).encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _status(pid: int) -> dict[str, str]:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    return {k: v.strip() for k, _, v in (line.partition(":") for line in lines)}


def _tree(pid: int) -> list[int]:
    kids = [
        int(p.name)
        for p in Path("/proc").iterdir()
        if p.name.isdigit() and _status(int(p.name)).get("PPid") == str(pid)
    ]
    return [pid, *kids]


def cpu_s(pid: int) -> float:
    """User + system CPU seconds used so far by the server and its workers (from /proc/<pid>/stat)."""
    total = 0
    for p in _tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """RSS of the server and its worker processes (uvicorn --workers forks children)."""
    children = [
        int(p.name)
        for p in Path("/proc").iterdir()
        if p.name.isdigit() and _status(int(p.name)).get("PPid") == str(pid)
    ]
    total_kb = sum(int(_status(p).get("VmRSS", "0 kB").split()[0]) for p in [pid, *children])
    return total_kb / 1024


class Server:
    def __init__(self, workdir: Path, key: Any, alg: str, port: int, log_level: str, workers: int) -> None:
        to_jwk = ECAlgorithm.to_jwk if alg == "ES384" else RSAAlgorithm.to_jwk
        jwk = json.loads(to_jwk(key.public_key()))
        (workdir / "jwks.json").write_text(json.dumps({"keys": [{**jwk, "kid": "bench", "alg": alg}]}))
        (workdir / "service.toml").write_text(
            f'[service]\nrate_limit_per_minute = 0\ndata_dir = "{workdir}"\n'
            f'[[service.cds_issuers]]\niss = "{ISS}"\njwks_file = "{workdir / "jwks.json"}"\n'
        )
        exe = shutil.which("preclaim", path=str(Path(sys.executable).parent)) or "preclaim"
        self.proc = subprocess.Popen(
            [
                exe,
                "serve",
                "--port",
                str(port),
                "--config",
                str(workdir / "service.toml"),
                "--log-level",
                log_level,
                "--workers",
                str(workers),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.base = f"http://127.0.0.1:{port}"

    def wait(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise SystemExit("server did not start")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def tokens(key: Any, alg: str, aud: str, count: int) -> list[str]:
    now = int(time.time())
    claims = {"iss": ISS, "aud": aud, "iat": now, "exp": now + 300}  # the service caps the lifetime at 300 s
    return [
        jwt.encode({**claims, "jti": uuid.uuid4().hex}, key, algorithm=alg, headers={"kid": "bench", "typ": "JWT"})
        for _ in range(count)
    ]


class Connection:
    """One keep-alive HTTP/1.1 connection over asyncio streams: far cheaper per request than a full client,
    so the load generator does not eat the CPU the server needs on a small machine."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def post(self, head: bytes, payload: bytes) -> int:
        self.writer.write(head + payload)
        status_line = await self.reader.readuntil(b"\r\n")
        length, closing = 0, False
        while (line := await self.reader.readuntil(b"\r\n")) != b"\r\n":
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
            elif name.lower() == b"connection" and value.strip().lower() == b"close":
                closing = True
        await self.reader.readexactly(length)
        if closing:
            raise ConnectionResetError("server closed the connection")
        return int(status_line.split()[1])


async def phase(
    url: str, payload: bytes, signed: list[str], rate: float, duration: float, max_conns: int = 256
) -> dict[str, Any]:
    parsed = httpx.URL(url)
    host, port, path = parsed.host, parsed.port or 80, parsed.raw_path.decode()
    latencies: list[float] = []
    errors: dict[str, int] = {}
    idle: list[Connection] = []
    slots = asyncio.Semaphore(max_conns)  # bounded connections; a request waiting for one is still "late"

    async def one(token: str, scheduled: float) -> None:
        async with slots:
            await send_one(token, scheduled)

    async def send_one(token: str, scheduled: float) -> None:
        head = (
            f"POST {path} HTTP/1.1\r\nhost: {host}:{port}\r\ncontent-type: application/json\r\n"
            f"authorization: Bearer {token}\r\ncontent-length: {len(payload)}\r\n\r\n"
        ).encode()
        status = 0
        for attempt in range(2):  # a kept-alive connection the server closed while idle: retry on a new one
            reused = bool(idle) and attempt == 0
            conn = idle.pop() if reused else None
            try:
                conn = conn or Connection(*await asyncio.open_connection(host, port))
                status = await conn.post(head, payload)
                break
            except (OSError, asyncio.IncompleteReadError) as exc:
                if conn is not None:
                    conn.writer.close()
                if not reused:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                    return
        if conn is not None:
            idle.append(conn)
        if status == 200:
            latencies.append(time.perf_counter() - scheduled)
        else:
            errors[str(status)] = errors.get(str(status), 0) + 1

    total = int(rate * duration)
    start = time.perf_counter() + 0.05
    tasks = []
    for i in range(total):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(signed[i], scheduled)))
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    for conn in idle:
        conn.writer.close()
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else float("nan")

    return {
        "rate": rate,
        "sent": total,
        "ok": len(latencies),
        "errors": errors,
        "achieved": total / elapsed,
        "p50": pct(0.50),
        "p90": pct(0.90),
        "p99": pct(0.99),
        "max": latencies[-1] * 1000 if latencies else 0,
    }


def _run(coro: Any) -> Any:
    """uvloop for the load generator too when installed: it must not be the bottleneck on a small machine."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="50,200,500", help="requests per second, comma-separated")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per rate")
    parser.add_argument("--warmup", type=int, default=200, help="requests before measuring")
    parser.add_argument("--server-log-level", default="warning", help="info logs one line per request")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes")
    parser.add_argument("--alg", choices=("ES384", "RS384"), default="ES384", help="the EHR's JWT algorithm")
    args = parser.parse_args()
    alg = args.alg
    key = ec.generate_private_key(ec.SECP384R1()) if alg == "ES384" else rsa.generate_private_key(65537, 2048)
    workdir = Path(tempfile.mkdtemp(prefix="preclaim-bench-"))
    server = Server(workdir, key, alg, free_port(), args.server_log_level, args.workers)
    url = server.base + SERVICE
    payload = body()
    try:
        server.wait()
        rss_start = rss_mb(server.proc.pid)
        _run(phase(url, payload, tokens(key, alg, url, args.warmup), 100, args.warmup / 100))
        rss_warm = rss_mb(server.proc.pid)
        print(f"server RSS: {rss_start:.1f} MB at start, {rss_warm:.1f} MB after {args.warmup} warm-up calls")
        print(
            f"{'req/s':>6} {'sent':>7} {'ok':>7} {'achieved':>9} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} "
            f"{'max ms':>8} {'cpu ms/call':>11} {'RSS MB':>7}  errors"
        )
        for rate in (float(r) for r in args.rates.split(",")):
            signed = tokens(key, alg, url, int(rate * args.duration))
            cpu_before = cpu_s(server.proc.pid)
            r = _run(phase(url, payload, signed, rate, args.duration))
            cpu_call = (cpu_s(server.proc.pid) - cpu_before) * 1000 / max(1, r["sent"])
            print(
                f"{rate:>6.0f} {r['sent']:>7} {r['ok']:>7} {r['achieved']:>9.1f} {r['p50']:>8.2f} {r['p90']:>8.2f} "
                f"{r['p99']:>8.2f} {r['max']:>8.1f} {cpu_call:>11.2f} {rss_mb(server.proc.pid):>7.1f}  "
                f"{r['errors'] or '-'}",
                flush=True,
            )
        print(
            f"server RSS after all phases: {rss_mb(server.proc.pid):.1f} MB; duration {args.duration:g} s per rate; "
            f"{os.cpu_count()} CPUs shared by server and load generator; load average now "
            f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} (other work on the machine skews the figures)"
        )
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
