-- Receiving: the inbound purchase orders the warehouse expects (a projection
-- of procurement's PurchaseOrderApproved / PurchaseOrderChanged), receipts at
-- the dock built up scan by scan, and the over-receipt tolerance.

CREATE TABLE inbound_orders (
    po_id         UUID PRIMARY KEY,
    number        TEXT NOT NULL UNIQUE,
    supplier_code TEXT NOT NULL,
    location_code TEXT NOT NULL,
    -- As procurement last published it: approved | sent | partially_received |
    -- received | closed | cancelled.
    status        TEXT NOT NULL,
    expected_on   DATE NOT NULL,
    version       BIGINT NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE INDEX inbound_orders_expected ON inbound_orders (location_code, expected_on);

-- What procurement ordered (quantity, cancelled, landed cost); what the dock
-- received is counted here by the warehouse itself, so a receipt's check
-- never waits for procurement's echo.
CREATE TABLE inbound_lines (
    po_id            UUID NOT NULL REFERENCES inbound_orders (po_id),
    line_no          INTEGER NOT NULL,
    sku              TEXT NOT NULL,
    supplier_sku     TEXT NOT NULL,
    quantity         BIGINT NOT NULL,
    cancelled        BIGINT NOT NULL,
    unit_landed_cost NUMERIC(20, 4) NOT NULL,
    currency         TEXT NOT NULL,
    received_good    BIGINT NOT NULL DEFAULT 0,
    received_damaged BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (po_id, line_no)
);

CREATE TABLE receipts (
    id           UUID PRIMARY KEY,
    po_id        UUID NOT NULL REFERENCES inbound_orders (po_id),
    status       TEXT NOT NULL CHECK (status IN ('open', 'completed')),
    opened_by    TEXT NOT NULL,
    opened_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    completed_by TEXT,
    completed_at TIMESTAMPTZ
);

CREATE INDEX receipts_po ON receipts (po_id);

-- One row per line, condition and bin of a receipt; scans add to it.
CREATE TABLE receipt_lines (
    receipt_id UUID NOT NULL REFERENCES receipts (id),
    line_no    INTEGER NOT NULL,
    condition  TEXT NOT NULL CHECK (condition IN ('good', 'damaged')),
    bin_code   TEXT NOT NULL DEFAULT '',
    quantity   BIGINT NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (receipt_id, line_no, condition, bin_code)
);

-- A single row: how far above the ordered quantity a line may be received.
CREATE TABLE receiving_policy (
    id                         BOOLEAN PRIMARY KEY DEFAULT true CHECK (id),
    over_receipt_tolerance_pct INTEGER NOT NULL CHECK (over_receipt_tolerance_pct BETWEEN 0 AND 100),
    version                    BIGINT NOT NULL DEFAULT 1,
    updated_at                 TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by                 TEXT NOT NULL
);

INSERT INTO receiving_policy (over_receipt_tolerance_pct, updated_by) VALUES (5, 'system:migration');
