"""Suspending an account: no sign-in, its sessions and tokens end at once, its avatars are
hidden from everyone else; reinstating undoes it but the sessions. Through HTTP."""

from __future__ import annotations

import httpx

from tests.support.accounts import log_in, new_account
from tests.support.avatars import AVATARS, new_avatar
from tests.support.problems import assert_problem
from tests.support.staff import ADMIN, new_staff, suspend


async def test_a_suspended_account_cannot_act_sign_in_or_refresh_and_its_avatars_vanish(
    client: httpx.AsyncClient, database_url: str
) -> None:
    admin = await new_staff(client, database_url, "admin")
    member = await new_account(client)
    other_device = await log_in(client, member.email)
    viewer = await new_account(client)
    avatar = await new_avatar(client, member, name="Mine")

    suspended = await suspend(client, admin, member, reason="Spam, twice")

    assert suspended.status_code == 200, suspended.text
    account = suspended.json()
    assert (account["state"], account["suspension_reason"], account["avatars_count"]) == ("suspended", "Spam, twice", 1)
    # Every session ended: both devices' access tokens, at once; refresh tokens too.
    for headers in (member.headers, {"Authorization": f"Bearer {other_device.json()['access_token']}"}):
        assert_problem(await client.get("/api/v1/users/me", headers=headers), 401, "invalid_token")
    refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": member.refresh_token})
    assert refreshed.status_code == 401, refreshed.text
    # The right password is told the account is suspended; a wrong one learns nothing.
    assert_problem(await log_in(client, member.email), 403, "account_suspended")
    assert_problem(await log_in(client, member.email, "not the password"), 401, "invalid_credentials")
    token = await client.post(
        "/api/v1/auth/token", data={"grant_type": "password", "username": member.email, "password": member.password}
    )
    assert (token.status_code, token.json()["error"]) == (400, "invalid_grant")
    # Its avatar is gone for everyone else: the page, the image, the lists, a like.
    path = f"{AVATARS}/{avatar['id']}"
    assert (await client.get(path, headers=viewer.headers)).status_code == 404
    assert (await client.get(f"{path}/image.svg")).status_code == 404
    assert (await client.put(f"{path}/like", headers=viewer.headers)).status_code == 404
    listed = (await client.get(AVATARS, params={"owner_id": member.id})).json()
    assert listed["data"] == []

    reinstated = await client.post(
        f"{ADMIN}/accounts/{member.id}/reinstate", json={"reason": "Appeal upheld"}, headers=admin.headers
    )

    assert reinstated.status_code == 200, reinstated.text
    assert (reinstated.json()["state"], reinstated.json()["suspended_at"]) == ("active", None)
    assert (await client.get(path, headers=viewer.headers)).status_code == 200
    # The sessions the suspension ended stay ended; signing in works again.
    assert_problem(await client.get("/api/v1/users/me", headers=member.headers), 401, "invalid_token")
    assert (await log_in(client, member.email)).status_code == 200


async def test_suspension_refusals(client: httpx.AsyncClient, database_url: str) -> None:
    admin = await new_staff(client, database_url, "admin")
    member = await new_account(client)

    assert_problem(await suspend(client, admin, admin), 409, "cannot_suspend_self")
    assert (await suspend(client, admin, member)).status_code == 200
    assert_problem(await suspend(client, admin, member), 409, "already_suspended")
    gone = await client.post(
        f"{ADMIN}/accounts/0190a0a0-0000-7000-8000-000000000000/suspend", json={"reason": "x"}, headers=admin.headers
    )
    assert_problem(gone, 404, "not_found")
    other = await new_account(client)
    not_suspended = await client.post(
        f"{ADMIN}/accounts/{other.id}/reinstate", json={"reason": "x"}, headers=admin.headers
    )
    assert_problem(not_suspended, 409, "not_suspended")
    for reason in ("", "x" * 501, "bell\x07"):
        refused = await client.post(
            f"{ADMIN}/accounts/{other.id}/suspend", json={"reason": reason}, headers=admin.headers
        )
        assert_problem(refused, 400, "validation_failed")
    assert (await client.get("/api/v1/users/me", headers=other.headers)).status_code == 200  # nothing happened
