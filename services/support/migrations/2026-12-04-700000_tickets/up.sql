-- Support: the orders and parcels tickets are about (projected from orders'
-- and the warehouse's events), tickets with their message thread, their
-- attachments (stored once per content hash) and the auto-reply settings.

CREATE TABLE orders (
    order_id          UUID PRIMARY KEY,
    channel_id        TEXT NOT NULL,
    external_order_id TEXT NOT NULL,
    -- Lower-cased, so a sender's address finds its orders.
    customer_email    TEXT,
    customer_name     TEXT,
    -- placed, confirmed, on_hold or cancelled (shipping comes from parcels).
    status            TEXT NOT NULL,
    currency          TEXT,
    -- [{line_no, sku, quantity, unit_price}]
    lines             JSONB NOT NULL,
    placed_at         TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX orders_by_number ON orders (external_order_id);
CREATE INDEX orders_by_customer ON orders (customer_email, placed_at DESC);

-- Shipped parcels, one per FulfillmentShipped parcel.
CREATE TABLE parcels (
    fulfillment_id  TEXT NOT NULL,
    package_id      TEXT NOT NULL,
    order_id        UUID NOT NULL,
    channel_id      TEXT NOT NULL,
    location_code   TEXT NOT NULL,
    carrier         TEXT NOT NULL,
    service         TEXT NOT NULL,
    tracking_number TEXT NOT NULL,
    -- [{line_no, sku, quantity}]
    lines           JSONB NOT NULL,
    shipped_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (fulfillment_id, package_id)
);

CREATE INDEX parcels_by_order ON parcels (order_id);
CREATE INDEX parcels_by_tracking ON parcels (tracking_number);

-- Numbers quoted to customers (T-000123). Gaps are harmless here.
CREATE SEQUENCE ticket_numbers;

CREATE TABLE tickets (
    id                UUID PRIMARY KEY,
    number            TEXT NOT NULL UNIQUE,
    -- Absent for an email about no known order: staff only.
    channel_id        TEXT,
    subject           TEXT NOT NULL,
    status            TEXT NOT NULL,
    priority          TEXT NOT NULL,
    category          TEXT NOT NULL,
    assignee          TEXT,
    customer_email    TEXT NOT NULL,
    customer_name     TEXT,
    order_id          UUID,
    tracking_number   TEXT,
    linked_by         TEXT NOT NULL,
    source            TEXT NOT NULL,
    triage            JSONB NOT NULL,
    -- Messages in the thread (the next one's seq is messages + 1).
    messages          INTEGER NOT NULL DEFAULT 0,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    first_response_at TIMESTAMPTZ,
    resolved_at       TIMESTAMPTZ,
    version           BIGINT NOT NULL DEFAULT 1
);

CREATE INDEX tickets_by_status ON tickets (status, id);
CREATE INDEX tickets_by_channel ON tickets (channel_id, id);
CREATE INDEX tickets_by_assignee ON tickets (assignee, id);
CREATE INDEX tickets_by_order ON tickets (order_id);
CREATE INDEX tickets_by_customer ON tickets (customer_email, id);

CREATE TABLE ticket_messages (
    ticket_id  UUID NOT NULL REFERENCES tickets (id),
    seq        INTEGER NOT NULL,
    -- customer, reply, auto_reply or note
    kind       TEXT NOT NULL,
    author     TEXT NOT NULL,
    body       TEXT NOT NULL,
    -- RFC 5322 Message-ID (without brackets): an inbound email's, or the
    -- one a reply is sent with. Unique, so a gateway's retry adds nothing.
    message_id TEXT UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (ticket_id, seq)
);

-- Attachment content, once per SHA-256 whoever sent it.
CREATE TABLE attachment_blobs (
    sha256       TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    size_bytes   BIGINT NOT NULL,
    content      BYTEA NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Which ticket holds which content, under what name.
CREATE TABLE ticket_attachments (
    ticket_id   UUID NOT NULL REFERENCES tickets (id),
    sha256      TEXT NOT NULL REFERENCES attachment_blobs (sha256),
    filename    TEXT NOT NULL,
    message_seq INTEGER,
    added_by    TEXT NOT NULL,
    added_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (ticket_id, sha256)
);

-- Categories an admin lets auto-reply, and above which confidence.
CREATE TABLE auto_replies (
    category       TEXT PRIMARY KEY,
    enabled        BOOLEAN NOT NULL,
    min_confidence DOUBLE PRECISION NOT NULL,
    updated_by     TEXT NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
