# Finished messages (already wiped of body and recipient) are forgotten after $1 days, in
# batches of $2 so a large history never holds long locks. Pending ones are never removed.
DELETE_FINISHED = """
DELETE FROM mail_outbox
WHERE ctid IN (
    SELECT ctid FROM mail_outbox
    WHERE status IN ('sent', 'failed') AND finished_at < now() - make_interval(days => $1)
    LIMIT $2
)
"""
