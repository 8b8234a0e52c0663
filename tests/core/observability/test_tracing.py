"""Tracing, as a tracing backend sees it: spans exported over OTLP/HTTP to a real receiver
(tests.support.otlp), decoded with opentelemetry-proto.

The app runs in the test's loop with the process's tracing started from OTEL_* variables,
as `app_from_env` does in each worker; tests/test_tracing_served.py runs `api serve`.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from src.app import create_app
from src.core.observability.request_context import current_trace
from src.core.observability.tracing import Tracing, start_tracing
from src.core.settings import Settings
from tests.support.accounts import new_account
from tests.support.avatars import AVATARS, new_avatar
from tests.support.http import running_app
from tests.support.logs import LogSink
from tests.support.otlp import OtlpReceiver, ReceivedSpan, otlp_receiver
from tests.support.webhooks import Receiver, StubResolver, subscribe, webhook_settings


@pytest.fixture
def otlp() -> Iterator[OtlpReceiver]:
    with otlp_receiver() as receiver:
        yield receiver


@pytest.fixture
def tracing(otlp: OtlpReceiver, monkeypatch: pytest.MonkeyPatch) -> Iterator[Tracing]:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.endpoint)
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "50")  # ms: the tests wait for exports
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=test")
    for name in ("OTEL_SERVICE_NAME", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG"):
        monkeypatch.delenv(name, raising=False)
    tracing = start_tracing()
    yield tracing
    assert current_trace() is None, "the lifespan's end shut tracing down and unregistered it"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return webhook_settings(database_url)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver() as server:
        yield server


@pytest.fixture
async def client(settings: Settings, tracing: Tracing) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(create_app(settings, resolve=StubResolver(), tracing=tracing)) as client:
        yield client


def traceparent(*, sampled: bool = True) -> tuple[str, str, str]:
    """A caller's trace: (trace id, parent span id, traceparent header)."""
    trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
    return trace_id, span_id, f"00-{trace_id}-{span_id}-{'01' if sampled else '00'}"


def one(spans: list[ReceivedSpan]) -> ReceivedSpan:
    assert len(spans) == 1, spans
    return spans[0]


