# Batched, so a large backlog never holds long locks. A challenge is of no use once
# expired or spent; it is kept an hour after that, for whoever looks into a login.
DELETE_ENDED_CHALLENGES = """
DELETE FROM mfa_challenges
WHERE ctid IN (SELECT ctid FROM mfa_challenges WHERE expires_at < now() - interval '1 hour' LIMIT $1)
"""
