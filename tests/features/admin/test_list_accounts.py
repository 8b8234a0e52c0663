"""Finding accounts: by e-mail prefix, role and state, newest first, in cursor pages."""

from __future__ import annotations

import httpx

from tests.support.accounts import new_account
from tests.support.problems import assert_problem
from tests.support.staff import ADMIN, new_staff, suspend


async def test_accounts_are_found_by_prefix_role_and_state_in_pages(
    client: httpx.AsyncClient, database_url: str
) -> None:
    admin = await new_staff(client, database_url, "admin")
    moderator = await new_staff(client, database_url, "moderator")
    members = [await new_account(client) for _ in range(3)]
    assert (await suspend(client, admin, members[0])).status_code == 200

    everyone = (await client.get(f"{ADMIN}/accounts", headers=moderator.headers)).json()
    ids = [account["id"] for account in everyone["data"]]
    assert ids == [members[2].id, members[1].id, members[0].id, moderator.id, admin.id]  # newest first
    by_prefix = await client.get(
        f"{ADMIN}/accounts", params={"email_prefix": members[1].email[:17].upper()}, headers=moderator.headers
    )
    assert [account["id"] for account in by_prefix.json()["data"]] == [members[1].id]
    suspended = await client.get(f"{ADMIN}/accounts", params={"state": "suspended"}, headers=moderator.headers)
    assert [(a["id"], a["state"]) for a in suspended.json()["data"]] == [(members[0].id, "suspended")]
    active = await client.get(f"{ADMIN}/accounts", params={"state": "active"}, headers=moderator.headers)
    assert members[0].id not in {a["id"] for a in active.json()["data"]}
    staff = await client.get(f"{ADMIN}/accounts", params={"role": "moderator"}, headers=moderator.headers)
    assert [a["id"] for a in staff.json()["data"]] == [moderator.id]

    seen: list[str] = []
    params: dict[str, str | int] = {"limit": 2}
    while True:
        page = (await client.get(f"{ADMIN}/accounts", params=params, headers=moderator.headers)).json()
        seen += [account["id"] for account in page["data"]]
        if page["meta"]["next_cursor"] is None:
            break
        params = {"limit": 2, "cursor": page["meta"]["next_cursor"]}
    assert seen == ids
    # A cursor belongs to its filters.
    first = (await client.get(f"{ADMIN}/accounts", params={"limit": 1}, headers=moderator.headers)).json()
    moved = await client.get(
        f"{ADMIN}/accounts",
        params={"limit": 1, "role": "user", "cursor": first["meta"]["next_cursor"]},
        headers=moderator.headers,
    )
    assert_problem(moved, 400, "invalid_cursor")
    assert_problem(
        await client.get(f"{ADMIN}/accounts", params={"state": "gone"}, headers=moderator.headers),
        400,
        "validation_failed",
    )
