LIST_WEBHOOKS = """
SELECT id, url, events, description, enabled, disabled_reason, disabled_at, failing_since, created_at, updated_at
FROM webhook_endpoints
WHERE owner_id = $1 AND id < $2
ORDER BY id DESC
LIMIT $3
"""
