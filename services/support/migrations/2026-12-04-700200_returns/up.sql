-- Returns (RMA): per-channel return policies (or 'default'), the return
-- category of each SKU the policies name, the returns with their lines, and
-- the saga's steps as support heard of them.

CREATE TABLE return_policies (
    channel_id TEXT PRIMARY KEY,
    -- ReturnPolicyInput as given.
    policy     JSONB NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE product_return_categories (
    sku        TEXT PRIMARY KEY,
    category   TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Numbers quoted to customers and carriers (RMA-000123).
CREATE SEQUENCE return_numbers;

CREATE TABLE returns (
    id                 UUID PRIMARY KEY,
    number             TEXT NOT NULL UNIQUE,
    order_id           UUID NOT NULL,
    channel_id         TEXT NOT NULL,
    external_order_id  TEXT NOT NULL,
    ticket_id          UUID REFERENCES tickets (id),
    -- A marketplace's own return id: a repeat is its retry.
    external_return_id TEXT,
    status             TEXT NOT NULL,
    reason             TEXT NOT NULL,
    resolution         TEXT NOT NULL,
    currency           TEXT NOT NULL,
    -- ReturnTermsView: value, fees, refund, returnless, location, window.
    terms              JSONB NOT NULL,
    auto_approved      BOOLEAN NOT NULL,
    requested_by       TEXT NOT NULL,
    authorized_by      TEXT,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL,
    version            BIGINT NOT NULL DEFAULT 1,
    UNIQUE (channel_id, external_return_id)
);

CREATE INDEX returns_by_order ON returns (order_id);
CREATE INDEX returns_by_status ON returns (status, id);

CREATE TABLE return_lines (
    return_id  UUID NOT NULL REFERENCES returns (id),
    line_no    INTEGER NOT NULL,
    order_id   UUID NOT NULL,
    sku        TEXT NOT NULL,
    quantity   BIGINT NOT NULL CHECK (quantity > 0),
    unit_price NUMERIC(20, 4) NOT NULL,
    PRIMARY KEY (return_id, line_no)
);

-- What earlier returns of an order took, per line.
CREATE INDEX return_lines_by_order ON return_lines (order_id, line_no);

CREATE TABLE return_steps (
    return_id UUID NOT NULL REFERENCES returns (id),
    seq       INTEGER NOT NULL,
    step      TEXT NOT NULL,
    status    TEXT NOT NULL,
    detail    TEXT,
    at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (return_id, seq)
);
