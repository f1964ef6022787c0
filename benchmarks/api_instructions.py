"""CPU instructions per service call (valgrind callgrind): a figure that the neighbours' load does not move.

    .venv/bin/python benchmarks/api_instructions.py                      # 300 calls of each kind
    .venv/bin/python benchmarks/api_instructions.py --calls 500 --src /tmp/base/src   # another tree

Each kind of call runs in-process through the whole ASGI app (middleware, routing, JWT or API key, body
decoding, engine, encoding), with logging configured as `preclaim serve` does (INFO, one access line per call,
written to /dev/null): `order-sign` is a B12 order with full prefetch and a freshly ES384-signed JWT (the same
body as api_load.py), `check` is examples/clean.json on POST /v1/check with an API key. JWTs are signed before the
counted loop; a run that signs and sets up but makes no call is subtracted (PYTHONHASHSEED=0, bytecode compiled
beforehand), so the figure is what the server spends per call. `--plain` runs the loop without valgrind.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
KINDS = ("order-sign", "check")
CLAIM = ROOT / "examples" / "clean.json"  # one Medicare claim, invented data


async def _call(app: Any, path: str, headers: list[tuple[bytes, bytes]], body: bytes) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"bench.invalid"), (b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("bench.invalid", 80),
    }
    sent = False
    status = [0]

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status[0] = message["status"]

    await app(scope, receive, send)
    return status[0]


def child(kind: str, calls: int, dry: bool) -> None:
    import jwt
    from cryptography.hazmat.primitives.asymmetric import ec
    from jwt.algorithms import ECAlgorithm

    sys.path.insert(0, str(HERE))
    from api_load import ISS, SERVICE, body

    from preclaim.api import ServiceSettings, create_app
    from preclaim.api.middleware import configure_logging
    from preclaim.api.settings import ApiKey, Issuer, hash_key

    configure_logging(logging.INFO)
    logging.getLogger("preclaim").handlers[0].setStream(open(os.devnull, "w"))  # type: ignore[attr-defined]  # noqa: SIM115
    work = Path(tempfile.mkdtemp(prefix="preclaim-apibench-"))
    key = ec.generate_private_key(ec.SECP384R1())
    jwk = json.loads(ECAlgorithm.to_jwk(key.public_key()))
    (work / "jwks.json").write_text(json.dumps({"keys": [{**jwk, "kid": "bench", "alg": "ES384"}]}))
    settings = ServiceSettings(
        cds_issuers=(Issuer(iss=ISS, jwks_file=str(work / "jwks.json")),),
        api_keys=(ApiKey(client="bench", sha256=hash_key("bench-key")),),
        rate_limit_per_minute=0,
        data_dir=str(work),
    )
    app = create_app(settings)
    url = f"http://bench.invalid{SERVICE}"
    now = int(time.time())
    claims = {"iss": ISS, "aud": url, "iat": now, "exp": now + 300}
    signed = [
        jwt.encode({**claims, "jti": uuid.uuid4().hex}, key, algorithm="ES384", headers={"kid": "bench", "typ": "JWT"})
        for _ in range(calls + 1)
    ]
    payload = body() if kind == "order-sign" else CLAIM.read_bytes()

    async def one(n: int) -> int:
        if kind == "order-sign":
            return await _call(app, SERVICE, [(b"authorization", f"Bearer {signed[n]}".encode())], payload)
        return await _call(app, "/v1/check", [(b"x-api-key", b"bench-key")], payload)

    async def run() -> None:
        assert await one(calls) == 200, "warm-up call failed"  # builds the middleware stack, warms caches
        for n in range(0 if dry else calls):
            status = await one(n)
            if status != 200:
                raise SystemExit(f"call {n} answered {status}")

    asyncio.run(run())
    shutil.rmtree(work, ignore_errors=True)


def measure(kind: str, calls: int, src: Path) -> float:
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "PYTHONPATH": str(src), "PYTHONHASHSEED": "0", "PYTHONPYCACHEPREFIX": cache}
        env.pop("PYTHONDONTWRITEBYTECODE", None)

        def count(dry: bool) -> int:
            command = [sys.executable, str(Path(__file__)), "--child", kind, "--calls", str(calls)]
            command += ["--dry"] if dry else []
            subprocess.run(command, capture_output=True, env=env, check=True)  # warms the bytecode cache
            done = subprocess.run(
                ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
                capture_output=True,
                text=True,
                env=env,
            )
            found = re.search(r"Collected : (\d+)", done.stderr)
            if done.returncode != 0 or found is None:
                raise SystemExit(f"callgrind of {kind} failed:\n{done.stderr[-2000:]}")
            return int(found.group(1))

        return (count(False) - count(True)) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="the source tree to measure")
    parser.add_argument("--plain", action="store_true", help="run the calls once without valgrind")
    parser.add_argument("--child", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--dry", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.calls, args.dry)
        return
    kinds = [k for k in args.kinds.split(",") if k]
    if args.plain:
        for kind in kinds:
            started = time.process_time()
            child(kind, args.calls, False)
            print(f"{kind:<12} {(time.process_time() - started) / args.calls * 1000:.2f} ms CPU/call (with set-up)")
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed")
    print(f"{'call':<12} {'instructions/call':>18}   ({args.calls} calls, set-up subtracted, {args.src})")
    for kind in kinds:
        print(f"{kind:<12} {measure(kind, args.calls, args.src):>18,.0f}")


if __name__ == "__main__":
    main()
