# Claim due deliveries (pending and due, or 'delivering' with an expired lease: the worker
# that held it died) in one statement:
# - look at the oldest due rows only (a window of $4 of each kind), of enabled endpoints;
# - rank them per endpoint and keep at most $2 minus what that endpoint has in flight now
#   (across all workers), taking the first of every endpoint before the second of any;
# - lock them with SKIP LOCKED (another worker's claim is skipped, never waited for) and
#   re-check they are still due (EvalPlanQual re-reads a row changed since the snapshot);
# - lease them for $3 seconds and return all a sender needs.
_WINDOW = """
WITH due AS (
    (SELECT event_id, endpoint_id, next_attempt_at AS due_at
     FROM webhook_deliveries
     WHERE status = 'pending' AND next_attempt_at <= now()
     ORDER BY next_attempt_at
     LIMIT $4)
    UNION ALL
    (SELECT event_id, endpoint_id, locked_until
     FROM webhook_deliveries
     WHERE status = 'delivering' AND locked_until < now()
     ORDER BY locked_until
     LIMIT $4)
)"""

# The window fails one case: when its rows all belong to endpoints already at their limit
# (one slow receiver with a backlog longer than the window), the rest wait behind that
# backlog however long it is. Then (WINDOW_IS_FULL) the claim looks at each endpoint's own
# oldest due rows instead: the endpoints with pending rows are found by a skip scan of
# webhook_deliveries_pending_by_endpoint (one index probe per endpoint, not per row), and
# each gives at most $2 due rows. Both are written in that index's terms (its column
# order, row comparisons): with one endpoint holding most rows, the planner's estimates
# otherwise pick the index on next_attempt_at and filter a whole backlog per endpoint
# (5 s for 1,000 endpoints behind 100,000 rows, measured).
_EACH_ENDPOINT = """
WITH RECURSIVE backlog AS (
    (SELECT endpoint_id
     FROM webhook_deliveries
     WHERE status = 'pending'
     ORDER BY endpoint_id, next_attempt_at
     LIMIT 1)
    UNION ALL
    SELECT (SELECT next.endpoint_id
            FROM webhook_deliveries AS next
            WHERE next.status = 'pending' AND next.endpoint_id > backlog.endpoint_id
            ORDER BY next.endpoint_id, next.next_attempt_at
            LIMIT 1)
    FROM backlog
    WHERE backlog.endpoint_id IS NOT NULL
), due AS (
    SELECT head.event_id, head.endpoint_id, head.due_at
    FROM backlog
    CROSS JOIN LATERAL (
        SELECT event_id, endpoint_id, next_attempt_at AS due_at
        FROM webhook_deliveries
        WHERE status = 'pending'
          AND (endpoint_id, next_attempt_at) >= (backlog.endpoint_id, '-infinity'::timestamptz)
          AND (endpoint_id, next_attempt_at) <= (backlog.endpoint_id, now())
        ORDER BY endpoint_id, next_attempt_at
        LIMIT $2
    ) AS head
)"""

_CLAIM = """, busy AS (
    -- Sends in flight per endpoint, everywhere: few rows, from the partial index on leases.
    SELECT endpoint_id, count(*) AS sending
    FROM webhook_deliveries
    WHERE status = 'delivering' AND locked_until >= now()
    GROUP BY endpoint_id
), ranked AS (
    SELECT due.event_id, due.endpoint_id, due.due_at, coalesce(busy.sending, 0) AS sending,
           row_number() OVER (PARTITION BY due.endpoint_id ORDER BY due.due_at, due.event_id) AS place
    FROM due
    JOIN webhook_endpoints AS endpoint ON endpoint.id = due.endpoint_id AND endpoint.enabled
    LEFT JOIN busy ON busy.endpoint_id = due.endpoint_id
), candidates AS (
    SELECT ranked.event_id, ranked.endpoint_id
    FROM ranked
    WHERE ranked.place <= $2 - ranked.sending
    ORDER BY ranked.place, ranked.due_at
    LIMIT $1
), claimed AS (
    SELECT delivery.event_id, delivery.endpoint_id
    FROM webhook_deliveries AS delivery
    JOIN candidates USING (event_id, endpoint_id)
    WHERE (delivery.status = 'pending' AND delivery.next_attempt_at <= now())
       OR (delivery.status = 'delivering' AND delivery.locked_until < now())
    FOR UPDATE OF delivery SKIP LOCKED
)
UPDATE webhook_deliveries AS delivery
SET status = 'delivering', attempts = delivery.attempts + 1, locked_until = now() + make_interval(secs => $3)
FROM claimed
JOIN outbox_events AS event ON event.id = claimed.event_id
JOIN webhook_endpoints AS endpoint ON endpoint.id = claimed.endpoint_id
WHERE delivery.event_id = claimed.event_id AND delivery.endpoint_id = claimed.endpoint_id
RETURNING delivery.event_id, delivery.endpoint_id, delivery.attempts AS attempt, endpoint.url,
          CASE WHEN endpoint.previous_secret_expires_at > now()
               THEN ARRAY[endpoint.secret, endpoint.previous_secret] ELSE ARRAY[endpoint.secret] END AS secrets,
          event.type AS event_type, event.occurred_at, event.data::text AS data_json, event.request_id,
          event.traceparent, event.tracestate
"""

