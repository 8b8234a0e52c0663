"""A forged-token matrix: every one is a 401 `invalid_token`, never a 5xx, never accepted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from src.core.security.keys import SigningKeys, generate_private_key_pem
from tests.conftest import TEST_SIGNING_KEY
from tests.support.accounts import Account, new_account
from tests.support.problems import assert_problem

KEYS = SigningKeys(TEST_SIGNING_KEY.encode())
PUBLIC_PEM = KEYS.public_keys[KEYS.active_kid].public_bytes(
    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
)
PUBLIC_JWK = json.dumps(KEYS.jwks()["keys"][0])


def b64(data: bytes | dict[str, Any]) -> str:
    raw = json.dumps(data).encode() if isinstance(data, dict) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims_for(account: Account, **changes: Any) -> dict[str, Any]:
    real = jwt.decode(account.tokens["access_token"], options={"verify_signature": False})
    claims = {**real, **changes}
    return {key: value for key, value in claims.items() if value is not None}


def signed(claims: dict[str, Any], **header: Any) -> str:
    return jwt.encode(
        claims, KEYS.private_key, algorithm="ES256", headers={"kid": KEYS.active_kid, "typ": "at+jwt", **header}
    )


def unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{b64(header)}.{b64(claims)}."


def hmac_signed(secret: bytes, claims: dict[str, Any]) -> str:
    signing_input = f"{b64({'alg': 'HS256', 'typ': 'at+jwt', 'kid': KEYS.active_kid})}.{b64(claims)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def attacker_signed(claims: dict[str, Any], **header: Any) -> str:
    attacker = serialization.load_pem_private_key(generate_private_key_pem(), None)
    assert isinstance(attacker, ec.EllipticCurvePrivateKey)
    return jwt.encode(claims, attacker, algorithm="ES256", headers={"typ": "at+jwt", **header})


def alg_none(alg: str) -> Callable[[Account], str]:
    return lambda account: unsigned({"alg": alg, "typ": "at+jwt", "kid": KEYS.active_kid}, claims_for(account))


FORGERIES: dict[str, Callable[[Account], str]] = {
    **{f"alg {alg}": alg_none(alg) for alg in ("none", "None", "NONE", "nOnE")},
    "HS256 keyed with our public key (PEM)": lambda a: hmac_signed(PUBLIC_PEM, claims_for(a)),
    "HS256 keyed with our public key (JWK)": lambda a: hmac_signed(PUBLIC_JWK.encode(), claims_for(a)),
    "unknown kid": lambda a: attacker_signed(claims_for(a), kid="no-such-key"),
    "our kid, another key": lambda a: attacker_signed(claims_for(a), kid=KEYS.active_kid),
    "path traversal kid": lambda a: signed(claims_for(a), kid="../../../../dev/null"),
    "SQL in kid": lambda a: signed(claims_for(a), kid="' OR '1'='1"),
    "jku header": lambda a: attacker_signed(claims_for(a), kid=KEYS.active_kid, jku="https://evil.example/jwks"),
    "embedded jwk header": lambda a: signed(claims_for(a), jwk=json.loads(PUBLIC_JWK)),
    "x5u header": lambda a: signed(claims_for(a), x5u="https://evil.example/cert"),
    "unknown crit": lambda a: signed(claims_for(a), crit=["exp"]),
    "wrong issuer": lambda a: signed(claims_for(a, iss="someone-else")),
    "wrong audience": lambda a: signed(claims_for(a, aud="another-api")),
    "audience list with ours": lambda a: signed(claims_for(a, aud=["avatar-api", "another-api"])),
    "no exp": lambda a: signed(claims_for(a, exp=None)),
    "no sub": lambda a: signed(claims_for(a, sub=None)),
    "no sid": lambda a: signed(claims_for(a, sid=None)),
    "sub not a uuid": lambda a: signed(claims_for(a, sub="admin")),
    "expired": lambda a: signed(claims_for(a, exp=int(time.time()) - 120)),
    "not yet valid": lambda a: signed(claims_for(a, nbf=int(time.time()) + 600)),
    "plain JWT typ": lambda a: signed(claims_for(a), typ="JWT"),
    "no typ": lambda a: jwt.encode(
        claims_for(a), KEYS.private_key, algorithm="ES256", headers={"kid": KEYS.active_kid}
    ),
    "refresh token as access token": lambda a: a.refresh_token,
    "oversized": lambda a: signed(claims_for(a, padding="x" * 4000)),
    "three dots": lambda a: "a.b.c",
    "not base64": lambda a: "%%%.%%%.%%%",
}


@pytest.mark.parametrize("forgery", list(FORGERIES))
async def test_forged_tokens_are_refused(client: httpx.AsyncClient, forgery: str) -> None:
    account = await new_account(client)
    token = FORGERIES[forgery](account)

    for method, path in (("GET", "/api/v1/users/me"), ("PATCH", "/api/v1/users/me")):
        response = await client.request(method, path, json={}, headers={"Authorization": f"Bearer {token}"})
        assert_problem(response, 401, "invalid_token")
        assert 'error="invalid_token"' in response.headers["www-authenticate"]


@pytest.mark.parametrize("header", ["Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc", "bearer"])
async def test_malformed_authorization_headers_are_refused(client: httpx.AsyncClient, header: str) -> None:
    response = await client.get("/api/v1/users/me", headers={"Authorization": header})

    assert_problem(response, 401, "invalid_token")


async def test_the_genuine_token_works(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    assert (
        await client.get("/api/v1/users/me", headers={"Authorization": f"bearer {account.tokens['access_token']}"})
    ).status_code == 200
    assert (await client.get("/api/v1/users/me", headers=account.headers)).json()["id"] == account.id


async def test_a_remembered_token_still_expires(client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch) -> None:
    account = await new_account(client)
    assert (await client.get("/api/v1/users/me", headers=account.headers)).status_code == 200  # now remembered

    later = datetime.now(UTC) + timedelta(minutes=16)
    monkeypatch.setattr("src.core.security.tokens.utc_now", lambda: later)
    response = await client.get("/api/v1/users/me", headers=account.headers)

    assert_problem(response, 401, "invalid_token")
    assert response.json()["detail"] == "The token has expired."
