-- Replenishment: inventory's stock levels (a projection of StockLevelChanged),
-- reorder rules per SKU × location, replenishment runs, purchase orders and
-- the lead times receipts taught.

-- Per SKU × location ('' for a SKU with backorders and no stock row);
-- `backordered` is the SKU's, as of the event's sequence.
CREATE TABLE stock_levels (
    sku               TEXT NOT NULL,
    location_code     TEXT NOT NULL,
    location_priority INTEGER NOT NULL,
    on_hand           BIGINT NOT NULL,
    reserved          BIGINT NOT NULL,
    backordered       BIGINT NOT NULL,
    seq               BIGINT NOT NULL,
    PRIMARY KEY (sku, location_code)
);

CREATE TABLE reorder_rules (
    sku           TEXT NOT NULL,
    location_code TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('min_max', 'forecast')),
    min_units     BIGINT CHECK (min_units >= 0),
    max_units     BIGINT CHECK (max_units >= 0),
    service_level DOUBLE PRECISION CHECK (service_level BETWEEN 0.5 AND 0.999),
    cover_days    INTEGER CHECK (cover_days BETWEEN 0 AND 365),
    active        BOOLEAN NOT NULL,
    version       BIGINT NOT NULL DEFAULT 1,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by    TEXT NOT NULL,
    PRIMARY KEY (sku, location_code),
    CONSTRAINT min_max_has_bounds CHECK (kind <> 'min_max' OR (min_units IS NOT NULL AND max_units >= min_units)),
    CONSTRAINT forecast_has_level CHECK (kind <> 'forecast' OR (service_level IS NOT NULL AND cover_days IS NOT NULL))
);

CREATE TABLE replenishment_runs (
    id           UUID PRIMARY KEY,
    dry_run      BOOLEAN NOT NULL,
    requested_by TEXT NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ NOT NULL,
    rules        INTEGER NOT NULL,
    orders       INTEGER NOT NULL
);

-- PO-000001, PO-000002, ...: never reused (a sequence; gaps from rolled-back
-- runs are harmless for purchase orders, unlike invoices).
CREATE SEQUENCE purchase_order_numbers;

CREATE TABLE purchase_orders (
    id            UUID PRIMARY KEY,               -- UUIDv7: the list cursor
    number        TEXT NOT NULL UNIQUE,
    supplier_code TEXT NOT NULL REFERENCES suppliers (code),
    location_code TEXT NOT NULL,
    currency      TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('draft', 'approved', 'sent',
                    'partially_received', 'received', 'closed', 'cancelled')),
    expected_on   DATE NOT NULL,
    run_id        UUID REFERENCES replenishment_runs (id),
    version       BIGINT NOT NULL DEFAULT 1,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by    TEXT NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by    TEXT NOT NULL
);

CREATE INDEX purchase_orders_status ON purchase_orders (status, id);
CREATE INDEX purchase_orders_supplier ON purchase_orders (supplier_code, id);

CREATE TABLE purchase_order_lines (
    po_id            UUID NOT NULL REFERENCES purchase_orders (id),
    line_no          INTEGER NOT NULL,
    sku              TEXT NOT NULL,
    supplier_sku     TEXT NOT NULL,
    quantity         BIGINT NOT NULL CHECK (quantity > 0),
    unit_cost        NUMERIC(20, 4) NOT NULL CHECK (unit_cost >= 0),
    received_good    BIGINT NOT NULL DEFAULT 0 CHECK (received_good >= 0),
    received_damaged BIGINT NOT NULL DEFAULT 0 CHECK (received_damaged >= 0),
    cancelled        BIGINT NOT NULL DEFAULT 0 CHECK (cancelled >= 0),
    explanation      JSONB,
    PRIMARY KEY (po_id, line_no)
);

-- What is on order per SKU × location: open lines of open orders.
CREATE INDEX purchase_order_lines_sku ON purchase_order_lines (sku);

-- Days from sending to receipt, per supplier and SKU, one per receipt.
CREATE TABLE lead_time_samples (
    supplier_code TEXT NOT NULL,
    sku           TEXT NOT NULL,
    po_id         UUID NOT NULL,
    days          DOUBLE PRECISION NOT NULL,
    received_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (po_id, sku, received_at)
);

CREATE INDEX lead_time_samples_by_sku ON lead_time_samples (supplier_code, sku, received_at);
