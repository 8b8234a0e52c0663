"""Client bytes that are not valid UTF-8 (or not text at all), wherever the service
decodes them: a clear 4xx problem, never a 500, and nothing logged as an error."""

from __future__ import annotations

import httpx
import pytest

from tests.support.accounts import new_account
from tests.support.avatars import AVATARS, new_avatar
from tests.support.logs import LogSink
from tests.support.problems import assert_problem

JSON = {"content-type": "application/json"}
# An invalid byte, an overlong encoding of "/", a lone surrogate (CESU-8), a truncated sequence.
BAD_UTF8 = [b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82"]
# Every endpoint that takes a JSON body, four of them without a token.
PUBLIC_BODIES = ["/api/v1/auth/sign-up", "/api/v1/auth/login", "/api/v1/auth/refresh", "/api/v1/auth/logout"]


def _no_errors_logged(logs: LogSink) -> None:
    assert [line for line in logs.records() if line.get("severity") == "ERROR"] == []


def _client_error(response: httpx.Response) -> None:
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("bad", BAD_UTF8)
@pytest.mark.parametrize("path", PUBLIC_BODIES)
async def test_invalid_utf8_in_a_body_string_is_malformed_json(
    client: httpx.AsyncClient, logs: LogSink, path: str, bad: bytes
) -> None:
    body = b'{"email": "' + bad + b'@x.com", "password": "whatever password", "refresh_token": "' + bad + b'"}'
    response = await client.post(path, content=body, headers=JSON)

    assert_problem(response, 400, "malformed_json")
    _no_errors_logged(logs)


async def test_invalid_utf8_in_a_key_is_malformed_json(client: httpx.AsyncClient, logs: LogSink) -> None:
    response = await client.post("/api/v1/auth/login", content=b'{"\xffemail": "a@x.com"}', headers=JSON)

    assert_problem(response, 400, "malformed_json")
    _no_errors_logged(logs)


async def test_every_body_endpoint_refuses_invalid_utf8(client: httpx.AsyncClient, logs: LogSink) -> None:
    owner = await new_account(client)
    avatar = await new_avatar(client, owner)
    bad = b'{"name": "\xff", "color": "#000000", "display_name": "\xff", "url": "https://\xff", '
    bad += b'"events": ["avatar.created"], "current_password": "\xff", "new_password": "\xff"}'
    authenticated = [
        ("POST", AVATARS),
        ("PATCH", f"{AVATARS}/{avatar['id']}"),
        ("PATCH", "/api/v1/users/me"),
        ("POST", "/api/v1/users/me/password"),
        ("POST", "/api/v1/webhooks"),
    ]
    for method, path in authenticated:
        response = await client.request(method, path, content=bad, headers={**JSON, **owner.headers})
        assert_problem(response, 400, "malformed_json")
    _no_errors_logged(logs)


@pytest.mark.parametrize("charset", ["latin-1", "iso-8859-1", "utf-16", "windows-1252"])
async def test_a_declared_charset_other_than_utf8_is_415(
    client: httpx.AsyncClient, logs: LogSink, charset: str
) -> None:
    response = await client.post(
        "/api/v1/auth/login",
        content='{"email": "é@x.com", "password": "whatever password"}'.encode("latin-1"),
        headers={"content-type": f"application/json; charset={charset}"},
    )

    assert_problem(response, 415, "unsupported_media_type")
    _no_errors_logged(logs)


@pytest.mark.parametrize("charset", ["utf-8", "UTF-8", '"utf-8"'])
async def test_utf8_may_be_declared(client: httpx.AsyncClient, charset: str) -> None:
    response = await client.post(
        "/api/v1/auth/login",
        content=b'{"email": "nobody@example.com", "password": "whatever password"}',
        headers={"content-type": f"application/json; charset={charset}"},
    )

    assert_problem(response, 401, "invalid_credentials")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Idempotency-Key", b"key-\xff"),
        ("If-Match", b'"v1\xff"'),
        ("X-Request-ID", b"req-\xff"),
        ("Authorization", b"Bearer \xff\xfe"),
        ("User-Agent", b"agent \xff"),
    ],
)
async def test_invalid_bytes_in_headers_are_refused_or_ignored_never_a_500(
    client: httpx.AsyncClient, logs: LogSink, name: str, value: bytes
) -> None:
    owner = await new_account(client)
    avatar = await new_avatar(client, owner)
    headers = [(b"content-type", b"application/json"), (name.encode(), value)]
    if name != "Authorization":
        headers.append((b"authorization", owner.headers["Authorization"].encode()))
    for method, path, body in (
        ("POST", AVATARS, b'{"name": "Ada", "color": "#000000"}'),
        ("PATCH", f"{AVATARS}/{avatar['id']}", b'{"name": "Ada"}'),
        ("GET", f"{AVATARS}/{avatar['id']}", b""),
    ):
        response = await client.request(method, path, content=body or None, headers=headers)
        assert response.status_code < 500, (method, path, response.text)
        assert response.headers["content-type"].startswith(("application/json", "application/problem+json"))
    _no_errors_logged(logs)


@pytest.mark.parametrize(
    "query",
    [
        b"cursor=%FF%FE",
        b"owner_id=%FF",
        b"limit=%FF",
        b"%FF=1",
        b"limit=5&%C0%AF=2",
    ],
)
async def test_invalid_bytes_in_a_query_string_are_a_400(
    client: httpx.AsyncClient, logs: LogSink, query: bytes
) -> None:
    url = httpx.URL(AVATARS, query=query)
    response = await client.get(url)

    _client_error(response)
    assert response.status_code == 400
    _no_errors_logged(logs)


@pytest.mark.parametrize("path", ["/api/v1/avatars/%FF", "/api/v1/avatars/%C0%AF/image.svg", "/api/v1/%ED%A0%80"])
async def test_invalid_bytes_in_a_path_are_a_4xx_problem(client: httpx.AsyncClient, logs: LogSink, path: str) -> None:
    response = await client.get(httpx.URL(path))

    _client_error(response)
    _no_errors_logged(logs)
