"""The OAuth 2 token endpoint (RFC 6749): /login and /refresh behind a form, in OAuth's terms."""

from __future__ import annotations

import asyncio
import re
from typing import Any
from urllib.parse import urlencode, urljoin

import httpx
import jwt
import pytest
from litestar._parsers import parse_url_encoded_form_data

from src.app import create_app
from src.core.settings import Settings
from tests.support.accounts import PASSWORD, bearer, delete_account, log_in, new_account, sign_up, unique_email
from tests.support.http import running_app
from tests.support.logs import LogSink
from tests.support.problems import assert_problem

TOKEN = "/api/v1/auth/token"
FORM = "application/x-www-form-urlencoded"
# RFC 6749 section 5.2: error_description is printable ASCII without `"` and `\`.
DESCRIPTION_CHARACTERS = frozenset(chr(code) for code in range(0x20, 0x7F)) - {'"', "\\"}


async def token(client: httpx.AsyncClient, **form: str) -> httpx.Response:
    return await client.post(TOKEN, data=form)


async def raw(client: httpx.AsyncClient, body: bytes, content_type: str = FORM) -> httpx.Response:
    return await client.post(TOKEN, content=body, headers={"content-type": content_type})


def password_grant(email: str, password: str = PASSWORD) -> dict[str, str]:
    return {"grant_type": "password", "username": email, "password": password}


