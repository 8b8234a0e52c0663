"""The browser session (/auth/browser/*) over HTTP: the refresh token in an HttpOnly cookie,
the CSRF checks in front of it, and CORS credentials for allowed origins only.

httpx's cookie jar keeps `Secure` cookies away from the http:// test URL, so each test
sends `Cookie` (and `Origin`, as a browser would) by hand, from what `Set-Cookie` said.
The real browser's view is tests/features/auth/test_browser_in_chromium.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from http.cookies import Morsel, SimpleCookie

import httpx
import pytest

from src.app import create_app
from src.core.settings import Settings
from tests.support.accounts import PASSWORD, age_refresh_spend, bearer, new_account, sign_up, unique_email
from tests.support.http import running_app
from tests.support.mfa import enrol
from tests.support.problems import assert_problem

LOGIN = "/api/v1/auth/browser/login"
REFRESH = "/api/v1/auth/browser/refresh"
LOGOUT = "/api/v1/auth/browser/logout"
APP_ORIGIN = "https://app.example.com"
FOREIGN_ORIGIN = "https://evil.example.net"
SERVICE_ORIGIN = "https://api.example.com"
REFRESH_COOKIE = "__Secure-avatar-refresh"
CSRF_COOKIE = "__Host-avatar-csrf"


def browser_settings(settings: Settings, **changes: object) -> Settings:
    return settings.with_changes(
        cors_allow_origins=(APP_ORIGIN, "https://*.preview.example.com"),
        cors_allow_credentials=True,
        public_base_url=SERVICE_ORIGIN,
        **changes,
    )


@pytest.fixture
async def browser(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(create_app(browser_settings(settings))) as client:
        yield client


def set_cookies(response: httpx.Response) -> dict[str, Morsel[str]]:
    cookies: dict[str, Morsel[str]] = {}
    for header in response.headers.get_list("set-cookie"):
        parsed: SimpleCookie = SimpleCookie()
        parsed.load(header)
        cookies.update(parsed)
    return cookies


@dataclass
class Session:
    """A browser's cookie jar for the API's host, as the answers left it."""

    refresh_token: str
    csrf_token: str

    @classmethod
    def of(cls, response: httpx.Response) -> Session:
        cookies = set_cookies(response)
        return cls(cookies[REFRESH_COOKIE].value, cookies[CSRF_COOKIE].value)

    def update(self, response: httpx.Response) -> None:
        cookies = set_cookies(response)
        self.refresh_token = cookies[REFRESH_COOKIE].value
        self.csrf_token = cookies[CSRF_COOKIE].value

    def headers(self, *, origin: str = APP_ORIGIN, csrf: str | None = None) -> dict[str, str]:
        return {
            "Origin": origin,
            "Cookie": f"{REFRESH_COOKIE}={self.refresh_token}; {CSRF_COOKIE}={self.csrf_token}",
            "X-CSRF-Token": self.csrf_token if csrf is None else csrf,
        }


async def browser_log_in(client: httpx.AsyncClient, email: str, *, origin: str = APP_ORIGIN) -> httpx.Response:
    return await client.post(LOGIN, json={"email": email, "password": PASSWORD}, headers={"Origin": origin})


async def new_session(client: httpx.AsyncClient) -> tuple[Session, dict[str, object]]:
    email = unique_email()
    assert (await sign_up(client, email=email)).status_code == 201
    response = await browser_log_in(client, email)
    assert response.status_code == 200, response.text
    return Session.of(response), response.json()


def assert_cleared(response: httpx.Response) -> None:
    cookies = set_cookies(response)
    assert cookies.keys() == {REFRESH_COOKIE, CSRF_COOKIE}
    for cookie in cookies.values():
        assert cookie.value == ""
        assert cookie["max-age"] == "0"
    assert cookies[REFRESH_COOKIE]["path"] == "/api/v1/auth/browser"  # the path it was set with
    assert cookies[CSRF_COOKIE]["path"] == "/"


async def test_login_puts_the_refresh_token_in_an_http_only_cookie_and_never_in_the_body(
    browser: httpx.AsyncClient, settings: Settings
) -> None:
    email = unique_email()
    assert (await sign_up(browser, email=email)).status_code == 201

    response = await browser_log_in(browser, email)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body.keys() == {"access_token", "token_type", "expires_in", "refresh_expires_in", "csrf_token"}
    assert body["token_type"] == "Bearer"
    assert body["refresh_expires_in"] == settings.refresh_token_ttl_seconds
    assert response.headers["cache-control"] == "no-store"
    cookies = set_cookies(response)
    refresh, csrf = cookies[REFRESH_COOKIE], cookies[CSRF_COOKIE]
    assert len(refresh.value) >= 43
    assert refresh.value not in response.text
    assert refresh["httponly"] is True
    assert refresh["secure"] is True
    assert refresh["samesite"].lower() == "strict"
    assert refresh["path"] == "/api/v1/auth/browser"  # sent to the browser routes only
    assert refresh["max-age"] == str(body["refresh_expires_in"])
    assert not refresh["domain"]
    # The CSRF cookie is for scripts of the API's host: readable, host-only (__Host-: no Domain, Path=/).
    assert csrf.value == body["csrf_token"]
    assert csrf["httponly"] == ""
    assert csrf["secure"] is True
    assert csrf["samesite"].lower() == "strict"
    assert csrf["path"] == "/"
    assert not csrf["domain"]
    me = await browser.get("/api/v1/users/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["email"] == email


async def test_refresh_through_the_cookie_rotates_the_refresh_token_and_the_csrf_token(
    browser: httpx.AsyncClient,
) -> None:
    session, _ = await new_session(browser)
    first_refresh, first_csrf = session.refresh_token, session.csrf_token

    response = await browser.post(REFRESH, headers=session.headers())

    assert response.status_code == 200, response.text
    body = response.json()
    assert "refresh_token" not in body
    session.update(response)
    assert session.refresh_token != first_refresh
    assert session.csrf_token != first_csrf
    assert body["csrf_token"] == session.csrf_token
    assert (await browser.get("/api/v1/users/me", headers=bearer(body["access_token"]))).status_code == 200
    # The old CSRF token does not go with the new cookie: it is bound to its refresh token.
    assert_problem(await browser.post(REFRESH, headers=session.headers(csrf=first_csrf)), 403, "csrf_token_invalid")
    assert (await browser.post(REFRESH, headers=session.headers())).status_code == 200


async def test_a_replayed_old_refresh_cookie_revokes_the_session_and_clears_the_cookies(
    browser: httpx.AsyncClient, database_url: str
) -> None:
    session, _ = await new_session(browser)
    stolen = replace(session)  # what a copy of the cookie jar holds
    rotated = await browser.post(REFRESH, headers=session.headers())
    assert rotated.status_code == 200
    session.update(rotated)
    await age_refresh_spend(database_url, stolen.refresh_token, seconds=11)  # past the 10 s grace window

    replay = await browser.post(REFRESH, headers=stolen.headers())

    assert_problem(replay, 401, "invalid_token")
    assert_cleared(replay)
    # The whole family is gone: the owner's newest cookie and access token too.
    after = await browser.post(REFRESH, headers=session.headers())
    assert_problem(after, 401, "invalid_token")
    assert_cleared(after)
    assert_problem(
        await browser.get("/api/v1/users/me", headers=bearer(rotated.json()["access_token"])), 401, "invalid_token"
    )


async def test_two_tabs_refreshing_at_once_get_the_same_new_cookie(browser: httpx.AsyncClient) -> None:
    """The grace window holds here as for /refresh: one jar, two tabs, no one logged out."""
    session, _ = await new_session(browser)

    responses = await asyncio.gather(*(browser.post(REFRESH, headers=session.headers()) for _ in range(2)))

    assert [response.status_code for response in responses] == [200, 200]
    assert len({set_cookies(response)[REFRESH_COOKIE].value for response in responses}) == 1


async def test_logout_ends_the_session_and_clears_both_cookies(browser: httpx.AsyncClient) -> None:
    session, body = await new_session(browser)

    response = await browser.post(LOGOUT, headers=session.headers())

    assert response.status_code == 204
    assert response.content == b""
    assert_cleared(response)
    assert_problem(await browser.post(REFRESH, headers=session.headers()), 401, "invalid_token")
    assert_problem(
        await browser.get("/api/v1/users/me", headers=bearer(str(body["access_token"]))), 401, "invalid_token"
    )


async def test_logout_without_a_session_answers_204_and_clears(browser: httpx.AsyncClient) -> None:
    response = await browser.post(LOGOUT, headers={"Origin": APP_ORIGIN})

    assert response.status_code == 204
    assert_cleared(response)


async def test_refresh_without_the_cookie_is_401_and_clears(browser: httpx.AsyncClient) -> None:
    response = await browser.post(REFRESH, headers={"Origin": APP_ORIGIN, "X-CSRF-Token": "x" * 43})

    body = assert_problem(response, 401, "invalid_token")
    assert "log in" in body["detail"]
    assert_cleared(response)


@pytest.mark.parametrize("route", [REFRESH, LOGOUT])
@pytest.mark.parametrize("case", ["no header", "wrong header", "another session's token", "cookie and header forged"])
async def test_a_cookie_request_without_its_csrf_token_is_refused(
    browser: httpx.AsyncClient, route: str, case: str
) -> None:
    session, body = await new_session(browser)
    other, _ = await new_session(browser)
    headers = session.headers()
    if case == "no header":
        del headers["X-CSRF-Token"]
    elif case == "wrong header":
        headers["X-CSRF-Token"] = "A" * 43
    elif case == "another session's token":
        headers["X-CSRF-Token"] = other.csrf_token
    else:  # a sibling subdomain can write a cookie: the token must match the refresh token too
        headers["X-CSRF-Token"] = other.csrf_token
        headers["Cookie"] = f"{REFRESH_COOKIE}={session.refresh_token}; {CSRF_COOKIE}={other.csrf_token}"

    response = await browser.post(route, headers=headers)

    assert_problem(response, 403, "csrf_token_invalid")
    assert "set-cookie" not in response.headers  # a forged request clears nothing
    # Nothing happened to the session.
    assert (await browser.get("/api/v1/users/me", headers=bearer(str(body["access_token"])))).status_code == 200
    assert (await browser.post(REFRESH, headers=session.headers())).status_code == 200


@pytest.mark.parametrize(
    "origin", [FOREIGN_ORIGIN, "null", "http://app.example.com", None, "https://app.example.com.evil.net"]
)
async def test_a_login_from_an_origin_not_allowed_is_refused(browser: httpx.AsyncClient, origin: str | None) -> None:
    """No login CSRF: a foreign page cannot sign the browser into the attacker's account."""
    email = unique_email()
    assert (await sign_up(browser, email=email)).status_code == 201
    headers = {"Origin": origin} if origin is not None else {}

    response = await browser.post(LOGIN, json={"email": email, "password": PASSWORD}, headers=headers)

    assert_problem(response, 403, "csrf_origin_refused")
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("route", [REFRESH, LOGOUT])
async def test_a_cookie_request_from_a_foreign_origin_is_refused_even_with_its_token(
    browser: httpx.AsyncClient, route: str
) -> None:
    session, _ = await new_session(browser)

    response = await browser.post(route, headers=session.headers(origin=FOREIGN_ORIGIN))

    assert_problem(response, 403, "csrf_origin_refused")
    assert "set-cookie" not in response.headers
    assert (await browser.post(REFRESH, headers=session.headers())).status_code == 200


