SELECT_ACCOUNT = """
SELECT email, display_name, password_hash FROM users WHERE id = $1 AND deleted_at IS NULL
"""

# Checked now for a helpful 409; the verification checks again (the unique index decides).
ADDRESS_TAKEN = """
SELECT EXISTS (SELECT 1 FROM users WHERE email = $1 AND deleted_at IS NULL)
"""

# One open change at a time: a new request voids the earlier links.
ISSUE_CHANGE_TOKEN = """
WITH superseded AS (
    UPDATE account_tokens SET used_at = now()
    WHERE user_id = $1 AND purpose = 'change_email' AND used_at IS NULL
)
INSERT INTO account_tokens (token_hash, user_id, purpose, email, expires_at)
VALUES ($2, $1, 'change_email', $3, now() + make_interval(secs => $4))
"""