async def test_a_create_that_triggers_a_webhook_is_one_trace_from_request_to_receiver(
    client: httpx.AsyncClient, otlp: OtlpReceiver, receiver: Receiver, logs: LogSink
) -> None:
    owner = await new_account(client)
    await subscribe(client, owner, receiver.url("/traced"), events=["avatar.created"], receiver=receiver)
    trace_id, caller_span, header = traceparent()

    created = await client.post(
        AVATARS,
        json={"name": "Traced Ada", "color": "#3a7bd5"},
        headers={**owner.headers, "traceparent": header, "tracestate": "vendor=opaque"},
    )
    assert created.status_code == 201

    def delivered() -> bool:
        # The round ends after its deliveries, so it may reach the receiver in a later export.
        traced = otlp.of_trace(trace_id)
        linked = {link[1] for span in traced if span.name == "deliver webhook" for link in span.links}
        return (
            bool(linked)
            and any(span.name == "POST" for span in traced)
            and any(span.span_id in linked for span in otlp.spans)
        )

    await otlp.until(delivered)
    spans = otlp.of_trace(trace_id)

    # The request continues the caller's trace, named by its route, with the stable attributes.
    server = one([span for span in spans if span.kind == "server"])
    assert server.name == "POST /api/v1/avatars"
    assert server.parent_span_id == caller_span
    assert server.attributes == {
        "http.request.method": "POST",
        "http.route": "/api/v1/avatars",
        "http.response.status_code": 201,
        "url.scheme": "http",
        "network.protocol.version": "1.1",
    }
    assert server.resource["service.name"] == "avatar-api"
    assert server.resource["deployment.environment.name"] == "test"
    assert server.status == "unset"

    # Its statements are its children: operation and table, the parameterised text, no values.
    statements = [span for span in otlp.children(server) if span.attributes.get("db.system.name") == "postgresql"]
    insert = one([span for span in statements if span.name == "INSERT avatars"])
    assert insert.kind == "client"
    assert insert.attributes["db.operation.name"] == "INSERT"
    assert insert.attributes["db.collection.name"] == "avatars"
    assert "$1" in insert.attributes["db.query.text"]
    assert {"BEGIN", "INSERT outbox_events", "COMMIT"} <= {span.name for span in statements}
    assert server.start_ns <= insert.start_ns <= insert.end_ns <= server.end_ns
    for span in spans:
        assert "Traced Ada" not in str(span.attributes), f"a parameter value leaked into {span.name}"
        assert owner.tokens["access_token"] not in str(span.attributes)
        assert owner.email not in str(span.attributes)

    # The delivery, later and elsewhere (a job round), is in the request's trace ...
    delivery = one([span for span in spans if span.name == "deliver webhook"])
    assert delivery.parent_span_id == server.span_id
    assert delivery.attributes["webhook.event_type"] == "avatar.created"
    assert delivery.attributes["webhook.outcome"] == "delivered"
    # ... linked to the round that sent it, which is a trace of its own.
    (link,) = delivery.links
    round_span = one([span for span in otlp.spans if span.span_id == link[1]])
    assert round_span.name == "job deliver-webhooks"
    assert round_span.trace_id != trace_id
    assert round_span.parent_span_id == ""
    assert round_span.attributes["job.items"] >= 1
    # Rounds that found nothing (jobs poll every few seconds) are not exported, nor their statements.
    rounds = [span for span in otlp.spans if span.name.startswith("job ")]
    assert all(span.attributes["job.items"] >= 1 for span in rounds), rounds
    exported = {span.span_id for span in otlp.spans}
    orphans = [span for span in otlp.spans if span.parent_span_id not in {"", caller_span, *exported}]
    assert orphans == [], "spans whose parent was dropped (a statement of an idle round?) were exported"
    # The call to the receiver is the delivery's child, and the receiver got its traceparent.
    call = one([span for span in otlp.children(delivery) if span.kind == "client" and span.name == "POST"])
    assert call.attributes["server.address"] == "127.0.0.1"
    assert call.attributes["http.response.status_code"] == 200
    assert "url.full" not in call.attributes, "a receiver's URL may hold its secret"
    (message,) = receiver.of("/traced")
    assert message.headers["traceparent"] == f"00-{trace_id}-{call.span_id}-01"
    assert message.headers["tracestate"] == "vendor=opaque"

    # Every log line of the request carries the trace and the server span.
    access = [
        line
        for line in logs.events("request")
        if line.get("route") == "/api/v1/avatars" and line.get("method") == "POST"
    ]
    assert access, logs.records()
    assert all(line["trace_id"] == trace_id and line["span_id"] == server.span_id for line in access)


async def test_a_problem_body_names_the_trace_next_to_the_request_id(
    client: httpx.AsyncClient, otlp: OtlpReceiver
) -> None:
    trace_id, _, header = traceparent()
    missing = await client.get(f"{AVATARS}/{'0' * 8}-0000-7000-8000-{'0' * 12}", headers={"traceparent": header})
    assert missing.status_code == 404
    problem = missing.json()
    assert problem["request_id"] == missing.headers["X-Request-ID"]
    assert problem["trace_id"] == trace_id
    await otlp.until(lambda: bool(otlp.of_trace(trace_id)))
    server = one([span for span in otlp.of_trace(trace_id) if span.kind == "server"])
    assert problem["span_id"] == server.span_id
    # The route's template, never the path with its id; a 404 is not a server error.
    assert server.name == "GET /api/v1/avatars/{avatar_id}"
    assert "0000-7000" not in str(server.attributes)
    assert server.status == "unset"
    assert server.attributes["http.response.status_code"] == 404


