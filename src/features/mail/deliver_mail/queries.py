# Claim due messages (pending and due, or 'sending' with an expired lease: the worker that
# held it died) in one statement: the oldest $1 of each kind, locked with SKIP LOCKED
# (another worker's claim is skipped, never waited for), re-checked (EvalPlanQual re-reads
# a row changed since the snapshot), leased for $2 seconds.
CLAIM_DUE = """
WITH due AS (
    (SELECT id, next_attempt_at AS due_at
     FROM mail_outbox
     WHERE status = 'pending' AND next_attempt_at <= now()
     ORDER BY next_attempt_at
     LIMIT $1)
    UNION ALL
    (SELECT id, locked_until
     FROM mail_outbox
     WHERE status = 'sending' AND locked_until < now()
     ORDER BY locked_until
     LIMIT $1)
), claimed AS (
    SELECT mail.id
    FROM mail_outbox AS mail
    JOIN due USING (id)
    WHERE (mail.status = 'pending' AND mail.next_attempt_at <= now())
       OR (mail.status = 'sending' AND mail.locked_until < now())
    ORDER BY due.due_at
    LIMIT $1
    FOR UPDATE OF mail SKIP LOCKED
)
UPDATE mail_outbox AS mail
SET status = 'sending', attempts = mail.attempts + 1, locked_until = now() + make_interval(secs => $2)
FROM claimed
WHERE mail.id = claimed.id
RETURNING mail.id, mail.kind, mail.attempts AS attempt, mail.recipient, mail.message,
          mail.request_id, mail.traceparent, mail.tracestate
"""

# Each finishing statement applies only while this worker still holds the claim (same
# attempt number, still 'sending'): after a lost lease the row belongs to another try.
# Finished rows lose their message and recipient: a link token stays only until delivery.
MARK_SENT = """
UPDATE mail_outbox
SET status = 'sent', finished_at = now(), message = NULL, recipient = NULL, locked_until = NULL, last_error = NULL
WHERE id = $1 AND attempts = $2 AND status = 'sending'
"""

# $3: seconds until the retry, or NULL to give up (a permanent refusal, or retries used up).
MARK_FAILED = """
UPDATE mail_outbox
SET status = CASE WHEN $3::float8 IS NULL THEN 'failed' ELSE 'pending' END,
    next_attempt_at = CASE WHEN $3::float8 IS NULL THEN next_attempt_at ELSE now() + make_interval(secs => $3) END,
    finished_at = CASE WHEN $3::float8 IS NULL THEN now() END,
    message = CASE WHEN $3::float8 IS NULL THEN NULL ELSE message END,
    recipient = CASE WHEN $3::float8 IS NULL THEN NULL ELSE recipient END,
    locked_until = NULL,
    last_error = $4
WHERE id = $1 AND attempts = $2 AND status = 'sending'
"""

# Shutdown: the attempt did not finish, so it does not count; another worker may send now.
RELEASE_CLAIM = """
UPDATE mail_outbox
SET status = 'pending', attempts = attempts - 1, next_attempt_at = now(), locked_until = NULL
WHERE id = $1 AND attempts = $2 AND status = 'sending'
"""
