"""SSRF: internal addresses are refused at registration and at every delivery, whatever
the spelling, DNS answer or redirect; a canary on loopback sees no connection at all.

Only 127.0.0.3, where an allow-listed receiver listens, may be called here; the canary
listens on 127.0.0.1 and ::1.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from src.app import create_app
from src.core.settings import Settings
from tests.support.accounts import Account, new_account
from tests.support.avatars import new_avatar
from tests.support.http import running_app
from tests.support.problems import assert_problem
from tests.support.webhooks import (
    ALL_EVENTS,
    WEBHOOKS,
    Canary,
    Receiver,
    Reply,
    StubResolver,
    subscribe,
    wait_for_log,
    webhook_settings,
)

ALLOWED_RECEIVER_HOST = "127.0.0.3"
PUBLIC_ADDRESS = "93.184.215.14"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return webhook_settings(database_url, outbound_allowed_networks=(f"{ALLOWED_RECEIVER_HOST}/32:*",))


@pytest.fixture
def resolver() -> StubResolver:
    return StubResolver({"internal.example": ["127.0.0.1"], "mixed.example": [PUBLIC_ADDRESS, "10.1.2.3"]})


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver(host=ALLOWED_RECEIVER_HOST) as server:
        yield server


def internal_targets(canary: Canary) -> list[str]:
    """Ways to spell an internal address (the ones with a port aim at the canary)."""
    return [
        canary.url("127.0.0.1"),
        canary.url("2130706433"),  # 127.0.0.1 as one decimal number
        canary.url("0x7f.1"),  # hexadecimal, short form
        canary.url("0177.0.0.1"),  # octal
        canary.url("127.1"),
        canary.url("[::1]"),
        canary.url("[::ffff:127.0.0.1]"),  # IPv4-mapped IPv6
        canary.url("[::ffff:7f00:1]"),
        canary.url("[64:ff9b::7f00:1]"),  # NAT64
        canary.url("[2002:7f00:1::]"),  # 6to4
        canary.url("0.0.0.0"),  # noqa: S104 (a destination, not a bind address)
        canary.url("localhost"),
        canary.url("LocalHost."),
        canary.url("internal.example"),  # a name that resolves to loopback
        canary.url("mixed.example"),  # one public and one private address
        "http://10.0.0.1/hook",
        "http://172.16.0.1/hook",
        "http://172.31.255.254/hook",
        "http://192.168.1.1/hook",
        "http://100.64.0.1/hook",  # CGNAT
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://[fd00:ec2::254]/latest/meta-data/",  # AWS metadata over IPv6
        "http://[fe80::1]/hook",
        "http://224.0.0.1/hook",
        "http://255.255.255.255/hook",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://metadata.google.internal./computeMetadata/v1/",
    ]


async def test_internal_targets_are_refused_at_registration(
    client: httpx.AsyncClient, canary: Canary, resolver: StubResolver
) -> None:
    owner = await new_account(client)
    for url in internal_targets(canary):
        response = await client.post(WEBHOOKS, json={"url": url, "events": ALL_EVENTS}, headers=owner.headers)
        body = assert_problem(response, 400, "destination_not_allowed")
        assert body["errors"][0]["pointer"] == "#/url", url
        moved = await client.patch(
            f"{WEBHOOKS}/01900000-0000-7000-8000-000000000000", json={"url": url}, headers=owner.headers
        )
        assert_problem(moved, 400, "destination_not_allowed")
    for url in (
        f"file:///etc/passwd#{canary.port}",
        canary.url("127.0.0.1", scheme="gopher"),
        canary.url("127.0.0.1", scheme="ftp"),
        "javascript:alert(1)//http://x",
    ):
        response = await client.post(WEBHOOKS, json={"url": url, "events": ALL_EVENTS}, headers=owner.headers)
        assert_problem(response, 400, "validation_failed")
    with_credentials = await client.post(
        WEBHOOKS, json={"url": f"http://user:pw@{ALLOWED_RECEIVER_HOST}/", "events": ALL_EVENTS}, headers=owner.headers
    )
    assert_problem(with_credentials, 400, "destination_not_allowed")
    unresolvable = await client.post(
        WEBHOOKS, json={"url": "http://does-not-exist.invalid/", "events": ALL_EVENTS}, headers=owner.headers
    )
    assert_problem(unresolvable, 400, "destination_unresolvable")

    assert (await client.get(WEBHOOKS, headers=owner.headers)).json()["data"] == []
    assert canary.connections == 0
    assert "internal.example" in resolver.asked


async def test_a_name_that_turns_internal_after_registration_is_refused_at_delivery(
    client: httpx.AsyncClient, canary: Canary, resolver: StubResolver
) -> None:
    owner = await new_account(client)
    resolver.answers["rebind.example"] = [PUBLIC_ADDRESS]
    webhook = await subscribe(client, owner, canary.url("rebind.example"), events=["avatar.created"])
    resolver.answers["rebind.example"] = ["127.0.0.1"]  # DNS rebinding

    await new_avatar(client, owner)
    log = await wait_for_log(client, owner, webhook["id"], lambda log: len(log) >= 1)
    assert log[0]["error"] == "blocked_destination"
    assert log[0]["status_code"] is None
    ping = (await client.post(f"{WEBHOOKS}/{webhook['id']}/ping", headers=owner.headers)).json()
    assert (ping["delivered"], ping["error"], ping["attempts"]) == (False, "blocked_destination", 1)
    assert canary.connections == 0


async def test_a_stored_internal_url_is_refused_at_delivery(
    client: httpx.AsyncClient, canary: Canary, receiver: Receiver, database_url: str
) -> None:
    """A row written before a policy change (or by hand) is checked all the same."""
    owner = await new_account(client)
    webhook = await subscribe(client, owner, receiver.url(), events=["avatar.created"])
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            "UPDATE webhook_endpoints SET url = $2 WHERE id = $1", webhook["id"], canary.url("0x7f.1")
        )
    finally:
        await connection.close()

    await new_avatar(client, owner)
    log = await wait_for_log(client, owner, webhook["id"], lambda log: len(log) >= 1)
    assert log[0]["error"] == "blocked_destination"
    ping = (await client.post(f"{WEBHOOKS}/{webhook['id']}/ping", headers=owner.headers)).json()
    assert ping["error"] == "blocked_destination"
    assert canary.connections == 0
    assert receiver.requests == []


async def test_redirects_are_not_followed(client: httpx.AsyncClient, canary: Canary, receiver: Receiver) -> None:
    owner = await new_account(client)
    receiver.answer("/hook", then=Reply(302, headers={"Location": canary.url("127.0.0.1")}))
    webhook = await subscribe(client, owner, receiver.url("/hook"), events=["avatar.created"], receiver=receiver)

    ping = (await client.post(f"{WEBHOOKS}/{webhook['id']}/ping", headers=owner.headers)).json()
    assert (ping["delivered"], ping["status_code"], ping["error"]) == (False, 302, "http_302")
    await new_avatar(client, owner)
    log = await wait_for_log(client, owner, webhook["id"], lambda log: len(log) >= 1)
    assert (log[0]["status_code"], log[0]["error"]) == (302, "http_302")
    assert canary.connections == 0
    assert len(receiver.requests) >= 2


async def test_the_allow_list_is_the_only_way_in(client: httpx.AsyncClient, receiver: Receiver) -> None:
    owner = await new_account(client)
    allowed = await client.post(WEBHOOKS, json={"url": receiver.url(), "events": ALL_EVENTS}, headers=owner.headers)
    assert allowed.status_code == 201
    neighbour = await client.post(
        WEBHOOKS, json={"url": "http://127.0.0.4/hook", "events": ALL_EVENTS}, headers=owner.headers
    )
    assert_problem(neighbour, 400, "destination_not_allowed")


async def test_an_allowed_network_opens_only_the_ports_it_names(settings: Settings, receiver: Receiver) -> None:
    """OUTBOUND_ALLOWED_NETWORKS=127.0.0.1/32 also admitted https://127.0.0.1:6379/ and :5432."""
    port = int(receiver.url().rsplit(":", 1)[1].split("/", 1)[0])
    for allowed in (f"{ALLOWED_RECEIVER_HOST}/32:{port}", f"{ALLOWED_RECEIVER_HOST}/32"):
        narrowed = settings.with_changes(outbound_allowed_networks=(allowed,))
        async with running_app(create_app(narrowed, resolve=StubResolver())) as client:
            owner = await new_account(client)

            async def register(url: str, owner: Account = owner, client: httpx.AsyncClient = client) -> httpx.Response:
                return await client.post(WEBHOOKS, json={"url": url, "events": ALL_EVENTS}, headers=owner.headers)

            for other_port in (6379, 5432):
                refused = await register(f"http://{ALLOWED_RECEIVER_HOST}:{other_port}/")
                assert_problem(refused, 400, "destination_not_allowed")
            named = await register(receiver.url())
            assert named.status_code == (201 if allowed.endswith(f":{port}") else 400), allowed
