"""More fuzz targets: history JSON, the history CSV import and the JWT payload an EHR sends.

Seeds that are not sample files (a CSV, a JWT payload) are invented and written once to the temp folder.
"""

from __future__ import annotations

import asyncio
import base64
import json
import tempfile
import time
from functools import cache
from pathlib import Path
from typing import Any

_TEMP = Path(tempfile.gettempdir())
_ISS = "https://ehr.fuzz.invalid"
_AUDIENCE = "https://preclaim.fuzz.invalid/cds-services/preclaim-b12-order-sign"
HISTORY_CSV = (
    "claim_id,payer_id,patient_key,date_of_service,code,units,modifiers,charge,diagnoses,ndc,ndc_quantity,"
    "place_of_service,prior_auth,dose_mcg,phase,birth_date\n"
    "C-1,09102,PT-FZ-1,2026-03-02,J3420,1,JZ,25.00,D51.0 E53.8,00517-0031-25,1,11,AUTH-9,1000,maintenance,1950-01-01\n"
    "C-1,09102,PT-FZ-1,2026-03-02,96372,1,,30.00,,,,11,,,,\n"
    "C-2,09102,PT-FZ-2,2026-03-03,J3420,2,JW,50.00,D51.0,00517003125,2,11,,2000,loading,1961-07-04\n"
    ",09102,PT-FZ-1,2026-02-01,J3420,1,,,,,,,,1000,,\n"
)


def history_json(data: bytes) -> None:
    from preclaim.io.claim_json import decode_history

    decode_history(data, "fuzz-history.json")


def history_csv(data: bytes) -> None:
    from preclaim.store.csv_history import read_history_csv

    with tempfile.TemporaryDirectory(prefix="preclaim-fuzz-") as folder:
        path = Path(folder) / "history.csv"
        path.write_bytes(data)
        read_history_csv(path)


def history_csv_seed() -> list[Path]:
    seed = _TEMP / "preclaim-fuzz-history-seed.csv"
    if not seed.exists():
        seed.write_text(HISTORY_CSV)
    return [seed]


def jwt_payload(data: bytes) -> None:
    """The payload bytes as the claims of a CDS Hooks JWT, signed with a trusted key, verified by the service."""
    signer, verifier = _jwt_parties()
    header = _b64(json.dumps({"alg": "ES384", "typ": "JWT", "kid": "fuzz-1"}).encode())
    signing_input = header + b"." + _b64(data)
    token = signing_input + b"." + _b64(signer(signing_input))
    asyncio.run(verifier.verify("Bearer " + token.decode("ascii"), _AUDIENCE))


def jwt_payload_seed() -> list[Path]:
    seed = _TEMP / "preclaim-fuzz-jwt-payload.json"
    if not seed.exists():
        now = int(time.time())  # a year of validity: mutations, not the clock, decide what is refused
        claims = {"iss": _ISS, "aud": _AUDIENCE, "iat": now, "exp": now + 365 * 86400, "jti": "fuzz-jti-1"}
        seed.write_text(json.dumps({**claims, "sub": "ehr-client", "tenant": "clinic-1"}))
    return [seed]


def _b64(raw: bytes) -> bytes:
    return base64.urlsafe_b64encode(raw).rstrip(b"=")


@cache
def _jwt_parties() -> tuple[Any, Any]:
    """(sign(bytes) -> signature, JwtVerifier trusting that key); built once per process."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from jwt.algorithms import ECAlgorithm

    from preclaim.api.jwt_auth import JwtVerifier, KeyStore
    from preclaim.api.settings import Issuer

    key = ec.generate_private_key(ec.SECP384R1())
    jwk = json.loads(ECAlgorithm.to_jwk(key.public_key()))
    jwks = _TEMP / f"preclaim-fuzz-jwks-{id(key)}.json"
    jwks.write_text(json.dumps({"keys": [{**jwk, "kid": "fuzz-1", "alg": "ES384", "use": "sig"}]}))
    algorithm = ECAlgorithm(ECAlgorithm.SHA384)
    verifier = JwtVerifier((Issuer(_ISS, jwks_file=str(jwks)),), KeyStore())
    return (lambda message: algorithm.sign(message, key)), verifier
