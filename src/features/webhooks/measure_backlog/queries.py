# The backlog, in one round trip, bounded whatever its size. Of enabled endpoints only (a
# disabled endpoint's deliveries wait for its owner, not for us):
# - pending: deliveries not yet delivered nor given up, counted up to $1;
# - oldest_due: how long the delivery due the longest has waited for a worker: a pending
#   one since its next_attempt_at (its creation, or the time its retry was scheduled
#   for), a claimed one whose lease ran out (its worker died) since locked_until. Each
#   side is the first entry of its partial index (webhook_deliveries_due, _leased).
# And before the deliveries exist:
# - outbox_lag: how long the oldest event has waited to be dispatched (turned into
#   deliveries): the first entry of the partial index on undispatched ids (UUID v7, in
#   time order).
MEASURE_BACKLOG = """
SELECT
    (SELECT count(*) FROM (
        SELECT 1
        FROM webhook_deliveries AS delivery
        JOIN webhook_endpoints AS endpoint ON endpoint.id = delivery.endpoint_id AND endpoint.enabled
        WHERE delivery.status IN ('pending', 'delivering')
        LIMIT $1
    ) AS capped) AS pending,
    coalesce(extract(epoch FROM now() - (
        SELECT min(due_at) FROM (
            (SELECT delivery.next_attempt_at AS due_at
             FROM webhook_deliveries AS delivery
             JOIN webhook_endpoints AS endpoint ON endpoint.id = delivery.endpoint_id AND endpoint.enabled
             WHERE delivery.status = 'pending' AND delivery.next_attempt_at <= now()
             ORDER BY delivery.next_attempt_at
             LIMIT 1)
            UNION ALL
            (SELECT delivery.locked_until
             FROM webhook_deliveries AS delivery
             JOIN webhook_endpoints AS endpoint ON endpoint.id = delivery.endpoint_id AND endpoint.enabled
             WHERE delivery.status = 'delivering' AND delivery.locked_until < now()
             ORDER BY delivery.locked_until
             LIMIT 1)
        ) AS due
    )), 0)::float8 AS oldest_due_seconds,
    coalesce(extract(epoch FROM now() - (
        SELECT occurred_at FROM outbox_events WHERE dispatched_at IS NULL ORDER BY id LIMIT 1
    )), 0)::float8 AS outbox_lag_seconds
"""
