from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from src.app import create_app
from src.core.settings import Settings
from tests.support.http import running_app
from tests.support.mail import MailServer, mail_settings
from tests.support.probe_routes import probe_router


@pytest.fixture
def sending_settings(settings: Settings, mail_server: MailServer) -> Settings:
    return mail_settings(settings, mail_server)


@pytest.fixture
async def mail_client(sending_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app with the probe routes (POST /api/v1/probe/mail queues a message), sending to `mail_server`."""
    async with running_app(create_app(sending_settings, features=[probe_router])) as client:
        yield client
