# Batched, so a large backlog never holds long locks. A spent refresh token is kept
# until it expires: presenting it again must still be recognised as reuse.
DELETE_EXPIRED_REFRESH_TOKENS = """
DELETE FROM refresh_tokens
WHERE ctid IN (SELECT ctid FROM refresh_tokens WHERE expires_at < now() LIMIT $1)
"""

# Ended sessions are kept a while so users can see what was signed out, then removed.
DELETE_ENDED_SESSIONS = """
DELETE FROM sessions
WHERE ctid IN (
    SELECT ctid FROM sessions
    WHERE expires_at < now() - interval '7 days' OR revoked_at < now() - interval '30 days'
    LIMIT $1
)
"""
