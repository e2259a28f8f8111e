-- Procurement: the SKU projection (from catalog), demand history per SKU ×
-- channel × day (projected from orders' events, or imported), stock-out days
-- (from inventory's reservation outcomes), forecasts and their settings,
-- suppliers and what they supply.

CREATE TABLE skus (
    sku        TEXT PRIMARY KEY,
    product_id UUID NOT NULL,
    status     TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- Units demanded per SKU, channel and day (UTC): order lines placed that day,
-- net of those cancelled since; an imported day holds the imported figure
-- (orders placed later that day add to it).
CREATE TABLE demand_days (
    sku        TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    day        DATE NOT NULL,
    quantity   BIGINT NOT NULL CHECK (quantity >= 0),
    imported   BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (sku, channel_id, day)
);

-- The order lines counted in demand_days, so a cancellation subtracts exactly
-- what its order added, once.
CREATE TABLE demand_order_lines (
    order_id   UUID NOT NULL,
    line_no    INTEGER NOT NULL,
    sku        TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    day        DATE NOT NULL,
    quantity   BIGINT NOT NULL,
    cancelled  BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (order_id, line_no)
);

-- Days a SKU ran out (a reservation came up short): that day's demand is
-- censored, not low.
CREATE TABLE stock_out_days (
    sku TEXT NOT NULL,
    day DATE NOT NULL,
    PRIMARY KEY (sku, day)
);

-- One row per SKU with demand: where its history starts, and whether its
-- forecasts are current. The forecast job takes rows that are dirty (an
-- import), were last forecast before today, or with older settings than
-- the current ones (so a settings change writes no row here).
CREATE TABLE demand_series (
    sku               TEXT PRIMARY KEY,
    first_day         DATE NOT NULL,
    dirty             BOOLEAN NOT NULL DEFAULT true,
    forecast_on       DATE,
    settings_version  BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX demand_series_due ON demand_series (forecast_on, sku);

-- Forecasts per SKU, total (channel_id '') and per channel.
CREATE TABLE forecasts (
    sku            TEXT NOT NULL,
    channel_id     TEXT NOT NULL,
    computed_at    TIMESTAMPTZ NOT NULL,
    first_date     DATE NOT NULL,
    history_days   INTEGER NOT NULL,
    stock_out_days INTEGER NOT NULL,
    class          TEXT,
    adi            DOUBLE PRECISION,
    cv2            DOUBLE PRECISION,
    method         TEXT NOT NULL,
    reason         TEXT NOT NULL,
    level          DOUBLE PRECISION NOT NULL,
    point          DOUBLE PRECISION[] NOT NULL,
    lower_bound    DOUBLE PRECISION[] NOT NULL,
    upper_bound    DOUBLE PRECISION[] NOT NULL,
    folds          INTEGER NOT NULL,
    mase           DOUBLE PRECISION,
    rmsse          DOUBLE PRECISION,
    bias           DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (sku, channel_id)
);

-- A single row: how forecasts are made.
CREATE TABLE forecast_settings (
    id               BOOLEAN PRIMARY KEY DEFAULT true CHECK (id),
    horizon_days     INTEGER NOT NULL CHECK (horizon_days BETWEEN 7 AND 365),
    interval_level   DOUBLE PRECISION NOT NULL CHECK (interval_level BETWEEN 0.5 AND 0.99),
    max_history_days INTEGER NOT NULL CHECK (max_history_days BETWEEN 28 AND 1096),
    version          BIGINT NOT NULL DEFAULT 1,
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by       TEXT NOT NULL
);

INSERT INTO forecast_settings (horizon_days, interval_level, max_history_days, updated_by)
VALUES (90, 0.9, 730, 'system:migration');

CREATE TABLE suppliers (
    code               TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    currency           TEXT NOT NULL,
    payment_terms_days INTEGER NOT NULL CHECK (payment_terms_days BETWEEN 0 AND 365),
    active             BOOLEAN NOT NULL,
    version            BIGINT NOT NULL DEFAULT 1,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by         TEXT NOT NULL
);

CREATE TABLE supplier_products (
    supplier_code     TEXT NOT NULL REFERENCES suppliers (code),
    sku               TEXT NOT NULL,
    supplier_sku      TEXT NOT NULL,
    unit_cost_amount  NUMERIC(20, 4) NOT NULL CHECK (unit_cost_amount >= 0),
    unit_cost_currency TEXT NOT NULL,
    moq               BIGINT NOT NULL CHECK (moq >= 1),
    pack_size         BIGINT NOT NULL CHECK (pack_size >= 1),
    lead_time_days    INTEGER NOT NULL CHECK (lead_time_days BETWEEN 0 AND 365),
    preferred_rank    INTEGER NOT NULL CHECK (preferred_rank BETWEEN 1 AND 100),
    active            BOOLEAN NOT NULL,
    version           BIGINT NOT NULL DEFAULT 1,
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by        TEXT NOT NULL,
    PRIMARY KEY (supplier_code, sku)
);

-- Replenishment looks up a SKU's suppliers in rank order.
CREATE INDEX supplier_products_sku ON supplier_products (sku, preferred_rank);
