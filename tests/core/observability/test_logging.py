"""Logs are structured and never carry a password, token, secret or full e-mail."""

from __future__ import annotations

import logging

import httpx

from src.core.observability.logging import get_logger, mask_email, scrub_sensitive
from tests.support.logs import LogSink


def test_sensitive_keys_are_redacted_at_any_depth() -> None:
    event = scrub_sensitive(
        None,
        "info",
        {
            "event": "x",
            "password": "hunter2",
            "headers": {"Authorization": "Bearer abc", "accept": "json"},
            "nested": [{"refresh_token": "r1"}],
            "database_url": "postgresql://u:p@h/db",
        },
    )

    assert event["password"] == "[redacted]"
    assert event["headers"] == {"Authorization": "[redacted]", "accept": "json"}
    assert event["nested"] == [{"refresh_token": "[redacted]"}]
    assert event["database_url"] == "[redacted]"


def test_emails_are_masked_wherever_they_appear() -> None:
    assert mask_email("user alice.smith@example.com signed up") == "user a***@example.com signed up"
    event = scrub_sensitive(None, "info", {"event": "x", "email": "bob@example.org", "note": ["c@d.io"]})
    assert event["email"] == "b***@example.org"
    assert event["note"] == ["c***@d.io"]


def test_structlog_and_stdlib_lines_are_json_with_the_same_scrubbing(logs: LogSink) -> None:
    get_logger(component="test").info("structlog_line", password="p4ss", email="eve@example.com")
    logging.getLogger("some.library").warning("stdlib line for %s", "mallory@example.com")

    structlog_line, stdlib_line = logs.records()
    assert structlog_line["password"] == "[redacted]"
    assert structlog_line["email"] == "e***@example.com"
    assert stdlib_line["event"] == "stdlib line for m***@example.com"
    assert stdlib_line["logger"] == "some.library"
    assert stdlib_line["level"] == "warning"


async def test_credentials_sent_in_a_request_never_reach_the_logs(
    probe_client: httpx.AsyncClient, logs: LogSink
) -> None:
    secret_values = ["Bearer super-secret-token", "correct horse battery staple", "carol.secret@example.com"]

    await probe_client.post(
        "/api/v1/probe/echo",
        json={"name": "x", "count": 1, "tags": [secret_values[1], secret_values[2]]},
        headers={"Authorization": secret_values[0], "Cookie": "session=super-secret-token"},
    )
    await probe_client.get("/api/v1/probe/boom", headers={"Authorization": secret_values[0]})

    captured = logs.text
    assert captured  # the requests were logged...
    for value in [*secret_values, "super-secret-token"]:
        assert value not in captured  # ...without any credential


def test_a_failed_close_of_an_expired_connection_is_one_warning(logs: LogSink) -> None:
    """asyncpg closes expired pool connections in tasks nobody awaits; after a failover the
    close of a dropped connection fails, and asyncio logged an error with a traceback."""
    message = "Task exception was never retrieved\nfuture: <Task finished coro=<Connection.close() done>>"
    logging.getLogger("asyncio").error(message, exc_info=BrokenPipeError(32, "Broken pipe"))
    logging.getLogger("asyncio").error("Task exception was never retrieved", exc_info=ValueError("a real bug"))

    records = logs.records()
    assert [record["event"] for record in records if record["level"] == "warning"] == [
        "expired_connection_close_failed"
    ]
    errors = [record for record in records if record["level"] == "error"]
    assert len(errors) == 1
    assert "Connection.close()" not in errors[0]["event"]  # other task failures stay errors
