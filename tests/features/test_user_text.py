"""Text people write: every field shows at least one visible character, none spoofs its
direction, and width variants of one e-mail address are one account."""

from __future__ import annotations

import httpx
import pytest

from tests.support.accounts import log_in, new_account, sign_up, unique_email
from tests.support.avatars import AVATARS, new_avatar
from tests.support.problems import assert_problem

INVISIBLE_NAMES = ["\u200d", "\u2800", "\u3164", "\u00ad", "\u200d\u2800\u3164", "\ufe0f", " \u115f "]
BIDI_SPOOFS = ["Ada\u202egnp.exe", "\u202aAda", "A\u202bd\u202ca", "\u2066Ada\u2069", "Ada\u2067", "x\u2068y"]


@pytest.mark.parametrize("name", INVISIBLE_NAMES + BIDI_SPOOFS)
async def test_avatar_and_display_names_refuse_invisible_or_direction_spoofing_text(
    client: httpx.AsyncClient, name: str
) -> None:
    owner = await new_account(client)
    avatar = await new_avatar(client, owner)
    attempts = [
        await client.post(AVATARS, json={"name": name, "color": "#000000"}, headers=owner.headers),
        await client.patch(f"{AVATARS}/{avatar['id']}", json={"name": name}, headers=owner.headers),
        await client.patch("/api/v1/users/me", json={"display_name": name}, headers=owner.headers),
        await sign_up(client, display_name=name),
    ]
    for response in attempts:
        problem = assert_problem(response, 400, "validation_failed")
        assert problem["errors"][0]["pointer"] in {"#/name", "#/display_name"}


@pytest.mark.parametrize(
    "name",
    [
        "Ada Lovelace",
        "  Ada  ",
        "\u05d0\u05d3\u05d4",
        "\u2764\ufe0f",
        "\U0001f468\u200d\U0001f469\u200d\U0001f467",
        "a\u200eb",
    ],
)
async def test_names_in_any_script_emoji_included_are_accepted(client: httpx.AsyncClient, name: str) -> None:
    owner = await new_account(client)
    response = await client.post(AVATARS, json={"name": name, "color": "#000000"}, headers=owner.headers)

    assert response.status_code == 201, response.text
    assert response.json()["name"] == name.strip()


@pytest.mark.parametrize("description", ["Sync \u202eto CRM", "\u2066isolated\u2069"])
async def test_descriptions_refuse_bidi_controls(client: httpx.AsyncClient, description: str) -> None:
    owner = await new_account(client)
    body = {"url": "https://example.com/hooks", "events": ["avatar.created"], "description": description}
    problem = assert_problem(
        await client.post("/api/v1/webhooks", json=body, headers=owner.headers), 400, "validation_failed"
    )
    assert problem["errors"][0]["pointer"] == "#/description"


async def test_width_variants_of_an_address_are_one_account(client: httpx.AsyncClient) -> None:
    email = unique_email("ada")
    local, _, domain = email.partition("@")
    full_width = "".join(chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char for char in local) + "@" + domain
    assert full_width != email

    assert (await sign_up(client, email=email)).status_code == 201
    assert_problem(await sign_up(client, email=full_width), 409, "email_taken")
    assert (await log_in(client, full_width.upper())).status_code == 200


@pytest.mark.parametrize("email", ["ada\u200b@example.com", "ada@exa\u202emple.com", "\u2066ada@example.com"])
async def test_addresses_refuse_invisible_and_bidi_characters(client: httpx.AsyncClient, email: str) -> None:
    problem = assert_problem(await sign_up(client, email=email), 400, "validation_failed")
    assert problem["errors"][0]["pointer"] == "#/email"
