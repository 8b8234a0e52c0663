# Old events go with their deliveries and attempts (ON DELETE CASCADE), in batches so a
# large backlog never holds long locks. Events not yet dispatched are never removed.
DELETE_OLD_EVENTS = """
DELETE FROM outbox_events
WHERE ctid IN (
    SELECT ctid FROM outbox_events
    WHERE dispatched_at < now() - make_interval(days => $1)
    LIMIT $2
)
"""
