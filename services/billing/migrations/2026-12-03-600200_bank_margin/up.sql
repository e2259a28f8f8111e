-- Bank statements and their lines (matched to payouts and invoices, or
-- queued), and contribution margin kept up to date as entries post: per
-- order, per channel and day, per SKU, channel and day.

CREATE TABLE bank_statements (
    statement_id        TEXT NOT NULL,
    account             TEXT NOT NULL,
    format              TEXT NOT NULL,
    file_hash           TEXT NOT NULL,
    lines               INT NOT NULL,
    matched             INT NOT NULL,
    imported_by         TEXT NOT NULL,
    imported_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (account, statement_id)
);

CREATE TABLE bank_lines (
    id                  UUID PRIMARY KEY,
    account             TEXT NOT NULL,
    statement_id        TEXT NOT NULL,
    bank_reference      TEXT NOT NULL,
    booked_on           DATE NOT NULL,
    currency            CHAR(3) NOT NULL,
    amount              NUMERIC(20, 4) NOT NULL,
    reference           TEXT NOT NULL,
    counterparty        TEXT NOT NULL,
    -- What it paid: a settlement's payout or an invoice; NULL: queued.
    matched_kind        TEXT CHECK (matched_kind IN ('payout', 'invoice')),
    matched_ref         TEXT,
    reason              TEXT,
    -- A line is the bank's once, whatever statement repeats it.
    UNIQUE (account, bank_reference)
);
CREATE INDEX bank_lines_unmatched ON bank_lines (booked_on) WHERE matched_kind IS NULL;

ALTER TABLE settlements ADD COLUMN paid_by UUID REFERENCES bank_lines (id);
ALTER TABLE documents ADD COLUMN paid_by UUID REFERENCES bank_lines (id);

CREATE TABLE order_margins (
    order_id            UUID NOT NULL,
    currency            CHAR(3) NOT NULL,
    channel_id          TEXT NOT NULL,
    -- The day of the order's first posting (its first shipment).
    day                 DATE NOT NULL,
    revenue             NUMERIC(20, 4) NOT NULL DEFAULT 0,
    refunds             NUMERIC(20, 4) NOT NULL DEFAULT 0,
    cogs                NUMERIC(20, 4) NOT NULL DEFAULT 0,
    channel_fees        NUMERIC(20, 4) NOT NULL DEFAULT 0,
    payment_fees        NUMERIC(20, 4) NOT NULL DEFAULT 0,
    shipping_cost       NUMERIC(20, 4) NOT NULL DEFAULT 0,
    margin              NUMERIC(20, 4) GENERATED ALWAYS AS
                          (revenue - refunds - cogs - channel_fees - payment_fees - shipping_cost) STORED,
    PRIMARY KEY (order_id, currency)
);
CREATE INDEX order_margins_channel_day ON order_margins (channel_id, day, order_id);
CREATE INDEX order_margins_day ON order_margins (day, order_id);
CREATE INDEX order_margins_losses ON order_margins (day, order_id) WHERE margin < 0;

CREATE TABLE channel_margins_daily (
    day                 DATE NOT NULL,
    channel_id          TEXT NOT NULL,
    currency            CHAR(3) NOT NULL,
    revenue             NUMERIC(20, 4) NOT NULL DEFAULT 0,
    refunds             NUMERIC(20, 4) NOT NULL DEFAULT 0,
    cogs                NUMERIC(20, 4) NOT NULL DEFAULT 0,
    channel_fees        NUMERIC(20, 4) NOT NULL DEFAULT 0,
    payment_fees        NUMERIC(20, 4) NOT NULL DEFAULT 0,
    shipping_cost       NUMERIC(20, 4) NOT NULL DEFAULT 0,
    PRIMARY KEY (day, channel_id, currency)
);

CREATE TABLE sku_margins_daily (
    day                 DATE NOT NULL,
    channel_id          TEXT NOT NULL,
    sku                 TEXT NOT NULL,
    currency            CHAR(3) NOT NULL,
    revenue             NUMERIC(20, 4) NOT NULL DEFAULT 0,
    refunds             NUMERIC(20, 4) NOT NULL DEFAULT 0,
    cogs                NUMERIC(20, 4) NOT NULL DEFAULT 0,
    channel_fees        NUMERIC(20, 4) NOT NULL DEFAULT 0,
    payment_fees        NUMERIC(20, 4) NOT NULL DEFAULT 0,
    shipping_cost       NUMERIC(20, 4) NOT NULL DEFAULT 0,
    PRIMARY KEY (day, channel_id, sku, currency)
);
