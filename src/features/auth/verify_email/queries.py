# Spends an open, unexpired token of either verification purpose, once: two concurrent
# uses give one row, a replay none.
SPEND_TOKEN = """
UPDATE account_tokens
SET used_at = now()
WHERE token_hash = $1 AND purpose IN ('verify_email', 'change_email') AND used_at IS NULL AND expires_at > now()
RETURNING user_id, purpose, email
"""

# Sign-up's address, still the account's: verified (a second link changes nothing).
VERIFY_ADDRESS = """
UPDATE users SET email_verified_at = coalesce(email_verified_at, now())
WHERE id = $1 AND email = $2 AND deleted_at IS NULL
"""

# A new address, proven: it becomes the account's (the unique index refuses one another
# live account took meanwhile). Returns the old address, to tell it.
CHANGE_ADDRESS = """
WITH previous AS (
    SELECT id, email FROM users WHERE id = $1 AND deleted_at IS NULL FOR UPDATE
)
UPDATE users AS u
SET email = $2, email_verified_at = now()
FROM previous
WHERE u.id = previous.id
RETURNING previous.email AS old_email, u.display_name
"""

# The account's other open change links are void once one is used.
SPEND_OTHER_CHANGE_TOKENS = """
UPDATE account_tokens SET used_at = now()
WHERE user_id = $1 AND purpose = 'change_email' AND used_at IS NULL
"""
