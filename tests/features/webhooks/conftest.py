"""Webhook tests: the app may call 127.0.0.1 (where the receiver listens) and nothing
else internal; retries are seconds apart instead of minutes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar import Litestar

from src.app import create_app
from src.core.settings import Settings
from tests.support.webhooks import Canary, Receiver, StubResolver, webhook_settings


@pytest.fixture
def settings(database_url: str) -> Settings:
    return webhook_settings(database_url)


@pytest.fixture
def resolver() -> StubResolver:
    return StubResolver()


@pytest.fixture
def app(settings: Settings, resolver: StubResolver) -> Litestar:
    return create_app(settings, resolve=resolver)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver() as server:
        yield server


@pytest.fixture
async def canary() -> AsyncIterator[Canary]:
    async with Canary() as listener:
        yield listener
