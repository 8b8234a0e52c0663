from __future__ import annotations

import xml.etree.ElementTree as ET

import httpx
import pytest

from src.features.avatars.get_avatar_image.handler import render_svg, text_color_for
from tests.support.accounts import new_account
from tests.support.avatars import AVATARS, new_avatar
from tests.support.problems import assert_problem

SVG = "{http://www.w3.org/2000/svg}"


async def test_draws_the_avatar_as_cacheable_svg(client: httpx.AsyncClient) -> None:
    owner = await new_account(client)
    avatar = await new_avatar(client, owner, name="Grace Hopper", color="#1A1A2E")

    response = await client.get(f"{AVATARS}/{avatar['id']}/image.svg")

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.headers["cache-control"] == "public, max-age=60"
    assert response.headers["etag"] == '"v1-svg"'
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    root = ET.fromstring(response.content)  # noqa: S314 - our own output under test
    assert root.find(f"{SVG}rect").get("fill") == "#1A1A2E"  # type: ignore[union-attr]
    text = root.find(f"{SVG}text")
    assert text is not None
    assert text.text == "GH"
    assert text.get("fill") == "#FFFFFF"  # light text on a dark background
    assert root.find(f"{SVG}title").text == "Grace Hopper"  # type: ignore[union-attr]


async def test_if_none_match_is_answered_304_until_the_avatar_changes(client: httpx.AsyncClient) -> None:
    owner = await new_account(client)
    avatar = await new_avatar(client, owner)
    url = f"{AVATARS}/{avatar['id']}/image.svg"
    etag = (await client.get(url)).headers["etag"]

    cached = await client.get(url, headers={"If-None-Match": etag})
    weak = await client.get(url, headers={"If-None-Match": f'"other", W/{etag}'})
    await client.patch(f"{AVATARS}/{avatar['id']}", json={"color": "#FFFFFF"}, headers=owner.headers)
    changed = await client.get(url, headers={"If-None-Match": etag})

    assert cached.status_code == weak.status_code == 304
    assert cached.content == b""
    assert cached.headers["etag"] == etag
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag


@pytest.mark.parametrize(
    "name",
    ["<script>alert(1)</script>", '"/><foreignObject><body onload="alert(1)"/>', "a & b ' c", "Ω \ufffe\U0001f600"],
)
async def test_names_cannot_inject_markup(client: httpx.AsyncClient, name: str) -> None:
    owner = await new_account(client)
    avatar = await new_avatar(client, owner, name=name)

    svg = (await client.get(f"{AVATARS}/{avatar['id']}/image.svg")).content

    root = ET.fromstring(svg)  # noqa: S314 - parses: nothing broke out of its place
    assert [element.tag for element in root] == [f"{SVG}title", f"{SVG}rect", f"{SVG}text"]
    assert b"<script" not in svg
    assert b"<foreignObject" not in svg
    assert root.find(f"{SVG}title").text == name.replace("\ufffe", "")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("background", "text"),
    [
        ("#FFFFFF", "#000000"),
        ("#000000", "#FFFFFF"),
        ("#FFFF00", "#000000"),
        ("#0000FF", "#FFFFFF"),
        ("#777777", "#000000"),
    ],
)
def test_text_colour_is_whichever_contrasts_more(background: str, text: str) -> None:
    assert text_color_for(background) == text


def test_initials_of_one_word_and_of_many() -> None:
    assert b">A</text>" in render_svg("ada", "#000000")
    assert b">AB</text>" in render_svg("ada bob carol", "#000000")


async def test_deleted_avatars_have_no_image(client: httpx.AsyncClient) -> None:
    owner = await new_account(client)
    avatar = await new_avatar(client, owner)
    await client.delete(f"{AVATARS}/{avatar['id']}", headers=owner.headers)

    assert_problem(await client.get(f"{AVATARS}/{avatar['id']}/image.svg"), 404, "not_found")
