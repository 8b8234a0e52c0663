# SET reads the row as it was: the old `secret` becomes `previous_secret`. A secret
# replaced earlier and still in its grace period is dropped (only one previous is kept).
ROTATE_SECRET = """
UPDATE webhook_endpoints
SET secret = $4,
    previous_secret = CASE WHEN $3 > 0 THEN secret END,
    previous_secret_expires_at = CASE WHEN $3 > 0 THEN now() + make_interval(secs => $3) END
WHERE id = $1 AND owner_id = $2
RETURNING id, url, events, description, enabled, disabled_reason, disabled_at, failing_since,
          created_at, updated_at, secret, previous_secret_expires_at
"""
