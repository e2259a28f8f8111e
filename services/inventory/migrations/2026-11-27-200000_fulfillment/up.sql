-- What the warehouse reports back: shipments consume reservations and on
-- hand (movement kind ship); short picks write the missing units off (kind
-- short_pick) and re-allocate them, waiting for stock under the backorder policy.

ALTER TABLE movements DROP CONSTRAINT movements_kind_check;
ALTER TABLE movements ADD CONSTRAINT movements_kind_check CHECK (kind IN
    ('receipt', 'cycle_count', 'damage', 'correction', 'return', 'reserve', 'release',
     'ship', 'short_pick'));

-- Each shipped line once per fulfillment, whatever event id carries it; also
-- what GET /v1/reservations shows as shipped.
CREATE TABLE fulfillment_shipments (
    fulfillment_id  TEXT NOT NULL,
    line_no         INT NOT NULL,
    order_id        UUID NOT NULL,
    sku             TEXT NOT NULL,
    location_id     UUID NOT NULL REFERENCES locations (id),
    quantity        BIGINT NOT NULL CHECK (quantity > 0),
    shipped_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (fulfillment_id, line_no)
);
CREATE INDEX fulfillment_shipments_order ON fulfillment_shipments (order_id);

-- Short-picked units no other location could cover, waiting for stock (the
-- order's policy is backorder). The backorder filler reserves them in the same
-- order as whole orders: channel priority, then oldest placed.
CREATE TABLE reallocation_backorders (
    id                BIGSERIAL PRIMARY KEY,
    order_id          UUID NOT NULL,
    channel_id        TEXT NOT NULL,
    line_no           INT NOT NULL,
    sku               TEXT NOT NULL,
    quantity          BIGINT NOT NULL CHECK (quantity > 0),
    fulfillment_id    TEXT NOT NULL,
    from_location_id  UUID NOT NULL REFERENCES locations (id),
    -- The short_pick movement: the short location takes part again only once
    -- stock arrives there after it (its remaining units are suspect until then).
    write_off_movement BIGINT NOT NULL,
    channel_priority  INT NOT NULL,
    placed_at         TIMESTAMPTZ NOT NULL,
    ship_from         TEXT[] NOT NULL DEFAULT '{}',
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX reallocation_backorders_fill
    ON reallocation_backorders (channel_priority, placed_at, order_id, id);
CREATE INDEX reallocation_backorders_order ON reallocation_backorders (order_id);