CLAIM_DUE = _WINDOW + _CLAIM
CLAIM_EACH_ENDPOINT = _EACH_ENDPOINT + _CLAIM

# Are there more due rows than the window looks at? $1: the window.
WINDOW_IS_FULL = """
SELECT count(*) >= $1
FROM (SELECT 1 FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= now() LIMIT $1) AS due
"""

# Each finishing statement applies only while this worker still holds the claim (same
# attempt number, still 'delivering'): after a lost lease the row belongs to another try.

# A success, in one statement (one round trip, atomic without an explicit transaction):
# the attempt for the log (skipped when the endpoint was deleted meanwhile), the delivery
# done, and the endpoint's failure streak over.
RECORD_SUCCESS = """
WITH attempt AS (
    INSERT INTO webhook_attempts (id, event_id, endpoint_id, attempt, succeeded, status_code, error, duration_ms)
    SELECT $4, $1, $2, $3, true, $5, NULL, $6
    WHERE EXISTS (SELECT 1 FROM webhook_deliveries WHERE event_id = $1 AND endpoint_id = $2)
), delivered AS (
    UPDATE webhook_deliveries
    SET status = 'succeeded', delivered_at = now(), locked_until = NULL
    WHERE event_id = $1 AND endpoint_id = $2 AND attempts = $3 AND status = 'delivering'
)
UPDATE webhook_endpoints SET failing_since = NULL WHERE id = $2 AND failing_since IS NOT NULL
"""

# $4: seconds until the retry, or NULL to give up (retries used up, or 410 Gone).
MARK_FAILED = """
UPDATE webhook_deliveries
SET status = CASE WHEN $4::float8 IS NULL THEN 'failed' ELSE 'pending' END,
    next_attempt_at = CASE WHEN $4::float8 IS NULL THEN next_attempt_at ELSE now() + make_interval(secs => $4) END,
    locked_until = NULL
WHERE event_id = $1 AND endpoint_id = $2 AND attempts = $3 AND status = 'delivering'
"""

# Shutdown: the attempt did not finish, so it does not count; another worker may retry now.
RELEASE_CLAIM = """
UPDATE webhook_deliveries
SET status = 'pending', attempts = attempts - 1, next_attempt_at = now(), locked_until = NULL
WHERE event_id = $1 AND endpoint_id = $2 AND attempts = $3 AND status = 'delivering'
"""

# Skipped when the endpoint (and so the delivery) was deleted meanwhile.
INSERT_ATTEMPT = """
INSERT INTO webhook_attempts (id, event_id, endpoint_id, attempt, succeeded, status_code, error, duration_ms)
SELECT $1, $2, $3, $4, $5, $6, $7, $8
WHERE EXISTS (SELECT 1 FROM webhook_deliveries WHERE event_id = $2 AND endpoint_id = $3)
"""

# Starts (or continues) the failure streak; says whether it has lasted past $2 seconds.
MARK_FAILING = """
UPDATE webhook_endpoints
SET failing_since = coalesce(failing_since, now())
WHERE id = $1
RETURNING enabled, failing_since, failing_since < now() - make_interval(secs => $2)
"""

DISABLE_ENDPOINT = """
UPDATE webhook_endpoints
SET enabled = false, disabled_reason = $2, disabled_at = now()
WHERE id = $1 AND enabled
"""
