-- Each endpoint's due deliveries, oldest first: a claim that finds the oldest due rows all
-- taken by endpoints at their concurrency limit (one slow receiver with a long backlog)
-- looks at every endpoint's own head instead, so no endpoint starves behind another
-- (src/features/webhooks/deliver_webhooks/queries.py, CLAIM_EACH_ENDPOINT).
CREATE INDEX webhook_deliveries_pending_by_endpoint ON webhook_deliveries (endpoint_id, next_attempt_at)
    WHERE status = 'pending';
