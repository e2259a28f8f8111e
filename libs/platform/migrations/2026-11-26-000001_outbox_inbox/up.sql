-- Platform tables every service has: the transactional outbox, the idempotent
-- inbox and stored Idempotency-Key responses.

CREATE TABLE outbox (
    id              BIGSERIAL PRIMARY KEY,        -- publish order
    event_id        UUID NOT NULL UNIQUE,
    topic           TEXT NOT NULL,
    key             TEXT NOT NULL,
    event_type      TEXT NOT NULL,
    headers         JSONB NOT NULL,               -- [[name, value], ...]
    payload         BYTEA NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    published_at    TIMESTAMPTZ,
    last_error      TEXT
);

-- The relay only ever scans unpublished rows.
CREATE INDEX outbox_pending ON outbox (id) WHERE published_at IS NULL;

CREATE TABLE inbox (
    consumer     TEXT NOT NULL,
    event_id     UUID NOT NULL,
    topic        TEXT NOT NULL,
    event_type   TEXT NOT NULL,
    received_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

CREATE TABLE idempotency_keys (
    scope          TEXT NOT NULL,                 -- caller + route
    key            TEXT NOT NULL,
    request_hash   TEXT NOT NULL,
    response_status SMALLINT NOT NULL,
    response_body  JSONB NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, key)
);

-- Housekeeping deletes by age (see platform::outbox::prune).
CREATE INDEX outbox_published_at ON outbox (published_at) WHERE published_at IS NOT NULL;
CREATE INDEX inbox_received_at ON inbox (received_at);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
