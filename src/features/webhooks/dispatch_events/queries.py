# One statement: take a batch of new events (skipping those another worker holds),
# create one delivery per subscribed, enabled endpoint of the event's owner (subscribed
# before the event happened), and mark the events dispatched. A crash mid-way commits
# nothing; a second dispatcher takes other events; ON CONFLICT makes a repeat harmless.
FAN_OUT_EVENTS = """
WITH events AS (
    SELECT id, type, owner_id, occurred_at
    FROM outbox_events
    WHERE dispatched_at IS NULL
    ORDER BY id
    LIMIT $1
    FOR UPDATE SKIP LOCKED
), fanned_out AS (
    INSERT INTO webhook_deliveries (event_id, endpoint_id)
    SELECT events.id, endpoints.id
    FROM events
    JOIN webhook_endpoints AS endpoints
      ON endpoints.owner_id = events.owner_id
     AND endpoints.enabled
     AND events.type = ANY (endpoints.events)
     AND endpoints.created_at <= events.occurred_at
    ON CONFLICT DO NOTHING
)
UPDATE outbox_events SET dispatched_at = now()
WHERE id IN (SELECT id FROM events)
"""
