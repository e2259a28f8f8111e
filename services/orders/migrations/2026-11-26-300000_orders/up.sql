-- Orders: the channel registry, orders with their lines, status history and
-- allocations, the catalog projection intake validates against, the channel
-- updates feed and webhook deliveries. Money is NUMERIC(20,4) + currency.

CREATE TABLE channels (
    id                     TEXT PRIMARY KEY,
    kind                   TEXT NOT NULL,
    name                   TEXT NOT NULL,
    currency               CHAR(3) NOT NULL,
    backorder_policy       TEXT NOT NULL CHECK (backorder_policy IN ('reject', 'backorder', 'partial')),
    ship_from              TEXT[] NOT NULL DEFAULT '{}',
    priority               INT NOT NULL,
    safety_buffer_units    BIGINT NOT NULL DEFAULT 0,
    safety_buffer_percent  INT NOT NULL DEFAULT 0,
    fraud_threshold        NUMERIC(20, 4),
    webhook_url            TEXT,
    webhook_secret         TEXT,
    active                 BOOLEAN NOT NULL DEFAULT true,
    version                BIGINT NOT NULL DEFAULT 1,
    created_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at             TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- From catalog events: which SKUs exist and where they are listed.
CREATE TABLE catalog_skus (
    sku              TEXT PRIMARY KEY,
    product_id       UUID NOT NULL,
    product_status   TEXT NOT NULL,
    product_version  BIGINT NOT NULL
);
CREATE TABLE catalog_listings (
    sku             TEXT NOT NULL,
    channel_id      TEXT NOT NULL,
    price_amount    NUMERIC(20, 4) NOT NULL,
    price_currency  CHAR(3) NOT NULL,
    active          BOOLEAN NOT NULL,
    PRIMARY KEY (sku, channel_id)
);

CREATE TABLE orders (
    id                  UUID PRIMARY KEY,
    channel_id          TEXT NOT NULL REFERENCES channels (id),
    external_order_id   TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN
                          ('received', 'reserved', 'confirmed', 'backordered', 'on_hold', 'cancelled')),
    hold_reason         TEXT,
    hold_detail         TEXT,
    hold_since          TIMESTAMPTZ,
    customer            JSONB NOT NULL,
    customer_email      TEXT NOT NULL,
    shipping_address    JSONB NOT NULL,
    billing_address     JSONB NOT NULL,
    currency            CHAR(3) NOT NULL,
    subtotal            NUMERIC(20, 4) NOT NULL,
    shipping_total      NUMERIC(20, 4) NOT NULL,
    tax_total           NUMERIC(20, 4) NOT NULL,
    discount_total      NUMERIC(20, 4) NOT NULL,
    total               NUMERIC(20, 4) NOT NULL,
    payment_status      TEXT NOT NULL,
    checkout_hold_id    UUID,
    placed_at           TIMESTAMPTZ NOT NULL,
    received_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    confirmed_at        TIMESTAMPTZ,
    cancelled_at        TIMESTAMPTZ,
    -- The channel's payload exactly as received (audit and replay), and its hash
    -- for idempotent intake.
    raw_payload         JSONB NOT NULL,
    request_hash        TEXT NOT NULL,
    version             BIGINT NOT NULL DEFAULT 1,
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (channel_id, external_order_id)
);
CREATE INDEX orders_channel ON orders (channel_id, id);
CREATE INDEX orders_status ON orders (status, id);
CREATE INDEX orders_customer ON orders (customer_email);
CREATE INDEX orders_on_hold ON orders (hold_reason, id) WHERE status = 'on_hold';

CREATE TABLE order_lines (
    order_id        UUID NOT NULL REFERENCES orders (id),
    line_no         INT NOT NULL,
    sku             TEXT NOT NULL,
    quantity        BIGINT NOT NULL CHECK (quantity > 0),
    unit_price      NUMERIC(20, 4) NOT NULL,
    short_quantity  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (order_id, line_no)
);

-- Where inventory reserved each line (from StockReserved).
CREATE TABLE order_allocations (
    order_id       UUID NOT NULL REFERENCES orders (id),
    line_no        INT NOT NULL,
    location_code  TEXT NOT NULL,
    quantity       BIGINT NOT NULL,
    PRIMARY KEY (order_id, line_no, location_code)
);

CREATE TABLE order_status_history (
    id           BIGSERIAL PRIMARY KEY,
    order_id     UUID NOT NULL REFERENCES orders (id),
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    reason       TEXT,
    actor        TEXT NOT NULL,
    at           TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX order_status_history_order ON order_status_history (order_id, id);

-- Status changes waiting for the dispatcher, which gives them their feed
-- sequence (one writer, so the feed's order is its commit order).
CREATE TABLE channel_update_queue (
    id                 BIGSERIAL PRIMARY KEY,
    channel_id         TEXT NOT NULL,
    order_id           UUID NOT NULL,
    external_order_id  TEXT NOT NULL,
    status             TEXT NOT NULL,
    hold_reason        TEXT,
    detail             TEXT,
    at                 TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE channel_updates (
    seq                BIGINT PRIMARY KEY,
    channel_id         TEXT NOT NULL,
    order_id           UUID NOT NULL,
    external_order_id  TEXT NOT NULL,
    status             TEXT NOT NULL,
    hold_reason        TEXT,
    detail             TEXT,
    at                 TIMESTAMPTZ NOT NULL
);
CREATE SEQUENCE channel_update_seq;
CREATE INDEX channel_updates_feed ON channel_updates (channel_id, seq);

CREATE TABLE webhook_deliveries (
    id                BIGSERIAL PRIMARY KEY,
    channel_id        TEXT NOT NULL,
    update_seq        BIGINT NOT NULL REFERENCES channel_updates (seq),
    status            TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts          INT NOT NULL DEFAULT 0,
    next_attempt_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_status_code  INT,
    last_error        TEXT,
    delivered_at      TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_channel ON webhook_deliveries (channel_id, id);

-- Every attempt, for the delivery log.
CREATE TABLE webhook_attempts (
    delivery_id   BIGINT NOT NULL REFERENCES webhook_deliveries (id),
    attempt       INT NOT NULL,
    at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    status_code   INT,
    error         TEXT,
    duration_ms   BIGINT NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
