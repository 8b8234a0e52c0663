"""Our access tokens verify with a JWT library we did not choose, from the JWKS alone."""

from __future__ import annotations

import httpx
from joserfc import jwt as joserfc_jwt
from joserfc.jwk import KeySet

from src.app import create_app
from src.core.security.keys import generate_private_key_pem
from src.core.settings import Settings
from tests.support.accounts import new_account
from tests.support.http import running_app

JWKS = "/api/v1/auth/.well-known/jwks.json"


async def test_publishes_the_signing_key(client: httpx.AsyncClient) -> None:
    response = await client.get(JWKS)

    assert response.status_code == 200
    assert response.headers["cache-control"] == "max-age=300, public"
    (key,) = response.json()["keys"]
    assert key.keys() == {"kty", "crv", "x", "y", "kid", "use", "alg"}
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("EC", "P-256", "ES256", "sig")
    assert "d" not in key  # public only


async def test_an_access_token_verifies_with_joserfc_using_only_the_jwks(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    key_set = KeySet.import_key_set((await client.get(JWKS)).json())

    token = joserfc_jwt.decode(account.tokens["access_token"], key_set, algorithms=["ES256"])

    assert token.claims["sub"] == account.id
    assert token.header["kid"] == key_set.keys[0].kid


async def test_during_a_rotation_old_tokens_still_work_and_both_keys_are_published(settings: Settings) -> None:
    async with running_app(create_app(settings)) as client:
        account = await new_account(client)
        old_jwks = (await client.get(JWKS)).json()

    from cryptography.hazmat.primitives import serialization

    old_private = serialization.load_pem_private_key(settings.jwt_private_key.encode(), None)  # type: ignore[union-attr]
    old_public = old_private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    rotated = settings.with_changes(
        jwt_private_key=generate_private_key_pem().decode(), jwt_previous_public_keys=old_public.decode()
    )
    async with running_app(create_app(rotated)) as client:
        keys = (await client.get(JWKS)).json()["keys"]
        old_token_works = await client.get("/api/v1/users/me", headers=account.headers)
        new_account_tokens = await new_account(client)

    assert [key["kid"] for key in keys][1:] == [old_jwks["keys"][0]["kid"]]
    assert old_token_works.status_code == 200
    new_kid = joserfc_jwt.decode(
        new_account_tokens.tokens["access_token"], KeySet.import_key_set({"keys": keys}), algorithms=["ES256"]
    ).header["kid"]
    assert new_kid == keys[0]["kid"]