async def test_names_stay_bounded_for_made_up_paths_and_methods(client: httpx.AsyncClient, otlp: OtlpReceiver) -> None:
    trace_id, _, header = traceparent()
    assert (await client.get("/no/such/path/12345", headers={"traceparent": header})).status_code == 404
    assert (await client.request("BREW", AVATARS, headers={"traceparent": header})).status_code == 405
    await otlp.until(lambda: len([span for span in otlp.of_trace(trace_id) if span.kind == "server"]) == 2)
    unknown_path, made_up_method = sorted(
        (span for span in otlp.of_trace(trace_id) if span.kind == "server"), key=lambda span: span.start_ns
    )
    assert unknown_path.name == "GET"
    assert "http.route" not in unknown_path.attributes
    assert made_up_method.name == "HTTP"
    assert made_up_method.attributes["http.request.method"] == "_OTHER"
    assert made_up_method.attributes["http.request.method_original"] == "BREW"


async def test_a_request_without_traceparent_starts_a_trace(client: httpx.AsyncClient, otlp: OtlpReceiver) -> None:
    account = await new_account(client)
    me = await client.get("/api/v1/users/me", headers=account.headers)
    assert me.status_code == 200
    await otlp.until(lambda: bool(otlp.named("GET /api/v1/users/me")))
    server = one(otlp.named("GET /api/v1/users/me"))
    assert server.parent_span_id == ""
    assert len(server.trace_id) == 32


async def test_a_sampled_out_request_exports_nothing_not_even_its_webhook(
    client: httpx.AsyncClient, otlp: OtlpReceiver, receiver: Receiver, logs: LogSink
) -> None:
    owner = await new_account(client)
    await subscribe(client, owner, receiver.url("/unsampled"), events=["avatar.created"], receiver=receiver)
    unsampled, _, unsampled_header = traceparent(sampled=False)
    created = await client.post(
        AVATARS, json={"name": "Quiet", "color": "#112233"}, headers={**owner.headers, "traceparent": unsampled_header}
    )
    assert created.status_code == 201
    await receiver.wait_until(lambda: len(receiver.delivered("/unsampled")) == 1)
    # The receiver still learns the trace and that it is not sampled.
    (message,) = receiver.of("/unsampled")
    assert message.headers["traceparent"].startswith(f"00-{unsampled}-")
    assert message.headers["traceparent"].endswith("-00")
    # Logs still name the trace, so they can be joined with the caller's.
    assert any(line.get("trace_id") == unsampled for line in logs.events("request"))

    # Spans are exported in the order they end: once a later, sampled request's spans have
    # arrived, anything of the unsampled one would have too.
    sampled, _, sampled_header = traceparent()
    await new_avatar(client, owner, name="Loud")
    assert (await client.get(AVATARS, headers={**owner.headers, "traceparent": sampled_header})).status_code == 200
    await otlp.until(lambda: bool(otlp.of_trace(sampled)))
    assert otlp.of_trace(unsampled) == []


async def test_shared_rate_counters_are_redis_spans_of_the_request(
    shared_redis_settings: Settings, tracing: Tracing, otlp: OtlpReceiver
) -> None:
    async with running_app(create_app(shared_redis_settings, tracing=tracing)) as client:
        trace_id, _, header = traceparent()
        assert (await client.get(AVATARS, headers={"traceparent": header})).status_code == 200
    await otlp.until(lambda: any(span.kind == "server" for span in otlp.of_trace(trace_id)))
    server = one([span for span in otlp.of_trace(trace_id) if span.kind == "server"])
    hit = one([span for span in otlp.children(server) if span.attributes.get("db.system.name") == "redis"])
    assert hit.name == "EVALSHA hit"
    assert hit.kind == "client"
    assert hit.attributes["server.port"] > 0
    assert hit.status == "unset"
    assert "rate:" not in str(hit.attributes), "the key holds addresses and user ids"
