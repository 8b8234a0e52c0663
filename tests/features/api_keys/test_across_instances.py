"""API keys on three instances of the service sharing one database: a revocation made
through one is refused by the others, at once for writes and within a second for reads;
each key counts against the rate limit alone."""

from __future__ import annotations

import asyncio

from src.app import create_app
from src.core.settings import Settings
from tests.support.accounts import new_account
from tests.support.api_keys import API_KEYS, new_api_key
from tests.support.avatars import AVATARS, new_avatar
from tests.support.http import running_app
from tests.support.problems import assert_problem

READ_STALENESS_S = 1.0  # VerifiedKeys' default time


async def test_a_key_revoked_on_one_instance_is_refused_by_the_others(settings: Settings) -> None:
    async with (
        running_app(create_app(settings)) as one,
        running_app(create_app(settings)) as two,
        running_app(create_app(settings)) as three,
    ):
        owner = await new_account(one)
        avatar = await new_avatar(one, owner)
        headers, created = await new_api_key(one, owner, "avatars:read", "avatars:write")
        read = f"{AVATARS}/{avatar['id']}"
        for instance in (two, three):  # each has verified the key, and remembers it
            assert (await instance.get(read, headers=headers)).status_code == 200

        assert (await one.delete(f"{API_KEYS}/{created['id']}", headers=owner.headers)).status_code == 204

        assert_problem(await one.get(read, headers=headers), 401, "invalid_token")
        for instance in (two, three):
            write = await instance.post(AVATARS, json={"name": "Late", "color": "#000000"}, headers=headers)
            assert_problem(write, 401, "invalid_token")  # writes never rely on the remembered key
        await asyncio.sleep(READ_STALENESS_S)
        for instance in (two, three):
            assert_problem(await instance.get(read, headers=headers), 401, "invalid_token")


async def test_each_key_has_a_rate_limit_of_its_own(settings: Settings) -> None:
    tight = settings.with_changes(rate_limit_default="3/minute")
    async with running_app(create_app(tight)) as one, running_app(create_app(tight)) as two:
        owner = await new_account(one)
        first, _ = await new_api_key(one, owner, "account:read")
        second, _ = await new_api_key(one, owner, "account:read")
        # A key counts by its address until the worker has verified it (its first request).
        statuses = [(await one.get("/api/v1/users/me", headers=first)).status_code for _ in range(5)]
        assert statuses == [200, 200, 200, 200, 429]
        assert (await one.get("/api/v1/users/me", headers=second)).status_code == 200
        assert (await one.get("/api/v1/users/me", headers=owner.headers)).status_code == 200  # the user's own
        assert (await two.get("/api/v1/users/me", headers=first)).status_code == 200  # no Redis: per instance
