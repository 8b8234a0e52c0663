# Serialises an owner's creates, so the per-owner limit holds under concurrency.
LOCK_OWNER = "SELECT pg_advisory_xact_lock(hashtextextended('webhooks:' || $1::uuid::text, 0))"

COUNT_OWNER_WEBHOOKS = "SELECT count(*) FROM webhook_endpoints WHERE owner_id = $1"

INSERT_WEBHOOK = """
INSERT INTO webhook_endpoints (id, owner_id, url, events, description, secret)
VALUES ($1, $2, $3, $4, $5, $6)
RETURNING id, url, events, description, enabled, disabled_reason, disabled_at, failing_since,
          created_at, updated_at, secret, previous_secret_expires_at
"""
