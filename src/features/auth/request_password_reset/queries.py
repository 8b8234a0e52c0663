# One statement whatever the address: a token and its message are written only when a
# live, unsuspended account has the address ($1) and the request is within its budget
# ($11); otherwise the same statement writes nothing. So the answer (always 202) and its
# time say nothing about which addresses have accounts.
QUEUE_RESET = """
WITH account AS (
    SELECT id FROM users WHERE email = $1 AND deleted_at IS NULL AND suspended_at IS NULL AND $11::boolean
), token AS (
    INSERT INTO account_tokens (token_hash, user_id, purpose, email, expires_at)
    SELECT $2, id, 'reset_password', $1, now() + make_interval(secs => $3) FROM account
    RETURNING user_id
)
INSERT INTO mail_outbox (id, kind, user_id, recipient, message, request_id, traceparent, tracestate)
SELECT $4, $5, token.user_id, $6, $7, $8, $9, $10 FROM token
"""
