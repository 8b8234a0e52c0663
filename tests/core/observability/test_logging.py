"""Logs are structured and never carry a password, token, secret or full e-mail."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from collections.abc import Iterator

import httpx
import msgspec
import pytest

from src.core.observability.logging import (
    configure_logging,
    flush_logs,
    get_logger,
    log_request,
    loggable_user_agent,
    mask_email,
    scrub_sensitive,
)
from src.core.observability.request_context import TraceIds, bind_request_id, set_trace_source, unbind_request_id
from src.core.settings import PROJECT_ROOT, SettingsError, load_settings
from tests.conftest import base_settings
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
    assert stdlib_line["message"] == "stdlib line for m***@example.com"
    assert stdlib_line["logger"] == "some.library"
    assert stdlib_line["severity"] == "WARNING"


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
    assert [record["message"] for record in records if record["severity"] == "WARNING"] == [
        "expired_connection_close_failed"
    ]
    errors = [record for record in records if record["severity"] == "ERROR"]
    assert len(errors) == 1
    assert "Connection.close()" not in errors[0]["message"]  # other task failures stay errors


RFC3339_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
SEVERITIES = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}


def test_json_lines_carry_the_fields_log_platforms_read(logs: LogSink) -> None:
    """Cloud Logging, ECS and Datadog read `severity` and `message` as they are; every line
    starts with the same four fields."""
    get_logger(component="test").info("structlog_line", detail="x")
    logging.getLogger("some.library").error("stdlib line")

    ours, library = logs.records()
    assert list(ours)[:4] == ["time", "severity", "logger", "message"]
    assert ours["severity"] == "INFO"
    assert ours["logger"] == "avatar_api.test"
    assert ours["message"] == "structlog_line"
    assert ours["detail"] == "x"
    assert RFC3339_UTC.fullmatch(ours["time"])
    assert list(library)[:4] == ["time", "severity", "logger", "message"]
    assert (library["severity"], library["logger"], library["message"]) == ("ERROR", "some.library", "stdlib line")
    assert RFC3339_UTC.fullmatch(library["time"])
    for line in (ours, library):
        assert not {"event", "level", "timestamp", "component"} & line.keys()


def test_severities_are_the_names_platforms_understand(logs: LogSink) -> None:
    log = get_logger(component="test")
    log.info("i")
    log.warning("w")
    log.error("e")
    log.critical("c")
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("x")
    library = logging.getLogger("some.library")
    library.warning("lw")
    library.critical("lc")

    assert [(line["message"], line["severity"]) for line in logs.records()] == [
        ("i", "INFO"),
        ("w", "WARNING"),
        ("e", "ERROR"),
        ("c", "CRITICAL"),
        ("x", "ERROR"),
        ("lw", "WARNING"),
        ("lc", "CRITICAL"),
    ]
    assert all(line["severity"] in SEVERITIES for line in logs.records())


async def test_the_access_line_names_the_route_and_carries_user_agent_and_bytes(
    client: httpx.AsyncClient, logs: LogSink
) -> None:
    agent = "Mozilla/5.0 (compatible; CrawlBot/2.1; +mailto:ops.team@crawler.example)\x1b[31m\r\n" + "x" * 400
    avatar = "/api/v1/avatars/01a23580-0000-7000-8000-000000000000"
    missing = await client.get(avatar, headers={"User-Agent": agent, "X-Request-ID": "ua-1"})
    live = await client.get("/health/live", headers={"X-Request-ID": "ua-2"})
    head = await client.head("/health/live", headers={"X-Request-ID": "ua-3", "User-Agent": "curl/8.5.0"})

    lines = {line["request_id"]: line for line in logs.events("request")}
    first = lines["ua-1"]
    assert first["route"] == "/api/v1/avatars/{avatar_id}"
    assert "path" not in first  # ids stay out of the access line
    assert first["status"] == 404
    assert first["response_bytes"] == len(missing.content) > 0
    logged_agent = first["user_agent"]
    assert logged_agent.startswith("Mozilla/5.0 (compatible; CrawlBot/2.1; +mailto:o***@crawler.example)[31m")
    assert len(logged_agent.encode()) <= 256
    assert logged_agent.isprintable()
    assert "ops.team@" not in logs.text
    assert lines["ua-2"]["response_bytes"] == len(live.content) > 0
    assert lines["ua-2"]["user_agent"].startswith("python-httpx/")
    assert lines["ua-3"]["response_bytes"] == 0 == len(head.content)
    assert lines["ua-3"]["user_agent"] == "curl/8.5.0"
    assert list(first)[:4] == ["time", "severity", "logger", "message"]
    assert (first["severity"], first["logger"]) == ("INFO", "avatar_api.access")


@pytest.fixture
def fixed_trace() -> Iterator[TraceIds]:
    """A trace source, as tracing will register one (core.observability.request_context)."""
    trace = TraceIds(trace_id="4bf92f3577b34da6a3ce929d0e0e4736", span_id="00f067aa0ba902b7", sampled=True)
    set_trace_source(lambda: trace)
    yield trace
    set_trace_source(None)


@pytest.fixture
def google_cloud_project(logs: LogSink) -> Iterator[str]:
    configure_logging(base_settings(google_cloud_project="avatar-prod-1"), stream=logs)
    yield "avatar-prod-1"
    configure_logging(base_settings(), stream=logs)


async def test_lines_carry_the_trace_tracing_supplies_in_the_fields_cloud_logging_links(
    probe_client: httpx.AsyncClient, logs: LogSink, fixed_trace: TraceIds, google_cloud_project: str
) -> None:
    await probe_client.get("/api/v1/probe/log", headers={"X-Request-ID": "traced"})

    (inside,) = logs.events("probe_event")
    (access,) = [line for line in logs.events("request") if line["request_id"] == "traced"]
    for line in (inside, access):
        assert line["trace_id"] == fixed_trace.trace_id
        assert line["span_id"] == fixed_trace.span_id
        assert line["logging.googleapis.com/trace"] == f"projects/{google_cloud_project}/traces/{fixed_trace.trace_id}"
        assert line["logging.googleapis.com/spanId"] == fixed_trace.span_id
        assert line["logging.googleapis.com/trace_sampled"] is True


async def test_without_google_cloud_project_the_trace_ids_alone(
    probe_client: httpx.AsyncClient, logs: LogSink, fixed_trace: TraceIds
) -> None:
    await probe_client.get("/api/v1/probe/log")

    (inside,) = logs.events("probe_event")
    assert inside["trace_id"] == fixed_trace.trace_id
    assert not [key for line in logs.records() for key in line if key.startswith("logging.googleapis.com/")]


async def test_without_tracing_no_trace_fields(
    probe_client: httpx.AsyncClient, logs: LogSink, google_cloud_project: str
) -> None:
    del google_cloud_project
    await probe_client.get("/api/v1/probe/log")

    assert logs.events("probe_event")
    keys = {key for line in logs.records() for key in line}
    assert not {"trace_id", "span_id", "logging.googleapis.com/trace", "logging.googleapis.com/spanId"} & keys


def test_the_console_format_stays_readable_text_for_development(logs: LogSink) -> None:
    sink = LogSink()
    configure_logging(base_settings(log_format="console"), stream=sink)
    try:
        get_logger(component="dev").warning("something_happened", detail=42)
        logging.getLogger("some.library").info("library says hi")
    finally:
        configure_logging(base_settings(), stream=logs)

    text = sink.text
    assert not text.lstrip().startswith("{")
    assert "something_happened" in text
    assert "detail=42" in text
    assert "[warning" in text
    assert "library says hi" in text


@pytest.mark.parametrize(
    ("route", "agent"),
    [("/api/v1/avatars/{avatar_id}", b"curl/8.5.0"), (None, b"Mozilla/5.0 (X11; Linux) it's=quoted"), ("/x", None)],
)
def test_the_console_access_line_is_what_the_console_renderer_writes(
    logs: LogSink, route: str | None, agent: bytes | None
) -> None:
    """The development access line skips structlog's chain (its cost was a quarter of a
    millisecond per request) but must read exactly as the chain would write it."""
    sink = LogSink()
    configure_logging(base_settings(log_format="console"), stream=sink)
    token = bind_request_id("01a23ea5-19ff-73f4-a8d4-7a3185c6e68d")
    try:
        fields = {"method": "GET", "route": route, "status": 200, "duration_ms": 1.04, "client": "127.0.0.1"}
        log_request(**fields, user_agent=agent, response_bytes=15)  # type: ignore[arg-type]
        flush_logs()
        get_logger(component="access").info(
            "request", **fields, response_bytes=15, user_agent=loggable_user_agent(agent)
        )
        flush_logs()
    finally:
        unbind_request_id(token)
        configure_logging(base_settings(), stream=logs)

    fast, chained = sink.text.splitlines()
    timestamp = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z ")
    assert timestamp.match(fast), fast
    assert timestamp.sub("", fast) == timestamp.sub("", chained)


def test_a_process_with_only_granians_log_config_writes_our_shape() -> None:
    """What a Granian worker runs before the app (and our logging) is loaded: its records
    already come out as our JSON lines, from our handler."""
    script = (
        "import logging, logging.config\n"
        "from src.core.observability.logging import granian_log_config\n"
        "from src.core.settings import Settings\n"
        "logging.config.dictConfig(granian_log_config(Settings(app_env='production')))\n"
        "logging.getLogger('_granian').info('Spawning worker-1 with PID: 4242')\n"
        "logging.getLogger('_granian.serve').error('Unexpected exit from worker-1')\n"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, timeout=60, check=True
    )

    assert result.stderr == b""
    spawned, failed = (msgspec.json.decode(line) for line in result.stdout.splitlines())
    assert list(spawned)[:4] == ["time", "severity", "logger", "message"]
    assert (spawned["severity"], spawned["logger"], spawned["message"]) == (
        "INFO",
        "_granian",
        "Spawning worker-1 with PID: 4242",
    )
    assert (failed["severity"], failed["logger"]) == ("ERROR", "_granian.serve")
    assert RFC3339_UTC.fullmatch(failed["time"])


@pytest.mark.parametrize("project", ["avatar-prod-1", "example.com:avatar-prod"])
def test_google_cloud_project_takes_project_ids(project: str) -> None:
    assert load_settings({"GOOGLE_CLOUD_PROJECT": project}).google_cloud_project == project


@pytest.mark.parametrize("project", ["Avatar Prod", "projects/avatar-prod-1", "ab", "avatar-prod-1/traces"])
def test_google_cloud_project_refuses_what_is_not_a_project_id(project: str) -> None:
    with pytest.raises(SettingsError, match="GOOGLE_CLOUD_PROJECT="):
        load_settings({"GOOGLE_CLOUD_PROJECT": project})