def assert_oauth_error(response: httpx.Response, status: int, error: str) -> str:
    """RFC 6749 section 5.2: exactly `error` and `error_description`, as application/json."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    assert body.keys() == {"error", "error_description"}
    assert body["error"] == error
    description: str = body["error_description"]
    assert description
    assert set(description) <= DESCRIPTION_CHARACTERS, description
    return description


# --- the password grant ---------------------------------------------------------------


async def test_the_password_grant_answers_a_token_pair_that_is_not_stored(client: httpx.AsyncClient) -> None:
    email = unique_email()
    account_id = (await sign_up(client, email=email)).json()["id"]

    response = await client.post(TOKEN, data=password_grant(email), headers={"user-agent": "oauth-cli/1.0"})

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"  # RFC 6749 section 5.1
    assert response.headers["pragma"] == "no-cache"
    tokens = response.json()
    assert tokens.keys() == {"access_token", "token_type", "expires_in", "refresh_token", "refresh_expires_in"}
    assert (tokens["token_type"], tokens["expires_in"], tokens["refresh_expires_in"]) == ("Bearer", 900, 14 * 86_400)
    assert jwt.decode(tokens["access_token"], options={"verify_signature": False})["sub"] == account_id
    me = await client.get("/api/v1/users/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200
    sessions = (await client.get("/api/v1/auth/sessions", headers=bearer(tokens["access_token"]))).json()["data"]
    assert [session["user_agent"] for session in sessions if session["current"]] == ["oauth-cli/1.0"]


async def test_a_parameter_sent_empty_is_one_left_out_and_the_document_says_so(client: httpx.AsyncClient) -> None:
    """RFC 6749 section 3.1: `refresh_token=` beside a password grant is no refresh token
    (the fuzz found the document promising minLength 1 for it while the server, rightly,
    ignored it)."""
    email = unique_email()
    await sign_up(client, email=email)

    response = await client.post(TOKEN, data={**password_grant(email), "refresh_token": "", "scope": ""})
    schema = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]["TokenRequest"]

    assert response.status_code == 200, response.text
    for name in ("username", "password", "refresh_token", "scope", "client_id"):
        assert schema["properties"][name].get("minLength", 0) == 0, name
    assert re.fullmatch(schema["properties"]["username"]["pattern"].replace("(?!\\n)", ""), "")


async def test_the_username_is_normalised_as_login_does(client: httpx.AsyncClient) -> None:
    email = unique_email()
    await sign_up(client, email=email)

    assert (await token(client, **password_grant(email.upper()))).status_code == 200


async def test_wrong_credentials_are_invalid_grant_alike(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    await delete_account(client, deleted := await new_account(client))

    answers = [
        await token(client, **password_grant(account.email, "not the password at all")),
        await token(client, **password_grant(unique_email())),
        await token(client, **password_grant(deleted.email)),
    ]

    descriptions = {assert_oauth_error(response, 400, "invalid_grant") for response in answers}
    assert descriptions == {"The e-mail address or the password is wrong."}
    assert all("www-authenticate" not in response.headers for response in answers)  # no client authentication


async def test_a_raw_or_percent_encoded_utf8_password_is_the_password(client: httpx.AsyncClient) -> None:
    """Litestar's own form parser reads raw bytes as Latin-1 (`café` became `cafÃ©`) and
    keeps the bodies it parsed in a process-wide cache: ours runs instead, and the cache
    never sees a password."""
    account = await new_account(client, password="un café noir, s'il vous plaît")
    cached_before = parse_url_encoded_form_data.cache_info().currsize
    prefix = f"grant_type=password&username={account.email}&password=".encode()

    raw_utf8 = await raw(client, prefix + "un+café+noir,+s'il+vous+plaît".encode())
    percent_encoded = await raw(client, urlencode(password_grant(account.email, account.password)).encode())

    assert raw_utf8.status_code == 200, raw_utf8.text
    assert percent_encoded.status_code == 200, percent_encoded.text
    assert parse_url_encoded_form_data.cache_info().currsize == cached_before


# --- the refresh grant ----------------------------------------------------------------


async def test_the_refresh_grant_rotates_like_refresh(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    rotated = await token(client, grant_type="refresh_token", refresh_token=account.refresh_token)

    assert rotated.status_code == 200, rotated.text
    assert rotated.headers["cache-control"] == "no-store"
    assert rotated.headers["pragma"] == "no-cache"
    pair = rotated.json()
    assert pair["refresh_token"] != account.refresh_token
    assert (await client.get("/api/v1/users/me", headers=bearer(pair["access_token"]))).status_code == 200
    # One family, two doors: a token from /token is refreshed at /refresh, and the other way round.
    again = await client.post("/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert again.status_code == 200
    assert (await token(client, grant_type="refresh_token", refresh_token=again.json()["refresh_token"])).is_success


async def test_a_repeat_within_the_grace_window_gets_the_same_successor(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    first, second = await asyncio.gather(
        *(token(client, grant_type="refresh_token", refresh_token=account.refresh_token) for _ in range(2))
    )

    assert (first.status_code, second.status_code) == (200, 200)
    assert first.json()["refresh_token"] == second.json()["refresh_token"]


async def test_reuse_through_token_is_invalid_grant_and_revokes_the_session(settings: Settings) -> None:
    async with running_app(create_app(settings.with_changes(refresh_reuse_grace_seconds=0))) as client:
        account = await new_account(client)
        rotated = (await token(client, grant_type="refresh_token", refresh_token=account.refresh_token)).json()

        replay = await token(client, grant_type="refresh_token", refresh_token=account.refresh_token)
        newest = await token(client, grant_type="refresh_token", refresh_token=rotated["refresh_token"])
        me = await client.get("/api/v1/users/me", headers=bearer(rotated["access_token"]))

    assert "already used; the session is revoked" in assert_oauth_error(replay, 400, "invalid_grant")
    assert_oauth_error(newest, 400, "invalid_grant")  # the whole family is gone
    assert_problem(me, 401, "invalid_token")


async def test_a_rotated_token_whose_successor_was_used_is_invalid_grant(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    successor = (await token(client, grant_type="refresh_token", refresh_token=account.refresh_token)).json()
    await token(client, grant_type="refresh_token", refresh_token=successor["refresh_token"])

    late = await token(client, grant_type="refresh_token", refresh_token=account.refresh_token)

    assert "just rotated" in assert_oauth_error(late, 400, "invalid_grant")


async def test_an_unknown_or_logged_out_refresh_token_is_invalid_grant(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    await client.post("/api/v1/auth/logout", json={"refresh_token": account.refresh_token})

    for refresh_token in ("never-issued", account.refresh_token):
        response = await token(client, grant_type="refresh_token", refresh_token=refresh_token)
        assert_oauth_error(response, 400, "invalid_grant")


# --- what is refused, and how ---------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "in_description"),
    [
        ({"username": "ada@example.com", "password": PASSWORD}, "grant_type: Missing required parameter."),
        ({"grant_type": "", "username": "ada@example.com", "password": PASSWORD}, "grant_type: Missing required"),
        ({"grant_type": "password", "username": "ada@example.com"}, "needs password"),
        ({"grant_type": "password", "password": PASSWORD}, "needs username"),
        ({"grant_type": "password"}, "needs username and password"),
        (
            {"grant_type": "password", "username": "not an address", "password": PASSWORD},
            "username: Expected `str` in the documented format.",
        ),
        (
            {"grant_type": "password", "username": "ada@example.com", "password": "x" * 1025},
            "password: Expected `str` of length <= 1024.",
        ),
        (
            {"grant_type": "password", "username": "ada@example.com", "password": PASSWORD, "refresh_token": "t"},
            "refresh_token is not a parameter of grant_type=password",
        ),
        ({"grant_type": "refresh_token"}, "needs refresh_token"),
        (
            {"grant_type": "refresh_token", "refresh_token": "t", "password": PASSWORD},
            "password is not a parameter of grant_type=refresh_token",
        ),
        ({"grant_type": "refresh_token", "refresh_token": "t" * 257}, "refresh_token: Expected `str` of length <= 256"),
        (
            {"grant_type": "refresh_token", "refresh_token": "t" * 257, "scope": "s" * 1025},
            "refresh_token: Expected `str` of length <= 256; scope: Expected `str` of length <= 1024.",
        ),
    ],
)
async def test_a_missing_misplaced_or_invalid_parameter_is_invalid_request(
    client: httpx.AsyncClient, form: dict[str, str], in_description: str
) -> None:
    assert in_description in assert_oauth_error(await token(client, **form), 400, "invalid_request")


@pytest.mark.parametrize(
    ("body", "in_description"),
    [
        (b"", "needs a application/x-www-form-urlencoded request body"),
        (b"grant_type=password&grant_type=refresh_token&refresh_token=t", "`grant_type` is sent more than once"),
        (b"grant_type=refresh_token&refresh_token=a&refresh_token=b", "`refresh_token` is sent more than once"),
        (b"grant_type=refresh_token&refresh_token=%zz", "a `%` not followed by two hex digits"),
        (b"grant_type=refresh_token&refresh_token=%C3%28", "not valid UTF-8"),
        (b"grant_type=refresh_token&refresh_token=\xff\xfe", "not valid UTF-8"),
        (b"grant_type=refresh_token&=t", "has no name"),
        (b"&".join(b"p%d=1" % index for index in range(33)), "more than 32 parameters"),
    ],
)
async def test_a_malformed_form_is_invalid_request_not_a_500(
    client: httpx.AsyncClient, body: bytes, in_description: str
) -> None:
    assert in_description in assert_oauth_error(await raw(client, body), 400, "invalid_request")


async def test_an_error_description_holds_only_what_rfc_6749_allows(client: httpx.AsyncClient) -> None:
    """A repeated key is named in the description; a key is the client's text."""
    description = assert_oauth_error(
        await raw(client, 'grant_type=password&"né\\"=1&"né\\"=2'.encode()), 400, "invalid_request"
    )

    assert "sent more than once" in description


