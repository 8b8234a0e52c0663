# Idempotent: an already ended session of the caller still answers with its id.
REVOKE_OWN_SESSION = """
UPDATE sessions
SET revoked_at = coalesce(revoked_at, now()), revoked_reason = coalesce(revoked_reason, 'revoked_by_user')
WHERE id = $1 AND user_id = $2
RETURNING id
"""
