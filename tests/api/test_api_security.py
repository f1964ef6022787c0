"""CDS Hooks JWT checks (issuer, audience, expiry, replay, algorithm, kid, jku) and REST API keys."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import jwt
import pytest
from api_fixtures import ISS, Keys, sample
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from preclaim.api import ServiceSettings, create_app
from preclaim.api.jwt_auth import JwtVerifier, KeyStore, ReplayCache
from preclaim.api.problems import ApiError
from preclaim.api.settings import ApiKey, Issuer, hash_key, load_settings
from preclaim.errors import InputError

BASE = "http://testserver"
DISCOVERY = f"{BASE}/cds-services"


@pytest.fixture
def client(keys: Keys, tmp_path: Path) -> TestClient:
    settings = ServiceSettings(
        cds_issuers=(Issuer(iss=ISS, jwks_file=str(keys.jwks_file)),),
        api_keys=(ApiKey(client="pm-system", sha256=hash_key("s3cret-key")),),
        data_dir=str(tmp_path),
    )
    return TestClient(create_app(settings, checker=None))


def call(client: TestClient, token: str | None, url: str = DISCOVERY) -> Any:
    headers = {"authorization": f"Bearer {token}"} if token is not None else {}
    return client.get(url.removeprefix(BASE), headers=headers)


def test_signed_es384_and_rs384_tokens_are_accepted(client: TestClient, keys: Keys) -> None:
    assert call(client, keys.sign(DISCOVERY)).status_code == 200
    assert call(client, keys.sign(DISCOVERY, alg="RS384", kid="rsa-1")).status_code == 200


def test_missing_token_is_401_with_problem_details(client: TestClient) -> None:
    response = call(client, None)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 401 and "Bearer" in body["detail"] and body["request_id"]
    assert response.headers["www-authenticate"] == "Bearer"


def _unsigned(aud: str) -> str:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return (
        part({"alg": "none", "typ": "JWT", "kid": "ec-1"})
        + "."
        + part({"iss": ISS, "aud": aud, "exp": 9999999999, "iat": 1, "jti": "x"})
        + "."
    )


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("unsigned", "alg 'none'"),
        ("hs256", "alg 'HS256'"),
        ("wrong_alg_es256", "alg 'ES256'"),
        ("wrong_audience", "aud does not match"),
        ("expired", "expired"),
        ("unknown_issuer", "allow-list"),
        ("unknown_kid", "no key with kid"),
        ("wrong_key", "Signature verification failed"),
        ("no_jti", "jti"),
        ("jku_not_allowed", "jku"),
        ("ec_key_for_rs384", "cannot verify RS384"),
        ("rsa_key_for_es384", "cannot verify ES384"),
        ("garbage", "malformed JWT"),
    ],
)
def test_bad_tokens_are_rejected(client: TestClient, keys: Keys, case: str, reason: str) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    tokens = {
        "unsigned": lambda: _unsigned(DISCOVERY),
        "hs256": lambda: jwt.encode(
            {"iss": ISS, "aud": DISCOVERY, "exp": 9999999999, "iat": 1, "jti": "a"},
            "x" * 48,
            algorithm="HS256",
            headers={"kid": "ec-1"},
        ),
        "wrong_alg_es256": lambda: keys.sign(DISCOVERY, alg="ES256", key=ec.generate_private_key(ec.SECP256R1())),
        "wrong_audience": lambda: keys.sign("https://elsewhere.example/cds-services"),
        "expired": lambda: keys.sign(DISCOVERY, exp_in=-120),
        "unknown_issuer": lambda: keys.sign(DISCOVERY, iss="https://rogue.example"),
        "unknown_kid": lambda: keys.sign(DISCOVERY, kid="nope"),
        "wrong_key": lambda: keys.sign(DISCOVERY, key=keys.other_ec),
        "no_jti": lambda: keys.sign(DISCOVERY, drop=("jti",)),
        "jku_not_allowed": lambda: keys.sign(DISCOVERY, headers={"jku": "https://rogue.example/jwks"}),
        "ec_key_for_rs384": lambda: keys.sign(DISCOVERY, alg="RS384", kid="ec-1"),
        "rsa_key_for_es384": lambda: keys.sign(DISCOVERY, alg="ES384", kid="rsa-1"),
        "garbage": lambda: "not.a.jwt",
    }
    response = call(client, tokens[case]())
    assert response.status_code == 401, response.text
    assert reason in response.json()["detail"]


def test_replayed_jti_is_rejected(client: TestClient, keys: Keys) -> None:
    token = keys.sign(DISCOVERY, jti="once-only")
    assert call(client, token).status_code == 200
    again = call(client, token)
    assert again.status_code == 401 and "replay" in again.json()["detail"]


def test_audience_is_the_exact_service_url(client: TestClient, keys: Keys) -> None:
    url = f"{BASE}/cds-services/preclaim-b12-order-sign"
    body = sample("order_sign_hook_request.json")  # no B12 order: no engine or FHIR needed
    ok = client.post(url.removeprefix(BASE), json=body, headers={"authorization": f"Bearer {keys.sign(url)}"})
    assert ok.status_code == 200 and ok.json() == {"cards": []}
    wrong = client.post(url.removeprefix(BASE), json=body, headers={"authorization": f"Bearer {keys.sign(DISCOVERY)}"})
    assert wrong.status_code == 401


def test_public_url_sets_the_audience_behind_a_proxy(keys: Keys, tmp_path: Path) -> None:
    settings = ServiceSettings(
        public_url="https://cds.example.org/",
        data_dir=str(tmp_path),
        cds_issuers=(Issuer(iss=ISS, jwks_file=str(keys.jwks_file)),),
    )
    client = TestClient(create_app(settings, checker=None))
    token = keys.sign("https://cds.example.org/cds-services")
    assert client.get("/cds-services", headers={"authorization": f"Bearer {token}"}).status_code == 200


def test_rest_needs_a_valid_api_key(client: TestClient) -> None:
    assert client.get("/v1/policies").status_code == 401
    assert client.get("/v1/policies", headers={"x-api-key": "wrong"}).status_code == 401
    assert client.get("/v1/policies", headers={"x-api-key": "s3cret-key"}).status_code == 200
    assert client.get("/v1/policies", headers={"authorization": "Bearer s3cret-key"}).status_code == 200


def test_healthz_needs_no_auth(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"


def test_settings_file_and_env_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "service.toml"
    config.write_text(
        '[service]\nrate_limit_per_minute = 60\n[[service.cds_issuers]]\niss = "https://ehr"\n'
        'jku = ["https://ehr/jwks"]\n'
    )
    monkeypatch.setenv("PRECLAIM_API_KEYS", "billing:k1,k2")
    settings = load_settings(config)
    assert settings.rate_limit_per_minute == 60 and settings.cds_issuers[0].jku == ("https://ehr/jwks",)
    assert settings.client_for_key("k1") == "billing" and settings.client_for_key("k2") == "key-2"
    config.write_text('[service]\nrate_limit_per_minute = "many"\n')
    with pytest.raises(InputError, match="rate_limit_per_minute"):
        load_settings(config)


def test_sqlite_replay_cache_is_shared_between_processes(tmp_path: Path) -> None:
    from preclaim.api.replay import SqliteReplayCache

    one, two = SqliteReplayCache(tmp_path / "jti.db"), SqliteReplayCache(tmp_path / "jti.db")  # two workers
    assert one.check_and_add(ISS, "abc", keep_until=2000.0, now=1000.0)
    assert not two.check_and_add(ISS, "abc", keep_until=2000.0, now=1001.0)
    assert two.check_and_add("https://other-ehr", "abc", keep_until=2000.0, now=1001.0)  # per issuer
    assert two.check_and_add(ISS, "def", keep_until=1500.0, now=1002.0)
    one.close()
    two.close()


def test_replay_is_refused_with_the_shared_cache(keys: Keys, tmp_path: Path) -> None:
    settings = ServiceSettings(
        cds_issuers=(Issuer(iss=ISS, jwks_file=str(keys.jwks_file)),), data_dir=str(tmp_path), replay_cache="sqlite"
    )
    first = TestClient(create_app(settings, checker=None))
    second = TestClient(create_app(settings, checker=None))  # another worker, same data dir
    token = keys.sign(DISCOVERY)
    assert call(first, token).status_code == 200
    assert call(second, token).status_code == 401


def test_oauth2_bearer_jwts_on_rest(keys: Keys, tmp_path: Path) -> None:
    auth_iss, audience = "https://auth.test.invalid", "https://api.test.invalid"
    settings = ServiceSettings(
        oauth_issuers=(Issuer(iss=auth_iss, jwks_file=str(keys.jwks_file), audience=audience),), data_dir=str(tmp_path)
    )
    client = TestClient(create_app(settings, checker=None))

    def get(token: str) -> Any:
        return client.get("/v1/policies", headers={"authorization": f"Bearer {token}"})

    good = keys.sign(audience, iss=auth_iss, alg="RS384", kid="rsa-1")
    assert get(good).status_code == 200
    assert get(good).status_code == 200  # access tokens are reused until they expire (no jti replay rule)
    assert get(keys.sign("https://elsewhere.invalid", iss=auth_iss)).status_code == 401
    assert get(keys.sign(audience, iss=auth_iss, exp_in=-120)).status_code == 401
    assert get(keys.sign(audience, iss="https://rogue.invalid")).status_code == 401


_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
_header = st.fixed_dictionaries(
    {},
    optional={
        "alg": st.sampled_from(["ES384", "RS384", "none", "HS256", "PS384"]) | _values,
        "kid": st.sampled_from(["ec-1", "rsa-1"]) | _values,
        "typ": st.sampled_from(["JWT"]) | _values,
        "jku": _values,
    },
)
_claims = st.fixed_dictionaries(
    {},
    optional={
        "iss": st.sampled_from([ISS]) | _values,
        "aud": _values,
        "exp": _values,
        "iat": _values,
        "jti": _values,
        "nbf": _values,
    },
)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@settings(max_examples=150, deadline=None)
@given(header=_header, claims=_claims, signature=st.binary(max_size=120), raw=st.text(max_size=40))
def test_any_token_is_a_401_never_a_crash(
    keys: Keys, header: dict[str, Any], claims: dict[str, Any], signature: bytes, raw: str
) -> None:
    verifier = JwtVerifier((Issuer(iss=ISS, jwks_file=str(keys.jwks_file)),), KeyStore(), replay=ReplayCache())
    for token in (f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}.{_b64(signature)}", raw):
        with pytest.raises(ApiError) as info:
            asyncio.run(verifier.verify(f"Bearer {token}", DISCOVERY))
        assert info.value.status == 401


def test_discovery_can_be_made_public_but_services_still_need_a_jwt(keys: Keys, tmp_path: Path) -> None:
    settings = ServiceSettings(
        cds_issuers=(Issuer(iss=ISS, jwks_file=str(keys.jwks_file)),), data_dir=str(tmp_path), public_discovery=True
    )
    client = TestClient(create_app(settings, checker=None))
    assert client.get("/cds-services").status_code == 200
    body = sample("order_sign_hook_request.json")
    assert client.post("/cds-services/preclaim-b12-order-sign", json=body).status_code == 401