async def test_parameters_in_the_query_string_are_refused(client: httpx.AsyncClient) -> None:
    """RFC 6749 section 3.2: the token endpoint takes its parameters in the body; a
    password in a URL ends up in logs and histories."""
    account = await new_account(client)

    response = await client.post(TOKEN, params={"password": account.password}, data=password_grant(account.email))

    assert "password" in assert_oauth_error(response, 400, "invalid_request")


@pytest.mark.parametrize("grant_type", ["client_credentials", "authorization_code", "PASSWORD", "implicit"])
async def test_another_grant_type_is_unsupported(client: httpx.AsyncClient, grant_type: str) -> None:
    response = await token(client, grant_type=grant_type, username="ada@example.com", password=PASSWORD)

    assert_oauth_error(response, 400, "unsupported_grant_type")


async def test_a_scope_is_invalid_scope_and_an_empty_one_is_no_scope(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    asked = await token(client, **password_grant(account.email), scope="avatars:write")
    empty = await token(client, **password_grant(account.email), scope="")

    assert "defines no scopes" in assert_oauth_error(asked, 400, "invalid_scope")
    assert empty.status_code == 200
    assert "scope" not in empty.json()


async def test_a_client_id_unknown_parameters_and_basic_credentials_are_ignored(client: httpx.AsyncClient) -> None:
    """Public clients: a client_id, what OAuth clients add (RFC 6749 section 3.2: MUST
    ignore), and the empty Basic credentials Swagger UI sends by default change nothing."""
    account = await new_account(client)
    form = {
        **password_grant(account.email),
        "client_id": "my-cli",
        "client_secret": "",
        "resource": "https://api.example.com",
    }

    response = await client.post(TOKEN, data=form, headers={"authorization": "Basic Og=="})

    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("content_type", "in_description"),
    [
        ("application/json", "not application/json"),
        ("text/plain", "not text/plain"),
        ("multipart/form-data; boundary=x", "not multipart/form-data"),
        (f"{FORM}; charset=iso-8859-1", "UTF-8, not iso-8859-1"),
    ],
)
async def test_another_media_type_is_415(client: httpx.AsyncClient, content_type: str, in_description: str) -> None:
    response = await raw(client, b'{"grant_type": "password"}', content_type)

    assert in_description in assert_oauth_error(response, 415, "invalid_request")


