"""What a log platform ingests from a real `api serve` in production: every line of its
output (ours, Granian's, the libraries', stdout and stderr alike) is one JSON object with
the fields Cloud Logging, ECS and Datadog read as they are, and none carries a secret."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import httpx
import msgspec

from src.core.ids import new_id
from src.core.runtime.mail_sink import start_mail_sink
from tests.conftest import TEST_DATA_KEY, TEST_SIGNING_KEY
from tests.support.mail import eml_token
from tests.support.server import clean_environment, production_mail, serve

RFC3339_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")
SEVERITIES = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
PASSWORD = "journey password, never logged"


def _journey(url: str, email: str) -> list[str]:
    """A user's session and a scanner's mistakes; returns every secret the server handed out."""
    # What can reach a real server: a tab, and unprintable characters in UTF-8 (a C1
    # control, a right-to-left override); HTTP itself refuses CR, LF and other C0 controls.
    agent = {b"User-Agent": "JourneyBot/1.0\t(+mailto:journey.owner@example.net)\u0085\u202e".encode()}
    with httpx.Client(base_url=url, headers=agent, timeout=30) as client:
        body = {"email": email, "password": PASSWORD, "display_name": "Journey"}
        assert client.post("/api/v1/auth/sign-up", json=body).status_code == 201
        tokens = client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}).json()
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        created = client.post("/api/v1/avatars", json={"name": "Journey", "color": "#3A7BD5"}, headers=bearer)
        assert created.status_code == 201, created.text
        assert client.get("/api/v1/avatars", params={"limit": 5}).status_code == 200
        assert client.get(f"/api/v1/avatars/{created.json()['id']}").status_code == 200
        # What goes wrong: a wrong password, a forged token, bad input, unknown paths and methods.
        wrong = client.post("/api/v1/auth/login", json={"email": email, "password": "not the password"})
        assert wrong.status_code == 401
        forged = {"Authorization": "Bearer eyJhbGciOiJFUzI1NiJ9.forged.signature"}
        assert client.get("/api/v1/users/me", headers=forged).status_code == 401
        invalid = client.post(
            "/api/v1/avatars", json={"name": "", "color": "red", "password": PASSWORD}, headers=bearer
        )
        assert invalid.status_code == 400
        assert client.get(f"/api/v1/avatars/{new_id()}").status_code == 404
        assert client.get("/wp-login.php", params={"user": email}).status_code == 404
        assert client.request("BREW", "/api/v1/avatars").status_code == 405
        assert client.post("/api/v1/avatars", content=b"x" * 100_000, headers=bearer).status_code == 413
    return [tokens["access_token"], tokens["refresh_token"]]


def _secrets_of_the_signing_key() -> list[str]:
    return [line for line in TEST_SIGNING_KEY.splitlines() if line and not line.startswith("-----")]


def _mailed_token(directory: Path, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in directory.glob("*.eml"):
            return eml_token(message)
        time.sleep(0.05)  # noqa: TID251 - a plain test waiting for another process's file
    raise AssertionError("the sign-up's verification e-mail never arrived")


def test_a_journey_in_production_writes_only_lines_a_log_platform_parses(database_url: str, tmp_path: Path) -> None:
    sink = start_mail_sink(tmp_path / "mail")  # a real SMTP server: mail is sent, and logged
    environment = clean_environment(
        APP_ENV="production",
        **production_mail(sink.port),
        LOG_FORMAT="auto",  # production's default: JSON
        DATABASE_URL=database_url,
        JWT_PRIVATE_KEY=TEST_SIGNING_KEY,
        DATA_ENCRYPTION_KEY=TEST_DATA_KEY,
        GOOGLE_CLOUD_PROJECT="avatar-prod-1",
        WORKERS="2",
        DATA_DIR=str(tmp_path),
    )
    email = f"journey-{new_id().hex[-12:]}@example.org"
    with serve(environment) as served:
        served.wait_for_event("startup_complete")
        served.wait_for_event("startup_complete")  # one per worker
        try:
            secrets = _journey(served.url, email)
            secrets.append(_mailed_token(tmp_path / "mail"))  # the sign-up's verification link
        finally:
            sink.stop()
        assert served.stop() == 0

    lines: list[dict[str, Any]] = []
    for raw in served.output:
        try:
            lines.append(msgspec.json.decode(raw))
        except msgspec.DecodeError:
            raise AssertionError(f"not a JSON line: {raw!r}") from None
    for line in lines:
        assert RFC3339_UTC.fullmatch(line["time"]), line
        assert line["severity"] in SEVERITIES, line
        assert isinstance(line["logger"], str), line
        assert line["logger"], line
        assert isinstance(line["message"], str), line
        assert line["message"], line
        assert list(line)[:4] == ["time", "severity", "logger", "message"], line

    messages = {line["message"] for line in lines}
    assert {"serving", "startup_complete", "request", "shutdown_complete"} <= messages
    granian = [line for line in lines if line["logger"].startswith("_granian")]
    assert any(line["message"].startswith("Starting granian") for line in granian)
    assert sum(line["message"].startswith("Spawning worker") for line in granian) == 2
    assert any(line["message"].startswith("Shutting down") for line in granian)
    requests = [line for line in lines if line["message"] == "request"]
    assert len(requests) == 12
    for access in requests:
        assert access["logger"] == "avatar_api.access"
        assert access["request_id"]
        assert "path" not in access
        assert access["user_agent"] == "JourneyBot/1.0(+mailto:j***@example.net)"
        assert isinstance(access["response_bytes"], int)
    assert {access["route"] for access in requests} >= {"/api/v1/auth/sign-up", "/api/v1/avatars/{avatar_id}", None}
    assert {access["status"] for access in requests} == {200, 201, 400, 401, 404, 405, 413}
    # No trace without tracing: the Cloud Logging trace fields wait for it.
    assert not [key for line in lines for key in line if key.startswith("logging.googleapis.com/")]

    output = b"\n".join(served.output).decode()
    for secret in [
        PASSWORD,
        email,
        "journey.owner@example.net",
        *secrets,
        *_secrets_of_the_signing_key(),
        TEST_DATA_KEY,
    ]:
        assert secret not in output
    assert "eyJhbGciOiJFUzI1NiJ9.forged" not in output
