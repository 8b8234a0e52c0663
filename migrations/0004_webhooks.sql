-- Webhook subscriptions, the delivery of each event to each endpoint, and every attempt.

CREATE TABLE webhook_endpoints (
    id                          uuid        PRIMARY KEY,
    owner_id                    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    url                         text        NOT NULL CHECK (char_length(url) BETWEEN 8 AND 2048),
    description                 text        CHECK (char_length(description) <= 200),
    events                      text[]      NOT NULL CHECK (
        cardinality(events) >= 1
        AND events <@ ARRAY['avatar.created', 'avatar.updated', 'avatar.deleted', 'avatar.liked', 'avatar.unliked']
    ),
    -- Signing secrets. During a rotation the previous one keeps signing until it expires.
    secret                      text        NOT NULL,
    previous_secret             text,
    previous_secret_expires_at  timestamptz,
    enabled                     boolean     NOT NULL DEFAULT true,
    disabled_reason             text,
    disabled_at                 timestamptz,
    -- The first failure since the last success: a long streak disables the endpoint.
    failing_since               timestamptz,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    CHECK ((previous_secret IS NULL) = (previous_secret_expires_at IS NULL))
);
CREATE INDEX webhook_endpoints_by_owner ON webhook_endpoints (owner_id, id DESC);
CREATE TRIGGER webhook_endpoints_set_updated_at BEFORE UPDATE ON webhook_endpoints
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- One row per (event, endpoint): the unit that is retried until it succeeds or gives up.
CREATE TABLE webhook_deliveries (
    event_id        uuid        NOT NULL REFERENCES outbox_events (id) ON DELETE CASCADE,
    endpoint_id     uuid        NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    status          text        NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'delivering', 'succeeded', 'failed')),
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    -- A worker's claim on a 'delivering' row; an expired lease (the worker died) is reclaimed.
    locked_until    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    PRIMARY KEY (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_leased ON webhook_deliveries (locked_until) WHERE status = 'delivering';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id);

-- Every attempt, for the owner's delivery log.
CREATE TABLE webhook_attempts (
    id            uuid        PRIMARY KEY,
    event_id      uuid        NOT NULL,
    endpoint_id   uuid        NOT NULL,
    attempt       integer     NOT NULL CHECK (attempt >= 1),
    succeeded     boolean     NOT NULL,
    status_code   integer,
    error         text,
    duration_ms   integer     NOT NULL,
    attempted_at  timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (event_id, endpoint_id) REFERENCES webhook_deliveries (event_id, endpoint_id) ON DELETE CASCADE
);
CREATE INDEX webhook_attempts_by_endpoint ON webhook_attempts (endpoint_id, id DESC);

-- Wake the dispatchers (LISTEN) instead of waiting for their next poll.
CREATE FUNCTION notify_channel() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_ARGV[0], '');
    RETURN NULL;
END;
$$;
CREATE TRIGGER outbox_events_notify AFTER INSERT ON outbox_events
    FOR EACH STATEMENT EXECUTE FUNCTION notify_channel('outbox_events');
CREATE TRIGGER webhook_deliveries_notify AFTER INSERT ON webhook_deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION notify_channel('webhook_deliveries');
