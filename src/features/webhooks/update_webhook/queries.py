# Disabling records who did it; enabling again clears the reason and the failure streak.
UPDATE_WEBHOOK = """
UPDATE webhook_endpoints
SET url = coalesce($3, url),
    events = coalesce($4, events),
    description = CASE WHEN $5 THEN $6 ELSE description END,
    disabled_reason = CASE
        WHEN $7 IS TRUE THEN NULL
        WHEN $7 IS FALSE AND enabled THEN 'disabled by its owner'
        ELSE disabled_reason END,
    disabled_at = CASE WHEN $7 IS TRUE THEN NULL WHEN $7 IS FALSE AND enabled THEN now() ELSE disabled_at END,
    failing_since = CASE WHEN $7 IS TRUE THEN NULL ELSE failing_since END,
    enabled = coalesce($7, enabled)
WHERE id = $1 AND owner_id = $2
RETURNING id, url, events, description, enabled, disabled_reason, disabled_at, failing_since, created_at, updated_at
"""
