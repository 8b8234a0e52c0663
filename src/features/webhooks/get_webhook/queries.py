SELECT_WEBHOOK = """
SELECT id, url, events, description, enabled, disabled_reason, disabled_at, failing_since, created_at, updated_at
FROM webhook_endpoints
WHERE id = $1 AND owner_id = $2
"""
