-- Catalog: products, their variants (one SKU each), channel listings and the
-- audit trail of channel price changes.

CREATE TABLE products (
    id          UUID PRIMARY KEY,                  -- UUIDv7: time-ordered, the list cursor
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL CHECK (status IN ('draft', 'active', 'archived')),
    version     BIGINT NOT NULL DEFAULT 1,         -- the ETag; bumped by every change
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    created_by  TEXT NOT NULL,
    updated_by  TEXT NOT NULL
);

CREATE INDEX products_status_id ON products (status, id);

CREATE TABLE variants (
    id              UUID PRIMARY KEY,
    product_id      UUID NOT NULL REFERENCES products (id),
    position        INTEGER NOT NULL,
    sku             TEXT NOT NULL,                 -- upper-case; never reused, even when archived
    title           TEXT NOT NULL,
    barcode         TEXT,                          -- GTIN-14 (normalized)
    unit_of_measure TEXT NOT NULL,
    weight_grams    BIGINT CHECK (weight_grams >= 0),
    length_mm       BIGINT CHECK (length_mm > 0),
    width_mm        BIGINT CHECK (width_mm > 0),
    height_mm       BIGINT CHECK (height_mm > 0),
    cost_amount     NUMERIC(20, 4) CHECK (cost_amount >= 0),
    cost_currency   TEXT,
    CONSTRAINT variants_sku_key UNIQUE (sku),
    CONSTRAINT variants_barcode_key UNIQUE (barcode),
    CONSTRAINT variants_cost_pair CHECK ((cost_amount IS NULL) = (cost_currency IS NULL))
);

CREATE INDEX variants_product ON variants (product_id, position);
-- SKU prefix filter (LIKE 'ABC%') uses this index.
CREATE INDEX variants_sku_prefix ON variants (sku text_pattern_ops);

CREATE TABLE listings (
    variant_id     UUID NOT NULL REFERENCES variants (id),
    channel_id     TEXT NOT NULL,
    price_amount   NUMERIC(20, 4) NOT NULL CHECK (price_amount >= 0),
    price_currency TEXT NOT NULL,
    active         BOOLEAN NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (variant_id, channel_id)
);

CREATE INDEX listings_channel ON listings (channel_id, variant_id);

CREATE TABLE price_changes (
    id           BIGSERIAL PRIMARY KEY,
    variant_id   UUID NOT NULL REFERENCES variants (id),
    channel_id   TEXT NOT NULL,
    old_amount   NUMERIC(20, 4),                   -- NULL when first priced
    old_currency TEXT,
    new_amount   NUMERIC(20, 4) NOT NULL,
    new_currency TEXT NOT NULL,
    changed_by   TEXT NOT NULL,
    changed_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX price_changes_variant ON price_changes (variant_id, id);
