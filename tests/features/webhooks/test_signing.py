"""Signing, message bodies and the retry schedule, checked against a verifier we did not
write (the `standardwebhooks` package)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import msgspec
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from src.core.runtime.retry_schedule import parse_schedule, retry_delay
from src.features.webhooks.signing import SECRET_PREFIX, message_body, new_secret, sign


def _headers(message_id: str, timestamp: int, signature: str) -> dict[str, str]:
    return {"webhook-id": message_id, "webhook-timestamp": str(timestamp), "webhook-signature": signature}


def test_secrets_carry_enough_randomness() -> None:
    secret = new_secret()

    assert secret.startswith(SECRET_PREFIX)
    assert len(base64.b64decode(secret.removeprefix(SECRET_PREFIX))) >= 24
    assert new_secret() != secret


def test_a_signature_verifies_with_the_reference_implementation() -> None:
    secret = new_secret()
    now = int(datetime.now(UTC).timestamp())
    body = message_body("avatar.created", datetime(2026, 11, 22, 6, 0, tzinfo=UTC), '{"avatar":{"id":"a1"}}')

    payload = Webhook(secret).verify(body, _headers("evt_1", now, sign(secret, "evt_1", now, body)))

    assert payload == {"type": "avatar.created", "timestamp": "2026-11-22T06:00:00Z", "data": {"avatar": {"id": "a1"}}}


def test_a_changed_body_id_or_secret_does_not_verify() -> None:
    secret, other = new_secret(), new_secret()
    now = int(datetime.now(UTC).timestamp())
    body = b'{"type":"avatar.created"}'
    signature = sign(secret, "evt_1", now, body)

    for verifier, message_id, sent in (
        (Webhook(secret), "evt_1", b'{"type":"avatar.deleted"}'),
        (Webhook(secret), "evt_2", body),
        (Webhook(other), "evt_1", body),
    ):
        with pytest.raises(WebhookVerificationError):
            verifier.verify(sent, _headers(message_id, now, signature))


def test_during_a_rotation_either_secret_verifies() -> None:
    old, new = new_secret(), new_secret()
    now = int(datetime.now(UTC).timestamp())
    body = b"{}"
    both = f"{sign(new, 'evt_1', now, body)} {sign(old, 'evt_1', now, body)}"

    for secret in (old, new):
        Webhook(secret).verify(body, _headers("evt_1", now, both))


def test_the_event_data_is_embedded_as_stored() -> None:
    stored = '{"b": 1, "a": [1, 2]}'

    decoded = msgspec.json.decode(message_body("x.y", datetime(2026, 1, 1, tzinfo=UTC), stored))

    assert decoded["data"] == {"b": 1, "a": [1, 2]}


def test_schedules_are_read_in_their_units() -> None:
    assert parse_schedule("5s,5m,30m,2h,1d") == (5.0, 300.0, 1800.0, 7200.0, 86400.0)


def test_retries_follow_the_schedule_with_jitter_then_stop() -> None:
    schedule = (10.0, 100.0)
    first = [retry_delay(schedule, 1) for _ in range(200)]
    second = [retry_delay(schedule, 2) for _ in range(200)]

    assert all(delay is not None and 8.0 <= delay <= 12.0 for delay in first)
    assert all(delay is not None and 80.0 <= delay <= 120.0 for delay in second)
    assert len(set(first)) > 1, "jitter spreads retries out"
    assert retry_delay(schedule, 3) is None
