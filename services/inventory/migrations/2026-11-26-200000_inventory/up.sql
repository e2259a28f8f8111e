-- Inventory: locations, stock per SKU per location, the movement log,
-- reservations of orders and storefront holds, backorders, and the channel
-- availability feed. Quantities are whole units (BIGINT).

-- SKUs known from catalog events (a projection; catalog owns them).
CREATE TABLE skus (
    sku         TEXT PRIMARY KEY,
    product_id  UUID NOT NULL,
    status      TEXT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The stock-related part of orders' channel registry (a projection).
CREATE TABLE channels (
    id                    TEXT PRIMARY KEY,
    kind                  TEXT NOT NULL,
    backorder_policy      TEXT NOT NULL,
    ship_from             TEXT[] NOT NULL DEFAULT '{}',
    priority              INT NOT NULL,
    safety_buffer_units   BIGINT NOT NULL DEFAULT 0,
    safety_buffer_percent INT NOT NULL DEFAULT 0,
    active                BOOLEAN NOT NULL,
    version               BIGINT NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE locations (
    id          UUID PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('warehouse', 'overflow', 'store', '3pl')),
    priority    INT NOT NULL,
    region      TEXT,
    active      BOOLEAN NOT NULL DEFAULT true,
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The last line of defence against oversell: the database refuses a row with
-- more reserved than on hand, whatever the code above it does.
CREATE TABLE stock (
    sku          TEXT NOT NULL REFERENCES skus (sku),
    location_id  UUID NOT NULL REFERENCES locations (id),
    on_hand      BIGINT NOT NULL DEFAULT 0 CHECK (on_hand >= 0),
    reserved     BIGINT NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (sku, location_id),
    CONSTRAINT reserved_within_on_hand CHECK (reserved <= on_hand)
);

-- Every change to on_hand or reserved, with who, when, why, before and after.
CREATE TABLE movements (
    id               BIGSERIAL PRIMARY KEY,
    sku              TEXT NOT NULL,
    location_id      UUID NOT NULL REFERENCES locations (id),
    kind             TEXT NOT NULL CHECK (kind IN
                       ('receipt', 'cycle_count', 'damage', 'correction', 'return', 'reserve', 'release')),
    on_hand_before   BIGINT NOT NULL,
    on_hand_after    BIGINT NOT NULL,
    reserved_before  BIGINT NOT NULL,
    reserved_after   BIGINT NOT NULL,
    reference        TEXT,
    actor            TEXT NOT NULL,
    note             TEXT,
    at               TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX movements_sku ON movements (sku, id);
CREATE INDEX movements_location ON movements (location_id, id);

-- One row per order inventory has seen.
CREATE TABLE order_reservations (
    order_id          UUID PRIMARY KEY,
    channel_id        TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('reserved', 'backordered', 'rejected', 'released')),
    backorder_policy  TEXT NOT NULL,
    ship_from         TEXT[] NOT NULL DEFAULT '{}',
    channel_priority  INT NOT NULL,
    placed_at         TIMESTAMPTZ NOT NULL,
    lines             JSONB NOT NULL,
    shortfalls        JSONB NOT NULL DEFAULT '[]',
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- Backorders fill in this order: channel priority, then oldest first.
CREATE INDEX order_reservations_backordered
    ON order_reservations (channel_priority, placed_at, order_id) WHERE status = 'backordered';

CREATE TABLE holds (
    id          UUID PRIMARY KEY,
    channel_id  TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('active', 'expired', 'released', 'converted')),
    expires_at  TIMESTAMPTZ NOT NULL,
    order_id    UUID,
    created_by  TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX holds_expiring ON holds (expires_at) WHERE status = 'active';

-- What an order or a hold has reserved where. Deleted on release; the
-- movements keep the history.
CREATE TABLE reservation_lines (
    owner_id     UUID NOT NULL,
    owner_kind   TEXT NOT NULL CHECK (owner_kind IN ('order', 'hold')),
    line_no      INT NOT NULL,
    sku          TEXT NOT NULL,
    location_id  UUID NOT NULL REFERENCES locations (id),
    quantity     BIGINT NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (owner_id, line_no, location_id)
);
CREATE INDEX reservation_lines_stock ON reservation_lines (sku, location_id);

-- SKUs whose availability must be recomputed and published.
CREATE TABLE availability_dirty (
    sku TEXT PRIMARY KEY
);

-- The coalesced availability feed. One writer at a time assigns `seq`, so the
-- feed's order is its commit order and a cursor never skips a change.
CREATE SEQUENCE availability_seq;
CREATE TABLE availability (
    channel_id         TEXT NOT NULL,
    sku                TEXT NOT NULL,
    available_to_sell  BIGINT NOT NULL,
    seq                BIGINT NOT NULL,
    changed_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (channel_id, sku)
);
CREATE INDEX availability_feed ON availability (channel_id, seq);
