"""Tracing from a real `api serve`, configured only by the standard OTEL_* variables, as an
operator would: two Granian workers export to an OTLP/HTTP receiver of ours."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

import httpx
import msgspec

from src.core.ids import new_id
from tests.conftest import TEST_DATA_KEY, TEST_SIGNING_KEY
from tests.support.otlp import otlp_receiver
from tests.support.server import clean_environment, free_port, production_mail, serve


def test_workers_export_what_the_otel_variables_ask_for_and_flush_on_shutdown(
    database_url: str, tmp_path: Path
) -> None:
    with otlp_receiver() as otlp:
        environment = clean_environment(
            APP_ENV="production",
            **production_mail(free_port()),  # nothing listens: no mail is sent here
            DATABASE_URL=database_url,
            JWT_PRIVATE_KEY=TEST_SIGNING_KEY,
            DATA_ENCRYPTION_KEY=TEST_DATA_KEY,
            GOOGLE_CLOUD_PROJECT="avatar-prod-1",
            WORKERS="2",
            DATA_DIR=str(tmp_path),
            OTEL_EXPORTER_OTLP_ENDPOINT=otlp.endpoint,
            OTEL_SERVICE_NAME="avatar-api-canary",
            OTEL_RESOURCE_ATTRIBUTES="deployment.environment.name=staging,service.namespace=gallery",
            # Traces that start here are never sampled; a caller's sampled trace still is.
            OTEL_TRACES_SAMPLER="parentbased_traceidratio",
            OTEL_TRACES_SAMPLER_ARG="0",
            # Nothing is sent before shutdown: the test sees what the graceful stop flushed.
            OTEL_BSP_SCHEDULE_DELAY="600000",
        )
        trace_id = secrets.token_hex(16)
        sent = f"00-{trace_id}-{secrets.token_hex(8)}-01"
        with serve(environment) as served:
            served.wait_for_event("startup_complete")
            served.wait_for_event("startup_complete")
            with httpx.Client(base_url=served.url, timeout=30) as client:
                for _ in range(4):  # both workers answer some
                    assert client.get("/api/v1/avatars", headers={"traceparent": sent}).status_code == 200
                    assert client.get("/api/v1/avatars").status_code == 200
                missing = client.get(f"/api/v1/avatars/{new_id()}", headers={"traceparent": sent})
            assert missing.status_code == 404
            assert otlp.spans == [], "the batch waits for its delay or the shutdown"
            assert served.stop() == 0

        ours = otlp.of_trace(trace_id)
        servers = [span for span in ours if span.kind == "server"]
        assert len(servers) == 5
        assert {span.name for span in servers} == {"GET /api/v1/avatars", "GET /api/v1/avatars/{avatar_id}"}
        assert all(span.parent_span_id == sent.split("-")[2] for span in servers)
        # Unsampled roots (requests without a traceparent, job rounds) exported nothing.
        assert {span.trace_id for span in otlp.spans} == {trace_id}
        resource = servers[0].resource
        assert resource["service.name"] == "avatar-api-canary"
        assert resource["deployment.environment.name"] == "staging"
        assert resource["service.namespace"] == "gallery"
        # One instance per worker process: host and process id.
        assert all(re.fullmatch(r".+:\d+", span.resource["service.instance.id"]) for span in ours)
        assert missing.json()["trace_id"] == trace_id

    # The log lines of the traced requests join the trace, in Cloud Logging's fields too.
    lines: list[dict[str, Any]] = [msgspec.json.decode(raw) for raw in served.output if raw.startswith(b"{")]
    access = [line for line in lines if line["message"] == "request" and line.get("trace_id") == trace_id]
    assert len(access) == 5
    span_ids = {span.span_id for span in servers}
    for line in access:
        assert line["span_id"] in span_ids
        assert line["logging.googleapis.com/trace"] == f"projects/avatar-prod-1/traces/{trace_id}"
        assert line["logging.googleapis.com/spanId"] == line["span_id"]
        assert line["logging.googleapis.com/trace_sampled"] is True
    unsampled = [line for line in lines if line["message"] == "request" and line.get("trace_id") != trace_id]
    assert len(unsampled) == 4
    assert all(line["logging.googleapis.com/trace_sampled"] is False for line in unsampled)
