from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg
import httpx
import jwt
from argon2 import extract_parameters

from src.app import create_app
from src.core.runtime.password_checks import PasswordChecks
from src.core.runtime.rate_counters import MemoryRateCounter, RatePolicy
from src.core.security.passwords import PasswordHasher, Verification
from src.core.security.tokens import TokenService
from src.core.settings import Settings
from src.features.auth.log_in.command import LogIn
from src.features.auth.log_in.handler import log_in as log_in_handler
from tests.support.accounts import PASSWORD, bearer, delete_account, log_in, new_account, sign_up, unique_email
from tests.support.http import running_app
from tests.support.logs import LogSink
from tests.support.problems import assert_problem


async def test_returns_an_access_token_and_a_refresh_token(client: httpx.AsyncClient) -> None:
    email = unique_email()
    account_id = (await sign_up(client, email=email)).json()["id"]

    response = await log_in(client, email)

    assert response.status_code == 200
    tokens = response.json()
    assert tokens.keys() == {"access_token", "token_type", "expires_in", "refresh_token", "refresh_expires_in"}
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 900
    assert tokens["refresh_expires_in"] == 14 * 86_400
    assert len(tokens["refresh_token"]) >= 43  # 256 bits, base64url
    header = jwt.get_unverified_header(tokens["access_token"])
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert header["alg"] == "ES256"
    assert header["typ"] == "at+jwt"
    assert claims["sub"] == account_id
    assert claims["iss"] == claims["aud"] == "avatar-api"
    assert claims["exp"] - claims["iat"] == 900
    assert {"jti", "sid", "nbf"} <= claims.keys()


async def test_the_address_is_case_insensitive(client: httpx.AsyncClient) -> None:
    email = unique_email()
    await sign_up(client, email=email)

    assert (await log_in(client, email.upper())).status_code == 200


async def test_any_user_agent_header_is_kept_printable_not_refused(client: httpx.AsyncClient) -> None:
    """A header may hold any byte (a NUL made the session insert fail: a 400 for a login)."""
    account = await new_account(client)
    response = await client.post(
        "/api/v1/auth/login",
        json={"email": account.email, "password": account.password},
        headers=[(b"user-agent", b"agent\x00\x01/1.0 " + b"x" * 400)],
    )

    assert response.status_code == 200
    sessions = (await client.get("/api/v1/auth/sessions", headers=bearer(response.json()["access_token"]))).json()
    agents = [session["user_agent"] for session in sessions["data"] if session["current"]]
    assert agents == ["agent /1.0 " + "x" * 245]


async def test_unknown_address_and_wrong_password_are_the_same_401(client: httpx.AsyncClient) -> None:
    email = unique_email()
    await sign_up(client, email=email)

    wrong_password = await log_in(client, email, "not the password at all")
    unknown_email = await log_in(client, unique_email(), PASSWORD)

    for response in (wrong_password, unknown_email):
        problem = assert_problem(response, 401, "invalid_credentials")
        assert response.headers["www-authenticate"] == 'Bearer realm="avatar-api"'
        assert problem["detail"] == "The e-mail address or the password is wrong."


