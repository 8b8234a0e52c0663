# Tokens a day past their expiry or their use are of no more use to anyone; batched.
DELETE_OLD_TOKENS = """
DELETE FROM account_tokens
WHERE ctid IN (
    SELECT ctid FROM account_tokens
    WHERE expires_at < now() - interval '1 day' OR used_at < now() - interval '1 day'
    LIMIT $1
)
"""
