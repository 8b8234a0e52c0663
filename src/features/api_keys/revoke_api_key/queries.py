# Idempotent: revoking a revoked key keeps its first revocation time.
REVOKE_API_KEY = """
UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
WHERE id = $1 AND user_id = $2
RETURNING id
"""