async def test_a_forged_form_post_is_refused_before_its_body_is_read(browser: httpx.AsyncClient) -> None:
    """What a cross-site <form> sends: a form body, its own Origin."""
    response = await browser.post(
        LOGIN, content=b"email=a%40example.com&password=x", headers={"Origin": FOREIGN_ORIGIN}
    )

    assert_problem(response, 403, "csrf_origin_refused")


@pytest.mark.parametrize("origin", [SERVICE_ORIGIN, "https://pr-12.preview.example.com"])
async def test_the_service_origin_and_allow_list_patterns_may_log_in(browser: httpx.AsyncClient, origin: str) -> None:
    email = unique_email()
    assert (await sign_up(browser, email=email)).status_code == 201

    assert (await browser_log_in(browser, email, origin=origin)).status_code == 200


async def test_a_bare_wildcard_allows_no_origin_to_log_in(settings: Settings) -> None:
    """`CORS_ALLOW_ORIGINS=*` (credentials off) lets anyone read public answers; it is no
    allow-list for sessions."""
    changed = settings.with_changes(cors_allow_origins=("*",), public_base_url=SERVICE_ORIGIN)
    async with running_app(create_app(changed)) as client:
        email = unique_email()
        assert (await sign_up(client, email=email)).status_code == 201
        assert_problem(await browser_log_in(client, email, origin=FOREIGN_ORIGIN), 403, "csrf_origin_refused")
        assert (await browser_log_in(client, email, origin=SERVICE_ORIGIN)).status_code == 200


