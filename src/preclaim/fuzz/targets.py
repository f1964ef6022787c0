"""Fuzz targets: each feeds bytes to one of preclaim's input parsers the way a user or a peer system would.

The contract under test: an input is either accepted, or refused with a PreclaimError that says where
(file, segment, field or JSON path). The CDS Hooks service may also refuse with its own 4xx problem (ApiError).
Anything else (another exception, a 5xx, an error without a position) is a bug, reported as a Failure.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import os
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from preclaim.engine import Engine
from preclaim.errors import PreclaimError, X12Error
from preclaim.facade import load_engine
from preclaim.fuzz.entries import history_csv, history_csv_seed, history_json, jwt_payload, jwt_payload_seed
from preclaim.fuzz.mutate import BYTE_OPS, MUTATORS

REPO = Path(__file__).resolve().parents[3]
SAMPLES_ENV = "PRECLAIM_SAMPLES"


def samples_dir() -> Path:
    return Path(os.environ.get(SAMPLES_ENV) or REPO / "tests" / "samples").resolve()


@dataclass(frozen=True, slots=True)
class Target:
    name: str
    run: Callable[[bytes], object]
    seeds: Callable[[], list[Path]]
    ops: tuple[str, ...] = BYTE_OPS
    api: bool = False  # ApiError 4xx is an accepted refusal


@dataclass(frozen=True, slots=True)
class Failure:
    target: str
    kind: str  # exception type, or "no-position"
    message: str
    raised_at: str  # innermost preclaim frame, file:line
    data: bytes

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.target, self.kind, self.raised_at)


def _raised_at(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "preclaim" in f.filename]
    frame = frames[-1] if frames else traceback.extract_tb(exc.__traceback__)[-1]
    return f"{Path(frame.filename).name}:{frame.lineno}"


def has_position(exc: PreclaimError) -> bool:
    return bool(exc.where) or (isinstance(exc, X12Error) and exc.segment_number is not None)


def outcome(target: Target, data: bytes) -> str | Failure:
    """ "accepted", "refused" (a proper error with a position), or the Failure that is a bug."""
    try:
        target.run(data)
    except PreclaimError as exc:
        if has_position(exc):
            return "refused"
        return Failure(target.name, "no-position", str(exc)[:300], _raised_at(exc), data)
    except Exception as exc:
        status = getattr(exc, "status", None)
        if target.api and type(exc).__name__ == "ApiError" and isinstance(status, int) and status < 500:
            return "refused"
        return Failure(target.name, type(exc).__name__, str(exc)[:300], _raised_at(exc), data)
    return "accepted"


def classify(target: Target, data: bytes) -> Failure | None:
    """None when the input is accepted or refused properly; otherwise what went wrong."""
    result = outcome(target, data)
    return result if isinstance(result, Failure) else None


# --- the parsers -------------------------------------------------------------------------------------------


def _tokenizer(data: bytes) -> None:
    from preclaim.edi.x12.tokenizer import tokenize

    for _ in tokenize(io.BytesIO(data)):
        pass


def _read_837(data: bytes) -> None:
    """Read and check: what the reader accepts must also go through the engine without a crash."""
    from preclaim.edi.check import check_x12_file

    for _ in check_x12_file(io.BytesIO(data), _engine(), _AS_OF):
        pass


def _read_835(data: bytes) -> None:
    from preclaim.edi.x12.read835 import iter_remittances

    for _ in iter_remittances(io.BytesIO(data)):
        pass


def _claim_json(data: bytes) -> None:
    from preclaim.io.claim_json import decode_claims, decode_history

    for claim in decode_claims(data, "fuzz.json"):
        _engine().check(claim, as_of=_AS_OF)  # a claim the loader accepts must be checkable
    if data.lstrip().startswith(b"{"):
        decode_history(data, "fuzz.json")


def _with_file(suffix: str, data: bytes, use: Callable[[Path], object]) -> None:
    with tempfile.TemporaryDirectory(prefix="preclaim-fuzz-") as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(data)
        use(path)


def _policy(data: bytes) -> None:
    from preclaim.policy.loader import load_policy_file

    _with_file(".yaml", data, load_policy_file)


def _audit_csv(data: bytes) -> None:
    from preclaim.batch.source import stage

    def run(path: Path) -> None:
        stage([path], path.parent / "staging", path.parent, chunk_lines=1000, threads=1)

    _with_file(".csv", data, run)


def _cds_hooks(data: bytes) -> None:
    asyncio.run(_evaluate_hook(data))


async def _evaluate_hook(data: bytes) -> None:
    import httpx

    from preclaim.api.cds_models import HookRequest
    from preclaim.api.cds_service import SERVICES, HookEvaluator
    from preclaim.api.fhir_fetch import FhirGatherer
    from preclaim.api.seams import NoHistory
    from preclaim.api.state import decode_body

    request = decode_body(data, HookRequest)
    async with httpx.AsyncClient() as client:
        # only a closed loopback port is allowed as fhirServer: a real client, and no call leaves the machine
        gatherer = FhirGatherer(client, 0.5, ("http://127.0.0.1:9/",))
        evaluator = HookEvaluator(_engine, NoHistory(), gatherer)
        # the service for this hook; an unknown hook goes to order-sign, which must refuse it with a 400
        service_id = next((sid for sid, s in SERVICES.items() if s.hook == request.hook), "preclaim-b12-order-sign")
        await evaluator.evaluate(service_id, request, _AS_OF)


_ENGINE: list[Engine] = []
_AS_OF = dt.date(2026, 3, 16)


def _engine() -> Engine:
    if not _ENGINE:
        _ENGINE.append(load_engine())
    return _ENGINE[0]


# --- seeds ---------------------------------------------------------------------------------------------------


def _files(*parts: str, pattern: str = "*") -> Callable[[], list[Path]]:
    def seeds() -> list[Path]:
        return sorted(p for p in samples_dir().joinpath(*parts).glob(pattern) if p.is_file())

    return seeds


def _examples() -> list[Path]:
    return sorted(p for p in (REPO / "examples").glob("*.json"))


def _history_examples() -> list[Path]:
    return [REPO / "examples" / "history.json"]


def _policies() -> list[Path]:
    return sorted((REPO / "src" / "preclaim" / "data" / "policies").glob("*.yaml"))


def _audit_seed() -> list[Path]:
    seed = Path(tempfile.gettempdir()) / "preclaim-fuzz-audit-seed.csv"
    if not seed.exists():
        from preclaim.batch.synthetic import write_lines

        write_lines(seed, 12, seed=3)
    return [seed]


TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target("x12-tokenizer", _tokenizer, _files("x12", pattern="*/*")),
        Target("x12-837p", _read_837, _files("x12", "837p")),
        Target("x12-835", _read_835, _files("x12", "835")),
        Target("claim-json", _claim_json, _examples, ops=(*BYTE_OPS, "json-value", "json-value")),
        Target("history-json", history_json, _history_examples, ops=(*BYTE_OPS, "json-value")),
        Target("history-csv", history_csv, history_csv_seed),
        Target("policy-yaml", _policy, _policies),
        Target(
            "cds-hooks",
            _cds_hooks,
            _files("fhir", "cds-hooks", pattern="*_request.json"),
            ops=("json-value", "json-value", "json-value", "flip", "truncate", "insert", "splice"),
            api=True,
        ),
        Target("audit-csv", _audit_csv, _audit_seed),
        # the signed claims of a CDS Hooks JWT: deep, huge and odd payloads must be a 401, never a 500
        Target("jwt-payload", jwt_payload, jwt_payload_seed, ops=(*BYTE_OPS, "json-value"), api=True),
    )
}
assert all(op in MUTATORS for t in TARGETS.values() for op in t.ops)
