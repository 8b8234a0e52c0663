OWNS_WEBHOOK = "SELECT true FROM webhook_endpoints WHERE id = $1 AND owner_id = $2"

# Attempts newest first. The next retry belongs to the latest attempt of a pending delivery.
LIST_ATTEMPTS = """
SELECT a.id, a.event_id, e.type AS event_type, a.attempt, a.succeeded, a.status_code, a.error, a.duration_ms,
       a.attempted_at, d.status AS delivery_status,
       CASE WHEN d.status = 'pending' AND a.attempt = d.attempts THEN d.next_attempt_at END AS next_attempt_at
FROM webhook_attempts a
JOIN webhook_deliveries d ON d.event_id = a.event_id AND d.endpoint_id = a.endpoint_id
JOIN outbox_events e ON e.id = a.event_id
WHERE a.endpoint_id = $1 AND a.id < $2
ORDER BY a.id DESC
LIMIT $3
"""