async def test_a_deleted_account_cannot_log_in(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    await delete_account(client, account)

    assert_problem(await log_in(client, account.email), 401, "invalid_credentials")


async def test_login_uses_the_strict_policy(settings: Settings) -> None:
    strict = settings.with_changes(rate_limit_auth="3/minute")
    async with running_app(create_app(strict)) as client:
        statuses = [(await log_in(client, unique_email())).status_code for _ in range(4)]
        other_routes = await client.get("/api/v1/auth/.well-known/jwks.json")

    assert statuses == [401, 401, 401, 429]
    assert other_routes.status_code == 200


async def test_repeated_failures_lock_the_account_whoever_tries(settings: Settings) -> None:
    # Many addresses (behind a trusted proxy), one account: the account's own budget runs out.
    trusting = settings.with_changes(login_failures_per_account="3/hour", trusted_proxies=("203.0.113.0/24",))
    async with running_app(create_app(trusting)) as client:
        email = unique_email()
        await sign_up(client, email=email)
        failures = [
            (await log_in(client, email, "wrong password!", **{"X-Forwarded-For": f"198.51.100.{i}"})).status_code
            for i in range(3)
        ]
        locked = await log_in(client, email, PASSWORD, **{"X-Forwarded-For": "198.51.100.99"})
        other_account = await log_in(client, unique_email(), PASSWORD, **{"X-Forwarded-For": "198.51.100.99"})

    assert failures == [401, 401, 401]
    assert_problem(locked, 429, "too_many_failed_logins")
    assert 0 < int(locked.headers["retry-after"]) <= 3600
    assert other_account.status_code == 401  # other accounts are unaffected


async def test_a_hash_with_old_parameters_is_upgraded_on_login(settings: Settings, database_url: str) -> None:
    async with running_app(create_app(settings)) as client:
        email = unique_email()
        await sign_up(client, email=email)
    old_hash = await _password_hash(database_url, email)

    stronger = settings.with_changes(password_hash_memory_kib=64, password_hash_time_cost=2)
    async with running_app(create_app(stronger)) as client:
        assert (await log_in(client, email)).status_code == 200
    new_hash = await _password_hash(database_url, email)

    assert "m=8,t=1" in old_hash
    assert "m=64,t=2" in new_hash
    async with running_app(create_app(stronger)) as client:
        assert (await log_in(client, email)).status_code == 200  # the upgraded hash verifies


async def test_logins_never_block_the_event_loop(settings: Settings) -> None:
    """50 concurrent logins with real-cost Argon2 while liveness is polled: the probes keep
    answering during the logins, instead of queueing behind them."""
    # 50 checks in flight at once need a budget of 50: a check holds its place until it is known to have passed.
    real_cost = settings.with_changes(
        password_hash_memory_kib=19_456,
        password_hash_time_cost=2,
        rate_limit_auth="1000/minute",
        login_failures_per_account="50/hour",
    )
    async with running_app(create_app(real_cost)) as client:
        email = unique_email()
        await sign_up(client, email=email)
        logins_done = asyncio.Event()
        probes_during_logins = 0

        async def poll_liveness() -> None:
            nonlocal probes_during_logins
            while not logins_done.is_set():
                assert (await client.get("/health/live")).status_code == 200
                probes_during_logins += 1
                await asyncio.sleep(0.01)

        poller = asyncio.create_task(poll_liveness())
        started = time.monotonic()
        results = await asyncio.gather(*(log_in(client, email) for _ in range(50)))
        elapsed = time.monotonic() - started
        logins_done.set()
        await poller

    assert [r.status_code for r in results] == [200] * 50
    # A blocked loop would answer at most a couple of probes; a free one answers throughout.
    assert probes_during_logins >= min(10, int(elapsed / 0.05))


class SpyHasher:
    """Records what the handler asks of the password hasher."""

    def __init__(self) -> None:
        self.verified: list[str | None] = []

    async def verify(self, stored_hash: str | None, password: str) -> Verification:
        self.verified.append(stored_hash)
        return Verification(matches=False, needs_rehash=False)

    async def hash(self, password: str) -> str:
        raise AssertionError("a failed login hashes nothing")


async def test_an_unknown_account_costs_a_full_verification(settings: Settings, database_url: str) -> None:
    """Same work for unknown address and wrong password: both verify one hash (a dummy
    one for the unknown address), so response time does not tell which it was."""
    from src.core.data.database import Database, create_pool
    from src.core.security.keys import SigningKeys

    spy = SpyHasher()
    pool = await create_pool(settings, database_url)
    database = Database(pool, acquire_timeout=2, release_timeout=2)
    tokens = TokenService(SigningKeys(settings.jwt_private_key.encode()), settings)  # type: ignore[union-attr]
    command = LogIn(
        email=unique_email(),
        password=PASSWORD,
        user_agent=None,
        refresh_ttl_seconds=60,
        session_max_age_seconds=600,
        mfa_challenge_ttl_seconds=300,
    )
    try:
        failed: Any = None
        try:
            await log_in_handler(
                command,
                database=database,
                passwords=spy,  # type: ignore[arg-type]
                tokens=tokens,
                password_checks=PasswordChecks(MemoryRateCounter(), RatePolicy.parse("checks", "100/minute")),
            )
        except Exception as exc:  # noqa: BLE001 - the outcome under test is the exception
            failed = exc
    finally:
        await pool.close()

    assert spy.verified == [None]  # verified once, against the hasher's dummy hash
    assert getattr(failed, "code", None) == "invalid_credentials"


async def test_dummy_verification_really_runs_argon2(settings: Settings) -> None:
    hasher = PasswordHasher(settings.with_changes(password_hash_memory_kib=19_456, password_hash_time_cost=2))
    real_hash = await hasher.hash(PASSWORD)

    started = time.perf_counter()
    unknown = await hasher.verify(None, PASSWORD)
    dummy_time = time.perf_counter() - started
    started = time.perf_counter()
    wrong = await hasher.verify(real_hash, "wrong password")
    real_time = time.perf_counter() - started

    assert not unknown.matches
    assert not wrong.matches
    # Both ran the same Argon2 work: same order of magnitude, far above a no-op.
    assert dummy_time > real_time / 5


async def test_the_dummy_hash_has_the_parameters_of_real_ones(settings: Settings) -> None:
    tuned = settings.with_changes(password_hash_memory_kib=19_456, password_hash_time_cost=3)
    hasher = PasswordHasher(tuned)
    real_hash = await hasher.hash(PASSWORD)

    assert extract_parameters(hasher._dummy_hash) == extract_parameters(real_hash)
    assert hasher._dummy_hash != PasswordHasher(tuned)._dummy_hash  # a fresh random salt and digest each time


async def test_no_secret_or_address_in_the_logs(client: httpx.AsyncClient, logs: LogSink) -> None:
    account = await new_account(client, password="a singular secret pass")
    await log_in(client, account.email, "another singular secret")
    await client.get("/api/v1/users/me", headers=account.headers)

    for secret in (
        "a singular secret pass",
        "another singular secret",
        account.email,
        account.refresh_token,
        account.tokens["access_token"],
    ):
        assert secret not in logs.text


async def _password_hash(dsn: str, email: str) -> str:
    connection = await asyncpg.connect(dsn)
    try:
        value: str = await connection.fetchval("SELECT password_hash FROM users WHERE email = $1", email)
        return value
    finally:
        await connection.close()


async def _burst(client: httpx.AsyncClient, email: str, *, wrong: int) -> list[int]:
    """`wrong` concurrent wrong guesses with the right password among them."""
    guesses = [f"wrong guess {index}" for index in range(wrong)]
    guesses.insert(wrong // 2, PASSWORD)
    responses = await asyncio.gather(*(log_in(client, email, guess) for guess in guesses))
    return [response.status_code for response in responses]


async def test_concurrent_guesses_get_no_more_password_checks_than_the_budget(settings: Settings) -> None:
    """The budget is reserved before each check: 80 concurrent wrong logins (limit 20) gave
    68 checks and let the correct guess in when the count was read first and written after."""
    budget = settings.with_changes(login_failures_per_account="20/hour", password_hash_queue=200)
    async with running_app(create_app(budget)) as client:
        email = unique_email()
        await sign_up(client, email=email)
        statuses = await _burst(client, email, wrong=80)

    checked = [status for status in statuses if status != 429]
    assert statuses.count(401) <= 20
    assert len(checked) <= 21  # 20 failures at most, and the right guess if it got a place
    assert set(statuses) <= {200, 401, 429}


async def test_the_budget_holds_under_concurrency_across_instances_over_redis(
    shared_redis_settings: Settings,
) -> None:
    shared = shared_redis_settings.with_changes(login_failures_per_account="20/hour", password_hash_queue=200)
    async with running_app(create_app(shared)) as first, running_app(create_app(shared)) as second:
        email = unique_email()
        await sign_up(first, email=email)
        statuses = [
            status
            for batch in await asyncio.gather(_burst(first, email, wrong=30), _burst(second, email, wrong=30))
            for status in batch
        ]

    assert statuses.count(401) <= 20
    assert len([status for status in statuses if status != 429]) <= 22