async def test_the_password_grant_refuses_here_as_at_login(browser: httpx.AsyncClient) -> None:
    email = unique_email()
    assert (await sign_up(browser, email=email)).status_code == 201

    response = await browser.post(LOGIN, json={"email": email, "password": "wrong"}, headers={"Origin": APP_ORIGIN})

    assert_problem(response, 401, "invalid_credentials")
    assert "set-cookie" not in response.headers


async def test_without_secure_cookies_the_names_lose_their_prefixes(settings: Settings) -> None:
    """SESSION_COOKIE_SECURE=false (plain-http development): browsers refuse __Secure- and
    __Host- cookies that are not Secure."""
    async with running_app(create_app(browser_settings(settings, session_cookie_secure=False))) as client:
        email = unique_email()
        assert (await sign_up(client, email=email)).status_code == 201
        login = await browser_log_in(client, email)
        cookies = set_cookies(login)
        assert cookies.keys() == {"avatar-refresh", "avatar-csrf"}
        assert cookies["avatar-refresh"]["secure"] == ""
        assert cookies["avatar-refresh"]["httponly"] is True
        csrf = cookies["avatar-csrf"].value
        headers = {
            "Origin": APP_ORIGIN,
            "Cookie": f"avatar-refresh={cookies['avatar-refresh'].value}; avatar-csrf={csrf}",
            "X-CSRF-Token": csrf,
        }
        refreshed = await client.post(REFRESH, headers=headers)
        # The prefixed names mean nothing here.
        prefixed = {**headers, "Cookie": f"{REFRESH_COOKIE}={cookies['avatar-refresh'].value}"}
        not_a_session = await client.post(REFRESH, headers=prefixed)

    assert refreshed.status_code == 200, refreshed.text
    assert set_cookies(refreshed).keys() == {"avatar-refresh", "avatar-csrf"}
    assert_problem(not_a_session, 401, "invalid_token")


