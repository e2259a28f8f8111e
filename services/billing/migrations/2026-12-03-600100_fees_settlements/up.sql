-- Channel fees and settlements: fee schedules (effective-dated) with
-- commission rates per product fee category, the fees accrued per order at
-- shipment, imported settlements and their lines (matched to orders and
-- trued up, or queued for finance), and the accounts they post to.

INSERT INTO accounts (code, name, kind, per_channel) VALUES
    ('1250', 'Payouts in transit', 'asset', true),
    ('2900', 'Settlement suspense', 'liability', true);

CREATE TABLE fee_schedules (
    channel_id              TEXT NOT NULL,
    effective_from          DATE NOT NULL,
    currency                CHAR(3) NOT NULL,
    default_commission      NUMERIC(7, 4) NOT NULL CHECK (default_commission BETWEEN 0 AND 100),
    -- {"<fee category>": "<percent>"}
    commissions             JSONB NOT NULL,
    per_order               NUMERIC(20, 4) NOT NULL CHECK (per_order >= 0),
    per_unit_fulfillment    NUMERIC(20, 4) NOT NULL CHECK (per_unit_fulfillment >= 0),
    payment_percent         NUMERIC(7, 4) NOT NULL CHECK (payment_percent BETWEEN 0 AND 100),
    payment_fixed           NUMERIC(20, 4) NOT NULL CHECK (payment_fixed >= 0),
    updated_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (channel_id, effective_from)
);

CREATE TABLE product_fee_categories (
    sku                 TEXT PRIMARY KEY,
    fee_category        TEXT NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- What each shipment's fees were estimated at, per kind and SKU; a
-- settlement's fees true them up once (`settlement_id`).
CREATE TABLE fee_accruals (
    id                  BIGSERIAL PRIMARY KEY,
    order_id            UUID NOT NULL,
    fulfillment_id      TEXT NOT NULL,
    channel_id          TEXT NOT NULL,
    kind                TEXT NOT NULL,
    sku                 TEXT NOT NULL DEFAULT '',
    currency            CHAR(3) NOT NULL,
    amount              NUMERIC(20, 4) NOT NULL,
    settlement_id       TEXT
);
CREATE INDEX fee_accruals_open ON fee_accruals (order_id, kind, sku) WHERE settlement_id IS NULL;

CREATE TABLE settlements (
    channel_id          TEXT NOT NULL,
    settlement_id       TEXT NOT NULL,
    format              TEXT NOT NULL,
    currency            CHAR(3) NOT NULL,
    total               NUMERIC(20, 4) NOT NULL,
    deposit_date        DATE NOT NULL,
    -- SHA-256 of the file: the same file again is a replay, another file
    -- with the same id a conflict.
    file_hash           TEXT NOT NULL,
    lines               INT NOT NULL,
    matched             INT NOT NULL,
    exceptions          INT NOT NULL,
    -- Actual fees less those estimated, for the matched orders.
    fee_true_up         NUMERIC(20, 4) NOT NULL,
    imported_by         TEXT NOT NULL,
    imported_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (channel_id, settlement_id)
);

-- Settlement lines that could not be matched (no such order, an order
-- billing never invoiced, a line finance must classify), held in suspense
-- until matched by hand or written off.
CREATE TABLE settlement_exceptions (
    id                  UUID PRIMARY KEY,
    channel_id          TEXT NOT NULL,
    settlement_id       TEXT NOT NULL,
    line                BIGINT NOT NULL,
    order_ref           TEXT NOT NULL,
    sku                 TEXT NOT NULL,
    kind                TEXT NOT NULL,
    description         TEXT NOT NULL,
    currency            CHAR(3) NOT NULL,
    amount              NUMERIC(20, 4) NOT NULL,
    reason              TEXT NOT NULL,
    status              TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'matched', 'written_off')),
    resolved_order_id   UUID,
    resolved_by         TEXT,
    resolved_at         TIMESTAMPTZ,
    note                TEXT,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX settlement_exceptions_open ON settlement_exceptions (created_at) WHERE status = 'open';
