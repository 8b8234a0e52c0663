-- The W3C trace context (traceparent, tracestate) of the request that recorded an event,
-- when tracing is on: the webhook deliveries of the event continue that request's trace
-- (src/core/observability/tracing.py). NULL when the request was not traced.
ALTER TABLE outbox_events ADD COLUMN traceparent text, ADD COLUMN tracestate text;
