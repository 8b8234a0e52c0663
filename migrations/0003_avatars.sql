-- Avatars, their likes, the events they emit (an outbox), and idempotency keys.

CREATE TABLE avatars (
    id          uuid        PRIMARY KEY,
    owner_id    uuid        NOT NULL REFERENCES users (id),
    name        text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 50 AND name !~ '[[:cntrl:]]'),
    -- Normalised by the service to upper case: '#1A2B3C'.
    color       text        NOT NULL CHECK (color ~ '^#[0-9A-F]{6}$'),
    -- Kept exact by the triggers below, whatever code path adds or removes a like.
    likes_count integer     NOT NULL DEFAULT 0 CHECK (likes_count >= 0),
    -- Bumped on every edit: the ETag that If-Match is checked against.
    version     integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
-- Newest first over live avatars, all or one owner's: the two list queries.
CREATE INDEX avatars_live_newest ON avatars (id DESC) WHERE deleted_at IS NULL;
CREATE INDEX avatars_live_by_owner_newest ON avatars (owner_id, id DESC) WHERE deleted_at IS NULL;

-- An edit (name, colour, deletion) moves updated_at and the version, whichever code path
-- made it. Likes move likes_count only: they are not edits.
CREATE FUNCTION avatars_touch() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    NEW.version := OLD.version + 1;
    RETURN NEW;
END;
$$;
CREATE TRIGGER avatars_touch BEFORE UPDATE ON avatars
    FOR EACH ROW
    WHEN (OLD.name IS DISTINCT FROM NEW.name
          OR OLD.color IS DISTINCT FROM NEW.color
          OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
    EXECUTE FUNCTION avatars_touch();

CREATE TABLE avatar_likes (
    avatar_id  uuid        NOT NULL REFERENCES avatars (id) ON DELETE CASCADE,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- One like per user and avatar, however many requests race.
    PRIMARY KEY (avatar_id, user_id)
);
CREATE INDEX avatar_likes_by_user ON avatar_likes (user_id);

-- Each like row added or removed moves the count by exactly one, under the avatar's row
-- lock: exact under any concurrency.
CREATE FUNCTION avatar_likes_count() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE avatars SET likes_count = likes_count + 1 WHERE id = NEW.avatar_id;
        RETURN NEW;
    END IF;
    UPDATE avatars SET likes_count = likes_count - 1 WHERE id = OLD.avatar_id;
    RETURN OLD;
END;
$$;
CREATE TRIGGER avatar_likes_maintain_count AFTER INSERT OR DELETE ON avatar_likes
    FOR EACH ROW EXECUTE FUNCTION avatar_likes_count();

-- The transactional outbox: an event is written in the transaction of the change that
-- caused it, so a rolled-back change has no event and a committed one always has.
-- Delivery (webhooks) reads from here.
CREATE TABLE outbox_events (
    id          uuid        PRIMARY KEY,
    type        text        NOT NULL CHECK (type ~ '^[a-z]+\.[a-z_]+$'),
    -- Whose resource it is about: the user whose subscriptions receive it.
    owner_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    data        jsonb       NOT NULL,
    request_id  text,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    -- Set once the event has been turned into deliveries.
    dispatched_at timestamptz
);
CREATE INDEX outbox_events_undispatched ON outbox_events (id) WHERE dispatched_at IS NULL;

-- Idempotency-Key: the first response to a (scope, key) is stored with the change it
-- made, in the same transaction, and replayed for a retry with the same body.
CREATE TABLE idempotency_keys (
    scope            text        NOT NULL,
    key              text        NOT NULL CHECK (char_length(key) BETWEEN 1 AND 255),
    request_hash     bytea       NOT NULL,
    status_code      smallint    NOT NULL,
    response_body    bytea       NOT NULL,
    response_headers jsonb       NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);