async def test_a_utf8_charset_is_accepted(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    response = await raw(client, urlencode(password_grant(account.email)).encode(), f"{FORM}; charset=UTF-8")

    assert response.status_code == 200


async def test_a_body_over_the_limit_is_a_413_problem(client: httpx.AsyncClient) -> None:
    response = await raw(client, b"grant_type=password&password=" + b"x" * 70_000)

    assert_problem(response, 413, "payload_too_large")


# --- budgets shared with /login ---------------------------------------------------------


async def test_failed_checks_at_token_and_login_spend_one_account_budget(settings: Settings) -> None:
    async with running_app(create_app(settings.with_changes(login_failures_per_account="3/hour"))) as client:
        first, second = await new_account(client), await new_account(client)
        # first: two failures at /token, one at /login; second: two at /login, one at /token.
        assert_oauth_error(await token(client, **password_grant(first.email, "wrong password 1")), 400, "invalid_grant")
        assert_oauth_error(await token(client, **password_grant(first.email, "wrong password 2")), 400, "invalid_grant")
        assert (await log_in(client, first.email, "wrong password 3")).status_code == 401
        assert (await log_in(client, second.email, "wrong password 1")).status_code == 401
        assert (await log_in(client, second.email, "wrong password 2")).status_code == 401
        assert_oauth_error(
            await token(client, **password_grant(second.email, "wrong password 3")), 400, "invalid_grant"
        )

        locked_at_token = await token(client, **password_grant(first.email))
        locked_at_login = await log_in(client, second.email)

    problem = assert_problem(locked_at_token, 429, "too_many_failed_logins")
    assert 0 < int(locked_at_token.headers["retry-after"]) <= 3600
    assert problem["instance"] == TOKEN
    assert_problem(locked_at_login, 429, "too_many_failed_logins")


async def test_token_counts_against_the_strict_auth_policy_with_login(settings: Settings) -> None:
    async with running_app(create_app(settings.with_changes(rate_limit_auth="3/minute"))) as client:
        first = await token(client, **password_grant(unique_email()))
        login = await log_in(client, unique_email())
        second = await token(client, **password_grant(unique_email()))
        limited = await token(client, **password_grant(unique_email()))
        jwks = await client.get("/api/v1/auth/.well-known/jwks.json")

    assert (first.status_code, login.status_code, second.status_code) == (400, 401, 400)
    assert first.headers["ratelimit-policy"] == '"auth";q=3;w=60'
    assert_problem(limited, 429, "rate_limited")
    assert int(limited.headers["retry-after"]) > 0
    assert jwks.status_code == 200  # other routes keep their own budget


async def test_no_password_or_token_in_the_logs(client: httpx.AsyncClient, logs: LogSink) -> None:
    account = await new_account(client, password="a singular secret pass")
    pair = (await token(client, **password_grant(account.email, account.password))).json()
    await token(client, **password_grant(account.email, "another singular secret"))
    await token(client, grant_type="refresh_token", refresh_token=pair["refresh_token"])

    for secret in ("a singular secret pass", "another singular secret", account.email, pair["refresh_token"]):
        assert secret not in logs.text
    assert TOKEN in logs.text  # the access lines are there


# --- Swagger UI's Authorize dialog ------------------------------------------------------


async def test_swagger_uis_password_flow_works_against_the_documented_token_url(client: httpx.AsyncClient) -> None:
    """What /docs does when you press Authorize with an e-mail and a password (Swagger UI's
    `authorizePassword`, its default client-credentials location): the form it builds,
    sent to the scheme's tokenUrl resolved against the document's URL, and the token it
    gets sent to an operation that names the scheme."""
    account = await new_account(client)
    document_url = urljoin(str(client.base_url), "/schema/openapi.json")
    document = (await client.get(document_url)).json()
    flow = document["components"]["securitySchemes"]["OAuth2"]["flows"]["password"]
    token_url = urljoin(document_url, flow["tokenUrl"])
    form = {"grant_type": "password", "scope": " ".join(flow["scopes"]), "username": account.email}

    answer = await client.post(
        token_url,
        content=urlencode({**form, "password": account.password}),
        headers={
            "content-type": FORM,
            "accept": "application/json, text/plain, */*",
            "x-requested-with": "XMLHttpRequest",
            "authorization": "Basic Og==",  # btoa(clientId + ":" + clientSecret), both empty
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["token_type"] == "Bearer"
    assert {"OAuth2": []} in document["paths"]["/api/v1/users/me"]["get"]["security"]
    me = await client.get("/api/v1/users/me", headers={"authorization": f"Bearer {answer.json()['access_token']}"})
    assert me.status_code == 200
    refreshed = await client.post(
        urljoin(document_url, flow["refreshUrl"]),
        data={"grant_type": "refresh_token", "refresh_token": answer.json()["refresh_token"]},
    )
    assert refreshed.status_code == 200
