"""Service settings: a TOML file (PRECLAIM_SERVICE_CONFIG) plus a few environment overrides.

[service]
public_url = "https://cds.example.org"      # what clients call; the CDS JWT `aud` must match it
rate_limit_per_minute = 600
max_body_bytes = 2_000_000

[[service.api_keys]]                        # REST: X-API-Key or Authorization: Bearer <key>
client = "pm-system"
sha256 = "<hex sha256 of the key>"          # keys are never stored in clear

[[service.cds_issuers]]                     # CDS Hooks: EHRs allowed to call, and their keys
iss = "https://ehr.example.org"
jwks_file = "/etc/preclaim/ehr-jwks.json"
jku = ["https://ehr.example.org/.well-known/jwks.json"]

[[service.oauth_issuers]]                   # REST: OAuth2 bearer JWTs from these issuers
iss = "https://auth.example.org"
jwks_file = "/etc/preclaim/auth-jwks.json"
audience = "https://api.example.org"
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Literal

import msgspec

from preclaim.api.fhir_urls import UnsafeUrl, parse_base
from preclaim.errors import InputError
from preclaim.paths import data_home

CONFIG_ENV = "PRECLAIM_SERVICE_CONFIG"
API_KEYS_ENV = "PRECLAIM_API_KEYS"  # comma-separated "client:key" pairs, for containers


class ApiKey(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    client: str
    sha256: str


class Issuer(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A trusted JWT issuer: keys from a JWKS file and/or from allow-listed `jku` URLs."""

    iss: str
    jwks_file: str | None = None
    jku: tuple[str, ...] = ()
    audience: str | None = None  # OAuth issuers only; CDS audiences are the URL called
    fhir_servers: tuple[str, ...] = ()  # CDS issuers: fhirServer base URLs we may read from, and below (empty = any)

    def __post_init__(self) -> None:
        """A config entry is held to the same rules as the fhirServer it is compared with (fhir_urls.py)."""
        for n, entry in enumerate(self.fhir_servers):
            try:
                parse_base(entry)
            except UnsafeUrl as exc:
                raise ValueError(f"fhir_servers[{n}] {entry!r} is not a usable FHIR base URL: {exc}") from None


class ServiceSettings(msgspec.Struct, frozen=True, forbid_unknown_fields=True, kw_only=True):
    public_url: str | None = None
    api_keys: tuple[ApiKey, ...] = ()
    cds_issuers: tuple[Issuer, ...] = ()
    oauth_issuers: tuple[Issuer, ...] = ()
    algorithms: tuple[str, ...] = ("ES384", "RS384")
    max_body_bytes: int = 2_000_000  # /upload (the pages' 837P/835 upload) streams to disk and has no limit
    body_timeout_s: float = 30.0  # a request body silent this long gets 408
    rate_limit_per_minute: int = 600
    rate_burst: int = 100
    jwt_leeway_s: int = 30
    jwt_max_lifetime_s: int = 300  # CDS Hooks JWTs: exp - iat above this is refused (see docs/service.md)
    fhir_timeout_s: float = 3.0
    data_dir: str | None = None
    policy_dirs: tuple[str, ...] = ()
    use_store: bool = False  # history from preclaim.store (SQLite in the data dir unless store_url says else)
    store_url: str | None = None
    insecure_dev: bool = False
    public_discovery: bool = False  # CDS Hooks wants a JWT on discovery too; some EHRs call it without one
    replay_cache: Literal["memory", "sqlite"] = "memory"  # sqlite: shared by workers (data_dir/jti.db)
    cors_origins: tuple[str, ...] = ()

    def client_for_key(self, key: str) -> str | None:
        digest = hashlib.sha256(key.encode()).hexdigest()
        return next((k.client for k in self.api_keys if k.sha256 == digest), None)

    def cds_issuer(self, iss: str) -> Issuer | None:
        return next((i for i in self.cds_issuers if i.iss == iss), None)

    def oauth_issuer(self, iss: str) -> Issuer | None:
        return next((i for i in self.oauth_issuers if i.iss == iss), None)

    def data_path(self) -> Path:
        if self.data_dir:
            return Path(self.data_dir)
        return data_home()


class _File(msgspec.Struct, forbid_unknown_fields=True):
    service: ServiceSettings = ServiceSettings()


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _env_keys(raw: str) -> tuple[ApiKey, ...]:
    keys = []
    for n, item in enumerate(p.strip() for p in raw.split(",") if p.strip()):
        client, sep, key = item.partition(":")
        if not sep:
            client, key = f"key-{n + 1}", item
        keys.append(ApiKey(client=client, sha256=hash_key(key)))
    return tuple(keys)


def load_settings(path: Path | None = None, **overrides: object) -> ServiceSettings:
    """Read the TOML file (explicit path, else $PRECLAIM_SERVICE_CONFIG, else defaults), then overrides."""
    source = path or (Path(os.environ[CONFIG_ENV]) if os.environ.get(CONFIG_ENV) else None)
    settings = ServiceSettings()
    if source is not None:
        try:
            settings = msgspec.toml.decode(source.read_bytes(), type=_File).service
        except OSError as exc:
            raise InputError(f"cannot read service config: {exc.strerror}", where=str(source)) from exc
        except msgspec.ValidationError as exc:
            raise InputError(str(exc), where=str(source)) from exc
        except msgspec.DecodeError as exc:
            raise InputError(f"not valid TOML: {exc}", where=str(source)) from exc
    if os.environ.get(API_KEYS_ENV):
        overrides.setdefault("api_keys", settings.api_keys + _env_keys(os.environ[API_KEYS_ENV]))
    clean = {k: v for k, v in overrides.items() if v is not None}
    return msgspec.structs.replace(settings, **clean) if clean else settings
