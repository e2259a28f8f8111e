-- Returns the warehouse expects (from support's ReturnAuthorized, unless
-- returnless), the units scanned in at the return location, and each
-- line's grades once inspected.

CREATE TABLE expected_returns (
    return_id          UUID PRIMARY KEY,
    number             TEXT NOT NULL UNIQUE,
    order_id           UUID NOT NULL,
    channel_id         TEXT NOT NULL,
    location_code      TEXT NOT NULL,
    expected_condition TEXT NOT NULL,
    -- expected, receiving, inspected
    status             TEXT NOT NULL,
    received_by        TEXT,
    received_at        TIMESTAMPTZ,
    inspected_by       TEXT,
    inspected_at       TIMESTAMPTZ,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    version            BIGINT NOT NULL DEFAULT 1
);

CREATE INDEX expected_returns_open ON expected_returns (location_code, status);

CREATE TABLE expected_return_lines (
    return_id  UUID NOT NULL REFERENCES expected_returns (return_id),
    line_no    INTEGER NOT NULL,
    sku        TEXT NOT NULL,
    expected   BIGINT NOT NULL CHECK (expected > 0),
    received   BIGINT NOT NULL DEFAULT 0 CHECK (received >= 0 AND received <= expected),
    resellable BIGINT NOT NULL DEFAULT 0,
    refurbish  BIGINT NOT NULL DEFAULT 0,
    scrap      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (return_id, line_no)
);
