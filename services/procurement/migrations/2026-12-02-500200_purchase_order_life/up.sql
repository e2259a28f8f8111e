-- The purchase order's life: approvals (four eyes above a threshold per
-- currency), sending, amendments (versioned), landed-cost charges, receipts
-- and the figures the supplier scorecard is made of.

ALTER TABLE purchase_orders
    ADD COLUMN approved_by TEXT,
    ADD COLUMN approved_at TIMESTAMPTZ,
    ADD COLUMN sent_at     TIMESTAMPTZ,
    ADD COLUMN closed_at   TIMESTAMPTZ;

-- Catalog's weight per unit (charges spread by weight) and cost price (the
-- standard cost purchase price variance is measured against).
ALTER TABLE skus
    ADD COLUMN weight_grams           BIGINT,
    ADD COLUMN standard_cost_amount   NUMERIC(20, 4),
    ADD COLUMN standard_cost_currency TEXT;

-- Orders above the threshold of their currency need a second person with the
-- approver role; a currency without a row always does.
CREATE TABLE approval_thresholds (
    currency TEXT PRIMARY KEY,
    amount   NUMERIC(20, 4) NOT NULL CHECK (amount >= 0)
);

-- A single row: whether drafts within the threshold are approved by rule.
CREATE TABLE approval_policy (
    id                 BOOLEAN PRIMARY KEY DEFAULT true CHECK (id),
    auto_approve_below BOOLEAN NOT NULL,
    version            BIGINT NOT NULL DEFAULT 1,
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by         TEXT NOT NULL
);

INSERT INTO approval_policy (auto_approve_below, updated_by) VALUES (false, 'system:migration');

-- Every version of every order: what changed, who, and the order as it then was.
CREATE TABLE purchase_order_history (
    po_id    UUID NOT NULL REFERENCES purchase_orders (id),
    version  BIGINT NOT NULL,
    change   TEXT NOT NULL,
    actor    TEXT NOT NULL,
    at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    snapshot JSONB NOT NULL,
    PRIMARY KEY (po_id, version)
);

-- Estimated landed-cost charges, spread over the lines by their basis.
CREATE TABLE purchase_order_charges (
    id       BIGSERIAL PRIMARY KEY,
    po_id    UUID NOT NULL REFERENCES purchase_orders (id),
    kind     TEXT NOT NULL CHECK (kind IN ('freight', 'duty', 'insurance', 'other')),
    amount   NUMERIC(20, 4) NOT NULL CHECK (amount >= 0),
    currency TEXT NOT NULL,
    basis    TEXT NOT NULL CHECK (basis IN ('quantity', 'weight', 'value')),
    added_by TEXT NOT NULL,
    added_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX purchase_order_charges_po ON purchase_order_charges (po_id, id);

-- Receipts applied (warehouse GoodsReceived), once each.
CREATE TABLE receipts (
    receipt_id   TEXT PRIMARY KEY,
    po_id        UUID NOT NULL REFERENCES purchase_orders (id),
    received_at  TIMESTAMPTZ NOT NULL,
    good         BIGINT NOT NULL,
    damaged      BIGINT NOT NULL,
    -- Received by the expected date.
    on_time      BOOLEAN NOT NULL,
    -- Days from sending (approval when never sent) to this receipt.
    lead_days    DOUBLE PRECISION NOT NULL
);

CREATE INDEX receipts_po ON receipts (po_id);
