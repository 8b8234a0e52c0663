"""Hiding an avatar: 404 to everyone but its owner, who sees it marked hidden; restoring it."""

from __future__ import annotations

import httpx

from tests.support.accounts import new_account
from tests.support.avatars import AVATARS, events_of, new_avatar
from tests.support.problems import assert_problem
from tests.support.staff import ADMIN, new_staff


async def test_a_hidden_avatar_is_seen_by_its_owner_alone_until_restored(
    client: httpx.AsyncClient, database_url: str
) -> None:
    moderator = await new_staff(client, database_url, "moderator")
    owner = await new_account(client)
    viewer = await new_account(client)
    avatar = await new_avatar(client, owner, name="Borderline")
    kept = await new_avatar(client, owner, name="Fine")
    path = f"{AVATARS}/{avatar['id']}"
    assert (await client.put(f"{path}/like", headers=viewer.headers)).status_code == 204

    hidden = await client.post(
        f"{ADMIN}/avatars/{avatar['id']}/hide", json={"reason": "Offensive"}, headers=moderator.headers
    )

    assert hidden.status_code == 200, hidden.text
    assert (hidden.json()["hidden"], hidden.json()["hidden_reason"]) == (True, "Offensive")
    for headers in ({}, viewer.headers, moderator.headers):
        assert_problem(await client.get(path, headers=headers), 404, "not_found")
    assert (await client.get(f"{path}/image.svg")).status_code == 404
    assert (await client.delete(f"{path}/like", headers=viewer.headers)).status_code == 404
    assert (await client.patch(path, json={"name": "x"}, headers=viewer.headers)).status_code == 404
    others_list = (await client.get(AVATARS, params={"owner_id": owner.id}, headers=viewer.headers)).json()
    assert [each["id"] for each in others_list["data"]] == [kept["id"]]
    # The owner still sees it, marked hidden, in the list and alone, and may edit it.
    mine = await client.get(path, headers=owner.headers)
    assert (mine.status_code, mine.json()["hidden"]) == (200, True)
    own_list = (await client.get(AVATARS, params={"owner_id": owner.id}, headers=owner.headers)).json()
    assert [(each["id"], each["hidden"]) for each in own_list["data"]] == [(kept["id"], False), (avatar["id"], True)]
    assert (await client.patch(path, json={"name": "Softened"}, headers=owner.headers)).status_code == 200
    # The owner's events say so, with the reason and without the moderator.
    events = await events_of(database_url, avatar["id"])
    assert [event_type for event_type, _ in events][-2:] == ["avatar.hidden", "avatar.updated"]
    assert events[-2][1] == {"avatar": {"id": avatar["id"], "name": "Borderline"}, "reason": "Offensive"}

    assert_problem(
        await client.post(f"{ADMIN}/avatars/{avatar['id']}/hide", json={"reason": "again"}, headers=moderator.headers),
        409,
        "already_hidden",
    )
    restored = await client.post(
        f"{ADMIN}/avatars/{avatar['id']}/restore", json={"reason": "Edited"}, headers=moderator.headers
    )

    assert (restored.status_code, restored.json()["hidden"]) == (200, False)
    seen = await client.get(path, headers=viewer.headers)
    assert (seen.status_code, seen.json()["hidden"], seen.json()["name"]) == (200, False, "Softened")
    assert (await client.get(f"{path}/image.svg")).status_code == 200
    assert [event_type for event_type, _ in await events_of(database_url, avatar["id"])][-1] == "avatar.restored"
    assert_problem(
        await client.post(f"{ADMIN}/avatars/{avatar['id']}/restore", json={"reason": "x"}, headers=moderator.headers),
        409,
        "not_hidden",
    )
    missing = await client.post(
        f"{ADMIN}/avatars/0190a0a0-0000-7000-8000-000000000000/hide", json={"reason": "x"}, headers=moderator.headers
    )
    assert_problem(missing, 404, "not_found")
