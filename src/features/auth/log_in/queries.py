SELECT_ACCOUNT = """
SELECT id, password_hash
FROM users
WHERE email = $1 AND deleted_at IS NULL
"""

UPDATE_PASSWORD_HASH = """
UPDATE users SET password_hash = $2 WHERE id = $1
"""

INSERT_SESSION = """
INSERT INTO sessions (id, user_id, user_agent, expires_at)
VALUES ($1, $2, $3, $4)
"""

INSERT_REFRESH_TOKEN = """
INSERT INTO refresh_tokens (token_hash, session_id, expires_at)
VALUES ($1, $2, $3)
"""