async def test_cors_grants_credentials_to_allowed_origins_only(browser: httpx.AsyncClient) -> None:
    """Litestar sends Access-Control-Allow-Credentials: true to any Origin; we do not."""
    allowed = await browser.get("/api/v1/avatars", headers={"Origin": APP_ORIGIN})
    foreign = await browser.get("/api/v1/avatars", headers={"Origin": FOREIGN_ORIGIN})
    refused_login = await browser.post(LOGIN, json={}, headers={"Origin": FOREIGN_ORIGIN})

    assert allowed.headers["access-control-allow-origin"] == APP_ORIGIN
    assert allowed.headers["access-control-allow-credentials"] == "true"
    for response in (foreign, refused_login):
        assert "access-control-allow-origin" not in response.headers
        assert "access-control-allow-credentials" not in response.headers


async def test_a_preflight_allows_the_csrf_header_for_allowed_origins_only(browser: httpx.AsyncClient) -> None:
    def preflight(origin: str) -> dict[str, str]:
        return {
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-csrf-token",
        }

    allowed = await browser.options(REFRESH, headers=preflight(APP_ORIGIN))
    foreign = await browser.options(REFRESH, headers=preflight(FOREIGN_ORIGIN))

    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == APP_ORIGIN
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert "x-csrf-token" in allowed.headers["access-control-allow-headers"].lower()
    assert foreign.status_code == 400
    assert "access-control-allow-origin" not in foreign.headers
    assert "access-control-allow-credentials" not in foreign.headers


# --- with a second factor --------------------------------------------------------------------

LOGIN_MFA = "/api/v1/auth/browser/login/mfa"


async def test_an_account_with_totp_completes_the_browser_login_with_a_code(browser: httpx.AsyncClient) -> None:
    enrolled = await enrol(browser, await new_account(browser), window=2)

    # The password alone opens nothing: no cookie, the same mfa_required as /login.
    password_step = await browser_log_in(browser, enrolled.account.email)
    problem = assert_problem(password_step, 403, "mfa_required")
    assert not password_step.headers.get_list("set-cookie")

    completion = {"mfa_token": problem["mfa_token"], "code": enrolled.app.code()}
    # From a page the service does not allow, the code is not even tried.
    foreign = await browser.post(LOGIN_MFA, json=completion, headers={"Origin": FOREIGN_ORIGIN})
    assert_problem(foreign, 403, "csrf_origin_refused")

    completed = await browser.post(LOGIN_MFA, json=completion, headers={"Origin": APP_ORIGIN})
    assert completed.status_code == 200, completed.text
    body = completed.json()
    assert body.keys() == {"access_token", "token_type", "expires_in", "refresh_expires_in", "csrf_token"}
    session = Session.of(completed)
    assert session.refresh_token not in completed.text
    assert set_cookies(completed)[REFRESH_COOKIE]["httponly"] is True
    me = await browser.get("/api/v1/users/me", headers=bearer(body["access_token"]))
    assert me.json()["id"] == str(enrolled.account.id)

    # The session it opened refreshes through its cookie like any browser session.
    refreshed = await browser.post(REFRESH, headers=session.headers())
    assert refreshed.status_code == 200, refreshed.text
    # And the challenge is spent: the same token and a fresh code open nothing more.
    again = await browser.post(
        LOGIN_MFA, json={**completion, "code": enrolled.app.code()}, headers={"Origin": APP_ORIGIN}
    )
    assert_problem(again, 401, "invalid_mfa_token")


async def test_a_wrong_code_in_the_browser_is_refused_as_at_login_mfa(browser: httpx.AsyncClient) -> None:
    enrolled = await enrol(browser, await new_account(browser), window=2)
    problem = assert_problem(await browser_log_in(browser, enrolled.account.email), 403, "mfa_required")

    wrong = await browser.post(
        LOGIN_MFA,
        json={"mfa_token": problem["mfa_token"], "code": enrolled.app.wrong_code()},
        headers={"Origin": APP_ORIGIN},
    )

    assert_problem(wrong, 401, "invalid_mfa_code")
    assert not wrong.headers.get_list("set-cookie")
