-- The stock levels last published (StockLevelChanged), per SKU × location
-- ('' for a SKU with backorders but no stock row): the publisher writes a
-- row, and publishes it, only when a figure moved.
CREATE SEQUENCE stock_levels_seq;

CREATE TABLE stock_levels (
    sku               TEXT NOT NULL,
    location_code     TEXT NOT NULL,
    location_priority INTEGER NOT NULL,
    on_hand           BIGINT NOT NULL,
    reserved          BIGINT NOT NULL,
    backordered       BIGINT NOT NULL,
    seq               BIGINT NOT NULL,
    changed_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (sku, location_code)
);
