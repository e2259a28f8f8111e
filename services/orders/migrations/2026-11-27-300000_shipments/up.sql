-- Shipping: orders move to partially_shipped and shipped on the warehouse's
-- FulfillmentShipped; each shipment is kept (applied once per fulfillment)
-- and travels with the channel update that announces it.

ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN
    ('received', 'reserved', 'confirmed', 'backordered', 'on_hold', 'cancelled',
     'partially_shipped', 'shipped'));

ALTER TABLE order_lines ADD COLUMN shipped_quantity BIGINT NOT NULL DEFAULT 0
    CHECK (shipped_quantity >= 0);

-- One row per fulfillment: its primary key is what applies a shipment once.
CREATE TABLE order_shipments (
    fulfillment_id  TEXT PRIMARY KEY,
    order_id        UUID NOT NULL REFERENCES orders (id),
    location_code   TEXT NOT NULL,
    -- [{package_id, carrier, service, tracking_number, weight_grams,
    --   lines: [{line_no, sku, quantity}]}]
    parcels         JSONB NOT NULL,
    -- What shipped per order line (the sums of the parcels).
    lines           JSONB NOT NULL,
    shipped_by      TEXT NOT NULL,
    shipped_at      TIMESTAMPTZ NOT NULL,
    recorded_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX order_shipments_order ON order_shipments (order_id, shipped_at);

-- Short-picked units of a fulfillment line waiting for stock (StockReallocated
-- with outcome backordered), so that inventory's later fill moves nothing off
-- the short location a second time.
CREATE TABLE order_reallocations (
    order_id        UUID NOT NULL REFERENCES orders (id),
    fulfillment_id  TEXT NOT NULL,
    line_no         INT NOT NULL,
    waiting         BIGINT NOT NULL CHECK (waiting >= 0),
    PRIMARY KEY (order_id, fulfillment_id, line_no)
);

-- The shipment a channel update announces (tracking numbers for the channel).
ALTER TABLE channel_update_queue ADD COLUMN shipment JSONB;
ALTER TABLE channel_updates ADD COLUMN shipment JSONB;
